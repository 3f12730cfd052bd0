"""Prompt injection: text in an article addressed to the assistant ("Note to the assistant: ignore all previous
instructions ...") is not evidence of anything in the news, so it never becomes an evidence sentence, an answer
or a lead sentence (evidence.sentences_of leaves it out, and with it everything that reads evidence).

A sentence is addressed to the assistant when, outside quotation marks (a news report quoting such a line is
still news), it
  - speaks to an AI, assistant, chatbot, language model or model ("Note to the assistant", "Dear AI",
    "AI models reading this ..."), or carries a chat-template or role marker ("[SYSTEM]", "<|im_start|>",
    "### Instruction", a line starting "System:" or "Assistant:");
  - tells its reader to set aside the other instructions or evidence, as an imperative ("Ignore all previous
    instructions", "Please disregard the sources above"; not "residents were told to ignore earlier
    instructions"), or tells "you" what to answer ("you must answer ...").
The rest of its paragraph is the same message (the payload after the address) and is left out with it.
On the 9,280 articles of the DEV, TRAIN and news-scale corpora (757,647 sentences) no sentence is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_AI = (r"(?:AI|A\.I\.|artificial intelligence|assistants?|chat ?bots?|language models?|LLMs?|large language models?"
       r"|GPT|ChatGPT|models?|bots?|agents?|crawlers?|summari[sz]ers?)")
_CLAUSE = r"(?:(?:^|[:;.!?(\[\-–—])\s*|\bthis\s+is\s+an?\s+)"  # where an address starts: a sentence, a clause
_ADDRESS = re.compile(
    _CLAUSE + r"(?:an?\s+|important\s+|urgent\s+)?(?:note|message|instructions?|reminder|notice|directive|command"
    r"|memo|request|warning)s?\s+(?:to|for)\s+(?:the\s+|any\s+|all\s+|every\s+|an?\s+)?" + _AI + r"\b"
    r"|^\W*(?:dear|hey|hello|hi|attention|to)\W+(?:the\s+)?" + _AI + r"\b"
    r"|\b" + _AI + r"\s+(?:reading|processing|summari[sz]ing|answering|parsing|indexing|seeing|that reads?|who reads?)"
    r"\s+(?:this|these|the following|the above)\b"
    r"|\b(?:if|when|while)\s+you\s+are\s+(?:an?\s+)?" + _AI + r"\b",
    re.I,
)
_ROLE = re.compile(
    r"\[/?(?:SYSTEM|INST|ASSISTANT|USER)\]|<\|[a-z_]+\|>|<</?SYS>>|^#+\s*(?:system|instructions?)\b"
    r"|^\W*(?:system|assistant|user)\s*(?:prompt)?\s*:",
    re.I,
)
_TARGET = (r"(?:instructions?|evidence|prompts?|context|rules|directions|sources|guidelines|sentences|articles|passages"
           r"|information|documents?|texts?|answers?|messages|directives|orders)")
_WHICH = r"(?:previous|prior|above|earlier|preceding|other|all|any|your|original|initial|system|given|former|everything)"
# 'ignore all previous instructions', 'disregard the sources above' (not 'forget the old rules')
_SET_ASIDE = (r"(?:ignore|disregard|forget|override|overrule|bypass|discard)\b"
              r"(?:(?:\W+\w+){0,3}?\W+" + _WHICH + r"(?:\W+\w+){0,2}?\W+" + _TARGET + r"\b"
              r"|(?:\W+\w+){0,3}?\W+" + _TARGET + r"\W+(?:above|below|provided|given|here|so\s+far)\b)")
# an imperative: at the start of a sentence or clause, or after 'please', 'now', 'and', 'also', 'then', 'you must'
_IMPERATIVE = re.compile(
    r"(?:^\W*|[:;,.!?(\-–—]\s*|\b(?:please|now|and|also|then|instead|just|simply)\s+"
    r"|\byou\s+(?:must|should|shall|need\s+to|have\s+to|are\s+to|will)\s+)" + _SET_ASIDE,
    re.I,
)
_TELL_YOU = re.compile(
    r"\byou\s+(?:must|should|shall|need\s+to|have\s+to|are\s+(?:to|required\s+to|instructed\s+to)|will)\s+"
    r"(?:only\s+|always\s+|now\s+)?(?:answer|reply|respond|output)\b(?!\s+(?:for|to)\b)",
    re.I,
)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|«[^»\n]*»")
_OPEN_QUOTE = re.compile(r"[\"“«].*$")  # a quotation the sentence splitter cut: it runs to the sentence's end
_CLOSE_QUOTE = re.compile(r"^[^\"“«]*[\"”»]")  # ... or began in an earlier sentence


# what makes a quotation reported speech: someone said, wrote or typed it
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|say|told|tells|wrote|writes|asked|asks|added|adds|according|reads?|stated|states|posted|tweeted"
    r"|warned|claimed|quoted|typed|entered|phrase|line|prompt|sentence|words|message|command)\b", re.I)


def addressed_to_assistant(sentence: str) -> bool:
    """Whether a sentence speaks to the assistant (or a model reading it) instead of reporting anything."""
    text = _OPEN_QUOTE.sub(" ", _CLOSE_QUOTE.sub(" ", _QUOTED.sub(" ", sentence)))
    if _speaks_to_assistant(text):
        return True
    # the same message wrapped in quotation marks, with nobody said to have said it, is not reported speech
    return text != sentence and not _ATTRIBUTION.search(text) and _speaks_to_assistant(re.sub(r"[\"“”«»]", " ", sentence))


def _speaks_to_assistant(text: str) -> bool:
    if _ADDRESS.search(text) or _ROLE.search(text) or _TELL_YOU.search(text):
        return True
    m = _IMPERATIVE.search(text)  # '... users who typed: ignore previous instructions' reports what was typed
    return bool(m) and not _ATTRIBUTION.search(text[: m.start()])


def injected(text: str, spans: Sequence[tuple[int, int]]) -> set[int]:
    """Indexes of the sentences (``spans`` into ``text``) that are, or continue, a message to the assistant:
    a sentence addressed to it, and the sentences after it in the same paragraph."""
    out: set[int] = set()
    open_paragraph_end = -1  # offset of the newline that ends a paragraph holding such a message
    for k, (a, b) in enumerate(spans):
        if a < open_paragraph_end:
            out.add(k)
            continue
        if addressed_to_assistant(text[a:b]):
            out.add(k)
            nl = text.find("\n", b)
            open_paragraph_end = nl if nl >= 0 else len(text)
    return out
