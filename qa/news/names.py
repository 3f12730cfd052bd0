"""Name variants: which surface forms in one article name the same person.

The rule (applied per article, to the names of speakers plus the full names the article mentions):
  1. Two tokens *match* when they are equal (ignoring case), or when they start with the same letter and either
     sound alike (equal Metaphone codes: Ren / Rain / Raine, Zhengfei / Zhangvi) or are spelled alike
     (rapidfuzz ratio >= 80: Zelensky / Zelenskyy). Acronyms (HHS) only match themselves.
  2. Full names (two or more tokens) are the same person when they have the same number of tokens and every
     token matches its counterpart (Ren Zhengfei = Ren Zhangvi; Joe Biden != Hunter Biden).
  3. A one-token name (a surname, a first name or a transliteration) joins the full name that has a token equal
     to it; failing that, the full name that has a token matching it; it is left alone when two or more full
     names qualify (Biden, when both Joe and Hunter Biden are in the article), which is the ambiguous case.
  4. One-token names that joined no full name are grouped with each other when they match (Rain = Raine).
  5. A group's canonical name is its longest full name (most tokens; then the most frequent; then the first).

Across articles nothing is inferred: statements share a speaker only when their per-article canonical names are
identical strings. So "Ren Wei" in one article and "Ren Zhengfei" in another stay apart, and so do the bare
"Ren" of an article that never gives a full name and "Ren Zhengfei" elsewhere.

Limits: the rule knows no gender, nicknames or name order conventions beyond "any token may be the short
form"; a short transliteration that happens to sound like another speaker's name in the same article (Ren /
Ran) is merged; an article's one-token speakers that are organisations ("Huawei said") are grouped like people.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

# Words that may open a name run in running text but are never part of a name.
LEADING = frozenset(
    """a an the but and or so yet still however meanwhile then also when while after before as if in on at
    by for with from of to this that these those his her its their our my your mr mrs ms dr prof sir
    monday tuesday wednesday thursday friday saturday sunday yesterday today tonight earlier later
    former late acting outgoing incoming i we you they it there here what who some many most all both each few
    several other others such no none any every during under despite since until amid through without within
    across against among around between about""".split()
)
_TOKEN = re.compile(r"[^\s]+")


@lru_cache(maxsize=65536)
def tokens(name: str) -> tuple[str, ...]:
    """The name's tokens without trailing dots or possessive endings."""
    return tuple(_tokens(name))


def _tokens(name: str) -> list[str]:
    out = []
    for t in _TOKEN.findall(name):
        t = t.strip(".,;:").replace("’", "'")
        if t.endswith("'s"):
            t = t[:-2]
        if t:
            out.append(t)
    return out


def tokens_match(a: str, b: str) -> bool:
    """Rule 1: equal, or same first letter and alike in sound (Metaphone) or spelling (ratio >= 80)."""
    if _acronym(a) or _acronym(b):
        return a.lower() == b.lower()  # acronyms only match themselves: HHS is not House
    a, b = a.lower(), b.lower()
    if a == b:
        return True
    if not a or not b or a[0] != b[0] or not a.isalpha() or not b.isalpha():
        return False
    from rapidfuzz import fuzz

    return _sound(a) == _sound(b) or fuzz.ratio(a, b) >= 80


@lru_cache(maxsize=65536)
def _sound(token: str) -> str:
    import jellyfish

    return jellyfish.metaphone(token)


class TokenSet:
    """Name tokens, for fast 'does any of them match this token?' questions (equal or same sound)."""

    def __init__(self, toks: Iterable[str]) -> None:
        toks = [t for t in toks if t]
        self.exact = {t.lower() for t in toks}
        self.sounds = {(t[0].lower(), _sound(t.lower())) for t in toks if t.isalpha() and not _acronym(t)}

    def __contains__(self, token: str) -> bool:
        t = token.lower()
        if t in self.exact:
            return True
        return token.isalpha() and not _acronym(token) and (t[0], _sound(t)) in self.sounds


def _acronym(token: str) -> bool:
    return len(token) > 1 and token.isupper()


def same_full_name(a: str, b: str) -> bool:
    """Rule 2: same number of tokens, each matching its counterpart."""
    ta, tb = tokens(a), tokens(b)
    return len(ta) == len(tb) > 1 and all(tokens_match(x, y) for x, y in zip(ta, tb))


def could_be(short: str, full: str) -> bool:
    """Whether a one-token name may refer to the full name (rule 1 against any of its tokens)."""
    return any(tokens_match(short, t) for t in tokens(full))


