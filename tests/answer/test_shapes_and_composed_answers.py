"""The answer stage's shapes, its composed and verified answers, and what is never evidence (fast: fakes only)."""

from __future__ import annotations

import pytest

from qa.answer.shape import shape_of, sides
from qa.text.junk import dateline_end, debris, not_evidence, strip_debris

from tests.conftest import SAMPLE


@pytest.mark.parametrize("question, shape", [
    ("When did the Lakeview ferry stop running?", "fact"),
    ("What did the mayor say about the ferry?", "quote"),
    ("Why was the ferry suspended?", "explanation"),
    ("What do we know about the Lakeview ferry fire?", "summary"),
    ("What has happened with the ferry since the fire?", "timeline"),
    ("How many riders did the ferry carry?", "number"),
    ("How did the ferry's ridership compare between March and April?", "comparison"),
    ("Which came first, the fine or the appeal?", "timeline"),
])
def test_the_shapes_of_the_reporter_questions_of_answers_md(question, shape):
    assert shape_of(question) == shape


def test_a_follow_up_takes_its_shape_from_the_condensed_query_only_when_its_own_words_say_nothing():
    assert shape_of("And why?", "Why did Huawei sell Honor?") == "explanation"
    assert shape_of("What about its fine?", "Why was Lake Transit fined?") == "explanation"
    assert shape_of("How many riders?", "What did the mayor say?") == "number"
    assert shape_of("Which?", "x", choices=True) == "choice"


def test_a_comparison_is_split_into_its_two_sides():
    assert sides("Compare the 2019 UAW strike with the 2023 strike") == ["the 2019 UAW strike", "the 2023 strike"]
    assert sides("What is the difference between Netflix and Disney?") == ["Netflix", "Disney"]


@pytest.mark.parametrize("line", [
    "More:Who is Naftali Bennett, Israel’s next prime minister?",
    "READ MORE: Why fighting climate change won't destroy the economy",
    "Related: Watchdog launches criminal inquiry",
    "8:14 pm ET March 11, 2026 Share this update",
    "Sign up for CNN’s Wonder Theory science newsletter.",
    "The Queen smiled on Monday. Steve Parsons/Pool/AFP/Getty Images",
    "(Photo: Lakeview Courier)",
    "By Associated Press",
    "Hide Caption 45 of 49 Photos: British Prime Minister Boris Johnson \"I think it's an extraordinary moment\"",
    "Photos: Protesters storm Sri Lankan prime minister's office as president flees People protest outside.",
])
def test_page_debris_is_recognised(line):
    assert debris(line)


@pytest.mark.parametrize("line", [
    "The city suspended its cross-lake ferry on Tuesday after an engine fire forced the evacuation of 62 passengers.",
    "More stimulus checks are on the way through direct deposit and the mail.",
    "Lopez announced her engagement in April with a video shared to her fan newsletter.",
    "12:43 a.m.: Trump retweets a post suggesting that Republican legislators should go to the wall.",
])
def test_article_sentences_are_not_debris(line):
    assert debris(line) is None


def test_headings_and_questions_on_a_line_of_their_own_are_never_evidence():
    assert not_evidence("Why was the ferry stopped?", "Why was the ferry stopped?")
    assert not_evidence("Philips stops U.S. manufacturing: CPAP maker hit", "Philips stops U.S. manufacturing: CPAP maker hit")
    said = "\"Why was the ferry stopped?\" a rider asked."
    assert not_evidence(said, said) is None
    inside = "Why was the ferry stopped? Investigators blamed a fuel line."
    assert not_evidence("Why was the ferry stopped?", inside) is None


def test_a_dateline_is_cut_and_the_sentence_kept():
    s = "LAKEVIEW — The city suspended its cross-lake ferry on Tuesday."
    assert s[dateline_end(s):].startswith("The city")
    assert dateline_end("ATLANTA (AP) — The new owner is committed to the team.") > 0
    assert dateline_end("The U.S. economy grew 2% in the quarter.") == 0


