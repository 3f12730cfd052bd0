"""What to search for: the query with its time constraints, built from what a user typed.

`as_of` hides later articles; a question that asks for the latest news ('this week', 'recently') and gives no
as_of is read as of the newest article in the index, so the recency preference has a reference date.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..config import MAX_QUESTION_CHARS
from ..errors import ConfigError
from ..text.dates import parse_iso, resolve_time
from ..text.escape import valid_utf8


# a date as a user gives it: YYYY-MM-DD, or an ISO date and time ('2022-06-01garbage' is no date)
_USER_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?")
# terminal escape sequences: CSI (colours, cursor moves), OSC (titles, links), and two-character ones
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]")


def clean_question(text: str | None) -> str:
    """A question as typed, without what a terminal or a paste adds: ANSI escape sequences, control and
    invisible format characters (zero-width, bidi overrides), runs of spaces. Empty or over-long is an error."""
    text = _ANSI.sub("", valid_utf8(text or ""))
    text = "".join(" " if unicodedata.category(ch) == "Cc" else "" if unicodedata.category(ch) == "Cf" else ch
                   for ch in text)
    text = " ".join(text.split())
    if not text:
        raise ConfigError("the question is empty: type a question")
    if len(text) > MAX_QUESTION_CHARS:
        raise ConfigError(f"the question is too long ({len(text):,} characters): ask it in at most "
                          f"{MAX_QUESTION_CHARS:,} (to ask about a text, index it with `qa index` first)")
    return text


@dataclass
class SearchRequest:
    """A query with its time constraints (hard filters and soft preferences)."""

    text: str
    as_of: date | None = None  # articles published after this are ignored
    date_from: date | None = None  # hard window on published dates
    date_to: date | None = None
    prefers_recent: bool | None = None  # None = decide from the question's wording
    top_k: int | None = None
    extra: list[list[tuple[int, float]]] = field(default_factory=list)  # more ranked lists to fuse (e.g. quote hits)
    keyword_text: str | None = None  # what BM25 searches, when it should differ from ``text``


def user_date(name: str, raw: Any) -> date | None:
    """A date a user typed (YYYY-MM-DD; empty = none); anything else is a one-line error naming the field."""
    parsed = parse_iso(raw) if raw not in (None, "") else None
    if raw not in (None, "") and (parsed is None or (isinstance(raw, str) and not _USER_DATE.fullmatch(raw.strip()))):
        raise ConfigError(f"{name} {raw!r} is not a date: use YYYY-MM-DD")
    return parsed


def make_request(text: str, as_of: Any = None, date_from: Any = None, date_to: Any = None, *, top_k: int | None = None,
                 newest: Callable[[], str | None] = lambda: None) -> SearchRequest:
    """A request from user input; a date that can't be read is a one-line error naming the field."""
    as_of_d, lo, hi = parse_iso(as_of), parse_iso(date_from), parse_iso(date_to)
    for name, raw, parsed in (("as_of", as_of, as_of_d), ("date_from", date_from, lo), ("date_to", date_to, hi)):
        if raw not in (None, "") and (parsed is None or (isinstance(raw, str) and not _USER_DATE.fullmatch(raw.strip()))):
            raise ConfigError(f"{name} {raw!r} is not a date: use YYYY-MM-DD")
    if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
        raise ConfigError(f"k (passages wanted) must be a whole number > 0, got {top_k!r}")
    req = SearchRequest(valid_utf8(text), as_of=as_of_d, date_from=lo, date_to=hi, top_k=top_k)
    ref = as_of_d or parse_iso(newest())
    if ref is not None:
        # without a date of its own, a question about "New York" or "New Zealand" is not one about the latest news
        scope = resolve_time(text if as_of_d else re.sub(r"\bNew(?= [A-Z])", "", text), ref)
        req.prefers_recent = scope.prefers_recent
        if req.as_of is None and scope.prefers_recent:
            req.as_of = ref
    return req
