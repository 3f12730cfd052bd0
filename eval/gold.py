"""Gold question sets: the seed format and the RealTimeQA format, read into one record type.

seed:       {id, question, history?, answerable, answers_any, support}
RealTimeQA: {id, question, as_of, answers, choices, gold_choice, source, evidence_id}
The format is told apart per line: 'answers_any' means seed, 'answers' means RealTimeQA.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from qa.errors import ConfigError, InputError

SEED_SOURCE = "seed"


@dataclass
class GoldQuestion:
    """One gold question, whatever file format it came from."""

    id: str
    question: str
    format: str  # 'seed' | 'rtqa'
    source: str = SEED_SOURCE  # quiz publisher (CNN, THE WEEK, USAtoday) or 'seed'
    as_of: str | None = None
    history: list[str] = field(default_factory=list)
    answerable: bool = True
    answers: list[str] = field(default_factory=list)  # RealTimeQA gold choice text(s)
    choices: list[str] = field(default_factory=list)
    gold_choice: int | list[int] | None = None
    evidence_id: str | None = None
    answers_any: list[str] = field(default_factory=list)  # seed: right if the answer contains one of these
    support: list[str] = field(default_factory=list)  # seed: a cited passage should contain one of these

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_gold(path: str | Path) -> list[GoldQuestion]:
    """Every question of a gold JSONL file (seed or RealTimeQA format), in file order."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"gold file {path} does not exist: give a .jsonl file of gold questions (e.g. eval/gold/seed.jsonl)")
    out: list[GoldQuestion] = []
    seen: set[str] = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where} is not valid JSON ({exc.msg}): fix that line") from None
        q = parse_record(record, where)
        if q.id in seen:
            raise InputError(f"{where}: question id {q.id!r} appears twice: ids must be unique")
        seen.add(q.id)
        out.append(q)
    if not out:
        raise InputError(f"gold file {path} holds no questions")
    return out


def parse_record(record: Any, where: str = "record") -> GoldQuestion:
    """One JSON object → GoldQuestion; a missing field is an InputError naming the line."""
    if not isinstance(record, dict):
        raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    for key in ("id", "question"):
        if not record.get(key):
            raise InputError(f"{where}: missing '{key}'")
    history = record.get("history") or []
    if isinstance(history, str):
        history = [history]
    common = dict(id=str(record["id"]), question=str(record["question"]), as_of=record.get("as_of") or None,
                  history=[str(h) for h in history])
    if "answers_any" in record:
        return GoldQuestion(format="seed", source=str(record.get("source") or SEED_SOURCE),
                            answerable=bool(record.get("answerable", True)),
                            answers_any=list(record.get("answers_any") or []), support=list(record.get("support") or []),
                            **common)
    if "answers" in record:
        # RealTimeQA quizzes always have an answer; the corpus may still miss it (see the extractive ceiling).
        return GoldQuestion(format="rtqa", source=str(record.get("source") or "?"), answerable=True,
                            answers=[str(a) for a in record.get("answers") or []],
                            choices=[str(c) for c in record.get("choices") or []],
                            gold_choice=record.get("gold_choice"), evidence_id=record.get("evidence_id") or None,
                            **common)
    raise InputError(f"{where}: neither 'answers_any' (seed format) nor 'answers' (RealTimeQA format): "
                     "see eval/README.md for the two formats")


def file_sha1(path: str | Path) -> str:
    """Content hash of a gold file (recorded with a run so a resumed run cannot mix two gold sets)."""
    return hashlib.sha1(Path(path).read_bytes()).hexdigest()
