"""Citations: parse [n] markers, test each answer sentence against what it cites, fall back to quoting.

Support test (every threshold is a setting in `AnswerSettings`):
  * words the sentence puts in quotation marks appear word for word in the cited evidence, and
  * every number written in the sentence appears in the cited evidence, and
  * every name (capitalised word) in the sentence appears in the cited evidence or is an alias of a speaker
    of the cited evidence (so 'Ren said ...' may cite a sentence that calls him 'Raine'), and
  * at least `support_overlap` (0.6) of the sentence's content words appear in the cited evidence,
    or its embedding cosine with the cited evidence is at least `support_similarity` (0.75) while at least
    0.4 of its content words appear there.
A sentence that cites nothing is given the one evidence sentence that supports it best, if any does.
Markers pointing at evidence that does not exist are dropped. A sentence that fails the test is removed.
If no sentence survives, the answer quotes the best evidence sentences, each with its citation.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..config import AnswerSettings
from ..text.dates import date_mentions, supported_dates
from ..text.sentences import split_sentences
from ..text.tokens import STOPWORDS, capitalized_names, content_words, numbers
from ..types import Citation, Evidence, Passage

SENTINEL = "I couldn't find this in the indexed articles."
NO_CHOICE = "None of the choices is supported by the indexed articles."
MARKER = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass
class Claim:
    """One answer sentence and the evidence numbers it cites."""

    text: str
    cites: list[int] = field(default_factory=list)
    why: str = ""


def parse_claims(answer: str) -> list[Claim]:
    """Split generated text into sentences and attach the [n] markers that follow or sit inside each."""
    answer = re.sub(r"\s+", " ", answer.replace("【", "[").replace("】", "]")).strip()
    # Markers that open the next sentence ("... end. [2] Next") belong to the previous one.
    # ('... "Another lie." [1]': the closing quote stays with its sentence, the marker goes before the end mark)
    answer = re.sub(r"([.!?])([\"'”’)\]]*)\s+((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)",
                    lambda m: m.group(2) + " " + m.group(3).strip() + m.group(1) + " ", answer)
    claims = []
    for a, b in split_sentences(answer):
        sentence = answer[a:b]
        cites = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"[,;]\s*", group)]
        text = clean(MARKER.sub("", sentence).strip())
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        text = re.sub(r"([\"”’])([.!?])$", r"\2\1", text)  # the end mark back inside its closing quote
        if _has_words(text):
            claims.append(Claim(text, list(dict.fromkeys(cites))))
    return claims


_BOILERPLATE = re.compile(
    r"^(?:the answer(?: to (?:the|your|this|that) question)? is:?|answer:|according to the (?:evidence|articles?|text|sources?)"
    r"(?: provided)?,?|based on the (?:evidence|articles?|text|sources?)(?: provided)?,?|the evidence (?:says|shows|states) that"
    r"|the evidence (?:is|says|shows|states):|the (?:article|articles|text|evidence|report)(?: from [\w.\- ]+?)?(?: (?:on|of|dated) [\w.,\- ]+?,)? (?:states?|says?|reports?|shows?|notes?)"
    r" that|they (?:do )?report that|the articles do report that|the (?:article|articles|report) also (?:mentions?|says?|"
    r"notes?|states?|reports?) that)\s*",
    re.I,
)


def clean(text: str) -> str:
    """Drop the filler small models open with ('The answer to the question is: ...')."""
    out = _BOILERPLATE.sub("", text.strip()).strip()
    return out[:1].upper() + out[1:] if out else out


def _has_words(text: str) -> bool:
    return bool(re.search(r"[A-Za-z0-9]", text))


_QUOTED = re.compile(r"[\"“]([^\"“”]{3,})[\"”]")


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower().replace("’", "'")))


Judge = Callable[[str, Sequence[str]], float]  # (sentence, cited texts) -> the model's P(supported)


def supports(sentence: str, cited: Sequence[str], settings: AnswerSettings,
             similarity: Callable[[str, Sequence[str]], float] | None = None,
             aliases: set[str] = frozenset(), published: Sequence[str | None] = (),
             judge: Judge | None = None) -> tuple[bool, str]:
    """Whether the cited evidence supports the sentence, and why not.

    ``published``: the cited sentences' article dates; given, a date the sentence writes must be one the cited
    text states or implies ('Tuesday' in an article of Thursday 2025-03-13 is 2025-03-11), and is then not read
    as numbers. ``judge``: the model's yes/no, asked when only the share of shared words fell short."""
    if not cited:
        return False, "cites nothing"
    if published:
        sentence, why = _dates_checked(sentence, cited, published)
        if why:
            return False, why
    joined = " ".join(cited)
    for quoted in _QUOTED.findall(sentence):  # a quotation must be the evidence's own words
        if _squash(quoted) not in _squash(joined):
            return False, f"quoted words “{quoted}” are not in the cited evidence"
    missing_numbers = numbers(sentence) - numbers(joined)
    if missing_numbers:
        return False, f"number(s) {sorted(missing_numbers)} not in the cited evidence"
    if possibility_as_fact(sentence, cited):
        return False, "states as fact a figure the evidence gives as a possibility"
    low = joined.lower().replace("’", "'")
    have_words = set(re.findall(r"[a-z0-9']+", low)) | set(re.findall(r"[a-z0-9][a-z0-9'\-]*[a-z0-9]", low))  # D-Yonkers
    have_words |= {w[:-2] for w in have_words if w.endswith("'s")}
    names = {n for n in capitalized_names(sentence) if n not in STOPWORDS}
    missing_names = sorted(n for n in names if n not in have_words and n not in aliases and n.rstrip("s") not in have_words)
    if missing_names:
        return False, f"name(s) {missing_names} not in the cited evidence"
    words = content_words(sentence)
    if not words:
        return False, "no content words"
    have = set(content_words(joined))
    share = sum(w in have for w in words) / len(words)
    if share >= settings.support_overlap:
        return True, f"overlap {share:.2f}"
    why = f"overlap {share:.2f} below {settings.support_overlap}"
    if similarity is not None and share >= 0.4:
        sim = similarity(sentence, cited)
        if sim >= settings.support_similarity:
            return True, f"overlap {share:.2f}, similarity {sim:.2f}"
        why = f"overlap {share:.2f} and similarity {sim:.2f} below thresholds"
    if judge is not None and share >= settings.judge_min_overlap:
        p = judge(sentence, cited)
        if p >= settings.judge_threshold:
            return True, f"overlap {share:.2f}, the model's check {p:.2f}"
        why += f"; the model's check {p:.2f}"
    return False, why


