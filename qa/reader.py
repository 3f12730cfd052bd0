"""The reader: a short answer phrase and multiple-choice picks, read from the evidence sentences, not from the LLM.

Short answer (`short_answer`):
  1. question analysis: the expected answer type from the wording ('which country' -> country, 'how many
     seconds' -> number with unit 'seconds', 'who' -> person ...), the head noun and the question's terms;
  2. candidates: the spans (`qa.spans`) of the best evidence sentences and passage titles, minus every span
     made only of question words;
  3. ranking: a linear score over features that do not depend on the answers of any set: type fit,
     the sentence's evidence score and rank, closeness to the question's rare words in the same sentence,
     agreement across sentences and articles, the head noun next to the span, recency against as_of.
     The weights (`WEIGHTS`) are fit by `eval/tune_reader.py` with week-held-out cross-validation.
Multiple choice (`choose`): each choice is scored by its support in the evidence (IDF-weighted share of its
distinctive words in sentences that hold the question's rare words, exact phrase matches, agreement with the
short-answer ranking); the best wins unless none is supported at all, then the result is "none".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from .evidence import Candidate
from .spans import MEASURE_UNITS, UNITS, Span, country_of, place_kind, spans_many, strip_span
from .textutil import STOPWORDS, content_words, stem, words
from .types import Passage

Idf = Callable[[Sequence[str]], dict[str, float]]
Embed = Callable[[Sequence[str]], "np.ndarray"]  # unit-length sentence vectors (the Assistant's embedder)

# -- question analysis ------------------------------------------------------------------------------

PERSON_HEADS = set("""celebrity star player singer actor actress official leader president minister politician figure
coach author artist rapper musician billionaire philanthropist member candidate person man woman chef ceo founder
governor senator journalist presenter editor comedian athlete champion tory republican democrat mp judge host pitcher
quarterback driver writer director producer personality royal prince princess king queen son daughter wife husband
investor entrepreneur executive boss anchor novelist poet icon legend winner activist scientist astronaut lawmaker
congressman congresswoman representative spokesperson secretary chancellor mayor monarch pope golfer boxer swimmer
footballer cricketer cyclist runner skater gymnast sprinter cornerback analyst broadcaster illustrator cook model
people individual mogul tycoon heir designer dancer rockstar popstar children child sibling brother sister""".split())
ORG_HEADS = set("""company firm airline team club chain supermarket retailer brand carmaker automaker network newspaper
platform party school university college organization organisation group bank league agency restaurant app service
store manufacturer channel magazine outlet publisher studio startup giant conglomerate charity union business
franchise label band station council court department ministry committee corporation tabloid broadcaster airport
hospital museum gallery zoo website site shop pub hotel maker insurer operator provider exchange""".split())
PLACE_HEADS = {"country": "country", "nation": "country", "countries": "country", "state": "state", "city": "city",
               "town": "city", "capital": "city", "village": "city", "borough": "place", "county": "place",
               "region": "place", "island": "place", "location": "place", "place": "place", "destination": "place",
               "venue": "place", "area": "place", "ocean": "place", "sea": "place", "river": "place",
               "continent": "place", "province": "place", "territory": "place", "neighborhood": "place"}
TITLE_HEADS = set("""song film movie book novel show series sitcom album tour podcast mission name title game programme
program play musical documentary hurricane storm rule law bill operation campaign award prize festival nickname
character painting slogan hashtag term word phrase""".split())
DATE_HEADS = {"year", "date", "day", "month", "decade", "century"}
MONEY_HEADS = {"cost", "price", "value", "worth", "fee", "fine", "salary", "budget", "sum", "amount", "bill", "pay"}
NUMBER_HEADS = {"magnitude", "number", "age", "score", "temperature", "speed", "distance", "height", "weight", "rate",
                "population", "total", "mark", "record", "tally"}
TYPE_PHRASE = {"person": "a person", "org": "a company or organisation", "country": "a country", "state": "a US state",
               "city": "a city", "place": "a place", "title": "a name or title", "date": "a year"}
KNOWN_HEADS = PERSON_HEADS | ORG_HEADS | set(PLACE_HEADS) | TITLE_HEADS
AUX = set("""is was are were did does do has have had will would can could should may might be been being of in on
to for at from by with that this about as into after before than""".split())
TYPES = ("person", "org", "country", "state", "city", "place", "number", "money", "percent", "date", "duration",
         "title", "yesno", "thing")


@dataclass
class QuestionInfo:
    """What the question asks for: answer type, head noun, unit (for numbers), and its terms."""

    text: str
    type: str
    head: str = ""  # the noun the question asks about ('breed', 'airline'), stemmed
    unit: str = ""  # 'how many seconds' -> 'seconds'
    terms: list[str] = field(default_factory=list)  # stemmed content words
    vocab: set[str] = field(default_factory=set)  # every word of the question, raw and stemmed
    plural: bool = False  # 'which two ...', 'which teams ...': the answer may be 'A and B'
    approx: bool = False  # 'approximately how many': quizzes round the number
    kind: str = ""  # the words naming what is asked for ('festive crop', 'a country'), compared with candidates


_TRUE_FALSE = re.compile(r"\btrue or false\b|\b(?:true|false)\s*[:?]", re.I)
_YESNO_OPENER = re.compile(r"^\s*(?:will|would|did|does|do|is|are|was|were|has|have|had|can|could|should)\s")


def _ask_clause(question: str) -> str:
    """The sentence of the question that asks (the last one with a wh-word, or a trailing 'titled:' stub)."""
    parts = [p for p in re.split(r"(?<=[.?!])\s+(?=[A-Z\"“‘'])", question.strip()) if p]
    for p in reversed(parts):
        if re.search(r"\b(what|which|who|whom|whose|where|when|how|true or false)\b", p, re.I) or p.rstrip().endswith(":"):
            return p
    return parts[-1] if parts else question


def analyse(question: str) -> QuestionInfo:
    """Expected answer type, head noun, unit and terms of a question."""
    ask = _ask_clause(question)
    low = ask.lower().replace("’", "'").replace("‘", "'")
    low = re.sub(r"\b(what|who|where|when|how)'s\b", r"\1 is", low)
    toks = re.findall(r"[a-z0-9][a-z0-9'\-&]*", low)
    qtype, head, unit, many = "thing", "", "", False
    kind_words: list[str] = []

    def after(word: str, n: int = 6) -> list[str]:
        idx = [i for i, t in enumerate(toks) if t == word]
        return toks[idx[0] + 1: idx[0] + 1 + n] if idx else []

    first = re.search(r"\b(what|which|who|whom|whose|where|when|how)\b", low)
    wh = first.group(1) if first else ""
    if re.search(r"\btrue or false\b", low) or re.search(r"\b(true|false)\s*[:?]", low) or (
            _YESNO_OPENER.match(low) and not re.search(r"\bor\b", low)):  # "Will Huawei sell ...?" (not "Is it A or B?")
        qtype = "yesno"
    elif re.search(r"\bwhat (percentage|percent|proportion|share)\b|\bhow many percent", low):
        qtype = "percent"
    elif re.search(r"\bhow much\b", low):
        nxt = after("much", 1)
        qtype = "number" if nxt and nxt[0] in MEASURE_UNITS else "money"
        unit = nxt[0] if qtype == "number" else ""
    elif re.search(r"\bhow many\b", low):
        qtype = "number"
        span = []
        for t in after("many", 4):
            if t in AUX or t in STOPWORDS:
                break
            span.append(t)
        unit = span[-1] if span else ""
        if unit in UNITS["time"]:
            qtype = "duration"
    elif wh == "how" and re.search(r"\bhow long\b", low):
        qtype = "duration"
    elif wh == "how" and re.search(r"\bhow (fast|far|high|big|old|tall|heavy|hot|cold|deep|large)\b", low):
        qtype = "number"
    elif re.search(r"\b(what|which) year\b", low) or wh == "when":
        qtype, head = "date", "year"
    elif re.search(r"\bwhat (is|was) the name\b|\bwhat is it called\b|\bcalled\?|\btitled\b|\bknown as\b", low):
        qtype = "title"
    elif wh in ("which", "what"):
        i = toks.index(wh) if wh in toks else 0
        rest = toks[i + 1: i + 10]
        if len(rest) > 1 and rest[0] in {"is", "was", "are", "were"}:  # 'which is the only US airline ...'
            rest = rest[2:] if rest[1] in {"the", "a", "an"} else rest[1:]
        if len(rest) > 1 and rest[0] == "of":  # 'which of Donald Trump's children'
            rest = rest[1:]
            while rest and (rest[0] in {"the", "these", "those", "their", "his", "her", "its"} or rest[0].endswith("'s")):
                rest = rest[1:]
        if len(rest) > 2 and rest[0] in {"type", "kind", "sort", "form"} and rest[1] == "of":
            rest = rest[2:]
        span = []
        for t in rest[:6]:
            if t.endswith("ly"):
                continue
            if t in AUX or t in {"the", "a", "an"} or (span and t.endswith("ed")):
                break
            span.append(t)
        for t in span:  # the last word of the phrase that names a kind wins ('tabloid newspaper editor')
            s = t[:-1] if t.endswith("s") and not t.endswith("ss") and t[:-1] in KNOWN_HEADS else stem(t)
            kind = ("place", PLACE_HEADS.get(t, PLACE_HEADS.get(s))) if (t in PLACE_HEADS or s in PLACE_HEADS) else \
                ("person", None) if (t in PERSON_HEADS or s in PERSON_HEADS) else \
                ("org", None) if (t in ORG_HEADS or s in ORG_HEADS) else \
                ("title", None) if (t in TITLE_HEADS or s in TITLE_HEADS) else \
                ("date", None) if t in DATE_HEADS else ("percent", None) if t in {"percentage", "percent"} else \
                ("money", None) if t in MONEY_HEADS else ("number", None) if t in NUMBER_HEADS else None
            if kind:
                qtype, head = (kind[1] if kind[0] == "place" else kind[0]), s
                many = t != s and t.endswith("s") and "'" not in t and qtype in {"person", "org", "country", "state", "city", "place"}
            if (t.endswith("'s") or t.endswith("s'")) and kind and kind[0] in {"place", "org"}:
                break  # 'which state's governor' asks for the state
        if head == "" and span and span[0] not in {"it", "they", "he", "she", "this", "that", "these", "those"}:
            head = stem(span[min(len(span), 2) - 1])
        kind_words = [t for t in span if t not in {"two", "three", "both", "new", "recent", "latest"}]
    elif wh == "where":
        qtype = "place"
    elif wh in ("who", "whom", "whose"):
        qtype = "person"
    raw = set(words(question))
    vocab = raw | {stem(w) for w in raw} | {w.replace("'s", "") for w in raw}
    plural = bool(re.search(r"\b(which|what) (two|both|three|pair)\b", low)) and qtype not in {
        "number", "money", "percent", "duration", "date", "yesno"}
    plural = plural or many
    approx = bool(re.search(r"\b(approximately|about|around|roughly|nearly|almost|estimated)\b", low))
    kind = " ".join(kind_words) if kind_words else TYPE_PHRASE.get(qtype, "")
    return QuestionInfo(question, qtype, head, unit, content_words(question), vocab, plural, approx, kind)


# -- candidates ---------------------------------------------------------------------------------------

@dataclass
class Mention:
    """One occurrence of a candidate answer in a sentence (or a passage title)."""

    sentence: Candidate
    rank: int  # rank of the sentence among the evidence candidates (0 = best)
    span: Span
    in_title: bool = False


@dataclass
class AnswerCandidate:
    """A distinct answer phrase with its mentions, features and score."""

    text: str
    key: str
    label: str
    mentions: list[Mention] = field(default_factory=list)
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0
    labels: dict[str, int] = field(default_factory=dict)  # how often each span label was seen (labellers disagree)


@dataclass
class ShortAnswer:
    """The short answer phrase, the evidence sentence it was read from, the expected type and the score."""

    text: str
    candidate: Candidate
    type: str
    score: float
    alternatives: list[AnswerCandidate] = field(default_factory=list)


_TOKEN = re.compile(r"\d+(?:[.,]\d+)+[A-Za-z]*|[A-Za-z0-9][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z0-9]")  # 8.5bn, 1,200: one token


def _key(text: str) -> str:
    """Grouping key of a phrase: lower-case words, no leading 'the', no punctuation."""
    w = [x.replace("’", "'") for x in words(text)]
    if w and w[0] == "the":
        w = w[1:]
    return " ".join(w)


def _clean(text: str, label: str) -> str:
    t = strip_span(text)
    t = t.strip("\"“”‘’'")
    if label == "PERCENT":
        t = re.sub(r"\s?(?:percent|per cent)$", "%", t, flags=re.I)
    return t


def _trim_question_words(text: str, q: QuestionInfo) -> str:
    """Remove question words at either edge of a phrase ('Hurricane Ian' for 'which hurricane' -> 'Ian')."""
    toks = text.split()

    def inq(t: str) -> bool:
        w = t.lower().strip(".,;:'\"’").replace("’", "'").removesuffix("'s")
        return w in q.vocab or stem(w) in q.vocab or (t.islower() and w in STOPWORDS)
    while toks and inq(toks[0]):
        toks.pop(0)
    while toks and inq(toks[-1]):
        toks.pop()
    return " ".join(toks)


def without_question_unit(text: str, q: QuestionInfo) -> str:
    """'187' for 'how many minutes …?' when the phrase read is '187 minutes': the quiz answer does not repeat the unit
    the question names."""
    if q.type not in {"number", "duration"} or not q.unit:
        return text
    toks = text.split()
    if len(toks) > 1 and any(ch.isdigit() for ch in " ".join(toks[:-1])) and stem(toks[-1].lower()) == stem(q.unit.lower()):
        return " ".join(toks[:-1])
    return text


def _in_question(text: str, q: QuestionInfo) -> float:
    """Share of the phrase's words that the question already contains."""
    w = [x for x in words(text) if x not in STOPWORDS or x.isdigit()]
    if not w:
        return 1.0
    return sum(x in q.vocab or stem(x) in q.vocab for x in w) / len(w)


