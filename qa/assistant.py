"""The one entry point: `Assistant.open(index_dir).ask(question)`. Wires the stages; owns no algorithm."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from . import cite
from .condense import condense
from .config import Settings
from .dates import parse_iso, resolve_time
from .embed import Embedder, make_embedder
from .errors import ConfigError
from .evidence import Candidate, idf_from_counts, missing_names, select_evidence
from .generate import Generator, Prompts, make_generator
from .ingest import IngestReport, ingest
from .news.speakers import aliases as news_aliases
from .news.speakers import focus as news_focus
from .reader import choose, short_answer, short_from_text
from .retrieve import Retriever, SearchRequest
from .store import Store
from .types import Answer, Evidence, Passage


@dataclass
class StreamEvent:
    """What `Assistant.stream` yields: 'status' and 'token' events while working, then one 'answer'."""

    kind: str
    text: str = ""
    answer: Answer | None = None


# Sentence openers that are lowercased after "As of <date>, "; anything else (names, places) keeps its capital.
_ON_TOPIC_BOOST = 0.15  # news.speakers.Focus.boost of a sentence inside the speaker's statements most on the topic
_LOWER_OK = frozenset("the a an it its he she his her they their this that these those there in on at after before".split())

class Assistant:
    """Question answering over one index folder, with verified citations."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder, generator: Generator | None = None) -> None:
        self.settings = settings
        self.store = store
        self.embedder = embedder
        self._generator = generator
        self.prompts = Prompts(settings.prompts_dir)
        self.retriever = Retriever(store, embedder, settings.retrieval)
        self.write_lock = threading.Lock()
        self._generator_lock = threading.Lock()
        self._idf_cache: dict[tuple[int, str], int] = {}

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def open(cls, index_dir: str | Path | None = None, *, settings: Settings | None = None, create: bool = False,
             rebuild: bool = False, embedder: Embedder | None = None, generator: Generator | None = None,
             **overrides: Any) -> Assistant:
        """Open (or, with create=True, start) an index; ``overrides`` are dotted settings like llm__model_path."""
        settings = settings or Settings.load()
        if index_dir is not None:
            overrides["index_dir"] = str(index_dir)
        if overrides:
            settings = settings.replace(**overrides)
        embedder = embedder or make_embedder(settings.embedding)
        store = Store(settings.index_dir, settings, embedder.name, embedder.dim, create=create, rebuild=rebuild)
        return cls(settings, store, embedder, generator)

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
        ids = set()
        for item in ids_or_paths:
            found = self.store.ids_from_origins([item]) if Path(item).exists() or "/" in item else {}
            ids |= set(found) if found else {item}
        with self.write_lock:
            n = self.store.remove(sorted(ids))
            self.store.save()
        return n

    def stats(self):  # noqa: ANN201 - store.Stats
        return self.store.stats()

    # -- speakers and quotes (qa/news) ----------------------------------------------------------
    def speakers(self, limit: int = 20) -> list[Any]:
        """The most quoted people with their name variants: [news.speakers.Speaker]."""
        from .news.speakers import speakers

        return speakers(self.store, limit)

    def quotes(self, name: str, about: str | None = None, limit: int = 10) -> list[Any]:
        """What ``name`` (any name variant) said, optionally about a topic: [news.speakers.Quote], best first."""
        from .news.speakers import quotes

        return quotes(self.store, name, about=about, embedder=self.embedder, limit=limit)

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, k: int | None = None, *, as_of: str | date | None = None,
               date_from: str | date | None = None, date_to: str | date | None = None) -> list[Passage]:
        """Fused hybrid search (dense + BM25) with date filters."""
        return self.retriever.search(self._request(query, as_of, date_from, date_to, top_k=k))

    def search_dense(self, query: str, k: int = 5) -> list[Passage]:
        return self._hydrate(self.retriever.dense(query, k), "dense")

    def search_keyword(self, query: str, k: int = 5) -> list[Passage]:
        return self._hydrate(self.retriever.keyword(query, k), "bm25")

    def _hydrate(self, hits: list[tuple[int, float]], kind: str) -> list[Passage]:
        passages = self.store.passages([cid for cid, _ in hits])
        out = []
        for rank, (cid, score) in enumerate(hits, 1):
            p = passages[cid]
            p.score = score
            setattr(p, f"{kind}_score", score)
            setattr(p, f"{kind}_rank", rank)
            out.append(p)
        return out

    def _request(self, text: str, as_of: Any, date_from: Any, date_to: Any, top_k: int | None = None) -> SearchRequest:
        as_of_d, lo, hi = parse_iso(as_of), parse_iso(date_from), parse_iso(date_to)
        for name, raw, parsed in (("as_of", as_of, as_of_d), ("date_from", date_from, lo), ("date_to", date_to, hi)):
            if raw not in (None, "") and parsed is None:
                raise ConfigError(f"{name} {raw!r} is not a date: use YYYY-MM-DD")
        req = SearchRequest(text, as_of=as_of_d, date_from=lo, date_to=hi, top_k=top_k)
        ref = as_of_d or parse_iso(self.newest_date())
        if ref is not None:
            scope = resolve_time(text, ref)
            req.prefers_recent = scope.prefers_recent
            if req.as_of is None and scope.prefers_recent:
                req.as_of = ref
        return req

    def newest_date(self) -> str | None:
        row = self.store.db.execute("SELECT MAX(published) FROM articles").fetchone()
        return row[0] if row else None

    def idf(self, terms: Sequence[str]) -> dict[str, float]:
        """IDF of stemmed terms over the chunks (document frequencies from the FTS index, cached)."""
        gen = self.store.generation()
        n = self.store.counts()["chunks"]
        df = {}
        for t in terms:
            key = (gen, t)
            if key not in self._idf_cache:
                if len(self._idf_cache) > 50_000:
                    self._idf_cache.clear()
                with self.store.lock:
                    row = self.store.db.execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (f'"{t}"*',)).fetchone()
                self._idf_cache[key] = int(row[0])
            df[t] = self._idf_cache[key]
        return idf_from_counts(n, df)

    # -- answering ------------------------------------------------------------------------------
    def ask(self, question: str, history: Sequence[str] | None = None, as_of: str | date | None = None,
            date_from: str | date | None = None, date_to: str | date | None = None,
            choices: Sequence[str] | None = None, top_k: int | None = None) -> Answer:
        """Answer a question (or pick among ``choices``) from the indexed articles, with verified citations."""
        answer = None
        for event in self.stream(question, history, as_of, date_from, date_to, choices, top_k=top_k):
            if event.kind == "answer":
                answer = event.answer
        assert answer is not None
        return answer

    def stream(self, question: str, history: Sequence[str] | None = None, as_of: str | date | None = None,
               date_from: str | date | None = None, date_to: str | date | None = None,
               choices: Sequence[str] | None = None, top_k: int | None = None) -> Iterator[StreamEvent]:
        """Like `ask`, yielding status lines and the model's raw tokens before the verified answer."""
        question = (question or "").strip()
        if not question:
            raise ConfigError("the question is empty: type a question")
        t0 = time.perf_counter()
        timings: dict[str, float] = {}
        use_llm = self.settings.llm.enabled and self._generator_available()
        query, how = condense(question, history, self.generator if (use_llm and history) else None, self.prompts)
        timings["condense"] = time.perf_counter() - t0
        if how != "as asked":
            yield StreamEvent("status", f"searching for: {query}")

        t = time.perf_counter()
        req = self._request(query, as_of, date_from, date_to, top_k=top_k)
        spoke = news_focus(self.store, query, self.embedder, as_of=req.as_of, date_from=req.date_from, date_to=req.date_to)
        if spoke:  # "what did X say about Y": X's statements on Y are one more ranked list
            req.extra.append(spoke.chunks)
        if choices:
            passages = self.retriever.search_choices(req, choices, self.settings.retrieval.per_choice_k)
        else:
            passages = self.retriever.search(req)
        timings["retrieve"] = time.perf_counter() - t

        t = time.perf_counter()
        evidence, ranked = select_evidence(query, passages, self.embedder, self.settings.answer.evidence_sentences, self.idf,
                                           boost=spoke.boost if spoke else None)
        timings["evidence"] = time.perf_counter() - t
        base = dict(question=question, query=query, passages=passages, as_of=req.as_of.isoformat() if req.as_of else None)

        if choices:
            result = choose(query, choices, ranked, passages, base["as_of"], self.idf, embed=self.embedder.embed,
                            search=lambda text: max((sc for _, sc in self.retriever.keyword(
                                text, 1, self.retriever.allowed_ids(req))), default=0.0))
            answer = self._choice_answer(result, choices, evidence, ranked, passages, base)
            answer.timings = self._finish(timings, t0)
            yield StreamEvent("answer", answer=answer)
            return

        reason = self._abstain_reason(query, passages, ranked, known=spoke.name_words if spoke else frozenset())
        if reason:
            answer = Answer(text=cite.SENTINEL, short="", citations=[], abstained=True, mode="abstained",
                            dropped=[reason], **base)
            answer.timings = self._finish(timings, t0)
            yield StreamEvent("answer", answer=answer)
            return

        short = None if spoke else short_answer(query, ranked, passages, base["as_of"], self.idf, embed=self.embedder.embed)
        kept: list[cite.Claim] = []
        dropped: list[cite.Claim] = []
        tokens: dict[str, int] = {}
        if use_llm:
            t = time.perf_counter()
            messages, used, tokens = self._prompt(query, evidence)
            raw = []
            for piece in self.generator.generate(messages, max_tokens=self.settings.llm.max_answer_tokens, stream=True):
                raw.append(piece)
                yield StreamEvent("token", piece)
            timings["generate"] = time.perf_counter() - t
            tokens["completion"] = self.generator.count_tokens("".join(raw)) if raw else 0
            kept, dropped = cite.verify("".join(raw), used, self.settings.answer, self._similarity,
                                        aliases=news_aliases(self.store) if spoke else None)
        kept = self._said_by(spoke, self._on_topic(kept, evidence), evidence)
        mode = "generated" if kept else "extractive"
        if not kept:
            kept = self._on_topic(cite.extractive(evidence, self.settings.answer.extractive_sentences), evidence,
                                  floor=self.settings.answer.extractive_floor)
        if spoke and spoke.topic and not spoke.clear and not self._cites_speaker(spoke, kept, evidence):
            reason = f"no statement by {spoke.canonicals[0]} about {spoke.topic} was found"
            answer = Answer(text=cite.SENTINEL, short="", citations=[], abstained=True, mode="abstained",
                            dropped=[reason], **base)
            answer.timings = self._finish(timings, t0)
            yield StreamEvent("answer", answer=answer)
            return
        evidence, kept = self._lead_with(short, kept, evidence, passages)
        numbering = cite.number_citations(kept)
        text = cite.render(kept, numbering)
        if req.prefers_recent and req.as_of:
            text = self._dated(text, numbering, evidence, passages)
        answer = Answer(text=text, short=short.text if short and short.text else short_from_text(kept[0].text),
                        citations=cite.build_citations(numbering, evidence, passages), mode=mode, tokens=tokens,
                        dropped=[f"{c.text} ({c.why})" for c in dropped], **base)
        answer.timings = self._finish(timings, t0)
        yield StreamEvent("answer", answer=answer)

    @staticmethod
    def _said_by(spoke: Any, claims: list[cite.Claim], evidence: list[Evidence]) -> list[cite.Claim]:
        """For 'what did X say (about Y)': the sentences citing X's statements most on Y, else X's other statements.

        When the model's sentences miss the statement most on the topic but the evidence holds it, that sentence
        leads the answer (quoted as evidence), followed by at most one of the model's sentences citing X.
        """
        if not spoke or not claims:
            return claims
        by_n = {e.n: e for e in evidence}

        def level(c: cite.Claim) -> float:
            return max((spoke.boost(by_n[n]) for n in c.cites if n in by_n), default=0.0)

        top = [c for c in claims if level(c) >= _ON_TOPIC_BOOST]
        if top:
            return top
        own = [c for c in claims if level(c) > 0]
        lead = [e for e in evidence if spoke.boost(e) >= _ON_TOPIC_BOOST] if spoke.topic else []
        if lead:
            return [cite.Claim(lead[0].text, [lead[0].n], "the speaker's statement most on the topic"), *own[:1]]
        return own or claims

    @staticmethod
    def _cites_speaker(spoke: Any, claims: list[cite.Claim], evidence: list[Evidence]) -> bool:
        by_n = {e.n: e for e in evidence}
        return any(n in by_n and spoke.boost(by_n[n]) > 0 for c in claims for n in c.cites)

    def _lead_with(self, short: Any, claims: list[cite.Claim], evidence: list[Evidence],
                   passages: list[Passage]) -> tuple[list[Evidence], list[cite.Claim]]:
        """Make the first sentence state the short answer, citing the sentence it was read from."""
        if short is None or not (short.text or short.type == "yesno"):
            return evidence, claims
        c = short.candidate
        if short.type == "yesno":  # lead with the sentence that states the question's claim, unless already cited
            cited = {(e.article_id, e.start) for e in evidence if any(e.n in x.cites for x in claims)}
            if not (short.text == "TRUE" or short.score > 0) or (c.article_id, c.start) in cited:
                return evidence, claims
        elif claims and _mentions(claims[0].text, short.text):
            return evidence, claims
        ev = next((e for e in evidence if e.article_id == c.article_id and e.start == c.start), None)
        if ev is None:
            ev = Evidence(max((e.n for e in evidence), default=0) + 1, c.text, c.article_id, c.start, c.end,
                          c.passage_index, round(c.score, 4))
            evidence = [*evidence, ev]
        lead = cite.Claim(c.text, [ev.n], f"states the short answer '{short.text}'")
        rest = [x for x in claims if x.cites != [ev.n]]
        return evidence, [lead, *rest][: self.settings.answer.max_sentences]

    @staticmethod
    def _dated(text: str, numbering: dict[int, int], evidence: list[Evidence], passages: list[Passage]) -> str:
        """'As of <newest cited article date>, ...' for questions about the latest state of things."""
        dates = sorted(passages[e.passage_index].published or "" for e in evidence if e.n in numbering)
        if not dates or not dates[-1]:
            return text
        first = text.split(" ", 1)[0]
        if first.lower() in _LOWER_OK:  # "The ..." → "as of D, the ...", but never "saudi Arabia"
            text = first.lower() + text[len(first):]
        return f"As of {dates[-1]}, {text}"

    # -- pieces ---------------------------------------------------------------------------------
    def _generator_available(self) -> bool:
        return self._generator is not None or self.settings.llm.enabled

    def _abstain_reason(self, query: str, passages: list[Passage], ranked: list[Candidate],
                        known: frozenset[str] = frozenset()) -> str | None:
        if not passages or not ranked:
            return "no passage retrieved"
        best = ranked[0].relevance
        if best < self.settings.answer.abstain_threshold:
            return f"best evidence relevance {best:.2f} is below the threshold {self.settings.answer.abstain_threshold}"
        absent = missing_names(query, passages, ignore=known)  # known: a speaker's name the quotes index resolved
        if absent and len(absent) * 2 >= len(set(_names(query))):
            return f"no retrieved passage mentions {', '.join(absent)}"
        return None

    def _prompt(self, question: str, evidence: list[Evidence]) -> tuple[list[dict[str, str]], list[Evidence], dict[str, int]]:
        """The answer prompt with as much evidence as fits the context (whole sentences; drops are counted)."""
        name = "answer_plain" if self.settings.llm.chat_format == "plain" else "answer"
        budget = self.generator.n_ctx - self.settings.llm.max_answer_tokens - 16
        used = list(evidence)
        while True:
            block = "\n".join(f"[{e.n}] {e.text}" for e in used)
            values = dict(evidence=block, question=question, sentinel=cite.SENTINEL)
            messages = self.prompts.messages(name, **values) if name == "answer" else [
                {"role": "user", "content": self.prompts.render(name, **values)}]
            n = sum(self.generator.count_tokens(m["content"]) + 8 for m in messages)
            if n <= budget or len(used) <= 1:
                break
            used = used[:-1]
        if n > budget:
            raise ConfigError(f"the prompt needs {n} tokens but llm.n_ctx leaves {budget}: raise llm.n_ctx")
        return messages, used, {"prompt": n, "evidence_used": len(used), "evidence_dropped": len(evidence) - len(used)}

    def _on_topic(self, claims: list[cite.Claim], evidence: list[Evidence], floor: float | None = None) -> list[cite.Claim]:
        """Verified sentences whose citations are relevant enough to the question, at most max_sentences."""
        score = {e.n: e.score for e in evidence}
        best = max(score.values(), default=0.0)
        floor = (self.settings.answer.min_claim_relevance if floor is None else floor) * best
        kept = [c for c in claims if max((score.get(n, 0.0) for n in c.cites), default=0.0) >= floor]
        return kept[: self.settings.answer.max_sentences]

    def _similarity(self, sentence: str, cited: Sequence[str]) -> float:
        vecs = self.embedder.embed([sentence, " ".join(cited)])
        return float(vecs[0] @ vecs[1])

    def _choice_answer(self, result, choices, evidence, ranked, passages, base) -> Answer:  # noqa: ANN001
        if result.index is None or result.support is None:
            return Answer(text=cite.NO_CHOICE, short="", citations=[], abstained=True, mode="choice", choice=None, **base)
        sup = result.support
        ev = next((e for e in evidence if e.article_id == sup.article_id and e.start == sup.start), None)
        if ev is None:
            ev = Evidence(len(evidence) + 1, sup.text, sup.article_id, sup.start, sup.end, sup.passage_index, sup.score)
            evidence = [*evidence, ev]
        numbering = {ev.n: 1}
        text = f"{choices[result.index]} [1]"
        return Answer(text=text, short=choices[result.index], citations=cite.build_citations(numbering, evidence, passages),
                      mode="choice", choice=result.index, **base)

    @staticmethod
    def _finish(timings: dict[str, float], t0: float) -> dict[str, float]:
        timings["total"] = time.perf_counter() - t0
        return {k: round(v, 4) for k, v in timings.items()}


def _mentions(text: str, phrase: str) -> bool:
    from .textutil import words

    hay, needle = " ".join(words(text)), " ".join(words(phrase))
    return bool(needle) and f" {needle} " in f" {hay} "


def _names(text: str) -> list[str]:
    from .textutil import capitalized_names, words

    first = (words(text) or [""])[0]
    return [n for n in capitalized_names(text) if n != first]


def build_index(paths: Sequence[str | Path], index_dir: str | Path | None = None, *, settings: Settings | None = None,
                prune: bool = False, rebuild: bool = False, progress: bool = True, **overrides: Any) -> IngestReport:
    """Index files/folders into an index folder (created if needed); returns the ingest report."""
    assistant = Assistant.open(index_dir, settings=settings, create=True, rebuild=rebuild, **overrides)
    try:
        return assistant.index(paths, prune=prune, progress=progress)
    finally:
        assistant.close()
