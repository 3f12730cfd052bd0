"""Who said what: attributed statements in an article's text, with character offsets into it.

Patterns (S: a name, 'he'/'she', or a role such as 'the president of Huawei'; V: a speech verb):
  direct     "…," S V   |  "…," V S  |  S V, "…"  |  S V: "…"  |  "…," according to S
  reported   S V (that) CLAUSE  |  S V <up to 8 words> that CLAUSE  |  According to S, CLAUSE  |  CLAUSE, according to S
             S …, and V that CLAUSE  |  …, V-ing (that) CLAUSE  (the last two: the sentence's speaker or subject)
A direct quote with no attribution next to it stays unattributed (speaker None); so do pronouns and roles that
cannot be resolved (see `_Resolver`). Canonical names come from `names.group` (one article at a time).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from ..text.sentences import split_sentences
from . import names as nm

# -- speakers -------------------------------------------------------------------------------------
_ABBR = r"(?:Mr|Mrs|Ms|Dr|Prof|Sen|Rep|Gov|Gen|Lt|Col|Capt|Sgt|Adm|Jr|Sr|St)\."
_TOK = rf"(?:(?:[A-Z]\.){{2,}}|{_ABBR}|[A-Z]\.|[A-ZÀ-ÖØ-Þ][\w’'\-]*)"
_PARTICLE = r"(?:de|da|di|du|van|von|der|den|bin|ibn|al|el|la|le|del|dos)"
_S = r"[ \t\u00a0]+"  # a name never spans a line break ('Getty Images' caption, then 'Some say ...')
NAMED = rf"{_TOK}(?:{_S}(?:{_PARTICLE}{_S})?{_TOK}){{0,5}}"
_ROLE_WORDS = sorted(nm.TITLE_WORDS | {"chief executive", "co-founder", "prime minister", "foreign minister"},
                     key=len, reverse=True)
_ROLE_WORD = "(?i:" + "|".join(re.escape(w) for w in _ROLE_WORDS) + ")"
_FILLER = r"(?:(?!(?:the|a|an|of|and|or|in|at|to|for|with|on|by|from)\b)[\w’'\-]+{_S})".replace("{_S}", _S)
ROLE = (rf"(?:[Tt]he|[Aa]n?|[Hh]is|[Hh]er|[Ii]ts|[Tt]heir|{_TOK}['’]s){_S}{_FILLER}{{0,3}}?{_ROLE_WORD}\b"
        rf"(?:{_S}(?:of|for|at){_S}(?:the{_S})?{NAMED})?")
PRONOUN = r"\b(?:[Hh]e|[Ss]he)\b"
SPK = rf"(?:{ROLE}|{PRONOUN}|{NAMED})"

# -- speech verbs ---------------------------------------------------------------------------------
# SAY verbs may take a bare clause ("Ren said he welcomed ..."); THAT verbs only introduce speech with "that".
SAY = ("said says say added adds stressed stresses noted notes explained explains insisted insists argued argues "
       "warned warns wrote writes replied replies responded responds continued recalled observed predicted "
       "cautioned declared declares stated emphasised emphasized emphasises emphasizes hoping hopes hoped asked "
       "joked tweeted").split()
THAT = ("claimed claims denied denies confirmed confirms announced announces acknowledged acknowledges admitted "
        "admits suggested suggests asserted asserts maintained maintains contended contends complained complains "
        "promised promises vowed vows pledged pledges believes believed thinks urged revealed reveals conceded "
        "concedes agreed agrees indicated indicates signalled signaled").split()
_TOLD = (r"told\s+(?!(?:of|about|how|that|what|why)\b)(?:(?:the|a|an)\s+)?(?:news\s+)?[\w’'\-]+"
         r"(?:\s+(?:conference|briefing|agency|newspaper))?")
_POINTED = r"pointed\s+out"
CUE = rf"(?:{_TOLD}|{_POINTED}|" + "|".join(SAY + THAT) + ")"
_AUX = (r"(?:(?:also|then|later|again|repeatedly|has|have|had|is|was|were|would|will|once|previously|further|"
        r"recently|earlier|publicly)\s+){0,2}")
PARTICIPLE = (r"(?:saying|adding|stressing|noting|explaining|insisting|arguing|warning|claiming|emphasi[sz]ing|"
              r"asserting|pointing\s+out|acknowledging|admitting|declaring|suggesting|telling\s+[\w’'\-]+)")
_APPOS = r"(?:,[^,\"“”\n]{1,80},)?"

# 'Huawei founder Ren Zhengfei', 'White House press secretary Karine Jean-Pierre': a lower-case title before a name.
_TITLE_PREFIX = rf"(?:(?:{_TOK}\s+){{0,3}}(?:[a-z][\w\-]*\s+){{0,2}}{_ROLE_WORD}\s+(?=[A-Z]))"
_AFTER = re.compile(
    rf"[\s,]*(?:{_TITLE_PREFIX}?(?P<s1>{SPK}){_APPOS}\s+{_AUX}(?P<c1>{CUE})\b"
    rf"|(?P<c2>{CUE})\s+(?P<s2>{SPK})|(?P<c3>according\s+to)\s+(?P<s3>{SPK}))")
_BEFORE = re.compile(rf"(?<![\w’'])(?P<s>{SPK}){_APPOS}\s+{_AUX}(?P<c>{CUE})(?:\s+[\w’'\-]+){{0,5}}?\s*[,:]\s*$")
_REPORTED = re.compile(rf"(?<![\w’'])(?P<s>{SPK}){_APPOS}\s+{_AUX}(?P<c>{CUE})\b")
_AND_CUE = re.compile(rf"(?:,\s*|\s)and\s+{_AUX}(?P<c>{CUE})\b")
_PART = re.compile(rf",\s*(?:and\s+)?(?P<c>{PARTICIPLE})\b")
_ACC_HEAD = re.compile(rf"(?P<c>[Aa]ccording\s+to)\s+(?P<s>{SPK}),\s*")
_ACC_TAIL = re.compile(rf",\s*(?P<c>according\s+to)\s+(?P<s>{SPK})\s*(?=[.,;]|$)")
_LEAD = re.compile(r"(?:(?:But|And|However|Yet|Still|Meanwhile|Later|Earlier|Instead|Also|So|Then|Now)\b,?\s+"
                   r"|[^,\"“”\n]{1,40},\s+)?")
_SUBJECT = re.compile(rf"{_TITLE_PREFIX}?(?P<s>{SPK}){_APPOS}\s+(?=[a-z])")
_NAMED_SUBJECT = re.compile(rf"{_TITLE_PREFIX}?(?P<s>{NAMED}){_APPOS}\s+(?=[a-z])")
_PRONOUN_RE = re.compile(PRONOUN)
_ROLE_RE = re.compile(ROLE)
_THAT = re.compile(r"^((?:[\w’'\-]+\s+){0,8}?)that\s+")
_NOT_CLAUSE = re.compile(r"^(?:in|on|at|during|to|after|before|via|through|with|from|by|of|for|about|late|early|"
                         r"last|this|"
                         r"earlier|later|when|while|as|under|into|over|according|if)\b", re.I)
_TAIL_END = re.compile(r"(?:\s+(?:on|in|at|during|last|this|late|early|later|in\s+a)\b[^,.;!?\"“”]{0,40})?"
                       r"\s*(?:[.;!?]|,\s*(?:without|before|after|but|adding|saying)\b|$)")
_BREAK = re.compile(r",\s*(?:without|before|after|but\s+declined|according\s+to)\b|\s*[(\[]")
_RUN = re.compile(rf"(?<![\w’'])(?=[A-ZÀ-ÖØ-Þ])(?:{NAMED})")
_GENERIC_ORGS = {"company", "firm", "group", "government", "ministry", "country", "state", "agency", "bank", "team",
                 "party", "club", "organisation", "organization", "department", "office", "administration", "city"}
_DETERMINERS = {"the", "a", "an", "his", "her", "its", "their"}
_LEADER = {"president", "ceo", "chief", "executive", "founder", "co-founder", "cofounder", "chairman", "chairwoman",
           "chair", "head", "boss", "leader", "owner", "premier", "chancellor", "chairperson"}
_WORDS = re.compile(r"[A-Za-z]+")
_CUE_WORDS = frozenset(SAY + THAT + """told pointed according According saying adding stressing noting explaining
    insisting arguing warning claiming emphasising emphasizing asserting pointing acknowledging admitting declaring
    suggesting telling""".split())
_STANCE = {"hoping", "hopes", "hoped"}
_MIN_WORDS = 3


@dataclass
class Statement:
    """One attributed (or unattributed) statement; offsets index the article text."""

    speaker: str | None  # as written: 'Raine', 'he', 'the president of Huawei'; None = unattributed
    statement: str
    start: int
    end: int
    kind: str  # 'direct' | 'reported'
    cue: str  # 'said', 'added', 'stressing', 'according to' ...
    resolved: str | None = None  # the named person it refers to (pronouns and roles resolved)
    canonical: str | None = None  # the article's canonical name of that person (set by `extract`)
    role: str = field(default="", repr=False)  # 'named' | 'pronoun' | 'role' | ''


def extract(text: str) -> list[Statement]:
    """Every statement of an article, in text order, with speakers resolved and canonical names set."""
    direct, masked = _direct_quotes(text)
    found: list[tuple[int, Statement]] = list(direct)  # (position of the attribution cue, statement)
    fulls, events = _names_in(text)  # events: (position, 'subject'|'mention', name, title)
    positions = [d[0] for d in direct]
    for a, b in split_sentences(text):
        if _CUE_WORDS.intersection(_WORDS.findall(masked, a, b)):
            here = direct[bisect_left(positions, a) : bisect_left(positions, b)]
            found.extend(_reported(text, masked, a, b, here))
        subject = _subject(text, masked, a, b)
        if subject:
            events.append(subject)
    found.sort(key=lambda x: (x[0], x[1].start))
    resolver = _Resolver(events, fulls)
    out = []
    for pos, st in found:
        resolver.resolve(pos, st)
        out.append(st)
    _canonicalize(out, fulls)
    return sorted(out, key=lambda s: (s.start, s.end))


# -- direct quotes --------------------------------------------------------------------------------

def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(open, close) positions of double-quote pairs within each paragraph."""
    spans = []
    for para in re.finditer(r"[^\n]+", text):
        open_at = None
        for m in re.finditer(r"[\"“”]", para.group(0)):
            ch, pos = m.group(0), para.start() + m.start()
            if open_at is None:
                if ch != "”":
                    open_at = pos
            elif ch != "“":
                spans.append((open_at, pos))
                open_at = None
            else:
                open_at = pos  # a stray opening mark: restart from the new one
    return spans


