"""The one error hierarchy: every message names what is wrong and how to fix it."""

from __future__ import annotations


class QAError(Exception):
    """Base of every error the CLI and UI show as one line."""


class ConfigError(QAError):
    """A setting, settings file or environment variable has a bad value."""


class StoreError(QAError):
    """The index folder is missing, incompatible or damaged."""


class IndexMismatchError(StoreError):
    """The index was built with other embedding or chunking settings."""


class InputError(QAError):
    """An input file or record cannot be read (the ingest skips it and goes on)."""


class ModelError(QAError):
    """A model (embedding or GGUF) cannot be found or loaded."""


class MissingDependencyError(QAError):
    """An optional library is not installed."""


def missing(package: str, purpose: str) -> MissingDependencyError:
    """Build the error raised when an optional dependency is absent."""
    return MissingDependencyError(
        f"{purpose} needs the '{package}' package: run `pip install {package}` (or `make install`)."
    )


class ChatError(QAError):
    """A saved chat or answer that does not exist, or a chats database that cannot be used."""
