"""Article ids and content hashes: how an article is named and told apart from its edits (the ground floor that
ingest, which makes them, and the index, which looks them up, share)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from pathlib import Path

from .types import Article


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def path_id(key: str) -> str:
    """The id of an article with no id or url of its own: from where it was loaded (file path, path:line, ...)."""
    return "a-" + sha1(key)[:16]


def legacy_ids(rows: Iterable[tuple[str, str]], roots: Iterable[Path]) -> dict[str, str]:
    """{id: origin} of articles stored with a relative origin (older indexes) that were loaded from under roots.

    A relative origin does not say which folder it was relative to: a candidate folder counts only when the
    article's id is the one its absolute path gives (text, HTML and Markdown files, JSONL and CSV lines without
    an id or url of their own). Others are never matched by path; re-indexing their folder records them absolute.
    """
    roots = [Path(r) for r in roots]
    out: dict[str, str] = {}
    for article_id, origin in rows:
        if not article_id.startswith("a-"):
            continue
        m = re.fullmatch(r"(.*?)(:\d+)?", origin)
        rel, line = m.group(1), m.group(2) or ""
        for root in roots:
            for base in (root, *root.parents):
                cand = Path(os.path.normpath(base / rel))
                if cand != root and root not in cand.parents:
                    continue
                if article_id in (path_id(f"{cand}{line}"), path_id(f"{cand.resolve()}{line}")):
                    out[article_id] = origin
                    break
    return out


def content_hash(article: Article) -> str:
    """Hash of everything stored about an article; a changed hash means the article was edited."""
    payload = json.dumps([article.title, article.text, article.source, article.url, article.published, article.authors])
    return sha1(payload)
