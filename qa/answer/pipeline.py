"""The answer stage's one front door: `answer(retrieval, services)` reads what retrieval found for one question and
yields stream events, the last one carrying the Answer. Its policy, top to bottom:

  1. multiple choice → the choice scoring (choices.py), citing the sentence that supports the pick;
  2. nothing relevant retrieved, a name the question asks about in no passage, a count no sentence gives →
     abstain without calling the model (compose.abstain_reason);
  3. the best evidence sentence is streamed at once (a quote: verified by construction) while the model works;
  4. the model reads (model.py; not for quote questions, not SmolLM2-135M) → the short answer (short.py), always a
     phrase of an evidence sentence;
  5. the model composes the answer in the form the question's shape asks for (draft.py) from evidence that covers
     the shape (more sentences and articles for summaries, timelines and comparisons; the sentence after the best
     ones for explanations; the speaker's own statements for quotes), and each sentence is verified as soon as it
     is written (cite.Checker: words, names, numbers, dates and quoted words against what it cites, the model's
     yes/no for paraphrases) and streamed; a sentence that fails is dropped, never shown;
  6. the Answer (compose.py): the verified sentences; "The articles don't say …" with what they do report when the
     model says the evidence lacks the asked-for fact; quoted evidence when no sentence survives.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..types import Evidence, Passage, StreamEvent
from . import cite, compose, model
from .choices import choose
from .draft import Draft, complete_claims, names_what, parse_draft
from .evidence import EMBED_TOP, Pool, Sentence, cover_scores, select_evidence, sentences_of
from .shape import PLANS
from .short import short_answer

if TYPE_CHECKING:
    from ..config import Settings
    from ..embed import Embedder
    from ..generate import Generator
    from ..generate.prompts import Prompts
    from ..news.speakers import Focus
    from ..search.request import SearchRequest


@dataclass
class Retrieval:
    """What retrieval found for one question (`Assistant.retrieve`): the record the answer stage reads."""

    ctx: compose.Context  # question, query, passages (the reader's first, then the shape's further ones), as_of
    request: SearchRequest
    speaker: Focus | None  # 'what did X say (about Y)': X's statements, or None
    shape: str  # qa/answer/shape.py
    evidence: list[Evidence]  # the reader's numbered evidence, from the first `base` passages
    ranked: list[Sentence]  # every scored sentence of those passages, best first
    pool: Pool
    base: int  # passages the reader reads (retrieval.top_k); ctx.passages[base:] are the shape's further ones
    choices: list[str] = field(default_factory=list)  # multiple choice: the choices given
    as_of_given: bool = False  # the user gave as_of (otherwise a 'latest news' question reads as of the newest article)
    timings: dict[str, float] = field(default_factory=dict)
    started: float = 0.0


@dataclass
class Services:
    """What the answer stage calls: settings, prompts, the models, and two lookups into the index."""

    settings: Settings
    prompts: Prompts
    generator: Callable[[], Generator]  # loaded on first use
    embedder: Embedder
    idf: Callable[[Sequence[str]], dict[str, float]]
    aliases: Callable[[], Callable[[Evidence], set[str]]]  # name words of the speakers of a piece of evidence
    keyword_best: Callable[[str], float]  # the best BM25 score of a text within the request's dates (choices)


def answer(r: Retrieval, sv: Services) -> Iterator[StreamEvent]:
    """Stream events for one question: 'token' (the best evidence, at once), 'sentence' (each verified sentence of
    the composed answer), then 'answer'."""
    s, t0 = sv.settings, time.perf_counter()
    ctx, timings = r.ctx, r.timings
    reader = sv.generator() if model.wanted(s.answer.model_reader, s.llm.enabled, sv.generator) else None
    composing = s.llm.enabled and s.answer.compose != "off" and r.shape != "choice"
    if r.shape == "choice":
        result = _choice(r, sv, reader)
    elif reason := compose.abstain_reason(ctx.query, ctx.passages[: r.base], r.ranked, s.answer,
                                          r.speaker.name_words if r.speaker else frozenset()):
        result = compose.abstained(ctx, reason)
    else:
        if (reader or composing) and r.evidence:
            yield StreamEvent("token", r.evidence[0].text)  # shown while the model works (a quote: nothing to verify)
        t = time.perf_counter()
        # the model reads for the short answer where a phrase answers the question (the quiz's facts and numbers)
        reading = model.read(reader, sv.prompts, ctx.query, r.ranked) if reader and r.shape in READS and not r.speaker else None
        short = None if r.speaker else short_answer(r.pool, reading=reading)
        timings["read"] = time.perf_counter() - t
        if composing:
            result = yield from _composed(r, sv, reader, reading, short)
        else:
            result = compose.compose(ctx, s.answer, r.evidence, [], [], short, r.speaker, dated=_dated(r))
    timings["answer"] = time.perf_counter() - t0
    result.shape = r.shape
    yield StreamEvent("answer", answer=result)


READS = ("fact", "number")
COVER_EMBED = 160  # sentences embedded for a composed answer's evidence (the rest count cosine 0)  # shapes whose short answer the model reads (a phrase: a name, a date, a figure)


def _dated(r: Retrieval) -> bool:
    """'As of <date>, ...' framing: for a question about the latest news asked with a date of its own."""
    return bool(r.request.prefers_recent and r.request.as_of and r.as_of_given)


def _choice(r: Retrieval, sv: Services, reader: Any) -> Any:
    s, choices = sv.settings, r.choices
    lp = model.choose(reader, sv.prompts, r.ctx.query, choices, r.ranked) if reader and s.answer.model_choices == "on" else None
    picked = choose(r.pool, choices, search=sv.keyword_best, model_logprobs=lp)
    return compose.choice_answer(r.ctx, picked, choices, r.evidence)


def _composed(r: Retrieval, sv: Services, reader: Any, reading: Any, short: Any) -> Iterator[StreamEvent]:
    """Draft, verify sentence by sentence (streaming each survivor), and compose the Answer; returns it."""
    s, plan = sv.settings, PLANS[r.shape]
    generator = reader or sv.generator()
    evidence = covering_evidence(r, sv)
    passages = r.ctx.passages
    common = dict(similarity=compose.embedding_similarity(sv.embedder.embed), aliases=sv.aliases() if r.speaker else None,
                  published=lambda e: passages[e.passage_index].published)
    # While the model writes, it can't also answer a yes/no: sentences that need its check wait for the end.
    judge = _judge(generator, sv.prompts) if _checks(s, reader) else None
    quick = cite.Checker(evidence, s.answer, **common)
    draft = Draft(generator, sv.prompts, r.shape, r.ctx.question, evidence, passages, plan.max_tokens,
                  reading if reading is not None and reading.messages and evidence_matches(reading, evidence) else None)
    kept: list[tuple[int, cite.Claim]] = []
    dropped, said_not, pending = [], [], []
    opened = []  # the draft opened with "The articles don't say"
    numbering: dict[int, int] = {}
    seen, done, text = [0], 0, ""
    # the model's reading found the answer phrase (or the sentence stating a yes/no claim): a draft that opens with
    # "the articles don't say" contradicts it, and the answer quotes that sentence instead of abstaining
    found = bool(reading is not None and reading.span) or bool(short is not None and short.type == "yesno" and short.score > 0)
    t = time.perf_counter()

    def stream(i: int, checked: cite.Claim) -> Iterator[StreamEvent]:
        kept.append((i, checked))
        if len(kept) <= plan.max_sentences and not said_not:
            for n in checked.cites:
                numbering.setdefault(n, len(numbering) + 1)
            yield StreamEvent("sentence", cite.render([checked], numbering, lines=r.shape == "timeline"))

    def settle(claims: list[cite.Claim]) -> Iterator[StreamEvent]:
        for claim in claims:
            i, seen[0] = seen[0], seen[0] + 1
            if claim.why == "not said":
                if found or not names_what(claim.text, r.ctx.query):
                    continue  # contradicted by the reading; or the bare reflex of small models, not a finding
                said_not.append(claim)
                if i == 0 or not (kept or dropped or pending):
                    opened.append(True)
                continue
            checked, ok = quick.check(claim)
            if ok:
                yield from stream(i, checked)
            elif judge is not None:
                pending.append((i, claim))
            else:
                dropped.append(checked)

    for piece in draft:
        text += piece
        n = complete_claims(text, r.shape) if any(ch in piece for ch in ".!?\n]") else done
        if n > done:
            yield from settle(parse_draft(text, r.shape)[done:n])
            done = n
    last = parse_draft(text, r.shape)[done:]
    if last and draft.tokens.get("completion", 0) >= plan.max_tokens - 2 and not re.search(r"[.!?\"”’)]$", last[-1].text):
        last = last[:-1]  # the model ran out of tokens mid-sentence
    yield from settle(last)
    full = cite.Checker(evidence, s.answer, judge=judge, **common)
    for i, claim in pending:  # the model has finished writing: now it can check the paraphrases
        checked, ok = full.check(claim)
        if ok:
            yield from stream(i, checked)
        else:
            dropped.append(checked)
    kept = [c for _, c in sorted(kept, key=lambda x: x[0])]
    r.timings["compose"] = time.perf_counter() - t  # the model's writing and every check
    r.timings["generate"] = draft.seconds  # the model's writing alone
    if not kept and not said_not and not found and reading is None and any(
            c.why == "not said" for c in parse_draft(text, r.shape)):
        # a question the model did not read for (why, summary, ...): it said only "the articles don't say" and
        # nothing else it wrote holds: take its word rather than quote a nearby sentence as the answer.
        # (Where it read, the short answer stands and the answer quotes its sentence: abstaining there as well, when
        # the read said "not in the evidence", emptied 7 of the 240 DEV quiz answers.)
        said_not, opened = [cite.Claim("The articles don't say.", [])], [True]
    return compose.composed(r.ctx, s.answer, plan, evidence, kept, dropped, said_not, bool(opened), short, r.speaker,
                            dated=_dated(r), tokens=draft.tokens)


def evidence_matches(reading: Any, evidence: Sequence[Evidence]) -> bool:
    """Whether [1]..[n] of the evidence are the sentences the read prompt showed, in its order."""
    shown = reading.sentences
    return len(evidence) >= len(shown) and all((e.article_id, e.start) == (x.article_id, x.start) for e, x in zip(evidence, shown))


def _checks(s: Settings, reader: Any) -> bool:
    return s.answer.model_check == "on" or (s.answer.model_check == "auto" and reader is not None)


def _judge(generator: Generator, prompts: Prompts) -> cite.Judge | None:
    """The model's P(yes) that the cited evidence states the sentence (prompts/verify.txt), or None when the
    generator can't give next-token probabilities."""
    if not model.can_read(generator):
        return None

    def p_yes(sentence: str, cited: Sequence[str]) -> float:
        messages = prompts.messages("verify", evidence="\n".join(cited), claim=sentence)
        yes, no = generator.next_token_logprobs(generator.chat_prompt(messages, reply_prefix="Answer:"), [" Yes", " No"])
        return 1.0 / (1.0 + math.exp(no - yes))

    return p_yes


