"""Porter's stemmer as SQLite's FTS5 'porter' tokenizer applies it (Martin Porter's C version, with its two
departures from the paper: 'bli' -> 'ble' and 'logi' -> 'log'), so Python and the keyword index agree."""

from functools import lru_cache

_V = frozenset("aeiou")


def _cons(b: str, i: int) -> bool:
    c = b[i]
    if c in _V:
        return False
    if c == "y":
        return i == 0 or not _cons(b, i - 1)
    return True


def _m(b: str, j: int) -> int:
    """The measure of b[0..j]: the number of vowel-consonant sequences."""
    n, prev_vowel = 0, False
    for i in range(j + 1):
        vowel = not _cons(b, i)
        if prev_vowel and not vowel:
            n += 1
        prev_vowel = vowel
    return n


def _vowel_in(b: str, j: int) -> bool:
    return any(not _cons(b, i) for i in range(j + 1))


def _doublec(b: str, j: int) -> bool:
    return j >= 1 and b[j] == b[j - 1] and _cons(b, j)


def _cvc(b: str, i: int) -> bool:
    if i < 2 or not _cons(b, i) or _cons(b, i - 1) or not _cons(b, i - 2):
        return False
    return b[i] not in "wxy"


@lru_cache(maxsize=200_000)
def porter(w: str) -> str:
    """The Porter stem of a lower-case word (words under 3 letters are left alone, as FTS5 does)."""
    if len(w) < 3 or len(w) > 64:
        return w
    b = w
    # step 1a
    if b.endswith("sses"):
        b = b[:-2]
    elif b.endswith("ies"):
        b = b[:-2]
    elif b.endswith("s") and not b.endswith("ss"):
        b = b[:-1]
    # step 1b
    extra = False
    if b.endswith("eed"):
        if _m(b, len(b) - 4) > 0:
            b = b[:-1]
    elif b.endswith("ed") and _vowel_in(b, len(b) - 3):
        b, extra = b[:-2], True
    elif b.endswith("ing") and _vowel_in(b, len(b) - 4):
        b, extra = b[:-3], True
    if extra:
        if b.endswith(("at", "bl", "iz")):
            b += "e"
        elif _doublec(b, len(b) - 1) and b[-1] not in "lsz":
            b = b[:-1]
        elif _m(b, len(b) - 1) == 1 and _cvc(b, len(b) - 1):
            b += "e"
    # step 1c
    if b.endswith("y") and _vowel_in(b, len(b) - 2):
        b = b[:-1] + "i"
    b = _table(b, _STEP2, 0)
    b = _table(b, _STEP3, 0)
    b = _step4(b)
    # step 5
    if b.endswith("e"):
        a = _m(b, len(b) - 2)
        if a > 1 or (a == 1 and not _cvc(b, len(b) - 2)):
            b = b[:-1]
    if b.endswith("ll") and _m(b, len(b) - 1) > 1:
        b = b[:-1]
    return b


_STEP2 = [("ational", "ate"), ("tional", "tion"), ("enci", "ence"), ("anci", "ance"), ("izer", "ize"), ("bli", "ble"),
          ("alli", "al"), ("entli", "ent"), ("eli", "e"), ("ousli", "ous"), ("ization", "ize"), ("ation", "ate"),
          ("ator", "ate"), ("alism", "al"), ("iveness", "ive"), ("fulness", "ful"), ("ousness", "ous"), ("aliti", "al"),
          ("iviti", "ive"), ("biliti", "ble"), ("logi", "log")]
_STEP3 = [("icate", "ic"), ("ative", ""), ("alize", "al"), ("iciti", "ic"), ("ical", "ic"), ("ful", ""), ("ness", "")]
_STEP4 = ["al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent", "ion", "ou", "ism", "ate",
          "iti", "ous", "ive", "ize"]


def _table(b: str, rules: list[tuple[str, str]], min_m: int) -> str:
    # the C version tests the suffixes grouped by their penultimate letter; the first that matches decides
    for suffix, repl in rules:
        if b.endswith(suffix):
            if _m(b, len(b) - len(suffix) - 1) > min_m:
                return b[: len(b) - len(suffix)] + repl
            return b
    return b


def _step4(b: str) -> str:
    for suffix in sorted(_STEP4, key=len, reverse=True):
        if b.endswith(suffix):
            j = len(b) - len(suffix) - 1
            if suffix == "ion" and not (j >= 0 and b[j] in "st"):
                return b
            return b[: j + 1] if _m(b, j) > 1 else b
    return b
