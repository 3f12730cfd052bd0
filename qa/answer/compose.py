"""The Answer a user sees, assembled from the verified claims, the short answer and the evidence (pipeline.py decides
which of these applies).

  * abstain (the fixed sentence, no citations) when the best evidence is not relevant enough, when names the
    question asks about are in no retrieved passage, or when the speaker said nothing clearly on the topic;
  * 'what did X say (about Y)': lead with X's statement most on Y;
  * otherwise the verified sentences of the model (or quoted evidence), the first one stating the short answer
    and citing the sentence it was read from; 'As of <date>, ...' for questions about the latest news.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..config import AnswerSettings
from ..text.dates import event_date
from ..text.tokens import FIGURE, STOPWORDS, capitalized_names, content_words, stem, words
from ..types import Answer, Evidence, Passage
from . import cite
from .cite import hypothetical
from .evidence import QUOTED, Sentence, missing_names
from .short import short_from_text
from .spans import MEASURE_UNITS, WORDNUM

# Sentence openers that are lowercased after "As of <date>, "; anything else (names, places) keeps its capital.
_LOWER_OK = frozenset("the a an it its he she his her they their this that these those there in on at after before".split())
ON_TOPIC_BOOST = 0.15  # news.speakers.Focus.boost of a sentence inside the speaker's statements most on the topic


@dataclass
class Context:
    """What every answer of one question shares: the question, the query searched, the passages, the date."""

    question: str
    query: str
    passages: list[Passage]
    as_of: str | None = None

    def fields(self) -> dict[str, Any]:
        return dict(question=self.question, query=self.query, passages=self.passages, as_of=self.as_of)


def abstained(ctx: Context, reason: str, text: str = cite.SENTINEL, mode: str = "abstained", **extra: Any) -> Answer:
    """The fixed 'couldn't find this' (or 'none of the choices') answer, with the reason kept for the UI."""
    return Answer(text=text, short="", citations=[], abstained=True, mode=mode, dropped=[reason] if reason else [],
                  **extra, **ctx.fields())


def abstain_reason(query: str, passages: Sequence[Passage], ranked: Sequence[Sentence], settings: AnswerSettings,
                   known: frozenset[str] = frozenset()) -> str | None:
    """Why the question can't be answered from these passages, or None."""
    if not passages or not ranked:
        return "no passage retrieved"
    best = ranked[0].relevance
    if best < settings.abstain_threshold:
        return f"best evidence relevance {best:.2f} is below the threshold {settings.abstain_threshold}"
    absent = missing_names(query, passages, ignore=known)  # known: a speaker's name the quotes index resolved
    if absent and len(absent) * 2 >= len(set(_names(query))):
        return f"no retrieved passage mentions {', '.join(absent)}"
    counted = counted_noun(query)
    if counted and not any(stem(counted) in content_words(s.text) and (FIGURE.search(s.text) or WORDNUM.search(s.text))
                           for s in ranked[:COUNT_SENTENCES]):
        return f"no evidence sentence gives a number of {counted}"
    return None


COUNT_SENTENCES = 25  # the sentences the reader reads


_HOW_MANY = re.compile(r"\bhow many ([a-z][a-z\-]+)", re.I)


def counted_noun(query: str) -> str | None:
    """What a 'how many X' question counts (employees, countries), when X is a thing and not a unit of measure."""
    m = _HOW_MANY.search(query)
    word = m.group(1).lower() if m else ""
    if not word or word in MEASURE_UNITS or word in STOPWORDS or word in {"times", "more", "other", "of"}:
        return None
    return word


def with_evidence(evidence: list[Evidence], s: Sentence) -> tuple[list[Evidence], Evidence]:
    """The evidence list holding this sentence (appended with the next number when absent), and its entry."""
    ev = next((e for e in evidence if e.article_id == s.article_id and e.start == s.start), None)
    if ev is None:
        ev = Evidence(max((e.n for e in evidence), default=0) + 1, s.text, s.article_id, s.start, s.end,
                      s.passage_index, round(s.score, 4))
        evidence = [*evidence, ev]
    return evidence, ev


