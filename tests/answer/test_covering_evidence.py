"""Evidence for a composed answer: the story the question is about is read whole, and its sentences are ranked for
the question's shape (fast: the hash embedder, a scripted model)."""

from __future__ import annotations

import json

from qa.answer.evidence import Sentence, cover_scores
from qa.types import Passage

LEAD = "The Lakeview ferry caught fire on Tuesday and the city suspended the service."
PARAGRAPHS = [LEAD] + [
    f"Paragraph {i} of the report describes the harbour, its piers and the boats moored along the quay in detail."
    for i in range(1, 30)
] + ["The repairs will cost 4 million dollars, the transit authority said in a statement."]


def _story(tmp_path):
    path = tmp_path / "ferry.json"
    path.write_text(json.dumps({"id": "ferry", "title": "Lakeview ferry", "published": "2025-03-13",
                                "text": "\n\n".join(PARAGRAPHS)}), encoding="utf-8")
    return path


def _assistant(hash_settings, tmp_path):
    from qa.assistant import Assistant
    from qa.testing import ScriptedReader

    settings = hash_settings.replace(**{"chunking.max_tokens": 64, "chunking.overlap_tokens": 8})
    a = Assistant.open(settings=settings, create=True, generator=ScriptedReader(["x"]))
    a.add([_story(tmp_path)], progress=False)
    return a


def test_the_rest_of_the_story_joins_the_passages_in_reading_order(hash_settings, tmp_path):
    a = _assistant(hash_settings, tmp_path)
    chunks = a.store.chunks_of(["ferry"])
    assert len(chunks) > 8 and {x for x, _ in chunks} == {"ferry"}
    first = a.store.passages([chunks[0][1]])[chunks[0][1]]
    have = {first.chunk_id}
    rest = a.retriever.rest_of([first], 1, have, per_article=3)
    assert [p.chunk_id for p in rest] == [c for _, c in chunks[1:4]]  # the three nearest the retrieved one
    assert have == {c for _, c in chunks[:4]}  # what it added is now had
    assert [p.chunk_id for p in a.retriever.rest_of([first], 1, have, per_article=3)] == [c for _, c in chunks[4:7]]


def test_a_summary_reads_the_story_whole_and_a_fact_question_does_not(hash_settings, tmp_path):
    from qa.answer.pipeline import covering_evidence

    a = _assistant(hash_settings, tmp_path)
    summary = a.retrieve("What do we know about the Lakeview ferry fire?", "What do we know about the Lakeview ferry fire?")
    fact = a.retrieve("When did the Lakeview ferry catch fire?", "When did the Lakeview ferry catch fire?")
    assert summary.shape == "summary" and fact.shape == "fact"
    assert len(summary.ctx.passages) > len(fact.ctx.passages)
    text = " ".join(p.text for p in summary.ctx.passages)
    assert "4 million dollars" in text  # the last paragraph: no word of the question, read because it is the story's
    evidence = covering_evidence(summary, a._services(summary.request))
    assert any(e.text == LEAD for e in evidence)  # the lead
    assert any("4 million" in e.text for e in evidence)  # a figure of the story
    for e in evidence:
        assert a.store.article(e.article_id).text[e.start:e.end] == e.text


def _s(text, score, article="a", start=100):
    return Sentence(text, article, start, start + len(text), 0, score=score)


def test_a_timeline_favours_dated_sentences_a_quote_question_quoted_words_and_repeats_are_left_out():
    p = Passage(1, "a", 0, 0, 10_000, "", "", "", "", "2025-03-13")
    plain = _s("The ferry service was suspended after the fire broke out.", 0.50, start=5000)
    dated = _s("The ferry resumed service on March 3, 2025, after repairs.", 0.45, start=5200)
    quoted = _s("The mayor said: “We will bring the ferry back as soon as it is safe.”", 0.45, start=5400)
    again = _s("The ferry service was suspended after the fire broke out again.", 0.49, start=5600)
    assert cover_scores([plain, dated, quoted, again], [p], "timeline")[0].text == dated.text
    assert cover_scores([plain, dated, quoted, again], [p], "quote")[0].text == quoted.text
    texts = [x.text for x in cover_scores([plain, dated, quoted, again], [p], "explanation")]
    assert plain.text in texts and again.text not in texts  # a near-repeat of a better sentence
    lead = _s("The ferry service was suspended after the fire.", 0.40, start=0)
    assert cover_scores([plain, lead], [p], "summary")[0].text == lead.text  # the story's lead