def test_debris_lines_are_dropped_at_ingest(fake_assistant, tmp_path):
    (tmp_path / "ferry.txt").write_text(
        "Ferry suspended after engine fire\n\nThe city suspended its ferry on Tuesday after an engine fire.\n\n"
        "More: Lakeview bridge tolls rise again\n\n(Photo: Lakeview Courier)\n\nThe ferry carries 1,400 riders a day.\n")
    a = fake_assistant(["x"], paths=[tmp_path])
    (article,) = [a.store.article(p.article_id) for p in a.search("ferry engine fire", 1)]
    assert "More:" not in article.text and "Photo" not in article.text and "1,400 riders" in article.text
    assert strip_debris("a\n\nMore: b\n\nc") == "a\n\nc"


def test_a_date_the_answer_resolves_from_the_article_date_is_supported_and_a_wrong_one_is_not():
    from qa.answer.cite import supports
    from qa.config import AnswerSettings

    cited = ["The city suspended its cross-lake ferry on Tuesday after an engine fire."]
    ok, why = supports("The city suspended the ferry on Tuesday, March 11, 2025, after an engine fire.", cited,
                       AnswerSettings(), published=["2025-03-13"])
    assert ok, why
    ok, why = supports("The city suspended the ferry on March 12, 2025, after an engine fire.", cited,
                       AnswerSettings(), published=["2025-03-13"])
    assert not ok and "March 12" in why
    ok, _ = supports("2025-03-11: the city suspended its cross-lake ferry after an engine fire.", cited,
                     AnswerSettings(), published=["2025-03-13"])
    assert ok


def test_a_paraphrase_is_kept_only_when_the_models_check_says_yes():
    from qa.answer.cite import supports
    from qa.config import AnswerSettings

    cited = ["Investigators said a cracked fuel line sprayed diesel onto the hot engine."]
    claim = "Investigators blamed a cracked fuel line that sprayed diesel onto the engine."
    assert not supports(claim, cited, AnswerSettings(support_overlap=0.95))[0]
    assert supports(claim, cited, AnswerSettings(support_overlap=0.95), judge=lambda s, c: 0.9)[0]
    assert not supports(claim, cited, AnswerSettings(support_overlap=0.95), judge=lambda s, c: 0.2)[0]
    # numbers, names and quoted words stay hard: the model's yes never rescues an invented figure
    assert not supports("Investigators blamed 3 cracked fuel lines.", cited, AnswerSettings(), judge=lambda s, c: 1.0)[0]


def _reader_assistant(hash_settings, replies, p_first=0.9):
    from qa.assistant import Assistant
    from qa.testing import ScriptedReader

    gen = ScriptedReader(replies, p_first=p_first)
    a = Assistant.open(settings=hash_settings, create=True, generator=gen)
    a.add([SAMPLE], progress=False)
    return a


def test_the_model_reads_then_composes_and_only_verified_sentences_are_streamed(hash_settings):
    a = _reader_assistant(hash_settings, [
        "Taiyuan",  # the read: a few words
        "Huawei inaugurated a new laboratory in the city of Taiyuan [1]. Huawei also opened 40 labs in Paris [2].",
    ])
    events = list(a.stream("Where did Huawei open a new laboratory?"))
    kinds = [e.kind for e in events]
    assert kinds[0] == "token" and kinds[-1] == "answer"  # the best evidence at once, the answer last
    streamed = [e.text for e in events if e.kind == "sentence"]
    ans = events[-1].answer
    assert streamed and all("Paris" not in s for s in streamed) and "Paris" not in ans.text
    assert any("40" in d for d in ans.dropped)
    assert ans.short == "Taiyuan" and ans.mode == "generated"
    read, composed = a._generator.raw[:2]  # a fact: the draft continues the read's conversation (its cache reused)
    assert composed.startswith(read) and "Taiyuan" in composed[len(read):] and "Now write the answer" in composed
    for c in ans.citations:
        assert a.store.article(c.article_id).text[c.start:c.end] == c.sentence


