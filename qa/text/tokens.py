"""Word tokens, the stemmer, stopwords, numbers and capitalised names: one tokenizer for every stage."""

from __future__ import annotations

import re
from functools import lru_cache

from .stem import porter

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have having he
    her here hers herself him himself his how i if in into is it its itself just me more most my myself no nor not
    of off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves said says say according
    told tell week weeks recently recent latest new news year years month months day days time times one two
    many much may might must shall us via per amid among whose whats what's it's don't didn't doesn't isn't
    wasn't won't can't be been being been also still yet ever even well back get got make made like""".split()
)

TOKEN = re.compile(r"\d+(?:[.,]\d+)+[A-Za-z]*|[A-Za-z0-9][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z0-9]")  # 8.5bn, 1,200: one token
# a figure in text: digits with an optional currency sign, scale or percent (answer/spans.py has the typed ones)
FIGURE = re.compile(r"(?<![\w.])[$€£]?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|percent|million|billion|trillion|thousand))?", re.I)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (apostrophes normalised)."""
    return [w.lower().replace("’", "'") for w in TOKEN.findall(text)]


@lru_cache(maxsize=1 << 17)  # pure; a question's passages and evidence stem the same words thousands of times
def stem(word: str) -> str:
    """The Porter stem (qa/text/stem.py: the same stems as the keyword index's FTS5 'porter' tokenizer)."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    return porter(w)


def singular(word: str) -> str:
    """A plural noun's singular by its ending ('companies' -> 'company', 'stars' -> 'star'), for word lists."""
    w = word.lower().replace("’", "'").removesuffix("'s").rstrip("'")
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"), ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 2 and not w.endswith("ss"):
            return w[: len(w) - len(suffix)] + repl
    return w


def content_words(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords), in order."""
    return [stem(w) for w in words(text) if w not in STOPWORDS and len(w) > 1 or w.isdigit()]


def numbers(text: str) -> set[str]:
    """Numbers written in the text, normalised ('1,200' → '1200')."""
    out = set()
    for m in re.finditer(r"\d[\d,]*(?:\.\d+)?", text):
        value = m.group(0).rstrip(",.").replace(",", "")
        if value:
            out.add(value)
    return out


def capitalized_names(text: str) -> set[str]:
    """Capitalised words that are not sentence-initial stopwords: a rough set of the names a text mentions."""
    out = set()
    for m in re.finditer(r"\b[A-Z][a-zA-Z'’\-]+", text):
        w = m.group(0).lower().replace("’", "'")
        if w.endswith("'s"):
            w = w[:-2]
        if w not in STOPWORDS:
            out.add(w)
    return out