def _direct_quotes(text: str) -> tuple[list[tuple[int, Statement]], str]:
    """Direct quotes (attributed or not), and the text with quotes and their attributions blanked out."""
    out: list[tuple[int, Statement]] = []
    chars = list(text)
    spans = _quote_spans(text)
    for i, (o, c) in enumerate(spans):
        inner_a, inner_b = _strip_span(text, o + 1, c, " ,")
        if inner_b <= inner_a:
            continue
        n_words = len(text[inner_a:inner_b].split())
        para_end = text.find("\n", c)
        para_end = len(text) if para_end < 0 else para_end
        para_start = text.rfind("\n", 0, o) + 1
        next_open = spans[i + 1][0] if i + 1 < len(spans) and spans[i + 1][0] < para_end else para_end
        prev_close = spans[i - 1][1] + 1 if i > 0 and spans[i - 1][1] >= para_start else para_start
        attrib = None
        m = _AFTER.match(text, c + 1, next_open)
        if m and (n_words >= 2 or text[c - 1] in ",?!"):
            sp = m.group("s1") or m.group("s2") or m.group("s3")
            s_at = m.start("s1") if m.group("s1") else m.start("s2") if m.group("s2") else m.start("s3")
            cue = m.group("c1") or m.group("c2") or m.group("c3")
            c_at = m.start("c1") if m.group("c1") else m.start("c2") if m.group("c2") else m.start("c3")
            attrib = (sp, s_at, cue, c_at, c + 1, m.end())
        if attrib is None:
            before = text[prev_close:o]
            m = _BEFORE.search(before)
            if m:
                attrib = (m.group("s"), prev_close + m.start("s"), m.group("c"), prev_close + m.start("c"),
                          prev_close + m.start(), prev_close + m.end())
        for k in range(o, c + 1):
            chars[k] = " " if chars[k] != "\n" else "\n"
        if attrib is None:
            if n_words >= _MIN_WORDS:
                out.append((inner_a, Statement(None, text[inner_a:inner_b], inner_a, inner_b, "direct", "")))
            continue
        sp, s_at, cue, c_at, m_a, m_b = attrib
        for k in range(m_a, m_b):
            if chars[k] != "\n":
                chars[k] = " "
        st = Statement(_clean_speaker(sp), text[inner_a:inner_b], inner_a, inner_b, "direct", _norm_cue(cue))
        out.append((c_at, st))
    return out, "".join(chars)