def gather(q: QuestionInfo, ranked: Sequence[Candidate], passages: Sequence[Passage], *, top: int = 25,
           extractor: str = "spacy", spans_fn: Callable[[Sequence[str]], list[list[Span]]] | None = None
           ) -> list[AnswerCandidate]:
    """Distinct candidate phrases from the best ``top`` sentences and the passages' titles."""
    sents = list(ranked[:top])
    titles: list[tuple[Candidate, int]] = []
    seen_titles: set[str] = set()
    for i, p in enumerate(passages):
        if p.title and p.title not in seen_titles and not p.title.startswith("Quiz evidence"):
            seen_titles.add(p.title)
            best = min((r for r, c in enumerate(sents) if c.passage_index == i), default=len(sents))
            titles.append((Candidate(p.title, p.article_id, 0, 0, i, relevance=0.0, score=0.0), best))
    texts = [c.text for c in sents] + [t.text for t, _ in titles]
    all_spans = (spans_fn or (lambda ts: spans_many(ts, extractor)))(texts)
    found: dict[str, AnswerCandidate] = {}
    for idx, spans in enumerate(all_spans):
        if q.plural:
            spans = spans + _pairs(texts[idx], spans)
        in_title = idx >= len(sents)
        sent, rank = (sents[idx], idx) if not in_title else titles[idx - len(sents)]
        for sp in spans:
            for text, label in _variants(sp, q):
                if not text or len(text) > 80 or len(text.split()) > 8:
                    continue
                if _in_question(text, q) >= 1.0:
                    continue
                key = _key(text)
                if not key:
                    continue
                cand = found.get(key)
                if cand is None:
                    cand = found[key] = AnswerCandidate(text, key, label)
                elif _label_rank(label) > _label_rank(cand.label):
                    cand.label = label
                cand.labels[label] = cand.labels.get(label, 0) + 1
                cand.mentions.append(Mention(sent, rank, sp, in_title))
    _credit_full_names(found)
    return list(found.values())