def choice_answer(ctx: Context, result: Any, choices: Sequence[str], evidence: list[Evidence]) -> Answer:
    """The picked choice citing the sentence that supports it, or 'none of the choices is supported'."""
    if result.index is None or result.support is None:
        return abstained(ctx, "", text=cite.NO_CHOICE, mode="choice", choice=None)
    evidence, ev = with_evidence(evidence, result.support)
    return Answer(text=f"{choices[result.index]} [1]", short=choices[result.index],
                  citations=cite.build_citations({ev.n: 1}, evidence, ctx.passages), mode="choice",
                  choice=result.index, **ctx.fields())


def compose(ctx: Context, settings: AnswerSettings, evidence: list[Evidence], kept: list[cite.Claim],
            dropped: Sequence[cite.Claim], short: Any = None, speaker: Any = None, dated: bool = False,
            tokens: dict[str, int] | None = None) -> Answer:
    """The final answer from the verified claims (empty: quote the evidence), the short answer and the speaker focus."""
    kept = said_by(speaker, on_topic(kept, evidence, settings), evidence)
    mode = "generated" if kept else "extractive"
    if not kept:
        kept = on_topic(cite.extractive(evidence, settings.extractive_sentences), evidence, settings,
                        floor=settings.extractive_floor)
    if speaker and speaker.topic and not speaker.clear and not cites_speaker(speaker, kept, evidence):
        return abstained(ctx, f"no statement by {speaker.canonicals[0]} about {speaker.topic} was found")
    evidence, kept = lead_with(short, kept, evidence, settings.max_sentences)
    numbering = cite.number_citations(kept)
    text = cite.render(kept, numbering)
    if dated:
        text = as_of_date(text, numbering, evidence, ctx.passages)
    short_text = short.text if short and short.text else short_from_text(kept[0].text)
    return Answer(text=text, short=short_text, citations=cite.build_citations(numbering, evidence, ctx.passages),
                  mode=mode, tokens=tokens or {}, dropped=[f"{c.text} ({c.why})" for c in dropped], **ctx.fields())


def composed(ctx: Context, settings: AnswerSettings, plan: Any, evidence: list[Evidence], kept: list[cite.Claim],
             dropped: Sequence[cite.Claim], not_said: Sequence[cite.Claim], opened_not_said: bool, short: Any = None,
             speaker: Any = None, dated: bool = False, tokens: dict[str, int] | None = None) -> Answer:
    """The Answer from the verified sentences of a composed draft (pipeline.py).

    The draft opened with "The articles don't say …": that sentence, then at most two verified sentences of what
    they do report (abstained). Nothing verified: quote the evidence (compose). A quote question: the sentences
    citing the speaker's statements most on the topic (said_by)."""
    first = " ".join([kept[0].text, *(e.text for e in evidence if kept and e.n in kept[0].cites[:1])]) if kept else ""
    if not opened_not_said and plan.shape in ("fact", "number", "explanation") and kept and (
            (hypothetical(first) and not hypothetical(ctx.question)) or unknown(first)):
        # "could face up to 20 years" answers no question about the sentence given; "the cause was not released"
        # says the articles don't know: both are what the articles report, not the answer
        not_said, opened_not_said = [cite.Claim("The articles don't say.", [])], True
    if not opened_not_said and plan.shape in ("fact", "number") and short is not None and short.text and \
            not answers_the_question(short.text, short.type, ctx.question):
        # a short answer that only repeats the question ('private sector' for "what private-sector job …") or
        # gives no figure for a figure ('British tabloid' for "how much compensation …") is no answer: the
        # articles don't say it, and what they do report follows
        not_said, opened_not_said = [cite.Claim("The articles don't say.", [])], True
    if opened_not_said:
        said = _not_said_text(not_said[0].text)
        rest = kept[:2]
        numbering = cite.number_citations(rest)
        text = " ".join([said, cite.render(rest, numbering)]).strip()
        return Answer(text=text, short="", citations=cite.build_citations(numbering, evidence, ctx.passages),
                      abstained=True, mode="not said", tokens=tokens or {},
                      dropped=[f"{c.text} ({c.why})" for c in dropped], **ctx.fields())
    if plan.shape in ("fact", "number"):
        kept = on_topic(kept, evidence, settings)
    kept = on_the_topic(speaker, said_by(speaker, kept, evidence), evidence)
    if not kept:
        return compose(ctx, settings, evidence, [], dropped, short, speaker, dated, tokens)
    if speaker and speaker.topic and not speaker.clear and not cites_speaker(speaker, kept, evidence):
        return abstained(ctx, f"no statement by {speaker.canonicals[0]} about {speaker.topic} was found")
    kept = distinct(kept)
    kept = filled(kept, evidence, plan, lambda e: ctx.passages[e.passage_index].published, speaker)
    if plan.shape in ("fact", "number") and short is not None and short.text and short.type != "yesno" and not any(
            mentions(c.text, short.text) for c in kept):
        # the composed sentences don't state the short answer: the sentence it was read from leads, and only what
        # agrees with it follows (a short answer and a text that disagree would leave a reader guessing)
        evidence, led = lead_with(short, [], evidence, plan.max_sentences)
        kept = led + [c for c in kept if c.cites != led[0].cites and mentions(c.text, short.text)]
    if plan.shape == "timeline":  # each line dated by the day its sentence names; oldest first
        kept = [redated(c, evidence, ctx.passages) for c in kept]
        kept = sorted(kept, key=lambda c: m.group(0) if (m := re.match(r"\d{4}(?:-\d\d){0,2}", c.text)) else "9999")
    kept = kept[: plan.max_sentences]
    numbering = cite.number_citations(kept)
    text = cite.render(kept, numbering, lines=plan.shape == "timeline")
    if not_said and plan.shape != "timeline":  # the part the articles don't give, said after what they do
        text += " " + _not_said_text(not_said[0].text)
    if dated and plan.shape != "timeline":
        text = as_of_date(text, numbering, evidence, ctx.passages)
    short_text = short.text if short and short.text else short_from_text(kept[0].text)
    return Answer(text=text, short=short_text, citations=cite.build_citations(numbering, evidence, ctx.passages),
                  mode="generated", tokens=tokens or {}, dropped=[f"{c.text} ({c.why})" for c in dropped],
                  **ctx.fields())