def test_the_articles_dont_say_is_an_honest_abstention_with_what_they_do_report(hash_settings):
    a = _reader_assistant(hash_settings, [
        "not in the evidence",
        "The articles don't say what Huawei's new laboratory cost. Huawei inaugurated a new laboratory in the city "
        "of Taiyuan [1].",
    ])
    ans = a.ask("How much did Huawei's new laboratory in Taiyuan cost?")
    assert ans.abstained and ans.mode == "not said" and ans.short == ""
    assert ans.text.startswith("The articles don't say what Huawei's new laboratory cost.")
    assert ans.citations and "Taiyuan" in ans.citations[0].sentence


def test_a_timeline_is_a_dated_list_whose_dates_are_checked(hash_settings):
    from qa.answer.draft import parse_draft

    claims = parse_draft("- 2021-02-09: Ren welcomed a call from Biden [1]\n- 2019-05-15: Huawei was listed [2]\n", "timeline")
    assert [c.text for c in claims] == ["2021-02-09: Ren welcomed a call from Biden", "2019-05-15: Huawei was listed"]
    assert [c.cites for c in claims] == [[1], [2]]
    a = _reader_assistant(hash_settings, [
        "2019",
        "2019-01-01: Huawei was placed on the US list [1]\n2019: Huawei was placed on the US list in 2019 [1]\n"])
    ans = a.ask("How did the US measures against Huawei develop over time?")
    assert ans.shape == "timeline"
    assert "2019-01-01" not in ans.text  # a day no cited sentence gives is dropped


def test_the_models_yes_no_check_runs_only_for_paraphrases(hash_settings):
    a = _reader_assistant(hash_settings, ["Taiyuan", "Huawei inaugurated a new laboratory in the city of Taiyuan [1]."])
    a.ask("Where did Huawei open a new laboratory?")
    assert not any("Does the evidence state everything" in p for p in a._generator.raw)  # word for word: no check


def test_a_paraphrase_mid_draft_is_checked_by_the_model_after_it_has_finished_writing(hash_settings):
    a = _reader_assistant(hash_settings, [
        "Taiyuan",
        "Huawei opened a lab in the northern city of Taiyuan, one of its new research sites [1]. Huawei inaugurated a "
        "new laboratory in the city of Taiyuan [1].",
    ], p_first=0.95)
    a.settings.answer.support_overlap = 0.95  # the first sentence now needs the model's check
    ans = a.ask("Where did Huawei open a new laboratory?")
    assert any("Does the evidence state everything" in p for p in a._generator.raw)
    assert ans.text.startswith("Huawei opened a lab in the northern city")  # kept in the draft's order


def test_repeated_sentences_are_shown_once_and_a_timeline_is_ordered_oldest_first(hash_settings):
    from qa.answer.compose import distinct
    from qa.answer.cite import Claim

    claims = [Claim("The strike targets a plant at each of the three companies.", [1]),
              Claim("The strike targets a plant at each of the three companies, said Masters.", [1]),
              Claim("Workers want a 40% raise.", [2])]
    assert [c.text for c in distinct(claims)] == [claims[0].text, claims[2].text]
    a = _reader_assistant(hash_settings, ["2020: Huawei achieved positive growth in revenue and net profit for 2020 [1]\n"
                                          "2019: Huawei was placed on the US list in 2019 [2]\n"])
    ans = a.ask("In what order did Huawei get placed on the US list and achieve positive growth in revenue?")
    lines = ans.text.splitlines()
    assert len(lines) == 2 and lines[0].startswith("- 2019") and lines[1].startswith("- 2020")


@pytest.mark.parametrize("sentence, hypo, unk", [
    ("If convicted, Santos could face up to 20 years in prison.", True, False),
    ("Eramo sued for nearly $8 million.", True, False),
    ("Up to 1,000 people were evacuated.", False, False),
    ("The cause of death was not released.", False, True),
    ("Park officials are still investigating the attack.", False, True),
    ("The House voted 311-114 to expel Santos.", False, False),
])
def test_a_possible_penalty_or_an_unreleased_fact_is_told_from_what_happened(sentence, hypo, unk):
    from qa.answer.compose import hypothetical, unknown

    assert (hypothetical(sentence), unknown(sentence)) == (hypo, unk)