# -- reported speech ------------------------------------------------------------------------------

def _reported(text: str, masked: str, a: int, b: int,
              direct: list[tuple[int, Statement]]) -> list[tuple[int, Statement]]:
    """Reported statements of one sentence (quotes already blanked out in ``masked``; ``direct``: its quotes)."""
    seg = masked[a:b]
    # (cue start, clause start, clause end or None = up to the next cue, cue, speaker or None = inherited)
    cues: list[tuple[int, int, int | None, str, str | None]] = []
    head = _LEAD.match(seg)
    m = _ACC_HEAD.match(seg, head.end() if head else 0) or _ACC_HEAD.match(seg)
    if m:
        cues.append((m.start("c"), m.end(), None, "according to", m.group("s")))
    for m in _ACC_TAIL.finditer(seg):  # 'CLAUSE, according to X': the clause runs from the sentence start
        cues.append((m.start("c"), 0, m.start(), "according to", m.group("s")))
    for m in _REPORTED.finditer(seg):
        if _speaker_kind(m.group("s")) is None:
            continue
        start = _clause_start(seg, m.start("c"), m.end(), m.group("c"))
        if start is not None:
            cues.append((m.start("c"), start, None, m.group("c"), m.group("s")))
        elif _TAIL_END.match(seg, m.end()) and seg[: m.start()].rstrip().endswith(","):
            # 'CLAUSE, he said.': the clause runs from the sentence start to the comma
            cues.append((m.start("c"), 0, seg.rindex(",", 0, m.start()), m.group("c"), m.group("s")))
    for m in _AND_CUE.finditer(seg):
        start = _clause_start(seg, m.start("c"), m.end(), m.group("c"))
        if start is not None and not any(c[0] == m.start("c") for c in cues):
            cues.append((m.start("c"), start, None, m.group("c"), None))
    for m in _PART.finditer(seg):
        start = _clause_start(seg, m.start("c"), m.end(), "said")
        if start is not None:
            cues.append((m.start("c"), start, None, m.group("c"), None))
    cues.sort()
    out = []
    for i, (cue_at, clause_a, clause_b, cue, spk) in enumerate(cues):
        if clause_b is not None:
            if i > 0 or any(d[0] < a + cue_at for d in direct):
                continue  # a tail attribution after another statement of the sentence: whose clause is it?
        else:
            nxt = [c[0] for c in cues[i + 1 :] if c[0] > clause_a]
            clause_b = min(nxt) if nxt else len(seg)
            brk = _BREAK.search(seg, clause_a, clause_b)
            if brk:
                clause_b = brk.start()
        sa, sb = _strip_span(text, a + clause_a, a + clause_b, " ,.;:—-")
        if sb <= sa or len(text[sa:sb].split()) < _MIN_WORDS or masked[sa:sb].strip() == "":
            continue
        if spk is None:
            earlier = sorted([d for d in direct if d[0] < a + cue_at] + out, key=lambda x: x[0])
            spk = _inherited(earlier, text, masked, a, b)
            if spk is None:
                continue
        out.append((a + cue_at, Statement(_clean_speaker(spk), text[sa:sb], sa, sb, "reported", _norm_cue(cue))))
    return out


