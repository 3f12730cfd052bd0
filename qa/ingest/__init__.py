"""Ingest: files → `Article`s (load.py) → chunks (chunk.py) → news enrichment (qa.news) → vectors → the index.

pipeline.py streams it in committed batches; it writes through its `Store` protocol (`qa.index.Index` implements
it) and holds no SQL; `resolve_ids` turns the files and folders a user names into the ids of their articles.
"""

from __future__ import annotations

from .pipeline import IngestReport, ingest, resolve_ids

__all__ = ["IngestReport", "ingest", "resolve_ids"]
