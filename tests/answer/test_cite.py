"""Citation parsing and the support test: unsupported sentences never survive."""

from __future__ import annotations

from qa.answer.cite import (
    SENTINEL,
    build_citations,
    extractive,
    number_citations,
    parse_claims,
    render,
    supports,
    verify,
)
from qa.config import AnswerSettings
from qa.types import Evidence, Passage

S = AnswerSettings()
EV = [
    Evidence(1, "Huawei will not invest in chip technology, the president of Huawei said.", "a1", 100, 170, 0),
    Evidence(2, "Huawei achieved positive growth in revenue and net profit for 2020.", "a1", 200, 266, 0),
    Evidence(3, "The lab in Taiyuan focuses on the mining industry.", "a2", 10, 59, 1),
]


def test_parse_claims_attaches_markers_and_strips_filler():
    claims = parse_claims("The answer to the question is: Huawei will not invest in chips [1]. Revenue grew. [2][3] Done [9]!")
    assert [c.text for c in claims] == ["Huawei will not invest in chips.", "Revenue grew.", "Done!"]
    assert [c.cites for c in claims] == [[1], [2, 3], [9]]


def test_invented_number_is_rejected():
    ok, why = supports("Huawei's revenue grew 12% in 2020.", [EV[1].text], S)
    assert not ok and "12" in why


def test_invented_name_is_rejected_unless_alias():
    ok, why = supports("Ren said Huawei will not invest in chip technology.", [EV[0].text], S)
    assert not ok and "ren" in why
    ok, _ = supports("Ren said Huawei will not invest in chip technology.", [EV[0].text], S, aliases={"ren"})
    assert ok


def test_low_overlap_is_rejected_and_paraphrase_accepted():
    assert not supports("Huawei plans to build factories in Europe.", [EV[0].text], S)[0]
    assert supports("Huawei will not invest in chip technology.", [EV[0].text], S)[0]


def test_verify_drops_unsupported_recites_wrong_citation_and_ignores_missing_evidence():
    answer = ("Huawei will not invest in chip technology [2]. Revenue rose 40% [2]. "
              "The Taiyuan lab focuses on mining [7]. Apple sold more iPhones [1].")
    kept, dropped = verify(answer, EV, S)
    assert [(c.text, c.cites) for c in kept] == [
        ("Huawei will not invest in chip technology.", [1]),  # cited [2], re-cited to the sentence that supports it
        ("The Taiyuan lab focuses on mining.", [3]),  # [7] does not exist
    ]
    assert {c.text for c in dropped} == {"Revenue rose 40%.", "Apple sold more iPhones."}


def test_model_sentinel_is_not_a_claim():
    kept, dropped = verify(SENTINEL, EV, S)
    assert kept == [] and dropped


def test_render_numbers_citations_in_order_and_builds_records():
    claims = extractive([EV[2], EV[0]], 2)
    numbering = number_citations(claims)
    assert numbering == {3: 1, 1: 2}
    assert render(claims, numbering) == f"{EV[2].text} [1] {EV[0].text} [2]"
    passages = [Passage(1, "a1", 0, 90, 300, "x", "T1", "S", "u", "2021-02-09"),
                Passage(2, "a2", 0, 0, 80, "y", "T2", "S", "u", None)]
    cits = build_citations(numbering, EV, passages)
    assert [(c.n, c.article_id, c.start, c.end) for c in cits] == [(1, "a2", 10, 59), (2, "a1", 100, 170)]


def test_quotation_must_be_verbatim():
    ev = ['"We have more means to overcome the difficulties," Raine said, adding that Huawei also achieved positive growth.']
    assert supports('Raine said "we have more means to overcome the difficulties".', ev, S)[0]
    ok, why = supports('Raine said revenue was "more than the previous year" and growth was positive.', ev, S,
                       similarity=lambda a, b: 0.9)
    assert not ok and "quoted words" in why


def test_possessive_before_full_stop_ends_a_sentence():
    from qa.text.sentences import split_sentences

    text = "He criticised Hannity’s. Then he left."
    assert [text[a:b] for a, b in split_sentences(text)] == ["He criticised Hannity’s.", "Then he left."]


def test_filler_naming_this_question_is_stripped_too():
    assert [c.text for c in parse_claims("The answer to this question is: Huawei will not invest in chips [1].")] == [
        "Huawei will not invest in chips."]
