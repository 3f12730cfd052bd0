"""The sentence-transformers embedder on CPU: backend 'torch' (fp32), 'onnx' or 'onnx-int8' (see onnx.py)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..cache import sha256_cached
from ..config import EmbeddingSettings
from ..errors import ModelError, missing
from . import model_path
from .tokenizer import load_tokenizer


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU; backend 'torch' (fp32), 'onnx', or 'onnx-int8' (dynamic int8 quantised)."""

    def __init__(self, settings: EmbeddingSettings | None = None) -> None:
        self.settings = settings or EmbeddingSettings()
        self.path = model_path(self.settings.model)
        self.name = Path(self.settings.model).name if Path(self.settings.model).is_dir() else self.settings.model
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()
        self._int8: str | None = None  # int8 weight type, when the index says which (see int8_weights)
        self.dim = self._read_dim()

    @property
    def int8_weights(self) -> str | None:
        """Backend 'onnx-int8': the int8 weight type ('u8' or 's8', qa/embed/ort.py), else None."""
        if self.settings.backend != "onnx-int8":
            return None
        if self._int8 is None:
            from .ort import default_weights

            self._int8 = default_weights()
        return self._int8

    def use_int8_weights(self, weights: str) -> None:
        """Embed with the int8 weights an index was built with (reloads the model if another one is loaded)."""
        if self.settings.backend != "onnx-int8" or weights == self.int8_weights:
            return
        with self._lock:
            self._int8 = weights
            self._model = None

    @property
    def digest(self) -> str:
        """sha256 of the model's weights: the index fingerprint names the model by its content, not its folder."""
        for name in ("model.safetensors", "pytorch_model.bin"):
            if (self.path / name).is_file():
                return sha256_cached(self.path / name)
        raise ModelError(f"{self.path} holds no model.safetensors or pytorch_model.bin: point embedding.model at a sentence-transformers folder")

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
                from .ort import load_onnx

                model = load_onnx(self.path, quantized=backend == "onnx-int8", threads=self.settings.threads,
                                  weights=self.int8_weights)
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
            self._tokenizer = load_tokenizer(self.path)
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
