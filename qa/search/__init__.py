"""Search: follow-ups condensed into a standalone query (condense.py), the request with its dates (request.py),
hybrid retrieval — dense + BM25 fused by reciprocal rank, date filters, recency, diversity (hybrid.py)."""

from __future__ import annotations

from .hybrid import Retriever, diversify
from .request import SearchRequest, make_request

__all__ = ["Retriever", "SearchRequest", "diversify", "make_request"]