FILL = {"quote": 2, "explanation": 3, "summary": 4, "timeline": 4, "comparison": 3}  # answer sentences at least
COVERED = 0.6  # an evidence sentence whose content words the answer already has at this share adds nothing


def redated(claim: cite.Claim, evidence: Sequence[Evidence], passages: Sequence[Passage]) -> cite.Claim:
    """A timeline line 'YYYY-MM-DD: sentence' whose sentence names the day of its event ('escaped on Aug. 31') is
    dated by that day, not by the article's date the model often copies; a line dated by its article's date whose
    sentence names no day takes the one day the evidence it cites names."""
    m = re.match(r"(\d{4}-\d\d-\d\d):\s*(.+)", claim.text)
    ev = next((e for e in evidence if claim.cites and e.n == claim.cites[0]), None)
    if not m or ev is None:
        return claim
    published = passages[ev.passage_index].published
    day = event_date(m.group(2), published)
    if day is None and m.group(1) == (published or "")[:10]:
        day = event_date(ev.text, published)
    if day is None or day.isoformat() == m.group(1):
        return claim
    return cite.Claim(f"{day.isoformat()}: {m.group(2)}", claim.cites, claim.why)


def filled(kept: list[cite.Claim], evidence: Sequence[Evidence], plan: Any, published: Callable[[Evidence], str | None],
           speaker: Any = None) -> list[cite.Claim]:
    """A composed answer shorter than its shape's form (FILL) completed with the best evidence sentences that add
    something, quoted as written and cited: the model leaves out facts its evidence holds (a summary that stops
    after the lead, a 'why' without the reason) and sentences that fail verification are dropped. A quote
    question's additions are the person's words in quotation marks; a timeline's, sentences naming the one day
    their event happened on (written 'YYYY-MM-DD: sentence')."""
    want = FILL.get(plan.shape, 0)
    if len(kept) >= want:
        return kept
    out = list(kept)
    cited = {n for c in kept for n in c.cites}
    said = set().union(*(set(content_words(c.text)) for c in kept))
    for e in evidence:
        if len(out) >= want:
            break
        bag = set(content_words(e.text))
        if e.n in cited or not bag or len(bag & said) >= COVERED * len(bag):
            continue
        text = e.text
        if plan.shape == "quote" and not (QUOTED.search(e.text) and (speaker is None or speaker.boost(e) > 0)):
            continue
        if plan.shape == "timeline":
            day = event_date(e.text, published(e))
            if day is None:
                continue
            text = f"{day.isoformat()}: {e.text}"
        out.append(cite.Claim(text, [e.n], "quoted from the evidence to complete the answer"))
        said |= bag
    return out


