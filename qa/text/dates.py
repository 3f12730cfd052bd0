"""Dates, the one place for time logic: article dates, datelines, windows, recency, and a question's relative dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

MONTHS = {
    m: i
    for i, names in enumerate(
        [("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",), ("june", "jun"),
         ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"), ("october", "oct"),
         ("november", "nov"), ("december", "dec")],
        1,
    )
    for m in names
}
_MONTH_RE = r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"


def normalize_date(value: Any) -> str | None:
    """An ISO date (YYYY-MM-DD) from a date string, timestamp or datetime; None when it can't be read."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return _check(value.date())
    if isinstance(value, date):
        return _check(value)
    if isinstance(value, (int, float)):
        try:
            seconds = value / 1000 if value > 1e11 else value  # milliseconds or seconds since the epoch
            return _check(datetime.fromtimestamp(seconds, tz=timezone.utc).date())
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    if re.fullmatch(r"\d{4}", text):
        return None  # a bare year is not a date
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        return _ymd(*map(int, m.groups()))
    try:
        return _check(datetime.fromisoformat(text.replace("Z", "+00:00")).date())
    except ValueError:
        pass
    try:
        return _check(parsedate_to_datetime(text).date())
    except (TypeError, ValueError, IndexError):
        pass
    found = find_date(text)
    if found:
        return found
    try:
        from dateutil import parser  # optional: installed with matplotlib / trafilatura

        # default year 1 (< 1900) makes _check reject a date written without a year ('June 5th')
        return _check(parser.parse(text, fuzzy=False, default=datetime(1, 1, 1)).date())
    except (ImportError, ValueError, OverflowError, TypeError):
        return None


def find_date(text: str) -> str | None:
    """The first full written date ('June 3, 2022', '3 June 2022', '2022-06-03') in a text."""
    for pattern, order in (
        (r"\b" + _MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b", "mdy"),
        (r"\b(\d{1,2})\s+" + _MONTH_RE + r",?\s+(\d{4})\b", "dmy"),
        (r"\b(\d{4})-(\d{2})-(\d{2})\b", "ymd"),
    ):
        m = re.search(pattern, text, re.I)
        if not m:
            continue
        g = m.groups()
        if order == "mdy":
            return _ymd(int(g[2]), _month(g[0]), int(g[1]))
        if order == "dmy":
            return _ymd(int(g[2]), _month(g[1]), int(g[0]))
        return _ymd(int(g[0]), int(g[1]), int(g[2]))
    return None


def dateline_date(text: str) -> str | None:
    """A date written in an article's dateline (its first 300 characters), if any."""
    return find_date(text[:300])


def _month(name: str) -> int:
    return MONTHS[name.lower()[:3]]


def _ymd(y: int, m: int, d: int) -> str | None:
    try:
        return _check(date(y, m, d))
    except ValueError:
        return None


def _check(d: date) -> str | None:
    return d.isoformat() if 1900 <= d.year <= 2100 else None


def parse_iso(value: str | date | None) -> date | None:
    """A `date` from an ISO string (or None)."""
    if value is None or isinstance(value, date):
        return value
    iso = normalize_date(value)
    return date.fromisoformat(iso) if iso else None


def upper_bound(*dates: date | None) -> date | None:
    """The earliest of the given dates (as_of, date_to, ...), None when none is given: nothing after it counts."""
    given = [d for d in dates if d is not None]
    return min(given) if given else None


def is_recent(published: str | date | None, as_of: date | None, days: int) -> bool:
    """Whether an article published then is at most ``days`` days older than as_of (and not after it)."""
    if as_of is None or not published:
        return False
    d = parse_iso(published)
    return d is not None and 0 <= (as_of - d).days <= days


# -- relative dates in questions --------------------------------------------------------------

@dataclass
class TimeScope:
    """What a question says about time, resolved against as_of."""

    date_from: date | None = None
    date_to: date | None = None
    prefers_recent: bool = False  # 'this week', 'recently', 'latest', 'now' ...
    phrase: str = ""


RECENT_WORDS = re.compile(
    r"\b(this week|this past week|past week|last few days|recent(ly)?|latest|newest|currently|now|"
    r"so far this year|today|yesterday|this month|just|new(ly)?)\b",
    re.I,
)


def resolve_time(question: str, as_of: date) -> TimeScope:
    """Turn 'this week', 'last month', 'in January', 'yesterday' ... into a date window before as_of."""
    q = question.lower()
    scope = TimeScope(prefers_recent=bool(RECENT_WORDS.search(q)))
    rules: list[tuple[str, Any]] = [
        (r"\b(today)\b", lambda m: (as_of - timedelta(days=1), as_of)),
        (r"\byesterday\b", lambda m: (as_of - timedelta(days=2), as_of)),
        (r"\b(this|past|last) week(end)?\b", lambda m: (as_of - timedelta(days=7 if m.group(1) != "last" else 14), as_of)),
        (r"\b(this|past) month\b", lambda m: (as_of - timedelta(days=31), as_of)),
        (r"\blast month\b", lambda m: (_month_start(as_of, -1), _month_start(as_of, 0) - timedelta(days=1))),
        (r"\b(this|past) year\b", lambda m: (date(as_of.year, 1, 1), as_of)),
        (r"\blast year\b", lambda m: (date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31))),
        (r"\bin (\d{4})\b", lambda m: (date(int(m.group(1)), 1, 1), date(int(m.group(1)), 12, 31))),
        (r"\b(?:in|during|since) " + _MONTH_RE.lower() + r"(?! \d)\b", lambda m: _named_month(m.group(1), as_of)),
    ]
    for pattern, window in rules:
        m = re.search(pattern, q)
        if m:
            try:
                lo, hi = window(m)
            except (ValueError, OverflowError):  # 'in 0000', or a window before year 1: no date to resolve
                continue
            scope.date_from, scope.date_to, scope.phrase = lo, min(hi, as_of), m.group(0)
            break
    return scope


