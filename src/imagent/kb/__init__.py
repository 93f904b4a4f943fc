"""The user's own documents, searchable offline: `imagent kb add|search|list|remove`."""

from imagent.kb.documents import Document, DocumentError, read_document
from imagent.kb.store import AddResult, DocumentInfo, KnowledgeBase, PassageHit

__all__ = [
    "AddResult",
    "Document",
    "DocumentError",
    "DocumentInfo",
    "KnowledgeBase",
    "PassageHit",
    "read_document",
]