def _clause_start(seg: str, cue_at: int, after_cue: int, cue: str) -> int | None:
    """Where the reported clause begins after a cue, or None when no clause follows."""
    rest = seg[after_cue:]
    lead = len(rest) - len(rest.lstrip(" "))
    body = rest[lead:]
    m = _THAT.match(body)
    if m and "," not in m.group(1):
        return after_cue + lead + m.end()
    verb = cue.split()[0].lower()
    if verb in THAT:
        return None
    if verb in _STANCE and re.match(r"(?:for|to)\s", body):
        return cue_at  # 'Rain is hoping for a softer approach': the hope is the statement
    if not body or not body[0].isalnum() or _NOT_CLAUSE.match(body):
        return None
    return after_cue + lead


def _inherited(found: list[tuple[int, Statement]], text: str, masked: str, a: int, b: int) -> str | None:
    """The speaker of a participle or 'and said' clause: the sentence's last speaker, else its subject."""
    if found:
        return found[-1][1].speaker
    subject = _subject(text, masked, a, b, any_kind=True)
    return subject[2] if subject else None


def _subject(text: str, masked: str, a: int, b: int, any_kind: bool = False) -> tuple[int, str, str, list[str]] | None:
    """The sentence's grammatical subject when it is a person-like expression: (pos, 'subject', text, title)."""
    seg = masked[a:b]
    head = _LEAD.match(seg)
    pattern = _SUBJECT if any_kind else _NAMED_SUBJECT
    for start in ([0, head.end()] if head and head.end() else [0]):
        m = pattern.match(seg, start)
        if not m:
            continue
        spk = m.group("s")
        kind = _speaker_kind(spk)
        if kind is None:
            continue
        if any_kind:
            return a + m.start("s"), "subject", spk, []
        if kind == "named":
            name, title = nm.split_title(spk)
            return a + m.start("s"), "subject", name, title
        return None
    return None