def _pairs(text: str, spans: Sequence[Span]) -> list[Span]:
    """'A and B' / 'A & B' spans from two names of one kind joined in the text."""
    names = sorted((s for s in spans if s.label in {"PERSON", "ORG", "GPE", "LOC", "NAME", "NORP"}), key=lambda s: s.start)
    out = []
    for a, b in zip(names, names[1:]):
        if re.fullmatch(r"\s*(?:and|&)\s*", text[a.end:b.start]):
            out.append(Span(a.start, b.end, text[a.start:b.end], "PAIR"))
    return out


def _variants(sp: Span, q: QuestionInfo) -> list[tuple[str, str]]:
    """The phrase as written, without the question's own words at its edges, and typed rewrites of it."""
    text = _clean(sp.text, sp.label)
    out = [(text, sp.label)]
    trimmed = _trim_question_words(text, q)
    if trimmed != text:
        out.append((trimmed, sp.label))
    m = re.match(r"^(?:[a-z][\w\-]*\s+)+(?=[A-Z])", text)
    if m and sp.label in {"NP", "NAME"}:  # 'beloved Pumpkin Spice Latte' -> 'Pumpkin Spice Latte'
        out.append((text[m.end():], "NAME"))
    if q.type in {"country", "place"}:
        for part in (text, " ".join(text.split()[:2]), text.split()[0] if text else ""):
            country = country_of(part)
            if country:
                out.append((country, "GPE"))
                break
    return out


