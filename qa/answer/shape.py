"""The question's shape, and what the shape asks of retrieval and of the answer.

  fact         who / what / where / when / yes-no: one sentence
  number       how many / how much / what share: one sentence with the figure (reports that differ: both)
  quote        what did X say (about Y): X's own words in quotation marks, with when and where
  explanation  why / how did it happen: 2-4 sentences with who, what, when and the numbers
  summary      what happened / what do we know / summarize: 3-5 sentences
  timeline     in what order / how did X develop / what came next: a dated list, oldest first
  comparison   compare A and B / A versus B / how did X change: each side, then the difference
  choice       multiple choice (the caller gave choices)

A follow-up is classified on the question as asked and, where that says nothing, on the condensed query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .question import ask_clause

SHAPES = ("fact", "number", "quote", "explanation", "summary", "timeline", "comparison", "choice")

_QUOTE = re.compile(
    r"\b(?:what|how)\s+(?:did|does|do|has|have|had|would|will)\s+.{1,60}?\s+(?:say|said|tell|told|write|wrote|"
    r"respond|react|comment|describe|call|put it|argue|warn|claim)\b|\bwhat (?:was|were|is|are) .{1,60}?['’]s? "
    r"(?:reaction|response|comments?|remarks?|words|statement|view|views|position|stance)\b"
    r"|\bquote[sd]?\b|\bin (?:his|her|their) own words\b", re.I)
_COMPARE = re.compile(
    r"\bcompar(?:e|es|ing|ison)\b|\bhow (?:did|does|do) .{1,80}? compared?\b|\bdiffer(?:ence|ences|ed|s)?\b|\bversus\b|"
    r"\bvs\.?\s|\bcontrast\b|"
    r"\bhow (?:has|have|had|did|does|do) .{1,80}? chang(?:e|ed)\b|\bfor and against\b|\bpros and cons\b|\bboth sides\b|\bchanged? (?:from|between|since)\b|\b(?:more|less|fewer|higher|"
    r"lower|bigger|smaller|larger|faster|slower) than (?:in|at|on|before|last|the)\b(?!.*\b(?:which|what|who)\b)|"
    r"\bsimilarit(?:y|ies)\b", re.I)
_TIMELINE = re.compile(
    r"\btimeline\b|\bchronolog|\bin (?:what|which) order\b|\b(?:what|which) (?:came|happened) (?:first|next|last)\b|"
    r"\bsequence of events\b|\bhow did .{1,80}? (?:develop|unfold|evolve|progress|escalate)\b|\bhow did .{1,80}? go from\b|\bwhat (?:has )?happened "
    r"(?:since|after|next|before|then)\b|\bwhat led up to\b|\bwhen .{1,80}?\band what (?:happened|came) (?:next|after|then)\b|"
    r"\bstep by step\b|\bwhat (?:has|have) happened\b.{0,60}\bsince\b|\bkey dates\b|\bhow has .{1,60}? (?:unfolded|developed|evolved)\b|\bwhat (?:were|are) the "
    r"(?:key )?(?:events|steps|milestones)\b", re.I)
_SUMMARY = re.compile(
    r"\bsummar(?:y|ize|ise|ized|ised)\b|\bwhat (?:do|does) (?:we|the articles?|the reports?) (?:know|say)\b|"
    r"\bwhat is known\b|\bwhat (?:has |have )?happened (?:with|to|at|in|on|during|when|after)?\b|\boverview\b|\bbrief me\b|"
    r"\bwhat(?:'s| is) (?:the latest|going on|the story)\b|\btell me about\b|"
    r"\bgive (?:me )?(?:the )?(?:gist|rundown|background)\b|\bwhat are the (?:main|key) (?:points|facts|details)\b", re.I)
_EXPLAIN = re.compile(
    r"^\s*(?:and\s+)?why\b|\bwhy (?:did|do|does|is|are|was|were|has|have|had|would|will|can|could)\b|\bhow come\b|"
    r"\bwhat (?:caused|causes|led to|prompted|triggered|drove|is behind|was behind|explains)\b|\bfor what reason\b|"
    r"\breasons? (?:for|why|behind)\b|\bexplain\b|\bhow (?:did|does|do|could|can|was|were|is|are) .{1,80}? "
    r"(?:happen|work|manage|get|become|end up|escape|succeed|fail|affect|help|hurt|lead)\b|\bhow (?:did|do) (?:they|police|"
    r"authorities|officials|investigators)\b", re.I)
_ASKS_NUMBER = re.compile(
    r"\bhow (?:many|much)\b|\bwhat (?:percentage|percent|proportion|share|fraction|number|amount|total|sum|figure|"
    r"price|cost|toll|rate)\b|\bwhat (?:was|is|were|are) the (?:total|number|amount|cost|price|death toll|toll|"
    r"figure|sum|rate|share|percentage)\b|\bwhat (?:was|is|were|are) the (?:\w+ ){1,2}(?:count|total|tally|toll)\b|\bhow (?:large|big|high|long|far|old)\b", re.I)


@dataclass(frozen=True)
class Plan:
    """What a shape asks of retrieval and of the answer."""

    shape: str
    passages: int  # retrieved passages (0: retrieval.top_k)
    evidence: int  # numbered evidence sentences the model sees
    per_article: int  # sentences of one article at most in the evidence (0: no cap)
    max_sentences: int  # answer sentences at most
    max_tokens: int  # the model's answer, in tokens
    neighbours: bool  # the sentences around the best ones join the evidence (the 'why' is often the next one)
    per_side: int = 0  # comparisons: passages retrieved for 'question + side' per side
    story: int = 0  # the rest of the first `story` articles retrieved joins the passages (Retriever.rest_of)


PLANS = {  # evidence and answer lengths: each sentence of evidence costs the model ~45 tokens to read (~1 s on 2 cores)
    # story, evidence and per_article of the composed shapes fitted on the TRAIN reporter questions
    # (eval/studies/evidence_cover.py; docs/answers.md)
    "fact": Plan("fact", 0, 8, 0, 2, 80, False),
    "number": Plan("number", 0, 8, 0, 2, 90, False),
    "quote": Plan("quote", 10, 12, 0, 4, 150, True, story=2),
    "explanation": Plan("explanation", 10, 12, 0, 4, 150, True, story=2),
    "summary": Plan("summary", 12, 12, 0, 5, 180, True, story=2),
    "timeline": Plan("timeline", 12, 12, 0, 6, 180, False, story=2),
    "comparison": Plan("comparison", 12, 12, 0, 4, 160, False, per_side=4, story=2),
    "choice": Plan("choice", 0, 8, 0, 1, 0, False),
}


def shape_of(question: str, query: str = "", choices: bool = False, speaker: bool = False) -> str:
    """The shape of a question (see the module docstring); ``speaker``: it names someone whose statements the
    quote index holds ('what did X say ...')."""
    if choices:
        return "choice"
    for text in dict.fromkeys([question, query]):
        shape = _shape(ask_clause(text), speaker)
        if shape != "fact" or text == query or not query:
            return shape
    return "fact"


def _shape(text: str, speaker: bool) -> str:
    if speaker or _QUOTE.search(text):
        return "quote"
    if _TIMELINE.search(text):
        return "timeline"
    if _COMPARE.search(text):
        return "comparison"
    if _EXPLAIN.search(text):
        return "explanation"
    if _SUMMARY.search(text):
        return "summary"
    if _ASKS_NUMBER.search(text):
        return "number"
    return "fact"


def plan_for(shape: str) -> Plan:
    return PLANS[shape]


_SIDES = [
    re.compile(r"\bbetween (?P<a>.+?) and (?P<b>.+?)(?:[?.,]|$)", re.I),
    re.compile(r"\bcompar\w* (?P<a>.+?) (?:and|with|to|against) (?P<b>.+?)(?:[?.,]|$)", re.I),
    re.compile(r"(?P<a>[\w$%.,' -]{3,60}?)\s+(?:versus|vs\.?)\s+(?P<b>[\w$%.,' -]{3,60}?)(?:[?.,]|$)", re.I),
    re.compile(r"\b(?:did|do|does|was|were|is|are|has|have|had) (?P<a>.+?) (?:differ|compare) (?:from|with|to) (?P<b>.+?)(?:[?.,]|$)", re.I),
    re.compile(r"\b(?:did|do|does|was|were|is|are) (?P<a>.+?) or (?P<b>.+?)(?:[?.,]|$)", re.I),
]


def sides(question: str) -> list[str]:
    """The two things a comparison compares ('between A and B', 'compare A with B', 'A versus B', 'A or B'), or []."""
    for pattern in _SIDES:
        m = pattern.search(question)
        if m:
            a, b = (" ".join(m.group(x).split()).strip(" ,") for x in ("a", "b"))
            if a and b and a.lower() != b.lower():
                return [a, b]
    return []
