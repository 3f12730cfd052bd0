"""Corpus slices and the questions the benchmark asks, streamed from the corpus file (never all in memory)."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any


def parse_sizes(text: str, total: int) -> list[int]:
    """'1000,10000,all' → increasing sizes capped at the corpus size, no repeats."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip().lower()
        n = total if part in ("all", "") else min(int(part), total)
        if n > 0 and n not in out:
            out.append(n)
    return sorted(out)



def count_records(path: Path, limit: int | None = None) -> int:
    n = 0
    for _ in iter_lines(path):
        n += 1
        if limit is not None and n >= limit:
            break
    return n



def iter_lines(path: Path):  # noqa: ANN201 - Iterator[bytes]
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as fh:
        for line in fh:
            if line.strip():
                yield line



def write_slices(corpus: Path, sizes: list[int], folder: Path) -> list[Path]:
    """Slice files holding articles [0, s1), [s1, s2) ..., streamed (the corpus is never in memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"slice-{i}-{s}.jsonl" for i, s in enumerate(sizes)]
    lines = iter_lines(corpus)
    start = 0
    for path, size in zip(paths, sizes):
        with open(path, "wb") as out:
            for _ in range(size - start):
                line = next(lines, None)
                if line is None:
                    break
                out.write(line if line.endswith(b"\n") else line + b"\n")
        start = size
    return paths



def pick_queries(slice_path: Path, n: int) -> list[str]:
    """Titles of ``n`` articles spread evenly over the slice: questions whose answers are indexed at every size."""
    return [t for t, _ in pick_dated_queries(slice_path, n)]



def pick_dated_queries(slice_path: Path, n: int) -> list[tuple[str, str | None]]:
    """(title, published date) of ``n`` articles spread evenly over the slice."""
    rows = []
    for line in iter_lines(slice_path):
        a = json.loads(line)
        title = (a.get("title") or "").strip()
        if len(title.split()) >= 4:
            rows.append((title, (a.get("published") or a.get("date") or None)))
    if not rows or n <= 0:
        return []
    step = max(1, len(rows) // n)
    return [(t, str(d)[:10] if d else None) for t, d in rows[::step][:n]]



def pick_choice_questions(path: Path, n: int) -> list[dict[str, Any]]:
    """``n`` RealTimeQA DEV questions with choices, spread over the file (asked without their date)."""
    if n <= 0 or not path.is_file():
        return []
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [{"question": r["question"], "choices": r["choices"]} for r in rows if r.get("choices")]
    step = max(1, len(rows) // n)
    return rows[::step][:n]



def windows_for(day: str | None) -> dict[str, dict[str, str]]:
    """The date-filtered requests of one query: as_of a week after its article, and the 4 weeks around it."""
    if not day:
        return {}
    try:
        d = date.fromisoformat(day)
    except ValueError:
        return {}
    return {"as_of": {"as_of": (d + timedelta(days=7)).isoformat()},
            "window": {"date_from": (d - timedelta(days=14)).isoformat(), "date_to": (d + timedelta(days=14)).isoformat()}}



def chunk_texts(path: Path, n: int, words: int = 170) -> list[str]:
    """~n chunk-sized pieces of the corpus (170 words ≈ qa's 230 word-piece chunks)."""
    out: list[str] = []
    for line in iter_lines(path):
        w = json.loads(line).get("text", "").split()
        out += [" ".join(w[i : i + words]) for i in range(0, max(0, len(w) - words), words)]
        if len(out) >= n:
            break
    return out[:n]
