"""Follow-up questions → standalone queries.

The deterministic rewrite always runs: a pronoun (he, she, his, her, they, it ...) is replaced by the person the
earlier turns asked about ('What did Ren say ...' → Ren), and the names and key terms of the last turn that the
follow-up lacks are appended. If a generator is given, the condense prompt asks it for a rewrite too; that
rewrite is used only if it keeps the follow-up's own content words and brings in no name absent from the
conversation (small models often invent), otherwise the deterministic rewrite stands.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..text.tokens import STOPWORDS, capitalized_names, content_words, words

PRONOUNS = {"he": "{}", "she": "{}", "him": "{}", "her": "{}'s", "his": "{}'s", "hers": "{}'s", "they": "{}",
            "them": "{}", "their": "{}'s", "it": "{}", "its": "{}'s"}
_SPEAKER_Q = re.compile(
    r"\b(?:did|does|do|has|have|had|will|would|is|was)\s+(.+?)\s+(?:say|said|says|tell|told|think|thinks|comment|"
    r"comments|mean|want|hope|plan|claim|argue|announce|stress|add|believe|expect|feel)\b",
    re.I,
)
_FOLLOWUP = re.compile(r"^\s*(and|but|also|so|what about|how about|and what about)\b", re.I)


def is_followup(question: str) -> bool:
    """A question that leans on earlier turns: opens with 'and'/'what about' or uses a pronoun."""
    if _FOLLOWUP.search(question):
        return True
    return any(w in PRONOUNS and w not in {"it", "its"} for w in words(question))


def subject_of(turn: str) -> str | None:
    """The person an earlier question was about: 'What did Ren say ...' → 'Ren'."""
    m = _SPEAKER_Q.search(turn)
    if m:
        name = m.group(1).strip()
        if name.lower() not in PRONOUNS and re.match(r"[A-Z]", name):
            return name
    names = [n for n in re.findall(r"\b[A-Z][a-zA-Z'’\-]+(?:\s+[A-Z][a-zA-Z'’\-]+)*", turn) if n.lower() not in STOPWORDS]
    names = [n for n in names if n.split()[0].lower() not in {"what", "who", "when", "where", "why", "how", "which", "and", "did"}]
    return names[0] if names else None


def rule_rewrite(question: str, history: Sequence[str]) -> str:
    """The deterministic standalone rewrite of a follow-up (unchanged when it is not a follow-up)."""
    if not history or not is_followup(question):
        return question
    about = re.match(r"^\s*(?:and\s+)?(?:what|how)\s+about\s+(.+?)\??\s*$", question, re.I)
    last = re.match(r"^(.*?\babout)\s+.+$", history[-1].strip(), re.I)
    if about and last:  # 'What about chips?' after 'What did Ren say about X?' → 'What did Ren say about chips?'
        return f"{last.group(1)} {about.group(1)}?"
    subject = next((s for s in (subject_of(t) for t in reversed(history)) if s), None)
    out = question
    if subject:
        def swap(m: re.Match[str]) -> str:
            return PRONOUNS[m.group(0).lower()].format(subject)

        out, n = re.subn(r"\b(he|she|him|his|her|hers|they|them|their)\b", swap, out, flags=re.I)
        if n == 0 and subject.lower() not in out.lower():
            out = f"{out.rstrip('?')} ({subject})?"
    out = _FOLLOWUP.sub("", out).strip()
    out = out[:1].upper() + out[1:]
    # Carry the last turn's topic words the follow-up lacks, so retrieval stays on the same story.
    have = set(content_words(out))
    extra = [w for w in _topic_words(history[-1]) if w.lower() not in have and (not subject or w.lower() not in subject.lower())]
    if extra and not subject:
        out = f"{out.rstrip('?')} ({' '.join(extra[:4])})?"
    return out


def _topic_words(turn: str) -> list[str]:
    names = [w for w in re.findall(r"\b[A-Z][a-zA-Z'’\-]+", turn) if w.lower() not in STOPWORDS]
    return names[1:] if names and turn.strip().startswith(names[0]) else names


def accept_rewrite(candidate: str, question: str, history: Sequence[str]) -> bool:
    """A model's rewrite is trusted only if it keeps the question's words and invents no names."""
    candidate = candidate.strip().strip('"').strip()
    if not candidate or len(candidate) > 3 * len(question) + 80 or "\n" in candidate:
        return False
    own = set(content_words(question))
    got = set(content_words(candidate))
    if own and len(own & got) / len(own) < 0.8:
        return False
    allowed = capitalized_names(" ".join(history) + " " + question)
    return capitalized_names(candidate) <= allowed | {w for w in words(candidate) if w in STOPWORDS}


def condense(question: str, history: Sequence[str] | None, generator=None, prompts=None, max_tokens: int = 60) -> tuple[str, str]:  # noqa: ANN001
    """(standalone query, how it was made: 'as asked' | 'rules' | 'model')."""
    history = [h for h in (history or []) if h and h.strip()]
    if not history or not is_followup(question):
        return question, "as asked"
    rewrite = rule_rewrite(question, history)
    if generator is not None and prompts is not None:
        messages = prompts.messages("condense", history="\n".join(f"- {h}" for h in history[-4:]), question=question)
        candidate = str(generator.generate(messages, max_tokens=max_tokens, stop=prompts.stop("condense"))).strip().splitlines()[0:1]
        if candidate and accept_rewrite(candidate[0], question, history):
            return candidate[0].strip().strip('"'), "model"
    return rewrite, "rules"