@pytest.mark.parametrize("article, replies, question, reported", [
    ("Lakeview mayor charged\n\nMayor Dana Ortiz was charged with fraud on Monday. If convicted, Ortiz could face up "
     "to 20 years in prison. Her trial starts in May.\n",
     ["20 years", "If convicted, Ortiz could face up to 20 years in prison [1]."],
     "What prison sentence did Mayor Dana Ortiz receive?", "could face up to 20 years"),  # a possibility as the outcome
    ("Publisher settles with Prince Harry\n\nThe publisher of the British tabloid apologized to Prince Harry on "
     "Wednesday and said his claim warrants compensation. The trial continues in London.\n",
     ["British tabloid", "The publisher of the British tabloid said his claim warrants compensation [1]."],
     "How much compensation has the publisher agreed to pay Prince Harry?", "warrants compensation"),  # no figure
])
def test_a_nearby_fact_given_as_the_answer_becomes_the_articles_dont_say(hash_settings, tmp_path, article, replies,
                                                                         question, reported):
    from qa.assistant import Assistant
    from qa.testing import ScriptedReader

    (tmp_path / "story.txt").write_text(article)
    a = Assistant.open(settings=hash_settings, create=True, generator=ScriptedReader(replies))
    a.add([tmp_path], progress=False)
    ans = a.ask(question)
    assert ans.abstained and ans.text.startswith("The articles don't say.") and reported in ans.text
    assert ans.short == ""


def test_a_sentence_stitched_from_two_citations_needs_the_models_check():
    from qa.answer.cite import Checker, Claim
    from qa.config import AnswerSettings
    from qa.types import Evidence

    ev = [Evidence(1, "Ukraine was recommended for EU candidacy this week.", "a", 0, 50, 0),
          Evidence(2, "Moldova was recommended alongside it.", "b", 0, 40, 0)]
    claim = Claim("Ukraine was recommended for EU candidacy alongside Moldova this week.", [1, 2])
    assert Checker(ev, AnswerSettings()).check(claim)[1] is False  # no model to ask (or it is writing): not kept
    assert Checker(ev, AnswerSettings(check_stitched=False)).check(claim)[1] is True
    assert Checker(ev, AnswerSettings(), judge=lambda s, c: 0.9).check(claim)[1] is True
    assert Checker(ev, AnswerSettings(), judge=lambda s, c: 0.1).check(claim)[1] is False
    one = Claim("Ukraine was recommended for EU candidacy this week.", [1, 2])  # one citation alone holds it
    assert Checker(ev, AnswerSettings(), judge=lambda s, c: 0.1).check(one) == (Claim(one.text, [1], "overlap 1.00"), True)


def test_a_fact_answer_that_does_not_state_the_short_answer_leads_with_the_sentence_it_was_read_from(hash_settings):
    a = _reader_assistant(hash_settings, ["Taiyuan", "Huawei will never sell its smart phone business [1]."])
    ans = a.ask("Where did Huawei open a new laboratory?")
    assert ans.short == "Taiyuan" and "Taiyuan" in ans.text.split("[1]")[0]
    assert "never sell" not in ans.text


@pytest.mark.parametrize("short, qtype, question, ok", [
    ("private sector", "thing", "What private-sector job did Pelicia Hall take after resigning?", False),  # echo
    ("British tabloid", "money", "How much compensation has the publisher agreed to pay?", False),  # no figure
    ("$1.8 billion", "money", "How much did Obama request to fight Zika?", True),
    ("three", "number", "How many people were charged?", True),
    ("Taiyuan", "place", "Where did Huawei open a new laboratory?", True),
    ("TRUE", "yesno", "True or false: the FTC fined a Utah company?", True),
])
def test_a_short_answer_that_repeats_the_question_or_lacks_the_asked_figure_is_no_answer(short, qtype, question, ok):
    from qa.answer.compose import answers_the_question

    assert answers_the_question(short, qtype, question) is ok