def _names_in(text: str) -> tuple[list[str], list[tuple[int, str, str, list[str]]]]:
    """Every multi-token name of the text (titles stripped: evidence for a surname's full form), and the names
    introduced with a title ('US President Joe Biden', 'Huawei founder Ren Zhengfei') as 'mention' events."""
    fulls, mentions = [], []
    for m in _RUN.finditer(text):
        run = m.group(0)
        if " " not in run:  # a lone capitalised word counts only after a lower-case title ('founder Ren')
            word = text[max(0, m.start() - 25) : m.start()].rsplit(None, 1)[-1:]
            if not word or word[0].lower() not in nm.TITLE_WORDS:
                continue
        name, title = nm.split_title(run)
        if not name:
            continue
        if len(nm.tokens(name)) > 1:
            fulls.append(name)
        # title words right before the name ('Huawei founder Ren'), not 'an official with the United Nations'
        for w in reversed(re.split(r"[.!?,;:\n]", text[max(0, m.start() - 40) : m.start()])[-1].split()[-3:]):
            if w.lower() not in nm.TITLE_WORDS and not w[:1].isupper():
                break
            title.append(w.lower().removesuffix("'s").removesuffix("’s"))
        if any(t in nm.TITLE_WORDS for t in title):
            mentions.append((m.start() + run.find(name.split()[0]), "mention", name, title))
    return list(dict.fromkeys(fulls)), mentions


# -- resolution -----------------------------------------------------------------------------------

@dataclass
class _Person:
    pos: int
    name: str
    title: list[str]
    spoke: bool


