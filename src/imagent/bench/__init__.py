"""`imagent bench`: run a suite of cases through the agent (or the bare renderer), score them
and report: CA and PR per subtask and capability, IA-score, latency, calls, tokens, cost."""