_HYPOTHETICAL = re.compile(
    r"\b(?:could|may|might|would|can) (?:face|receive|get|be (?:fined|sentenced|ordered|awarded|jailed|charged)|cost|"
    r"reach|pay)\b|\bup to \S+ (?:years?|months?|days?) in (?:prison|jail)\b|\bif (?:convicted|found guilty)\b|"
    r"\bfaces? (?:a )?(?:maximum|possible|up to)\b|\bmaximum (?:sentence|penalty|fine)\b|\bpossible (?:sentence|penalty|"
    r"fine|punishment)\b|\bsued for\b|\bseek(?:s|ing)? (?:damages|\$)|\bsought \$|\basking for \$", re.I)


def hypothetical(text: str) -> bool:
    """A possibility, a demand or an estimate rather than what happened ('could face up to 20 years', 'sued for
    $8 million')."""
    return bool(_HYPOTHETICAL.search(text))


def possibility_as_fact(sentence: str, cited: Sequence[str]) -> bool:
    """The sentence states as what happened a figure that the cited evidence gives only as a possibility
    ("was sentenced to 20 years" from "could face up to 20 years"; "sued for $8 million" is no award)."""
    if hypothetical(sentence):
        return False
    said = numbers(sentence)
    maybe = set().union(*(numbers(t) for t in cited if hypothetical(t)))
    plain = set().union(*(numbers(t) for t in cited if not hypothetical(t)))
    return bool(said & maybe - plain)