def test_a_composed_answer_shorter_than_its_form_is_completed_with_evidence_that_adds_something():
    from qa.answer.cite import Claim
    from qa.answer.compose import filled
    from qa.answer.shape import PLANS
    from qa.types import Evidence

    ev = [Evidence(1, "The city suspended its ferry on Tuesday after an engine fire forced the evacuation of 62 passengers.",
                   "a", 0, 10, 0),
          Evidence(2, "The city suspended its ferry after an engine fire forced an evacuation.", "a", 20, 30, 0),
          Evidence(3, "Investigators said a cracked fuel line sprayed diesel onto the hot engine.", "a", 40, 50, 0),
          Evidence(4, "\"Nobody was hurt, and that is what matters,\" Ortiz told reporters on Wednesday.", "a", 60, 70, 0),
          Evidence(5, "State regulators fined Lake Transit $45,000 on Monday over its maintenance records.", "b", 0, 10, 1)]
    published = lambda e: "2025-03-13" if e.article_id == "a" else "2025-04-02"  # noqa: E731
    kept = [Claim("An engine fire forced the evacuation of 62 ferry passengers.", [1])]
    why = filled(kept, ev, PLANS["explanation"], published)
    assert [c.cites for c in why] == [[1], [3], [4]]  # [2] repeats what the answer says; then the best that add
    assert why[1].text == ev[2].text and "quoted from the evidence" in why[1].why
    quote = filled(kept, ev, PLANS["quote"], published)
    assert [c.cites for c in quote] == [[1], [4]]  # only words in quotation marks complete a quote answer
    timeline = filled(kept, ev, PLANS["timeline"], published)
    assert [c.text.split(":")[0] for c in timeline[1:]] == ["2025-03-12", "2025-03-31"]  # the day each happened
    assert filled(why, ev, PLANS["explanation"], published) == why  # long enough: nothing added
    assert filled(kept, ev, PLANS["fact"], published) == kept  # a fact is one sentence


def test_a_timeline_line_is_dated_by_the_day_its_sentence_names():
    from qa.answer.cite import Claim
    from qa.answer.compose import redated
    from qa.types import Evidence, Passage

    p = Passage(1, "a", 0, 0, 100, "", "", "", "", "2023-09-08")
    ev = [Evidence(1, "Cavalcante escaped from Chester County Prison on Aug. 31.", "a", 0, 10, 0)]
    assert redated(Claim("2023-09-08: Cavalcante escaped from Chester County Prison on Aug. 31.", [1]), ev, [p]).text \
        == "2023-08-31: Cavalcante escaped from Chester County Prison on Aug. 31."
    copied = Claim("2023-09-08: Cavalcante escaped from the prison.", [1])  # the article's date, no day of its own
    assert redated(copied, ev, [p]).text == "2023-08-31: Cavalcante escaped from the prison."  # the cited one's day
    same = Claim("2023-09-06: Hundreds of officers searched the area.", [1])
    assert redated(same, ev, [p]) == same  # a date of the model's own that the checker accepted stands


def test_a_figure_the_evidence_gives_as_a_possibility_is_not_verified_as_what_happened():
    from qa.answer.cite import supports
    from qa.config import AnswerSettings

    cited = ["If convicted, Santos could face up to 20 years in prison.", "Santos was expelled from Congress on Friday."]
    assert not supports("Santos was sentenced to 20 years in prison.", cited, AnswerSettings())[0]
    assert supports("Santos could face up to 20 years in prison if convicted.", cited, AnswerSettings())[0]
    assert supports("Santos was sentenced to 20 years in prison.", ["Santos was sentenced to 20 years in prison on Monday."],
                    AnswerSettings())[0]