def group(names: Iterable[str], mentions: Iterable[str] = ()) -> dict[str, str]:
    """{surface form: canonical name} for one article's speaker names (``mentions``: other full names seen)."""
    names = [n for n in names if n]
    counts = Counter(names)
    spoken = TokenSet(t for n in names for t in tokens(n))
    # Only mentions sharing a token (or its sound) with a speaker's name can matter; the rest are skipped (speed).
    mentions = [m for m in mentions if any(t in spoken for t in tokens(m))]
    fulls = [n for n in dict.fromkeys([*names, *mentions]) if len(tokens(n)) > 1]
    singles = [n for n in dict.fromkeys(names) if len(tokens(n)) == 1]

    # Rule 2: clusters of full names.
    clusters: list[list[str]] = []
    for f in fulls:
        home = next((c for c in clusters if any(same_full_name(f, g) for g in c)), None)
        if home is None:
            clusters.append([f])
        else:
            home.append(f)
    # Rule 3: one-token names join the one full-name cluster they fit.
    loose: list[str] = []
    for s in singles:
        exact = [c for c in clusters if any(s.lower() in (t.lower() for t in tokens(f)) for f in c)]
        fits = exact or [c for c in clusters if any(could_be(s, f) for f in c)]
        if len(fits) == 1:
            fits[0].append(s)
        elif not fits:
            loose.append(s)
        else:
            clusters.append([s])  # ambiguous: its own group
    # Rule 4: leftover one-token names group among themselves.
    for s in loose:
        home = next((c for c in clusters
                     if all(len(tokens(x)) == 1 for x in c) and any(tokens_match(s, x) for x in c)), None)
        if home is None:
            clusters.append([s])
        else:
            home.append(s)

    out: dict[str, str] = {}
    order = {n: i for i, n in enumerate(dict.fromkeys([*names, *fulls]))}
    for c in clusters:
        if not any(x in counts for x in c):
            continue  # a mentioned full name nobody quoted
        canonical = min(c, key=lambda x: (-len(tokens(x)), -counts[x], order.get(x, 0)))
        for x in c:
            out[x] = canonical
    return out


def split_title(run: str) -> tuple[str, list[str]]:
    """('Ren Zhangvi', ['huawei', 'ceo']) from 'Huawei CEO Ren Zhangvi': the name and the title words before it."""
    name, title = _split_title(run)
    return name, list(title)


@lru_cache(maxsize=65536)
def _split_title(run: str) -> tuple[str, tuple[str, ...]]:
    toks = run.split()
    cut = 0
    for i, t in enumerate(toks[:-1]):
        low = t.lower().strip(".")
        if low in TITLE_WORDS or low.endswith(("'s", "’s")):
            cut = i + 1
    while cut < len(toks) and toks[cut].lower().strip(".") in LEADING:
        cut += 1
    title: tuple[str, ...] = ()
    toks = toks[cut:]
    if len(toks) >= 4:  # 'National Taxpayer Advocate Erin Collins': an unknown title before a two-word name
        keep = 3 if toks[-1].strip(".").lower() in _SUFFIXES else 2
        title, toks = title + tuple(toks[:-keep]), toks[-keep:]
    name = " ".join(toks).strip(" ,")
    name = re.sub(r"['’]s$", "", name)  # "Charles III's"
    last = name.split()[-1] if name else ""
    if last.lower().strip(".") in TITLE_WORDS and (len(name.split()) == 1 or last.isupper()):
        name = ""  # 'The President', 'Huawei CEO': a role, not a name ('Stephen King' stays a name)
    elif " " not in name and (name.lower() in GROUPS or name.lower()[:-1] in TITLE_WORDS and name.endswith("s")):
        name = ""  # 'Officials', 'Experts', 'Police': a group, nobody in particular
    words = [t.lower().strip(".").replace("’", "'").removesuffix("'s") for t in (*run.split()[:cut], *title)]
    return name, tuple(t for t in words if t and t not in LEADING - {"former"})


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv"}
GROUPS = frozenset("""officials authorities experts police researchers scientists critics residents witnesses doctors
    lawmakers prosecutors investigators sources economists students parents officers democrats republicans people fans
    organizers organisers protesters activists voters workers employees leaders users customers analysts observers
    regulators historians""".split())

# Titles and roles: words that introduce a person's name ("US President Joe Biden") or stand for one
# ("the president of Huawei").
TITLE_WORDS = frozenset(
    """president vice ceo cfo coo cto chief executive founder co-founder cofounder chairman chairwoman chair
    spokesman spokeswoman spokesperson minister premier chancellor secretary director official head leader
    governor gov atty supt cmdr mayor senator sen rep representative congressman congresswoman lawmaker speaker
    analyst economist
    professor prof ambassador envoy general gen commander manager coach king queen prince princess pope judge
    justice attorney prosecutor mr mrs ms dr sir lord dame deputy boss owner adviser advisor strategist
    researcher scientist author actor actress singer player captain officer commissioner sheriff candidate
    nominee chairperson treasurer economist diplomat inspector superintendent counsel lt col capt sgt adm
    farmer teacher nurse doctor lawyer student resident worker driver pastor rev reverend bishop rabbi imam chef
    artist musician rapper writer journalist reporter editor host anchor designer engineer investor entrepreneur
    activist organizer volunteer veteran witness suspect defendant plaintiff""".split()
)
