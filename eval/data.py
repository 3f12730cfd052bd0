"""Where the shared data lies (../shared/data beside the checkout): the one module that knows."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
DEV = SHARED / "realtimeqa-dev"
DEV_CORPUS = DEV / "corpus.jsonl"
DEV_QUESTIONS = DEV / "questions.jsonl"
TRAIN = SHARED / "realtimeqa-train"
TRAIN_CORPUS = TRAIN / "corpus.jsonl.gz"
TRAIN_QUESTIONS = TRAIN / "questions.jsonl"
SCALE_CORPUS = SHARED / "news-scale.jsonl.gz"
SEED = SHARED / "seed"
