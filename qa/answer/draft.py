"""The composed draft: the model writes the answer from the numbered, dated evidence in the form the question's
shape asks for (prompts/compose.txt; the forms are in its header), streamed. What it writes is only a draft until
cite.Checker has checked each sentence (pipeline.py).

For a fact or number question the model has just read (model.read: a few words from the best 8 sentences, which are
also [1]..[8] here): the draft continues that conversation (prompts/compose_after_read.txt), so llama.cpp reuses the
cached read prompt and evaluates only the new turn (measured on 13 TRAIN reporter questions, 2 AMD EPYC cores:
2-4 s instead of ~12 s for a prompt of its own). Other shapes have more evidence, with dates, in one prompt.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..text.tokens import content_words
from ..types import Evidence, Passage
from .cite import MARKER, Claim, clean, parse_claims

if TYPE_CHECKING:
    from ..generate import Generator
    from ..generate.prompts import Prompts

# "The articles don't say what the repairs will cost." opens an honest 'not in the articles' answer
NOT_SAID = re.compile(r"^\W*(?:the )?(?:articles?|evidence|sources?|reports?)\s+(?:do(?:es)?\s*n[o’']t|do(?:es)? not|"
                      r"never)\s+(?:say|state|mention|report|specify|give|reveal|disclose|include|provide|indicate|name)\b",
                      re.I)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def dated_lines(evidence: Sequence[Evidence], passages: Sequence[Passage]) -> str:
    """'[n] (2023-12-26, theverge.com) sentence' for each piece of evidence."""
    out = []
    for e in evidence:
        p = passages[e.passage_index]
        meta = ", ".join(x for x in (p.published or "date unknown", p.source) if x)
        out.append(f"[{e.n}] ({meta}) {e.text}")
    return "\n".join(out)


@dataclass
class Draft:
    """Iterate to stream the model's tokens; afterwards `text`, `seconds`, `tokens`."""

    generator: Generator
    prompts: Prompts
    shape: str
    question: str
    evidence: list[Evidence]  # everything the model may cite, numbered
    passages: Sequence[Passage]
    max_tokens: int
    reading: Any = None  # model.Reading of a fact or number question: the draft continues its conversation
    text: str = ""
    seconds: float = 0.0
    tokens: dict[str, int] = field(default_factory=dict)

    def __iter__(self) -> Iterator[str]:
        t = time.perf_counter()
        form = self.prompts.header("compose").get("forms", {}).get(self.shape, "")
        stop = self.prompts.stop("compose")
        if self.reading is not None and self.reading.messages:  # continue the read: its prompt is in the cache
            turn = self.prompts.render("compose_after_read")
            prompt = self.generator.chat_prompt([*self.reading.messages, {"role": "assistant", "content": self.reading.reply},
                                                 {"role": "user", "content": turn}])
            self.tokens.update(prompt=self.generator.count_tokens(prompt), evidence_used=len(self.reading.sentences))
            parts = self.generator.complete(prompt, self.max_tokens, stop=self.prompts.stop("compose_after_read"), stream=True)
        else:
            parts = self.generator.generate(self.fit(form), max_tokens=self.max_tokens, stream=True, stop=stop)
        raw = []
        for piece in parts:
            raw.append(piece)
            yield piece
        self.text = "".join(raw)
        self.tokens["completion"] = self.generator.count_tokens(self.text) if raw else 0
        self.tokens.setdefault("evidence_used", len(self.evidence))
        self.seconds = time.perf_counter() - t

    def fit(self, form: str) -> list[dict[str, str]]:
        """The compose prompt with as much evidence as fits the model's context beside the answer (the least
        relevant sentences go first; the cut is counted). The evidence list keeps its numbers."""
        budget = self.generator.n_ctx - self.max_tokens - 16
        used = list(self.evidence)
        while True:
            messages = self.prompts.messages("compose", evidence=dated_lines(used, self.passages),
                                             question=self.question, form=form)
            n = sum(self.generator.count_tokens(m["content"]) + 8 for m in messages)
            if n <= budget or len(used) <= 1:
                break
            used = used[:-1]
        if n > budget:
            asked = self.generator.count_tokens(self.question)
            if asked * 2 > budget:  # the question itself is what does not fit: no setting should be raised for it
                raise ConfigError(f"the question is too long for the model ({asked} tokens of the {budget} its prompt "
                                  f"can hold): shorten the question")
            raise ConfigError(f"the prompt needs {n} tokens but llm.n_ctx leaves {budget}: raise llm.n_ctx")
        self.tokens.update(prompt=n, evidence_used=len(used), evidence_dropped=len(self.evidence) - len(used))
        return messages


def parse_draft(text: str, shape: str) -> list[Claim]:
    """The draft's claims: one per line of a timeline (its date kept), else one per sentence. A claim saying the
    articles don't say something is marked why='not said'."""
    if shape == "timeline":
        claims = []
        for line in text.splitlines():
            line = _BULLET.sub("", line).strip()
            cites = [int(n) for group in MARKER.findall(line) for n in re.split(r"[,;]\s*", group)]
            body = re.sub(r"\s+([.,;:!?])", r"\1", clean(MARKER.sub("", line)).strip())
            if re.search(r"[A-Za-z0-9]", body):
                claims.append(Claim(body, list(dict.fromkeys(cites))))
    else:
        claims = parse_claims(_BULLET.sub("", text, count=0) if "\n" not in text else
                              " ".join(_BULLET.sub("", x) for x in text.splitlines()))
    for c in claims:
        if NOT_SAID.match(c.text):
            c.why = "not said"
    return claims


def complete_claims(text: str, shape: str) -> int:
    """How many claims of a draft still being written are finished (all but the last, which may go on)."""
    if shape == "timeline":
        done = text.rsplit("\n", 1)[0] if "\n" in text else ""
        return len(parse_draft(done, shape))
    return max(0, len(parse_draft(text, shape)) - 1)


def names_what(sentence: str, question: str) -> bool:
    """Whether a "The articles don't say ..." sentence names what they don't say (two of the question's content
    words), as against the bare reflex "The articles don't say." that small models open answers with."""
    rest = NOT_SAID.sub("", sentence)
    return len(set(content_words(rest)) & set(content_words(question))) >= 2
