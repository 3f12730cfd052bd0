"""The model's fast tokenizer (tokenizers only: no transformers, no torch), for counting word-pieces."""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelError, missing


def load_tokenizer(path: Path):  # noqa: ANN202 - tokenizers.Tokenizer
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