def _credit_full_names(found: dict[str, AnswerCandidate]) -> None:
    """'Serena' and 'Williams' mentions also count for 'Serena Williams' (names are shortened after first use)."""
    names = [c for c in found.values() if c.text[:1].isupper() and not any(ch.isdigit() for ch in c.key)]
    by_token: dict[str, list[AnswerCandidate]] = {}
    for c in names:
        for t in set(c.key.split()):
            by_token.setdefault(t, []).append(c)
    for short in names:
        toks = short.key.split()
        if len(toks) != 1 or len(toks[0]) < 3 or toks[0] in STOPWORDS:
            continue
        for full in by_token.get(toks[0], []):
            if full is not short and len(full.key.split()) in (2, 3):
                full.mentions.extend(Mention(m.sentence, m.rank, m.span, m.in_title) for m in short.mentions)


def _label_rank(label: str) -> int:
    return 0 if label in {"NP", "NAME"} else 2 if label == "PAIR" else 1


# -- features ----------------------------------------------------------------------------------------

def type_fit(qtype: str, label: str, text: str, unit: str = "") -> float:
    """How well a span of this label fits the expected answer type (0..1)."""
    if label == "PAIR":
        parts = re.split(r"\s+(?:and|&)\s+", text)
        return min(type_fit(qtype, "GPE" if place_kind(p) else "NAME", p, unit) for p in parts)
    kind = place_kind(text)
    low = text.lower()
    has_digit = any(ch.isdigit() for ch in text)
    if qtype == "person":
        return {"PERSON": 1.0, "NAME": 0.5, "ORG": 0.15, "NORP": 0.1}.get(label, 0.0) if not kind else 0.0
    if qtype == "org":
        return {"ORG": 1.0, "NAME": 0.5, "PRODUCT": 0.5, "FAC": 0.4, "WORK": 0.2, "PERSON": 0.1, "NP": 0.1}.get(label, 0.0) if not kind else 0.05
    if qtype == "country":
        return 1.0 if kind == "country" else 0.2 if label in {"GPE", "NORP"} else 0.0
    if qtype == "state":
        return 1.0 if kind == "state" else 0.2 if label == "GPE" else 0.0
    if qtype == "city":
        return 0.3 if kind == "country" else 0.6 if kind == "state" else 1.0 if label == "GPE" else 0.5 if label in {"LOC", "FAC"} else 0.2 if label == "NAME" else 0.0
    if qtype == "place":
        return 1.0 if label in {"GPE", "LOC"} else 0.7 if label == "FAC" else 0.4 if label in {"NAME", "ORG"} else 0.1 if label == "NP" else 0.0
    if qtype == "number":
        if label == "QUANTITY":
            return 1.0 if unit and unit in low else 0.6
        return {"NUMBER": 0.8, "MONEY": 0.2, "PERCENT": 0.1, "DATE": 0.1}.get(label, 0.0)
    if qtype == "money":
        return {"MONEY": 1.0, "NUMBER": 0.3}.get(label, 0.0)
    if qtype == "percent":
        return {"PERCENT": 1.0, "NUMBER": 0.2}.get(label, 0.0)
    if qtype == "date":
        return 1.0 if label == "DATE" and re.fullmatch(r"(1[89]|20)\d\d", text) else 0.6 if label == "DATE" else 0.1 if label == "NUMBER" else 0.0
    if qtype == "duration":
        if label == "QUANTITY":
            return (1.0 if not unit or unit.rstrip("s") in low else 0.7) if any(u in low.split() for u in UNITS["time"]) else 0.3
        return {"DATE": 0.5, "NUMBER": 0.3, "TIME": 0.5}.get(label, 0.0)
    if qtype == "title":
        return {"WORK": 1.0, "EVENT": 0.8, "PRODUCT": 0.7, "NAME": 0.7, "LAW": 0.7, "ORG": 0.5, "PERSON": 0.2, "NP": 0.2}.get(label, 0.0)
    if qtype == "yesno":
        return 0.0
    # a common-noun phrase
    if has_digit:
        return 0.05
    return {"NP": 1.0, "PRODUCT": 0.8, "NAME": 0.6, "EVENT": 0.6, "NORP": 0.5, "WORK": 0.5, "ORG": 0.4, "GPE": 0.2,
            "LOC": 0.3, "FAC": 0.4, "PERSON": 0.1, "LAW": 0.4, "DATE": 0.05}.get(label, 0.0)


def _positions(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), stem(m.group(0))) for m in _TOKEN.finditer(text)]


