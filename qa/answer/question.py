"""Question analysis: what a question asks for (answer type, head noun, unit), its terms and wording.

'which country' -> country, 'how many seconds' -> number with unit 'seconds', 'who' -> person, 'what ... name'
-> title, 'true or false' / 'Will X ...?' -> yes/no, other 'what/which' questions -> a common-noun phrase ('thing').
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..text.sentences import split_sentences
from ..text.tokens import STOPWORDS, content_words, singular, stem, words
from .spans import MEASURE_UNITS, UNITS

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


TRUE_FALSE = re.compile(r"\btrue or false\b|\b(?:true|false)\s*[:?]", re.I)
_YESNO_OPENER = re.compile(r"^\s*(?:will|would|did|does|do|is|are|was|were|has|have|had|can|could|should)\s")


def ask_clause(question: str) -> str:
    """The sentence of the question that asks (the last one with a wh-word, or a trailing 'titled:' stub)."""
    question = question.strip()
    parts = [question[a:b] for a, b in split_sentences(question)]
    for p in reversed(parts):
        if re.search(r"\b(what|which|who|whom|whose|where|when|how|true or false)\b", p, re.I) or p.rstrip().endswith(":"):
            return p
    return parts[-1] if parts else question


def analyse(question: str) -> QuestionInfo:
    """Expected answer type, head noun, unit and terms of a question."""
    ask = ask_clause(question)
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
    if TRUE_FALSE.search(low) or (
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
            s = singular(t)  # the head lists hold singular nouns ('companies' -> 'company')
            kind = ("place", PLACE_HEADS.get(t, PLACE_HEADS.get(s))) if (t in PLACE_HEADS or s in PLACE_HEADS) else \
                ("person", None) if (t in PERSON_HEADS or s in PERSON_HEADS) else \
                ("org", None) if (t in ORG_HEADS or s in ORG_HEADS) else \
                ("title", None) if (t in TITLE_HEADS or s in TITLE_HEADS) else \
                ("date", None) if t in DATE_HEADS else ("percent", None) if t in {"percentage", "percent"} else \
                ("money", None) if t in MONEY_HEADS else ("number", None) if t in NUMBER_HEADS else None
            if kind:
                qtype, head = (kind[1] if kind[0] == "place" else kind[0]), stem(t)
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


