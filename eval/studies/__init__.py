"""One-off studies: retrieval and answer-stage questions asked once, each a command of its own (see eval/README.md)."""