def featurize(q: QuestionInfo, cands: list[AnswerCandidate], passages: Sequence[Passage], as_of: str | None,
              weights_idf: dict[str, float], embed: Embed | None = None) -> None:
    """Fill each candidate's feature dict (values roughly 0..1)."""
    sims = _similarities(q, cands, embed)
    total_idf = sum(weights_idf.get(t, 1.0) for t in set(q.terms)) or 1.0
    pos_cache: dict[int, list[tuple[int, int, str]]] = {}
    ref = _date(as_of)
    head = q.head
    for c in cands:
        f = dict.fromkeys(FEATURES, 0.0)
        fits = {lab: type_fit(q.type, lab, c.text, q.unit) for lab in (c.labels or {c.label: 1})}
        n_lab = sum((c.labels or {c.label: 1}).values())
        f["type"] = max(fits.values())
        f["type_mean"] = sum(fits[lab] * k for lab, k in (c.labels or {c.label: 1}).items()) / n_lab
        sent_scores: dict[tuple[str, int], float] = {}
        arts: set[str] = set()
        best_rank = 10_000
        for m in c.mentions:
            s = m.sentence
            if m.in_title:
                f["title"] = 1.0
                arts.add(s.article_id)
                best_rank = min(best_rank, m.rank)
                continue
            sent_scores[(s.article_id, s.start)] = s.score
            arts.add(s.article_id)
            best_rank = min(best_rank, m.rank)
            f["best"] = max(f["best"], s.score)
            toks = pos_cache.setdefault(id(s), _positions(s.text))
            a = next((i for i, t in enumerate(toks) if t[1] > m.span.start), len(toks))
            b = next((i for i, t in enumerate(toks) if t[0] >= m.span.end), len(toks))
            near, seen = 0.0, set()
            for i, (_, _, st) in enumerate(toks):
                if a <= i < b or st not in q.terms or st in seen:
                    continue
                seen.add(st)
                d = a - i if i < a else i - b + 1
                near += weights_idf.get(st, 1.0) / (1.0 + d / 4.0)
            f["near"] = max(f["near"], near / total_idf)
            tight = {st for _, _, st in toks[max(0, a - 3): a] + toks[b: b + 3] if st in q.terms}
            f["tight"] = max(f["tight"], sum(weights_idf.get(st, 1.0) for st in tight) / total_idf)
            if head:
                window = [t[2] for t in toks[max(0, a - 4): b + 4]]
                if head in window:
                    f["head"] = 1.0
            numeric = any(ch.isdigit() for ch in c.text) or c.label in {"NUMBER", "QUANTITY", "MONEY", "PERCENT"}
            if numeric and q.unit and q.unit.rstrip("s") in (c.text + " " + s.text[m.span.end: m.span.end + 25]).lower():
                f["unit"] = 1.0
            p = passages[s.passage_index] if s.passage_index < len(passages) else None
            if p is not None and ref is not None and p.published:
                pd = _date(p.published)
                if pd is not None and 0 <= (ref - pd).days <= 7:
                    f["recent"] = 1.0
            f["prank"] = max(f["prank"], 1.0 / (1.0 + s.passage_index))
        f["rank"] = 1.0 / (1.0 + best_rank) if best_rank < 10_000 else 0.0
        f["sum"] = math.log1p(sum(sent_scores.values()))
        f["articles"] = math.log1p(len(arts))
        f["mentions"] = math.log1p(len(sent_scores))
        f["qover"] = _in_question(c.text, q)
        n = len(c.text.split())
        f["len1"] = 1.0 if n == 1 else 0.0
        f["len"] = min(n, 6) / 6.0
        f["cap"] = 1.0 if c.text[:1].isupper() else 0.0
        f["pair"] = 1.0 if c.label == "PAIR" else 0.0
        f["round"] = 1.0 if q.approx and _is_round(c.text) else 0.0
        if sims is not None:
            f["sim_kind"], f["sim_q"] = sims[c.key]
        f["type_best"] = f["type"] * f["best"]
        f["type_near"] = f["type"] * f["near"]
        c.features = f
    _nesting(cands)


def _specificity(cands: list[AnswerCandidate], idf: Idf | None) -> None:
    """How rare the candidate's words are in the index ('mustard' over 'food', 'witch' over 'costumes'): the mean and
    the lowest IDF of its content words, on a 0..1 scale (IDF 10 ~ a word found once in 20,000 chunks)."""
    if idf is None:
        return
    bags = [content_words(c.text) or [c.key] for c in cands]
    table = idf(sorted({t for b in bags for t in b}))
    for c, bag in zip(cands, bags):
        vals = [min(table.get(t, 10.0), 10.0) / 10.0 for t in bag]
        c.features["spec"] = sum(vals) / len(vals)
        c.features["spec_min"] = min(vals)


def _nesting(cands: list[AnswerCandidate]) -> None:
    """How candidates nest: 'Rolls-Royce' inside 'Rolls-Royce Spectre' and 'Phantom Rolls-Royce' (the shared core),
    'Title 42' around 'Title' (a longer form that adds a number)."""
    keys = [f" {c.key} " for c in cands]
    for c, k in zip(cands, keys):
        inside = [o for o in keys if o != k and k in o]
        around = [o for o in keys if o != k and o in k]
        c.features["inner"] = math.log1p(len(inside))
        c.features["outer"] = 1.0 if around else 0.0
        c.features["outer_digit"] = 1.0 if any(re.search(r"\d", k.replace(o.strip(), "")) for o in around) else 0.0


FEATURES = ("type", "best", "rank", "near", "head", "unit", "recent", "prank", "sum", "articles", "mentions", "title",
            "qover", "len1", "len", "cap", "type_best", "type_near", "pair", "type_mean", "round", "sim_kind", "sim_q",
            "inner", "outer", "outer_digit", "spec", "spec_min", "tight")

