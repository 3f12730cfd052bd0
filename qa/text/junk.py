"""Page debris and headings: what is never evidence and never an answer sentence.

Two levels, one list of patterns:
  * `debris(line)`: a whole line that is not part of the article (related-story links, share and newsletter
    buttons, photo credits and captions, bylines, live-blog stamps, navigation). Dropped at ingest, so the
    chunks users see in their sources are article text.
  * `not_evidence(sentence, paragraph)`: also headlines and sub-heads (a one-line paragraph without a sentence
    end), questions used as headings ("Why was Polaris Dawn delayed this time?" on a line of its own) and
    whatever `debris` names. Applied again at evidence time, for indexes built before this filter.
  * `dateline_end(sentence)`: where a dateline ("LAKEVIEW — ", "ATLANTA (AP) — ") ends: the sentence is kept
    from there.
"""

from __future__ import annotations

import re

_LINK = re.compile(
    r"^\s*(?:more|read more|related|see also|also read|read also|recommended|watch|listen|further reading|"
    r"more from [\w .’']+|more on [\w .’']+|most read|trending|top stories|next up|up next)\s*[:|»›>]", re.I)
_NAV = re.compile(
    r"^\s*(?:(?:editor[’']s note:\s*)?sign up\b|subscribe\b|click here\b|advertisement\b|skip to\b|follow us\b|"
    r"follow our\b|never miss\b|get (?:the|our|cnn|deals)\b.{0,80}\b(?:newsletter|alerts|app)\b|share this\b|"
    r"copy link\b|link copied\b|share on\b|download the\b.{0,40}\bapp\b|support (?:our|local) journalism\b|"
    r"copyright\b|©|all rights reserved\b|this (?:story|article) (?:has been|was) updated\b|updated with\b|"
    r"(?:updated|published|posted|last updated)\s*(?:on\s*)?:?\s*(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|"
    r"mon|tue|wed|thu|fri|sat|sun))", re.I)
_STAMP = re.compile(  # "8:14 pm ET March 11, 2026 Share this update", "Updated 3:14 PM EDT, Tue March 3"
    r"^\s*(?:updated\s+)?\d{1,2}:\d\d\s*(?:[ap]\.?m\.?)?\s*(?:[ecmp][sd]?t|gmt|utc|bst)\b.{0,60}$", re.I)
_SHARE = re.compile(r"\bshare this (?:update|post|article|story)\b|\bcopy link\b|\blink copied\b", re.I)
_BYLINE = re.compile(r"^\s*[Bb][Yy]\s+(?:[A-Z][\w.’'\-]*\s*){1,4}(?:(?:,|and|&)\s*(?:[A-Z][\w.’'\-]*\s*){1,4})*"
                     r"(?:,\s*[\w .’']{2,40})?\s*$")
_CREDIT = re.compile(r"(?:\b[\w.\-]+/(?:AFP|AP|Getty Images?|Reuters|Bloomberg|Shutterstock|EPA|Sipa|POOL|Pool)\b|"
                     r"\((?:photo|image|credit|pictured)\b[^)]*\)\s*$|^\s*(?:photo|image|photograph|credit|"
                     r"pictured)\s*(?:by|:)|\bGetty Images\s*$)", re.I)
_GALLERY = re.compile(r"^\s*Photos?:\s|\bHide Caption \d+ of \d+\b")  # CNN's galleries: one line of captions
_HEADING_END = re.compile(r"[.!…:;][\"'”’)\]]*$")
_DATELINE = re.compile(r"^(?:[A-Z][A-Z.’'\-]+(?:[ ,]+[A-Z][A-Za-z.’'\-]+){0,4})(?:\s*\([\w .]{1,20}\))?\s*[—–]+\s*|"
                       r"^(?:[A-Z][A-Z.’'\-]+(?:[ ,]+[A-Z][A-Za-z.’'\-]+){0,4})(?:\s*\([\w .]{1,20}\))?\s+-{1,2}\s+")


def debris(line: str) -> str | None:
    """Why a whole line of an article is page debris rather than article text, or None."""
    s = line.strip()
    if not s:
        return None
    n = len(s.split())
    if _LINK.match(s):
        return "a related-story link"
    if _GALLERY.search(s):
        return "a photo gallery"
    if n <= 40 and _NAV.match(s):
        return "navigation or a newsletter/share button"
    if _STAMP.match(s) or (n <= 25 and _SHARE.search(s)):
        return "a live-blog stamp"
    if n <= 12 and _BYLINE.match(s):
        return "a byline"
    if n <= 60 and _CREDIT.search(s):
        return "a photo caption or credit"
    return None


def strip_debris(text: str) -> str:
    """The article text without its debris lines (the rest unchanged; runs of blank lines collapsed)."""
    lines = text.split("\n")
    kept = [line for line in lines if debris(line) is None]
    if len(kept) == len(lines):
        return text
    return re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()


def heading(sentence: str, paragraph: str) -> str | None:
    """Why a sentence is a headline or sub-head, or None: the whole one-line paragraph, with no sentence end
    (short), or a question standing alone as a line."""
    s, p = sentence.strip(), paragraph.strip()
    if s != p:
        return None
    n = len(s.split())
    if s.endswith("?") and n <= 25 and not s.startswith(("\"", "“", "'", "‘")):
        return "a question used as a heading"
    if n <= 25 and not _HEADING_END.search(s):
        return "a headline or sub-head"
    return None


def not_evidence(sentence: str, paragraph: str = "") -> str | None:
    """Why a sentence can never be evidence or an answer sentence (debris or heading), or None."""
    return debris(sentence) or (heading(sentence, paragraph) if paragraph else None) or (
        "a related-story link" if _LINK.match(sentence) else None)


def dateline_end(sentence: str) -> int:
    """Characters of a leading dateline ('WASHINGTON – ', 'ATLANTA (AP) — '), 0 when there is none."""
    m = _DATELINE.match(sentence)
    if not m:
        return 0
    rest = sentence[m.end():]
    return m.end() if len(rest.split()) >= 4 else 0