# -- evidence that covers the shape -------------------------------------------------------------------------------------

def covering_evidence(r: Retrieval, sv: Services) -> list[Evidence]:
    """The numbered evidence the model composes from.

    Fact and number questions: the reader's best sentences first (the read's [1]..[8], so the draft can continue
    its conversation), then the best further sentences. Other shapes: every sentence of every passage (the story's
    other paragraphs too: Retriever.rest_of) ranked for the shape (evidence.cover_scores: the question's words and
    meaning, the story the question is about, its lead for a summary or a why, dated sentences for a timeline),
    near-repeats left out, at most the shape's cap from one article; for explanations and summaries the sentence
    after each of the best three joins them."""
    plan, passages = PLANS[r.shape], r.ctx.passages
    boost = r.speaker.boost if r.speaker else None
    reads = r.shape in READS
    if len(passages) > r.base:
        _, ranked = select_evidence(r.ctx.query, passages, sv.embedder, plan.evidence, sv.idf, boost=boost,
                                    embed_top=EMBED_TOP if reads else COVER_EMBED)
    else:
        ranked = list(r.ranked)
    if not reads:
        ranked = cover_scores(ranked, passages, r.shape)
    extra = _neighbours(ranked[:3], passages) if plan.neighbours else []
    first = model.shown_for(r.ranked, min(plan.evidence - len(extra), model.EVIDENCE)) if reads else []
    chosen: list[Sentence] = list(first)
    keys = {(x.article_id, x.start) for x in chosen}
    per_article: dict[str, int] = {}
    for x in chosen:
        per_article[x.article_id] = per_article.get(x.article_id, 0) + 1
    for x in [*extra, *ranked] if reads else [*ranked[:3], *extra, *ranked[3:]]:
        if len(chosen) >= plan.evidence:
            break
        if (x.article_id, x.start) in keys or (plan.per_article and per_article.get(x.article_id, 0) >= plan.per_article
                                               and x not in extra):
            continue
        if any(_same_text(x.text, c.text) for c in chosen):
            continue
        keys.add((x.article_id, x.start))
        per_article[x.article_id] = per_article.get(x.article_id, 0) + 1
        chosen.append(x)
    return [Evidence(i, x.text, x.article_id, x.start, x.end, x.passage_index, round(x.score, 4))
            for i, x in enumerate(chosen, 1)]


def _neighbours(best: Sequence[Sentence], passages: Sequence[Passage]) -> list[Sentence]:
    """The evidence sentence that follows each of ``best`` in its passage (the 'why' is often the next one)."""
    out = []
    for b in best:
        following = [x for x in sentences_of([passages[b.passage_index]]) if x.start >= b.end]
        if following:
            nxt = following[0]
            out.append(Sentence(nxt.text, nxt.article_id, nxt.start, nxt.end, b.passage_index, score=b.score * 0.9))
    return out


def _same_text(a: str, b: str) -> bool:
    return a.strip() == b.strip()
