"""Training tools: fit the reader's weights (qa/answer/weights.json) on the RealTimeQA TRAIN set (see eval/README.md)."""