# Fit by `python -m eval.tune_reader fit` on the 8 DEV weeks (week-held-out figures in its report).
WEIGHTS: dict[str, float] = {
    "type": 1.375, "best": 0.4, "rank": 1.02, "near": 1.744, "head": 0.017, "unit": 0.943, "recent": 1.998,
    "prank": 0.651, "sum": 0.95, "articles": -0.235, "mentions": 0.144, "title": 1.102, "qover": -1.286,
    "len1": -0.642, "len": -0.101, "cap": 0.068, "type_best": 1.099, "type_near": 0.594, "pair": 1.771,
    "type_mean": 1.095, "round": 1.514, "sim_kind": 2.985, "sim_q": -0.438, "inner": 0.632, "outer": -0.034,
    "outer_digit": 0.208, "spec": 1.394, "spec_min": 0.497, "tight": 1.312,
}


def _similarities(q: QuestionInfo, cands: list[AnswerCandidate], embed: Embed | None) -> dict[str, tuple[float, float]] | None:
    """Embedding cosine of each candidate with what the question asks for ('festive crop') and with the question."""
    if embed is None or not cands:
        return None
    kind = q.kind or _ask_clause(q.text)
    vecs = embed([kind, _ask_clause(q.text)] + [c.text for c in cands])
    return {c.key: (float(vecs[i + 2] @ vecs[0]), float(vecs[i + 2] @ vecs[1])) for i, c in enumerate(cands)}


def _is_round(text: str) -> bool:
    """'10,000', '3 million', '$300,000', '2.5 million': the numbers a quiz rounds to."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s*(million|billion|trillion|thousand|bn|m|k)?\b", text.lower())
    if not m:
        return False
    digits = m.group(1).replace(",", "")
    if m.group(2):
        return len(digits.replace(".", "")) <= 2
    return bool(re.fullmatch(r"[1-9]\d?0+", digits)) and len(digits) >= 3


def score(cands: list[AnswerCandidate], weights: dict[str, float] | None = None) -> list[AnswerCandidate]:
    """Candidates sorted by their linear score, best first."""
    w = weights or WEIGHTS
    for c in cands:
        c.score = sum(w.get(k, 0.0) * v for k, v in c.features.items())
    return sorted(cands, key=lambda c: (-c.score, c.key))


def _date(value: str | date | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _uniform_idf(terms: Sequence[str]) -> dict[str, float]:
    return {t: 1.0 for t in terms}


def candidates(question: str, ranked: Sequence[Candidate], passages: Sequence[Passage], as_of: str | None = None,
               idf: Idf | None = None, *, q: QuestionInfo | None = None, extractor: str = "spacy",
               spans_fn: Callable[[Sequence[str]], list[list[Span]]] | None = None, top: int = 25,
               weights: dict[str, float] | None = None, embed: Embed | None = None
               ) -> tuple[QuestionInfo, list[AnswerCandidate]]:
    """The analysed question and its scored answer candidates, best first."""
    q = q or analyse(question)
    cands = gather(q, ranked, passages, top=top, extractor=extractor, spans_fn=spans_fn)
    featurize(q, cands, passages, as_of, (idf or _uniform_idf)(sorted(set(q.terms))), embed)
    _specificity(cands, idf)
    return q, score(cands, weights)


_rank = candidates  # `choose` takes a parameter named candidates (the assistant's call)


def short_answer(question: str, ranked: Sequence[Candidate], passages: Sequence[Passage], as_of: str | None = None,
                 idf: Idf | None = None, **kw) -> ShortAnswer | None:  # noqa: ANN003 - passed to candidates()
    """The best-ranked answer phrase with the sentence it came from, or None when no candidate fits."""
    q, ranked_cands = candidates(question, ranked, passages, as_of, idf, **kw)
    if q.type == "yesno":
        verdict, sentence = judge(question, ranked, idf)
        if sentence is None:
            return None
        if not _TRUE_FALSE.search(question):  # "Will X ...?": no one-word answer; the sentence stating it leads
            return ShortAnswer("", sentence, q.type, 1.0 if verdict == "TRUE" else 0.0)
        return ShortAnswer(verdict, sentence, q.type, 0.0)
    if not ranked_cands:
        return None
    best = ranked_cands[0]
    best.text = without_question_unit(best.text, q)
    support = max((m for m in best.mentions if not m.in_title), key=lambda m: m.sentence.score, default=best.mentions[0])
    return ShortAnswer(best.text, support.sentence, q.type, best.score, ranked_cands[:5])


def judge(question: str, ranked: Sequence[Candidate], idf: Idf | None = None, top: int = 10,
          threshold: float = 0.6) -> tuple[str, Candidate | None]:
    """'TRUE' when one of the best sentences states the claim (its rare words and every number), else 'FALSE'."""
    claim = re.sub(r"^.*?\btrue or false\b\s*[:?.-]?\s*", "", question, flags=re.I | re.S)
    terms = sorted(set(content_words(claim)))
    w = (idf or _uniform_idf)(terms)
    total = sum(w.get(t, 1.0) for t in terms) or 1.0
    nums = set(re.findall(r"\d[\d,.]*\d|\d", claim))
    best, best_c = 0.0, None
    for c in ranked[:top]:
        have = set(content_words(c.text))
        toks = _TOKEN.findall(c.text.lower())
        have |= {stem(a + b) for a, b in zip(toks, toks[1:])}  # 'smart phone' covers 'smartphone'
        cover = sum(w.get(t, 1.0) for t in terms if t in have) / total
        if nums and not all(n in c.text for n in nums):
            cover *= 0.5
        if cover > best:
            best, best_c = cover, c
    return ("TRUE" if best >= threshold else "FALSE"), best_c


def yes_no(question: str, ranked: Sequence[Candidate], idf: Idf | None = None) -> str:
    """The verdict of `judge` alone."""
    return judge(question, ranked, idf)[0]


def short_from_text(text: str) -> str:
    """The phrase used for scoring when no typed short answer is found: the first sentence, unmarked."""
    return text.split(". ")[0].strip().rstrip(".")


# -- multiple choice ---------------------------------------------------------------------------------

@dataclass
class ChoiceResult:
    """The picked choice (None = none is supported), the candidate sentence behind it, and every score."""

    index: int | None
    support: Candidate | None
    scores: list[float] = field(default_factory=list)


NEGATED = re.compile(r"\bexcept\b|\bnot one of\b|\bwhich (?:of these |one )?(?:is|was|are|were) not\b|\bnot among\b", re.I)
CHOICE_FEATURES = ("support", "support_near", "phrase", "phrase_n", "words_n", "passage", "answer", "answer_top",
                   "search", "search_top")
# Fit by `python -m eval.tune_reader fit` (multiple-choice part), week-held-out.
CHOICE_WEIGHTS: dict[str, float] = {
    "support": 1.549, "support_near": 0.643, "phrase": 1.019, "phrase_n": 0.718, "words_n": 1.825, "passage": 0.652,
    "answer": 0.829, "answer_top": 1.16, "search": 0.497, "search_top": 0.094,
}


_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
    "eighteen nineteen twenty".split()) if i != 1}  # 'one' is as often a pronoun as a number
_UNIFY = [(re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I), lambda m: _NUMBER_WORDS[m.group(1).lower()]),
          (re.compile(r"(\d)\s*(?:%|\bper ?cent\b)", re.I), lambda m: m.group(1) + "percent"),
          (re.compile(r"([$£€])\s*(?=\d)"), lambda m: {"$": "dollar", "£": "pound", "€": "euro"}[m.group(1)]),
          (re.compile(r"(?<![\w.])(?:U\.K\.|UK|(?:Great )?Britain)(?![\w.])"), lambda m: "United Kingdom"),
          (re.compile(r"(?<![\w.])(?:U\.S\.A?\.?|USA|US|America)(?![\w])"), lambda m: "United States")]


def _unify(text: str) -> str:
    """Choice matching sees 'three months' as '3 months', '15%' as '15percent' and '$15' as 'dollar15' (one word each),
    and 'UK'/'Britain' as 'United Kingdom', 'US'/'America' as 'United States': a '15%' choice is not found in
    '$15 billion', '3 months' is found in 'three months' and 'United Kingdom' in 'the UK'."""
    for pattern, repl in _UNIFY:
        text = pattern.sub(repl, text)
    return text


# Evidence sentences read per multiple-choice question. DEV, week-held-out MC accuracy (eval/tune_reader.py) for
# 10 / 15 / 20 / 25 / 40: 83.8 / 85.0 / 85.8 / 84.2 / 83.8 (quiz-evidence removed, 25 vs 20: 73.8 vs 75.4).
CHOICE_SENTENCES = 20


def _choice_terms(choices: Sequence[str], q: QuestionInfo) -> list[list[str]]:
    """Each choice's distinctive stemmed words: not in the question, not shared by every choice."""
    choices = [_unify(c) for c in choices]
    bags = [[w for w in content_words(c) if w not in q.vocab] or content_words(c) for c in choices]
    common = set.intersection(*(set(b) for b in bags)) if len(bags) > 1 else set()
    return [[w for w in b if w not in common] or b for b in bags]