class _Resolver:
    """Pronouns and roles → the named person they refer to, reading the article in order.

    * A named speaker resolves to itself (title words stripped: 'Huawei CEO Ren Zhangvi' → 'Ren Zhangvi').
    * 'he' / 'she' → the last named person-like speaker, unless another person-like subject opened a sentence
      after that speaker's last statement (then it is ambiguous and stays unresolved).
    * A role ('the president of Huawei', 'the CEO', "the company's founder") → the most recent person whose title
      (the title words in or right before the name: 'Huawei CEO Ren', 'Huawei founder Ren') names the same
      organisation with a compatible role (Huawei CEO ~ president of Huawei), or, without an organisation, all
      the role's words ('the vice president' needs 'Vice President X'). Failing that, a bare leader role ('the
      CEO', 'the founder', "the company's founder") resolves like a pronoun ("the company's ...": first to the
      most recent person titled as a leader). Anything else ('a spokesman for the ministry', 'the former vice
      president', 'the president of Microsoft' with no such person in view) stays unresolved.
    A person-like name has two or more tokens, carries a title, or is a short form of a full name in the article.
    """

    def __init__(self, events: list[tuple[int, str, str, list[str]]], fulls: list[str]) -> None:
        self.events = sorted(events)
        self.subjects = [e for e in self.events if e[1] == "subject"]
        self.full_tokens = nm.TokenSet(t for f in fulls for t in nm.tokens(f))
        self.people: list[_Person] = []
        self.i = 0

    def _advance(self, pos: int) -> None:
        while self.i < len(self.events) and self.events[self.i][0] < pos:
            p, kind, name, title = self.events[self.i]
            if kind == "mention":
                self.people.append(_Person(p, name, title, False))
            self.i += 1

    def person_like(self, name: str, titled: bool = False) -> bool:
        if titled or len(nm.tokens(name)) > 1:
            return True
        return name in self.full_tokens or any(p.title and nm.could_be(name, p.name) for p in self.people)

    def resolve(self, pos: int, st: Statement) -> None:
        self._advance(pos)
        kind = _speaker_kind(st.speaker) if st.speaker else None
        if kind is None:
            st.speaker = None
            return
        st.role = kind
        if kind == "named":
            name, title = nm.split_title(st.speaker)
            st.speaker = name
            st.resolved = name
            self.people.append(_Person(pos, name, title, True))
            return
        if kind == "pronoun":
            st.resolved = self._last_speaker(pos)
            return
        st.resolved = self._role(pos, st.speaker)

    def _last_speaker(self, pos: int) -> str | None:
        last = next((p for p in reversed(self.people) if p.spoke and self.person_like(p.name, bool(p.title))), None)
        if last is None:
            return None
        for p, _, name, title in self.subjects:
            if last.pos < p < pos and self.person_like(name, bool(title)) and not _same(name, last.name):
                return None
        return last.name

    def _role(self, pos: int, role: str) -> str | None:
        words = [w.lower().replace("’", "'") for w in re.findall(r"[\w’'\-]+", role)]
        role_words = [w for w in words if w in nm.TITLE_WORDS]
        orgs = {t.lower() for t in re.findall(r"\b([A-Z][\w\-]*)", role)}
        orgs -= _DETERMINERS
        orgs = {o.removesuffix("'s") for o in orgs} - set(role_words) - _GENERIC_ORGS
        leader = any(w in _LEADER for w in role_words)
        for p in reversed(self.people):
            title = set(p.title)
            if orgs:
                if orgs & title and (set(role_words) <= title or leader and title & _LEADER):
                    return p.name
            elif role_words and set(role_words) <= title:
                return p.name
        others = set(words) - set(role_words) - _DETERMINERS - _GENERIC_ORGS - {w + "'s" for w in _GENERIC_ORGS}
        if orgs or not leader or len(role_words) > 1 or others:
            return None  # 'the president of Microsoft' with no such person in view; 'a spokesman'; 'the former ...'
        if any(w.removesuffix("'s") in _GENERIC_ORGS for w in words):  # "the company's founder": its titled leader
            titled = next((p for p in reversed(self.people) if set(p.title) & _LEADER), None)
            if titled:
                return titled.name
        return self._last_speaker(pos)  # 'the CEO', 'the founder': like a pronoun


def _same(a: str, b: str) -> bool:
    if a == b or nm.same_full_name(a, b):
        return True
    ta, tb = nm.tokens(a), nm.tokens(b)
    if len(ta) == 1 and any(nm.tokens_match(ta[0], t) for t in tb):
        return True
    return len(tb) == 1 and any(nm.tokens_match(tb[0], t) for t in ta)


def _canonicalize(statements: list[Statement], fulls: list[str]) -> None:
    named = [s.resolved for s in statements if s.resolved]
    mapping = nm.group(named, fulls)
    for s in statements:
        if s.resolved:
            s.canonical = mapping.get(s.resolved, s.resolved)


# -- small helpers --------------------------------------------------------------------------------

def _speaker_kind(spk: str) -> str | None:
    """'pronoun', 'role', 'named', or None when the words name nobody ('But', 'It')."""
    if _PRONOUN_RE.fullmatch(spk):
        return "pronoun"
    if _ROLE_RE.fullmatch(spk):
        return "role"
    name, title = nm.split_title(spk)
    if name:
        return "named"
    last = spk.split()[-1].lower().strip(".")
    return "role" if title or last in nm.TITLE_WORDS else None


def _clean_speaker(spk: str) -> str:
    spk = " ".join(spk.split())
    first, _, rest = spk.partition(" ")
    if first in {"The", "A", "An", "His", "Her", "Its", "Their"} and rest and _ROLE_RE.fullmatch(spk):
        spk = first.lower() + " " + rest
    return spk


def _norm_cue(cue: str) -> str:
    return " ".join(cue.lower().split())


def _strip_span(text: str, a: int, b: int, chars: str) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in chars):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in chars):
        b -= 1
    return a, b