_UNKNOWN = re.compile(
    r"\b(?:(?:was|were|has|have|had) not (?:yet )?(?:been )?(?:released|disclosed|determined|made public|announced|identified|"
    r"named|confirmed)|(?:wasn't|weren't|hasn't|haven't|hadn't) (?:yet )?(?:been )?(?:released|disclosed|determined|"
    r"made public|announced|identified|named|confirmed)|(?:is|are|remains?|was|were) (?:still )?(?:under investigation|"
    r"being investigated|unknown|unclear|not known)|still investigating|did not (?:say|disclose|release|name|specify)|"
    r"didn't (?:say|disclose|release|name|specify)|declined to (?:say|name|disclose|specify|comment on)|no (?:cause|motive) "
    r"(?:has been|was) (?:given|released|determined))\b", re.I)


FIGURES = {"number", "money", "percent"}


def answers_the_question(short: str, qtype: str, question: str) -> bool:
    """Whether a short answer read for a fact or number question can be its answer: it says something the
    question does not (its words are not all the question's own), and it has a figure where a figure is asked."""
    if qtype == "yesno":  # 'TRUE' for "True or false: …"
        return True
    said = set(content_words(short.replace("-", " ")))
    if said and said <= set(content_words(question.replace("-", " "))):
        return False
    return qtype not in FIGURES or bool(re.search(r"\d", short) or WORDNUM.search(short)
                                        or re.search(r"\b(?:dozens?|hundreds|thousands|millions|billions|half|twice|double|triple|none|no one|zero)\b", short, re.I))


def unknown(text: str) -> bool:
    """The sentence says the thing is not known or not released ('the cause of death was not released')."""
    return bool(_UNKNOWN.search(text))


def distinct(claims: list[cite.Claim], same: float = 0.8) -> list[cite.Claim]:
    """The claims without repeats: one whose words are (almost) those of an earlier one, or the start of one."""
    out: list[cite.Claim] = []
    bags: list[set[str]] = []
    for c in claims:
        bag = set(content_words(c.text))
        if any(len(bag & b) >= same * max(1, min(len(bag), len(b))) for b in bags):
            continue
        out.append(c)
        bags.append(bag)
    return out


