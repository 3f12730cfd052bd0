"""Ingest: files → `Article`s (load.py) → chunks (chunk.py) → news enrichment (qa.news) → vectors → the index.

pipeline.py streams it in committed batches; it writes through `qa.index.Index` and holds no SQL.
"""

from __future__ import annotations

from .pipeline import IngestReport, ingest

__all__ = ["IngestReport", "ingest"]
