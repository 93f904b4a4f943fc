"""Where runs live on disk: run.json, trace.jsonl, candidates and final.png."""