def _dates_checked(sentence: str, cited: Sequence[str], published: Sequence[str | None]) -> tuple[str, str]:
    """The sentence without the dates it writes, when the cited text supports every one (else a reason)."""
    days = set().union(*(supported_dates(text, pub) for text, pub in zip(cited, published)))
    years = {d.year for d in days}
    out, last = [], 0
    for m in date_mentions(sentence):
        ok = any((m.year in (None, d.year)) and (m.month, m.day) == (d.month, d.day) for d in days)
        if not ok:
            return sentence, f"date '{sentence[m.start:m.end]}' is not in the cited evidence"
        out.append(sentence[last:m.start])
        last = m.end
    out.append(sentence[last:])
    stripped = "".join(out)
    # a year alone ('in 2023') that is a cited article's year (or one the cited text writes) is a date, not a figure
    stripped = re.sub(r"\b(19|20)\d\d\b", lambda m: "" if int(m.group(0)) in years else m.group(0), stripped)
    return stripped, ""


@dataclass
class Checker:
    """Tests claims against the evidence they cite (the support test of the module docstring), re-citing a claim to
    the one piece of evidence that supports it when its own citations don't."""

    evidence: Sequence[Evidence]
    settings: AnswerSettings
    similarity: Callable[[str, Sequence[str]], float] | None = None
    aliases: Callable[[Evidence], set[str]] | None = None
    published: Callable[[Evidence], str | None] | None = None  # the article date of a piece of evidence
    judge: Judge | None = None  # the model's yes/no for paraphrases

    def __post_init__(self) -> None:
        self.by_n = {e.n: e for e in self.evidence}

    def supports(self, text: str, cited: Sequence[Evidence]) -> tuple[bool, str]:
        names = set().union(*(self.aliases(e) for e in cited)) if self.aliases and cited else set()
        dates = [self.published(e) for e in cited] if self.published else ()
        return supports(text, [e.text for e in cited], self.settings, self.similarity, names, dates, self.judge)

    def check(self, claim: Claim) -> tuple[Claim, bool]:
        """(the claim with the citations that support it, True) or (the claim with why it was dropped, False)."""
        cites = [n for n in claim.cites if n in self.by_n]
        if cites:
            ok, why = self.supports(claim.text, [self.by_n[n] for n in cites])
            if ok:
                kept = self._minimal(claim.text, cites)
                if self._stitched(claim.text, [self.by_n[n] for n in kept]):
                    return Claim(claim.text, kept, "stitched from several sentences; the model's check disagrees"), False
                return Claim(claim.text, kept, why), True
            # The model may cite the wrong sentence: the claim survives only if one real citation backs it.
        best = self._best_without_judge(claim.text)
        if best and not self._stitched(claim.text, best):
            return Claim(claim.text, [e.n for e in best], "re-cited to the evidence that supports it"), True
        if cites:
            return Claim(claim.text, claim.cites, f"not supported by its citations ({why})"), False
        why = "cites evidence that does not exist" if claim.cites else "cites nothing, and no evidence supports it"
        return Claim(claim.text, claim.cites, why), False

    def _stitched(self, text: str, cited: Sequence[Evidence]) -> bool:
        """A sentence that only the words of two or more cited sentences together cover may join them wrongly
        ('Ukraine was recommended for EU candidacy alongside Ukraine': every word is in the two it cites): the
        model's check decides; while the model writes (a judge will look later), and where no model can check
        (SmolLM2-135M, a server without next-token odds), it is not kept."""
        if len(cited) < 2 or not self.settings.check_stitched:
            return False
        if self.judge is None:
            return True
        return self.judge(text, [e.text for e in cited]) < self.settings.judge_threshold

    def _best_without_judge(self, text: str) -> list[Evidence]:
        """The one piece of evidence that supports the text, else the two or three that share most of its words
        and together support it ([] when none do). Re-citing asks no model (a call per candidate would cost seconds)."""
        judge, self.judge = self.judge, None
        try:
            one = next((e for e in self.evidence if self.supports(text, [e])[0]), None)
            if one is not None:
                return [one]
            words = set(content_words(text))
            near = sorted(self.evidence, key=lambda e: -len(words & set(content_words(e.text))))[:3]
            for k in (2, 3):
                if len(near) >= k and self.supports(text, near[:k])[0]:
                    return sorted(near[:k], key=lambda e: e.n)
            return []
        finally:
            self.judge = judge

    def _minimal(self, text: str, cites: list[int]) -> list[int]:
        """The fewest of the claim's citations that still support it (so no citation is decorative)."""
        if len(cites) == 1:
            return cites
        judge, self.judge = self.judge, None
        try:
            for n in cites:
                if self.supports(text, [self.by_n[n]])[0]:
                    return [n]
        finally:
            self.judge = judge
        return cites