def _month_start(d: date, delta: int) -> date:
    month = d.month + delta
    year = d.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def _named_month(name: str, as_of: date) -> tuple[date, date]:
    month = _month(name)
    year = as_of.year if month <= as_of.month else as_of.year - 1
    end = _month_start(date(year, month, 1), 1) - timedelta(days=1)
    return date(year, month, 1), end


# -- dates an answer sentence states, and the dates a cited sentence supports ----------------------------------------

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DATE_MENTIONS = (
    (re.compile(r"\b(?:(?:Mon|Tues?|Wed(?:nes)?|Thu(?:rs)?|Fri|Sat(?:ur)?|Sun)(?:day)?\.?,?\s+)?" + _MONTH_RE +
                r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b", re.I), "md(y)"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH_RE + r"(?:,?\s+(\d{4}))?\b", re.I), "dm(y)"),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), "ymd"),
)
_WEEKDAY_RE = re.compile(r"\b(?:on |last |this |next )?(" + "|".join(WEEKDAYS) + r")\b", re.I)
_RELATIVE_DAY = {"today": 0, "tonight": 0, "yesterday": -1, "tomorrow": 1, "last night": -1}


@dataclass(frozen=True)
class DateMention:
    """A date written in a text: where, and which day (year None when the text gives none)."""

    start: int
    end: int
    year: int | None
    month: int
    day: int


def date_mentions(text: str) -> list[DateMention]:
    """Calendar dates written in a text ('March 11, 2025', 'Tuesday, March 11', '11 March', '2025-03-11')."""
    out: list[DateMention] = []
    taken: list[tuple[int, int]] = []
    for pattern, order in _DATE_MENTIONS:
        for m in pattern.finditer(text):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            g = m.groups()
            try:
                if order == "md(y)":
                    y, mo, d = (int(g[2]) if g[2] else None), _month(g[0]), int(g[1])
                elif order == "dm(y)":
                    y, mo, d = (int(g[2]) if g[2] else None), _month(g[1]), int(g[0])
                else:
                    y, mo, d = int(g[0]), int(g[1]), int(g[2])
                date(y or 2000, mo, d)
            except (ValueError, KeyError):
                continue
            taken.append((m.start(), m.end()))
            out.append(DateMention(m.start(), m.end(), y, mo, d))
    return sorted(out, key=lambda x: x.start)


def supported_dates(text: str, published: str | None) -> set[date]:
    """The calendar days a sentence of an article published on ``published`` refers to: dates it writes (a missing
    year taken from the publication date), weekdays and 'yesterday'/'today' resolved from the publication date, and
    the publication date itself."""
    pub = parse_iso(published)
    out: set[date] = {pub} if pub else set()
    for m in date_mentions(text):
        year = m.year or (pub.year if pub else None)
        if year is None:
            continue
        try:
            d = date(year, m.month, m.day)
        except ValueError:
            continue
        out.add(d)
        if m.year is None and pub and d > pub + timedelta(days=60):  # 'Dec. 28' in a January article
            out.add(date(year - 1, m.month, m.day))
    if pub:
        low = text.lower()
        for m in _WEEKDAY_RE.finditer(low):
            wd = WEEKDAYS.index(m.group(1))
            back = (pub.weekday() - wd) % 7
            out.add(pub - timedelta(days=back))  # news reports the past: the latest such day up to the date
            if m.group(0).startswith("next"):
                out.add(pub + timedelta(days=(wd - pub.weekday()) % 7 or 7))
            elif back == 0:
                out.add(pub - timedelta(days=7))
        for word, delta in _RELATIVE_DAY.items():
            if re.search(rf"\b{word}\b", low):
                out.add(pub + timedelta(days=delta))
    return out


def event_date(text: str, published: str | None) -> date | None:
    """The one calendar day a sentence says its event happened on ('on Tuesday', 'Sept. 4', 'March 3, 2025', resolved
    from the article's date), or None when it names no day or several."""
    if not (date_mentions(text) or _WEEKDAY_RE.search(text) or re.search(r"\b(?:yesterday|today|tonight|last night)\b", text, re.I)):
        return None
    pub = parse_iso(published)
    days = supported_dates(text, published) - ({pub} if pub else set())
    if len(days) > 1 and pub:  # 'Oct. 20' in a March article: last October (news reports the past)
        days = {d for d in days if d <= pub + timedelta(days=1)}
    if len(days) == 1:
        return next(iter(days))
    if not days and pub and (_WEEKDAY_RE.search(text) or re.search(r"\b(?:today|tonight)\b", text, re.I)):
        return pub  # 'on Tuesday' in an article of that Tuesday
    return None