def _phrase_in(phrase: str, text: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def choice_features(question: str, choices: Sequence[str], ranked: Sequence[Candidate], passages: Sequence[Passage],
                    idf: Idf | None = None, answer_cands: Sequence[AnswerCandidate] = (), top: int = CHOICE_SENTENCES,
                    q: QuestionInfo | None = None, search_scores: Sequence[float] | None = None
                    ) -> tuple[list[dict[str, float]], list[Candidate | None]]:
    """Support features of each choice in the evidence, and the sentence that supports it best."""
    q = q or analyse(question)
    terms = _choice_terms(choices, q)
    vocab = sorted({t for b in terms for t in b} | set(q.terms))
    w = (idf or _uniform_idf)(vocab)
    q_total = sum(w.get(t, 1.0) for t in set(q.terms)) or 1.0
    sents = list(ranked[:top])
    sent_words = [_positions(_unify(c.text)) for c in sents]
    sent_keys = [" " + _key(_unify(c.text)) + " " for c in sents]
    texts = [_unify(p.title + " . " + p.text) for p in passages]
    passage_bags = [set(content_words(t)) for t in texts]
    passage_keys = [" " + _key(t) + " " for t in texts]
    scored = list(answer_cands)
    z = max((c.score for c in scored), default=0.0)
    probs = [math.exp(c.score - z) for c in scored]
    total_p = sum(probs) or 1.0
    feats: list[dict[str, float]] = []
    supports: list[Candidate | None] = []
    for choice, own in zip(choices, terms):
        f = dict.fromkeys(CHOICE_FEATURES, 0.0)
        own_total = sum(w.get(t, 1.0) for t in set(own)) or 1.0
        key = _key(_clean(_unify(choice), ""))
        best_s, best_c = 0.0, None
        for c, toks, skey in zip(sents, sent_words, sent_keys):
            stems = [t[2] for t in toks]
            present = set(stems)
            share = sum(w.get(t, 1.0) for t in set(own) if t in present) / own_total
            if share <= 0:
                continue
            where = [i for i, st in enumerate(stems) if st in own]
            near = 0.0
            for t in set(q.terms):
                pos = [i for i, st in enumerate(stems) if st == t]
                if pos and where:
                    d = min(abs(i - j) for i in pos for j in where)
                    near += w.get(t, 1.0) / (1.0 + d / 4.0)
            s = share * c.relevance
            f["support_near"] = max(f["support_near"], share * near / q_total)
            f["words_n"] += share * c.score
            if key and _phrase_in(key, skey):
                f["phrase"] = max(f["phrase"], c.score)
                f["phrase_n"] += 1.0
            if s > best_s:
                best_s, best_c = s, c
        f["support"] = best_s
        f["words_n"] = math.log1p(f["words_n"])
        f["phrase_n"] = math.log1p(f["phrase_n"])
        for bag, pkey in zip(passage_bags, passage_keys):
            share = sum(w.get(t, 1.0) for t in set(own) if t in bag) / own_total
            f["passage"] = max(f["passage"], share)
            if key and _phrase_in(key, pkey):
                f["passage"] = max(f["passage"], 1.0)
        for c, pr in zip(scored, probs):
            if _overlap(_key(_unify(c.key)), key) >= 0.5:
                f["answer"] = max(f["answer"], pr / total_p)
        if scored and _overlap(scored[0].key, key) >= 0.5:
            f["answer_top"] = 1.0
        feats.append(f)
        supports.append(best_c)
    if search_scores and len(search_scores) == len(feats):
        lo, hi = min(search_scores), max(search_scores)
        for f, sc in zip(feats, search_scores):
            f["search"] = (sc - lo) / (hi - lo) if hi > lo else 0.0
            f["search_top"] = 1.0 if hi > lo and sc == hi else 0.0
    return feats, supports


def _overlap(a: str, b: str) -> float:
    """Token F1 of two keys."""
    ta, tb = a.split(), b.split()
    common = len(set(ta) & set(tb))
    if not common:
        return 0.0
    p, r = common / len(ta), common / len(tb)
    return 2 * p * r / (p + r)


def choose(question: str, choices: Sequence[str], candidates: Sequence[Candidate], passages: Sequence[Passage] = (),
           as_of: str | None = None, idf: Idf | None = None, *, weights: dict[str, float] | None = None,
           extractor: str = "spacy", spans_fn: Callable[[Sequence[str]], list[list[Span]]] | None = None,
           answer_cands: Sequence[AnswerCandidate] | None = None, embed: Embed | None = None,
           search: Callable[[str], float] | None = None) -> ChoiceResult:
    """Pick the choice best supported by the evidence; None when no choice is supported at all.

    'Which of these is NOT ...' / '... except:' questions pick the least supported choice instead.
    """
    if not choices:
        return ChoiceResult(None, None, [])
    q = analyse(question)
    if answer_cands is None:
        answer_cands = _rank(question, candidates, passages, as_of, idf, q=q, extractor=extractor,
                             spans_fn=spans_fn, embed=embed)[1]
    scores_kw = [search(f"{question} {c}") for c in choices] if search else None
    feats, supports = choice_features(question, choices, candidates, passages, idf, answer_cands, q=q,
                                      search_scores=scores_kw)
    return decide(question, choices, feats, supports, candidates, idf, weights)


_TRUE_FALSE_CHOICES = {"true", "false"}


def decide(question: str, choices: Sequence[str], feats: Sequence[dict[str, float]],
           supports: Sequence[Candidate | None], ranked: Sequence[Candidate], idf: Idf | None = None,
           weights: dict[str, float] | None = None) -> ChoiceResult:
    """The pick from the choice features, citing a sentence that mentions it; None when nothing supports any choice.

    TRUE/FALSE choices are decided by `judge` (does a top sentence state the claim?), not by word support.
    """
    w = weights or CHOICE_WEIGHTS
    scores = [sum(w.get(k, 0.0) * v for k, v in f.items()) for f in feats]
    if len(choices) == 2 and {c.strip().lower() for c in choices} == _TRUE_FALSE_CHOICES:
        verdict, sentence = judge(question, ranked, idf)
        if sentence is None:
            return ChoiceResult(None, None, scores)
        return ChoiceResult(next(i for i, c in enumerate(choices) if c.strip().upper() == verdict), sentence, scores)
    supported = [any(v > 0 for k, v in f.items() if not k.startswith("search")) for f in feats]
    if not any(supported):
        return ChoiceResult(None, None, scores)
    best = max(range(len(scores)), key=lambda k: scores[k])
    i = min(range(len(scores)), key=lambda k: scores[k]) if NEGATED.search(question) else best
    support = supports[best] or mentioning(choices[best], question, ranked, idf)
    return ChoiceResult(i, support, scores) if support is not None else ChoiceResult(None, None, scores)


def mentioning(choice: str, question: str, ranked: Sequence[Candidate], idf: Idf | None = None) -> Candidate | None:
    """The evidence sentence holding the most of a choice's distinctive words (ties: the better-ranked sentence)."""
    own = _choice_terms([choice], analyse(question))[0]
    w = (idf or _uniform_idf)(own)
    best, best_c = 0.0, None
    for c in ranked:
        present = set(content_words(_unify(c.text)))
        share = sum(w.get(t, 1.0) for t in set(own) if t in present)
        if share > best:
            best, best_c = share, c
    return best_c
