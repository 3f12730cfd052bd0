"""The one entry point: `Assistant.open(index_dir).ask(question)`. Wires the stages, one call each; owns no algorithm.

question → search.condense → search.make_request → news focus → search.Retriever → answer.evidence
         → answer.choices | answer.compose.abstain_reason → answer.short → generate (streamed) → answer.cite.verify
         → answer.compose → Answer
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from .answer import cite, compose, model
from .answer.choices import choose
from .answer.evidence import Pool, select_evidence
from .answer.short import short_answer
from .config import Settings
from .embed import Embedder, make_embedder
from .generate import Generator, make_generator
from .generate.phrase import Phrasing
from .generate.prompts import Prompts
from .index import Index, Stats
from .ingest import IngestReport, ingest
from .news import speakers as news
from .search import Retriever, make_request
from .search.request import clean_question
from .search.condense import condense
from .types import Answer, Passage, StreamEvent

DateLike = str | date | None


class Assistant:
    """Question answering over one index folder, with verified citations."""

    def __init__(self, settings: Settings, store: Index, embedder: Embedder, generator: Generator | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._generator = generator
        self.prompts = Prompts(settings.prompts_dir)
        self.retriever = Retriever(store, embedder, settings.retrieval)
        self.write_lock = threading.Lock()
        self._generator_lock = threading.Lock()

    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None, create: bool = False,
             rebuild: bool = False, embedder: Embedder | None = None, generator: Generator | None = None,
             **overrides: Any) -> Assistant:
        """Open (or, with create=True, start) an index; ``overrides`` are dotted settings like llm__model."""
        settings = settings or Settings.load()
        if index_dir is not None:
            overrides["index_dir"] = str(index_dir)
        if overrides:
            settings = settings.replace(**overrides)
        embedder = embedder or make_embedder(settings.embedding)
        return cls(settings, Index(settings.index_dir, settings, embedder, create=create, rebuild=rebuild), embedder, generator)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            with self._generator_lock:  # two first questions at once must share one generator (and its lock)
                if self._generator is None:
                    self._generator = make_generator(self.settings.llm)
        return self._generator

    def close(self) -> None:
        self.store.close()

    # -- index ----------------------------------------------------------------------------------
    def index(self, paths: Sequence[str | Path], *, prune: bool = False, progress: bool = True, on_skip=None) -> IngestReport:  # noqa: ANN001
        """Add (or update) the articles under ``paths``; usable while questions are being answered."""
        with self.write_lock:
            return ingest(paths, self.store, self.embedder, self.settings, prune=prune, progress=progress, on_skip=on_skip)

    def remove(self, ids_or_paths: Sequence[str]) -> int:
        """Remove articles by id, or every article loaded from the given files/folders."""
        with self.write_lock:
            n = self.store.remove(self.store.resolve_ids(ids_or_paths))
            self.store.save()
        return n

    def stats(self) -> Stats:
        return self.store.stats()

    def speakers(self, limit: int = 20) -> list[news.Speaker]:
        """The most quoted people with their name variants."""
        return news.speakers(self.store, limit)

    def quotes(self, name: str, about: str | None = None, limit: int = 10) -> list[news.Quote]:
        """What ``name`` (any name variant) said, optionally about a topic, best first."""
        return news.quotes(self.store, name, about=about, embedder=self.embedder, limit=limit)

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, *, as_of: DateLike = None, date_from: DateLike = None,
               date_to: DateLike = None) -> list[Passage]:
        """Fused hybrid search (dense + BM25) with date filters."""
        return self.retriever.search(make_request(query, as_of, date_from, date_to, top_k=k, newest=self.store.newest_date))

    def search_dense(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k, "dense")

    def search_keyword(self, query: str, k: int = 5) -> list[Passage]:
        return self.retriever.passages(query, k, "bm25")

    # -- answering ------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] | None = None, as_of: DateLike = None, date_from: DateLike = None,
            date_to: DateLike = None, choices: Sequence[str] | None = None, top_k: int | None = None) -> Answer:
        """Answer a question (or pick among ``choices``) from the indexed articles, with verified citations."""
        events = self.stream(question, history, as_of, date_from, date_to, choices, top_k=top_k)
        return [e.answer for e in events if e.kind == "answer"][-1]

    def read(self, question: str, query: str, as_of: DateLike = None, date_from: DateLike = None, date_to: DateLike = None,
             choices: Sequence[str] | None = None, top_k: int | None = None) -> compose.Reading:
        """Retrieval and evidence selection for a (condensed) query: what the reader reads."""
        s, t = self.settings, time.perf_counter()
        req = make_request(query, as_of, date_from, date_to, top_k=top_k, newest=self.store.newest_date)
        spoke = news.focus(self.store, query, self.embedder, as_of=req.as_of, date_from=req.date_from, date_to=req.date_to)
        if spoke:  # "what did X say about Y": X's statements on Y are one more ranked list
            req.extra.append(spoke.chunks)
        passages = self.retriever.search_choices(req, choices, s.retrieval.per_choice_k) if choices else self.retriever.search(req)
        timings = {"retrieve": time.perf_counter() - t}
        t2 = time.perf_counter()
        evidence, ranked = select_evidence(query, passages, self.embedder, s.answer.evidence_sentences, self.store.idf,
                                           boost=spoke.boost if spoke else None)
        timings["evidence"] = time.perf_counter() - t2
        ctx = compose.Context(question, query, passages, req.as_of.isoformat() if req.as_of else None)
        pool = Pool(query, ranked, passages, ctx.as_of, self.store.idf, self.embedder.embed)
        return compose.Reading(ctx, req, spoke, evidence, ranked, pool, timings, t)

    def stream(self, question: str, history: Sequence[str] | None = None, as_of: DateLike = None,
               date_from: DateLike = None, date_to: DateLike = None, choices: Sequence[str] | None = None,
               top_k: int | None = None) -> Iterator[StreamEvent]:
        """Like `ask`, yielding status lines and the model's raw tokens before the verified answer."""
        question = clean_question(question)  # escape sequences and control characters out; empty or too long: error
        s, t0 = self.settings, time.perf_counter()
        use_llm = s.llm.enabled
        query, how = condense(question, history, self.generator if (use_llm and history) else None, self.prompts)
        if how != "as asked":
            yield StreamEvent("status", f"searching for: {query}")
        r = self.read(question, query, as_of, date_from, date_to, choices, top_k)
        ctx, req, spoke, evidence, ranked, pool, timings = r.ctx, r.req, r.spoke, r.evidence, r.ranked, r.pool, r.timings
        timings["condense"] = r.started - t0

        reader = self.generator if model.wanted(s.answer.model_reader, s.llm.enabled, lambda: self.generator) else None
        if choices:
            search = lambda text: max((sc for _, sc in self.retriever.keyword(text, 1, self.retriever.allowed_ids(req))), default=0.0)  # noqa: E731
            lp = model.choose(reader, self.prompts, query, choices, ranked) if reader and s.answer.model_choices == "on" else None
            answer = compose.choice_answer(ctx, choose(pool, choices, search=search, model_logprobs=lp), choices, evidence)
        elif reason := compose.abstain_reason(query, ctx.passages, ranked, s.answer, spoke.name_words if spoke else frozenset()):
            answer = compose.abstained(ctx, reason)
        else:
            if reader and not spoke:  # the model reads for a few seconds: show the best evidence sentence meanwhile
                yield StreamEvent("token", evidence[0].text if evidence else "")
            reading = model.read(reader, self.prompts, query, ranked) if reader and not spoke else None
            short = None if spoke else short_answer(pool, reading=reading)
            kept, dropped, tokens = [], [], {}
            if use_llm and (s.llm.phrase == "on" or (s.llm.phrase == "auto" and reader is None)):
                draft = Phrasing(self.generator, self.prompts, s.llm, query, evidence, cite.SENTINEL)
                for piece in draft:
                    yield StreamEvent("token", piece)
                timings["generate"], tokens = draft.seconds, draft.tokens
                kept, dropped = cite.verify(draft.text, draft.used, s.answer, compose.embedding_similarity(self.embedder.embed),
                                            aliases=news.aliases(self.store) if spoke else None)
            answer = compose.compose(ctx, s.answer, evidence, kept, dropped, short, spoke,
                                     dated=bool(req.prefers_recent and req.as_of), tokens=tokens)
        timings["total"] = time.perf_counter() - t0
        answer.timings = {k: round(v, 4) for k, v in timings.items()}
        yield StreamEvent("answer", answer=answer)


def build_index(paths: Sequence[str | Path], index_dir: str | Path | None = None, *, settings: Settings | None = None,
                prune: bool = False, rebuild: bool = False, progress: bool = True, **overrides: Any) -> IngestReport:
    """Index files/folders into an index folder (created if needed); returns the ingest report."""
    assistant = Assistant.open(index_dir, settings=settings, create=True, rebuild=rebuild, **overrides)
    try:
        return assistant.index(paths, prune=prune, progress=progress)
    finally:
        assistant.close()
