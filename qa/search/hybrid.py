"""Hybrid retrieval: dense + BM25, fused by reciprocal rank, with date filters, recency and diversity.

The index's search backend (FAISS + FTS5, or Milvus: qa/index/backend.py) gives the two ranked lists, both
restricted to the request's date window; which backend it is does not matter here.

Score of a chunk = sum over ranked lists of 1 / (rrf_k + rank)   (rank starts at 1)
                 + recency bonus: w / (rrf_k + 1) when its article is at most recency_days older than as_of
Then the list is walked best-first keeping at most max_per_article passages per article and per story
(near-duplicate articles share a story id), and dropping passages whose text nearly repeats a kept one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from ..config import RetrievalSettings
from ..embed import Embedder
from ..errors import ConfigError
from ..index import Index
from ..index.backend import DateWindow
from ..text.dates import is_recent, resolve_time, upper_bound
from ..text.escape import valid_utf8
from ..text.similarity import jaccard
from ..text.tokens import content_words
from ..types import Passage
from .request import SearchRequest

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """Worker threads for the keyword half of a search (shared by the questions of a process)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(4, thread_name_prefix="qa-keyword")
        return _POOL


class Retriever:
    """Dense + keyword retrieval over one `Store`."""

    def __init__(self, store: Index, embedder: Embedder, settings: RetrievalSettings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        # FAISS + FTS5: the BM25 query (SQLite) runs in a worker thread while this one embeds the query (ONNX
        # Runtime); both release the GIL, so on 2 cores the embedding's ms come off the search (docs/performance.md)
        self.concurrent = getattr(getattr(store, "backend", None), "kind", None) == "faiss"

    def dense(self, text: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        vec = self.embedder.embed([text])[0]
        return self.store.dense_search(vec, k, window)

    def keyword(self, text: str, k: int, window: DateWindow | None = None) -> list[tuple[int, float]]:
        return self.store.bm25_search(text, k, window)

    def passages(self, text: str, k: int, kind: str) -> list[Passage]:
        """The passages one retriever alone finds ('dense' or 'bm25'), with its score and rank set."""
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ConfigError(f"k (passages wanted) must be a whole number > 0, got {k!r}")
        text = valid_utf8(text)
        hits = self.dense(text, k) if kind == "dense" else self.keyword(text, k)
        passages = self.store.passages([cid for cid, _ in hits])
        out = []
        for rank, (cid, score) in enumerate(hits, 1):
            p = passages[cid]
            p.score = score
            setattr(p, f"{kind}_score", score)
            setattr(p, f"{kind}_rank", rank)
            out.append(p)
        return out

    def window(self, req: SearchRequest) -> DateWindow | None:
        """The request's date window (date_from .. the earlier of as_of and date_to); None when it has none."""
        hi = upper_bound(req.as_of, req.date_to)
        if hi is None and req.date_from is None:
            return None
        return DateWindow(req.date_from.isoformat() if req.date_from else None, hi.isoformat() if hi else None)

    allowed_ids = window  # the earlier name, still used by callers that pass it on to dense() / keyword()

    def search(self, req: SearchRequest) -> list[Passage]:
        """The top_k fused, filtered, diversified passages for a request."""
        s = self.settings
        top_k = req.top_k or s.top_k
        window = self.window(req)
        if self.concurrent:
            later = _pool().submit(self.keyword, req.keyword_text or req.text, s.candidates, window)
            dense = self.dense(req.text, s.candidates, window)
            keyword = later.result()
        else:
            dense = self.dense(req.text, s.candidates, window)
            keyword = self.keyword(req.keyword_text or req.text, s.candidates, window)
        lists = [dense, keyword, *req.extra]
        scores: dict[int, float] = {}
        for ranked in lists:
            for rank, (cid, _) in enumerate(ranked, 1):
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (s.rrf_k + rank)
        if not scores:
            return []
        passages = self.store.passages(list(scores))
        dense_map = {cid: (r, sc) for r, (cid, sc) in enumerate(dense, 1)}
        kw_map = {cid: (r, sc) for r, (cid, sc) in enumerate(keyword, 1)}
        recent = req.prefers_recent if req.prefers_recent is not None else (
            bool(req.as_of) and resolve_time(req.text, req.as_of).prefers_recent)
        weight = s.recency_weight_temporal if recent else s.recency_weight
        for cid, p in passages.items():
            p.score = scores[cid] + (weight / (s.rrf_k + 1) if is_recent(p.published, req.as_of, s.recency_days) else 0.0)
            if cid in dense_map:
                p.dense_rank, p.dense_score = dense_map[cid]
            if cid in kw_map:
                p.bm25_rank, p.bm25_score = kw_map[cid]
        ranked = sorted(passages.values(), key=lambda p: (-p.score, p.chunk_id))
        return diversify(ranked, top_k, s.max_per_article, self.store.story_ids([p.article_id for p in ranked]))

    def search_choices(self, req: SearchRequest, choices: Sequence[str], k: int) -> list[Passage]:
        """The question's passages, then the best ``k`` new ones for 'question + choice' of each choice.

        A choice the question's own passages never mention gets a search of its own, so the evidence for the right
        choice is not lost when the question's wording favours articles about another one.
        """
        passages = self.search(req)
        return passages + self.more(req, choices, k, {p.chunk_id for p in passages})

    def more(self, req: SearchRequest, additions: Sequence[str], k: int, have: set[int]) -> list[Passage]:
        """For each addition (a choice, a side of a comparison), the best ``k`` passages for 'query + addition'
        that are not among ``have`` (which grows)."""
        out: list[Passage] = []
        if k <= 0:
            return out
        for addition in additions:
            sub = SearchRequest(f"{req.text} {addition}", as_of=req.as_of, date_from=req.date_from, date_to=req.date_to,
                                prefers_recent=req.prefers_recent, top_k=k, extra=req.extra)
            for p in self.search(sub):
                if p.chunk_id not in have:
                    have.add(p.chunk_id)
                    out.append(p)
        return out

    def rest_of(self, passages: Sequence[Passage], articles: int, have: set[int], per_article: int = 8) -> list[Passage]:
        """The chunks not yet retrieved of the first ``articles`` distinct articles of ``passages`` (the story the
        question is about: the facts a summary or a 'why' needs are often in another paragraph of it), in reading
        order, at most ``per_article`` chunks each, nearest the retrieved ones first; ``have`` grows."""
        firsts = list(dict.fromkeys(p.article_id for p in passages))[:articles]
        if not firsts:
            return []
        got = {p.chunk_id for p in passages}
        by_article: dict[str, list[int]] = {}
        for article_id, cid in self.store.chunks_of(firsts):
            by_article.setdefault(article_id, []).append(cid)
        wanted: list[int] = []
        for article_id in firsts:
            cids = by_article.get(article_id, [])
            near = [i for i, c in enumerate(cids) if c in got]
            rest = [i for i, c in enumerate(cids) if c not in have]
            rest.sort(key=lambda i: (min((abs(i - j) for j in near), default=i), i))
            wanted += sorted((cids[i] for i in rest[:per_article]), key=cids.index)
        found = self.store.passages(wanted)
        out = [found[c] for c in wanted if c in found]
        have.update(p.chunk_id for p in out)
        return out


def diversify(ranked: Sequence[Passage], top_k: int, max_per_article: int, stories: dict[str, str] | None = None,
              near_dup: float = 0.8) -> list[Passage]:
    """Walk best-first; cap passages per story (article or near-duplicate group) and drop repeated text."""
    stories = stories or {}
    per_story: dict[str, int] = {}
    story_head: dict[str, Passage] = {}
    kept: list[Passage] = []
    kept_words: list[set[str]] = []
    for p in ranked:
        story = stories.get(p.article_id, p.article_id)
        head = story_head.get(story)
        if head is not None and head.article_id != p.article_id:
            if p.article_id not in head.duplicates:
                head.duplicates.append(p.article_id)
            continue  # another copy of a story already shown: cite one copy, list the others
        if per_story.get(story, 0) >= max_per_article:
            continue
        bag = set(content_words(p.text))
        if any(jaccard(bag, other) >= near_dup for other in kept_words):
            continue
        kept.append(p)
        kept_words.append(bag)
        per_story[story] = per_story.get(story, 0) + 1
        story_head.setdefault(story, p)
        if len(kept) >= top_k:
            break
    return kept