def verify(answer: str, evidence: Sequence[Evidence], settings: AnswerSettings,
           similarity: Callable[[str, Sequence[str]], float] | None = None,
           aliases: Callable[[Evidence], set[str]] | None = None) -> tuple[list[Claim], list[Claim]]:
    """(kept, dropped) claims of a generated answer."""
    checker = Checker(evidence, settings, similarity, aliases)
    kept, dropped = [], []
    for claim in parse_claims(answer):
        if claim.text.strip().rstrip(".").lower() == SENTINEL.rstrip(".").lower():
            dropped.append(Claim(claim.text, claim.cites, "model said it could not find the answer"))
            continue
        checked, ok = checker.check(claim)
        (kept if ok else dropped).append(checked)
    return kept, dropped


def extractive(evidence: Sequence[Evidence], k: int) -> list[Claim]:
    """Quote the best ``k`` evidence sentences, each citing itself."""
    return [Claim(e.text, [e.n], "quoted from the evidence") for e in list(evidence)[:k]]


def render(claims: Sequence[Claim], numbering: dict[int, int], lines: bool = False) -> str:
    """Answer text with renumbered [n] markers after each sentence (``lines``: one '- ' item per claim)."""
    parts = []
    for c in claims:
        marks = "".join(f"[{numbering[n]}]" for n in c.cites)
        parts.append(f"{'- ' if lines else ''}{c.text} {marks}".strip())
    return ("\n" if lines else " ").join(parts)


def number_citations(claims: Sequence[Claim]) -> dict[int, int]:
    """Evidence number → citation number, in order of first appearance in the answer."""
    numbering: dict[int, int] = {}
    for c in claims:
        for n in c.cites:
            numbering.setdefault(n, len(numbering) + 1)
    return numbering


def page_of(starts: Sequence[int], offset: int) -> int | None:
    """The 1-based page holding character ``offset`` of an article with these page starts (None: not a PDF)."""
    return max(1, bisect.bisect_right(starts, offset)) if starts else None


def build_citations(numbering: dict[int, int], evidence: Sequence[Evidence], passages: Sequence[Passage]) -> list[Citation]:
    """Citation records (article metadata, exact sentence and offsets) in citation-number order."""
    by_n = {e.n: e for e in evidence}
    out = []
    for n, m in sorted(numbering.items(), key=lambda kv: kv[1]):
        e = by_n[n]
        p = passages[e.passage_index]
        out.append(Citation(m, e.article_id, p.title, p.source, p.url, p.published, e.text, e.start, e.end,
                            p.text, p.start, page_of(p.pages, e.start)))
    return out
