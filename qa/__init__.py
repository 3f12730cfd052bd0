"""Local question answering over news articles, with verified citations.

    from qa import Assistant
    assistant = Assistant.open("index/default")
    answer = assistant.ask("What did Ren say about chips?")

Importing this package loads no model and no native library; they load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Answer", "Article", "Assistant", "Citation", "QAError", "Settings", "build_index"]

if TYPE_CHECKING:
    from .assistant import Assistant, build_index
    from .config import Settings
    from .errors import QAError
    from .types import Answer, Article, Citation

_LAZY = {
    "Assistant": "assistant", "build_index": "assistant", "Settings": "config", "QAError": "errors",
    "Answer": "types", "Article": "types", "Citation": "types",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'qa' has no attribute {name!r}")
