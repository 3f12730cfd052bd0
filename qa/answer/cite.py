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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..config import AnswerSettings
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
    answer = re.sub(r"([.!?])\s+((?:\[\d+(?:\s*[,;]\s*\d+)*\]\s*)+)", lambda m: " " + m.group(2).strip() + m.group(1) + " ", answer)
    claims = []
    for a, b in split_sentences(answer):
        sentence = answer[a:b]
        cites = [int(n) for group in MARKER.findall(sentence) for n in re.split(r"[,;]\s*", group)]
        text = clean(MARKER.sub("", sentence).strip())
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        if _has_words(text):
            claims.append(Claim(text, list(dict.fromkeys(cites))))
    return claims


_BOILERPLATE = re.compile(
    r"^(?:the answer(?: to (?:the|your|this|that) question)? is:?|answer:|according to the (?:evidence|articles?|text|sources?)"
    r"(?: provided)?,?|based on the (?:evidence|articles?|text|sources?)(?: provided)?,?|the evidence (?:says|shows|states) that"
    r"|the evidence (?:is|says|shows|states):)\s*",
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


def supports(sentence: str, cited: Sequence[str], settings: AnswerSettings,
             similarity: Callable[[str, Sequence[str]], float] | None = None,
             aliases: set[str] = frozenset()) -> tuple[bool, str]:
    """Whether the cited evidence supports the sentence, and why not."""
    if not cited:
        return False, "cites nothing"
    joined = " ".join(cited)
    for quoted in _QUOTED.findall(sentence):  # a quotation must be the evidence's own words
        if _squash(quoted) not in _squash(joined):
            return False, f"quoted words “{quoted}” are not in the cited evidence"
    missing_numbers = numbers(sentence) - numbers(joined)
    if missing_numbers:
        return False, f"number(s) {sorted(missing_numbers)} not in the cited evidence"
    have_words = set(re.findall(r"[a-z0-9']+", joined.lower().replace("’", "'")))
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
    if similarity is not None and share >= 0.4:
        sim = similarity(sentence, cited)
        if sim >= settings.support_similarity:
            return True, f"overlap {share:.2f}, similarity {sim:.2f}"
        return False, f"overlap {share:.2f} and similarity {sim:.2f} below thresholds"
    return False, f"overlap {share:.2f} below {settings.support_overlap}"


def verify(answer: str, evidence: Sequence[Evidence], settings: AnswerSettings,
           similarity: Callable[[str, Sequence[str]], float] | None = None,
           aliases: Callable[[Evidence], set[str]] | None = None) -> tuple[list[Claim], list[Claim]]:
    """(kept, dropped) claims of a generated answer."""
    by_n = {e.n: e for e in evidence}
    kept, dropped = [], []
    for claim in parse_claims(answer):
        if claim.text.strip().rstrip(".").lower() == SENTINEL.rstrip(".").lower():
            dropped.append(Claim(claim.text, claim.cites, "model said it could not find the answer"))
            continue
        cites = [n for n in claim.cites if n in by_n]
        if cites:
            names = set().union(*(aliases(by_n[n]) for n in cites)) if aliases else set()
            ok, why = supports(claim.text, [by_n[n].text for n in cites], settings, similarity, names)
            if ok:
                kept.append(Claim(claim.text, _minimal(claim.text, cites, by_n, settings, similarity, aliases), why))
                continue
            # The model may cite the wrong sentence: the claim survives only if one real citation backs it.
        best = _best_support(claim.text, evidence, settings, similarity, aliases)
        if best is not None:
            kept.append(Claim(claim.text, [best.n], "re-cited to the evidence that supports it"))
        else:
            why = "cites evidence that does not exist" if claim.cites and not cites else "not supported by its citations"
            dropped.append(Claim(claim.text, claim.cites, why))
    return kept, dropped


def _minimal(text: str, cites: list[int], by_n: dict[int, Evidence], settings: AnswerSettings,
             similarity: Callable[[str, Sequence[str]], float] | None,
             aliases: Callable[[Evidence], set[str]] | None) -> list[int]:
    """The fewest of the claim's citations that still support it (so no citation is decorative)."""
    if len(cites) == 1:
        return cites
    for n in cites:
        ok, _ = supports(text, [by_n[n].text], settings, similarity, aliases(by_n[n]) if aliases else set())
        if ok:
            return [n]
    return cites


def _best_support(text: str, evidence: Sequence[Evidence], settings: AnswerSettings,
                  similarity: Callable[[str, Sequence[str]], float] | None,
                  aliases: Callable[[Evidence], set[str]] | None) -> Evidence | None:
    for e in evidence:
        ok, _ = supports(text, [e.text], settings, similarity, aliases(e) if aliases else set())
        if ok:
            return e
    return None


def extractive(evidence: Sequence[Evidence], k: int) -> list[Claim]:
    """Quote the best ``k`` evidence sentences, each citing itself."""
    return [Claim(e.text, [e.n], "quoted from the evidence") for e in list(evidence)[:k]]


def render(claims: Sequence[Claim], numbering: dict[int, int]) -> str:
    """Answer text with renumbered [n] markers after each sentence."""
    parts = []
    for c in claims:
        marks = "".join(f"[{numbering[n]}]" for n in c.cites)
        parts.append(f"{c.text} {marks}".strip())
    return " ".join(parts)


def number_citations(claims: Sequence[Claim]) -> dict[int, int]:
    """Evidence number → citation number, in order of first appearance in the answer."""
    numbering: dict[int, int] = {}
    for c in claims:
        for n in c.cites:
            numbering.setdefault(n, len(numbering) + 1)
    return numbering


def build_citations(numbering: dict[int, int], evidence: Sequence[Evidence], passages: Sequence[Passage]) -> list[Citation]:
    """Citation records (article metadata, exact sentence and offsets) in citation-number order."""
    by_n = {e.n: e for e in evidence}
    out = []
    for n, m in sorted(numbering.items(), key=lambda kv: kv[1]):
        e = by_n[n]
        p = passages[e.passage_index]
        out.append(Citation(m, e.article_id, p.title, p.source, p.url, p.published, e.text, e.start, e.end,
                            p.text, p.start))
    return out
