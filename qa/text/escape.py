"""Text that can be stored and shown: lone surrogates out (SQLite, tokenizers and UTF-8 output refuse them), and
names escaped for one-line messages (a file name with a newline must not start a line of its own)."""

from __future__ import annotations

import re

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def valid_utf8(text: str) -> str:
    """``text`` with lone surrogates replaced: undecodable bytes of a file name or argument (Python's
    surrogateescape, U+DC80-U+DCFF) become ``\\xNN``, other lone surrogates (a JSON "\\ud800") U+FFFD."""
    if not _SURROGATE.search(text):
        return text
    return _SURROGATE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}" if 0xDC80 <= ord(m.group()) <= 0xDCFF
                          else "\ufffd", text)


def shown(text: str) -> str:
    """``text`` for a one-line message: control characters, line separators and lone surrogates escaped."""
    if not _UNPRINTABLE.search(text):
        return text
    return _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii")
                            if not 0xD800 <= ord(m.group()) <= 0xDFFF else valid_utf8(m.group()), text)
