"""Fakes of hosted APIs for tests, shipped so users' own tests can use them too.

`FakeOpenAIServer` speaks the OpenAI chat-completions API on a loopback port, with quirk
profiles of real servers and scripted faults (`imagent.testing.openai_faults`).
"""

from imagent.testing.chat_payloads import ChatRequest
from imagent.testing.openai_faults import QUIRKS, Fault, Quirks
from imagent.testing.openai_server import FakeOpenAIServer, Recorded

__all__ = ["QUIRKS", "ChatRequest", "FakeOpenAIServer", "Fault", "Quirks", "Recorded"]