def _not_said_text(text: str) -> str:
    """'The articles don't say …' as one clean sentence (citations were stripped by the parser)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def on_topic(claims: list[cite.Claim], evidence: list[Evidence], settings: AnswerSettings,
             floor: float | None = None) -> list[cite.Claim]:
    """Verified sentences whose citations are relevant enough to the question, at most max_sentences."""
    score = {e.n: e.score for e in evidence}
    best = max(score.values(), default=0.0)
    floor = (settings.min_claim_relevance if floor is None else floor) * best
    kept = [c for c in claims if max((score.get(n, 0.0) for n in c.cites), default=0.0) >= floor]
    return kept[: settings.max_sentences]


def said_by(speaker: Any, claims: list[cite.Claim], evidence: list[Evidence]) -> list[cite.Claim]:
    """For 'what did X say (about Y)': the sentences citing X's statements most on Y, else X's other statements.

    When the model's sentences miss the statement most on the topic but the evidence holds it, that sentence
    leads the answer (quoted as evidence), followed by at most one of the model's sentences citing X.
    """
    if not speaker or not claims:
        return claims
    by_n = {e.n: e for e in evidence}

    def level(c: cite.Claim) -> float:
        return max((speaker.boost(by_n[n]) for n in c.cites if n in by_n), default=0.0)

    top = [c for c in claims if level(c) >= ON_TOPIC_BOOST]
    if top:
        return top
    own = [c for c in claims if level(c) > 0]
    lead = [e for e in evidence if speaker.boost(e) >= ON_TOPIC_BOOST] if speaker.topic else []
    if lead:
        return [cite.Claim(lead[0].text, [lead[0].n], "the speaker's statement most on the topic"), *own[:1]]
    if own:
        return own
    # no sentence cites X's own statements: the model may have given X someone else's words; X's statement leads
    theirs = next((e for e in evidence if speaker.boost(e) > 0), None)
    return [cite.Claim(theirs.text, [theirs.n], "the speaker's own statement")] if theirs else claims


def on_the_topic(speaker: Any, claims: list[cite.Claim], evidence: list[Evidence]) -> list[cite.Claim]:
    """For 'what did X say about Y': when no sentence of the answer mentions Y, X's statement most on Y leads,
    quoted from the evidence (the model may quote the other half of the sentence that holds it)."""
    if not speaker or not speaker.topic or not claims:
        return claims
    topic = set(content_words(speaker.topic))
    if any(topic & set(content_words(c.text)) for c in claims):
        return claims
    lead = next((e for e in evidence if speaker.boost(e) >= ON_TOPIC_BOOST and topic & set(content_words(e.text))), None)
    if lead is None:
        return claims
    return [cite.Claim(lead.text, [lead.n], "the speaker's statement most on the topic"),
            *[c for c in claims if c.cites != [lead.n]]]


def cites_speaker(speaker: Any, claims: list[cite.Claim], evidence: list[Evidence]) -> bool:
    by_n = {e.n: e for e in evidence}
    return any(n in by_n and speaker.boost(by_n[n]) > 0 for c in claims for n in c.cites)


def lead_with(short: Any, claims: list[cite.Claim], evidence: list[Evidence],
              max_sentences: int) -> tuple[list[Evidence], list[cite.Claim]]:
    """Make the first sentence state the short answer, citing the sentence it was read from."""
    if short is None or not (short.text or short.type == "yesno"):
        return evidence, claims
    c = short.candidate
    if short.type == "yesno":  # lead with the sentence that states the question's claim
        if not (short.text == "TRUE" or short.score > 0):
            return evidence, claims
        ns = {e.n for e in evidence if (e.article_id, e.start) == (c.article_id, c.start)}
        first = next((i for i, x in enumerate(claims) if ns & set(x.cites)), None)
        if first is not None:  # already cited: that claim moves to the front (the short answer is the first claim)
            return evidence, [claims[first], *claims[:first], *claims[first + 1:]]
    elif claims and mentions(claims[0].text, short.text):
        return evidence, claims
    evidence, ev = with_evidence(evidence, c)
    lead = cite.Claim(c.text, [ev.n], f"states the short answer '{short.text}'")
    rest = [x for x in claims if x.cites != [ev.n]]
    return evidence, [lead, *rest][:max_sentences]


def as_of_date(text: str, numbering: dict[int, int], evidence: list[Evidence], passages: Sequence[Passage]) -> str:
    """'As of <newest cited article date>, ...' for questions about the latest state of things."""
    dates = sorted(passages[e.passage_index].published or "" for e in evidence if e.n in numbering)
    if not dates or not dates[-1]:
        return text
    first = text.split(" ", 1)[0]
    if first.lower() in _LOWER_OK:  # "The ..." → "as of D, the ...", but never "saudi Arabia"
        text = first.lower() + text[len(first):]
    return f"As of {dates[-1]}, {text}"


def embedding_similarity(embed: Callable[[Sequence[str]], Any]) -> Callable[[str, Sequence[str]], float]:
    """Cosine of a sentence with the joined text it cites (the verifier's second test)."""
    def similarity(sentence: str, cited: Sequence[str]) -> float:
        vecs = embed([sentence, " ".join(cited)])
        return float(vecs[0] @ vecs[1])

    return similarity


def mentions(text: str, phrase: str) -> bool:
    hay, needle = " ".join(words(text)), " ".join(words(phrase))
    return bool(needle) and f" {needle} " in f" {hay} "


def _names(text: str) -> list[str]:
    first = (words(text) or [""])[0]
    return [n for n in capitalized_names(text) if n != first]
