"""The answer stage: everything that decides what the user sees.

  evidence.py    the sentences of the retrieved passages that best answer the question, numbered
  question.py    what the question asks for (type, head noun, unit)
  spans.py       candidate spans of a sentence (spaCy entities and noun phrases, numbers with units)
  candidates.py  distinct candidate phrases from the evidence
  ranker.py      features of each candidate and the fitted linear score (weights.json)
  short.py       the short answer (and yes/no verdicts)
  choices.py     multiple choice
  cite.py        claims, the support test, citations
  compose.py     the answer policy: abstain, lead with the short answer, speaker questions, the final Answer
"""
