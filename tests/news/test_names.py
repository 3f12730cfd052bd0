"""Name variants (qa/news/names.py) and the speaker/quote queries over an index (qa/news/speakers.py)."""

from __future__ import annotations

import pytest

from qa.news import names as nm
from qa.news.speakers import speaker_in_question


@pytest.mark.parametrize("a, b, same", [
    ("Ren", "Rain", True), ("Ren", "Raine", True), ("Zhengfei", "Zhangvi", True), ("Zelensky", "Zelenskyy", True),
    ("Ren", "Wei", False), ("Joe", "Hunter", False), ("Smith", "Schmidt", False), ("Ren", "Ben", False),
    ("HHS", "House", False), ("CDC", "CDC", True),
])
def test_tokens_match_by_sound_or_spelling(a, b, same):
    assert nm.tokens_match(a, b) is same


def test_sample_names_form_one_group_named_by_the_full_name():
    groups = nm.group(["Ren Zhangvi", "Rain", "Ren", "Raine", "Washington"], mentions=["Joe Biden", "Donald Trump"])
    assert {groups[n] for n in ("Ren Zhangvi", "Rain", "Ren", "Raine")} == {"Ren Zhangvi"}
    assert groups["Washington"] == "Washington"


def test_transliterated_full_names_are_one_person():
    groups = nm.group(["Ren Zhengfei", "Ren Zhangvi"])
    assert groups["Ren Zhangvi"] == groups["Ren Zhengfei"]


def test_a_surname_shared_by_two_full_names_stays_apart():
    groups = nm.group(["Joe Biden", "Hunter Biden", "Biden"])
    assert groups["Joe Biden"] != groups["Hunter Biden"]
    assert groups["Biden"] == "Biden"  # ambiguous: neither


def test_a_surname_joins_a_full_name_that_was_only_mentioned():
    assert nm.group(["Ren"], mentions=["Ren Zhengfei", "United States"])["Ren"] == "Ren Zhengfei"


@pytest.mark.parametrize("run, name, title", [
    ("Huawei CEO Ren Zhangvi", "Ren Zhangvi", ["huawei", "ceo"]),
    ("US President Joe Biden", "Joe Biden", ["us", "president"]),
    ("Microsoft's Brad Smith", "Brad Smith", ["microsoft"]),
    ("But Ren", "Ren", []),
    ("The President", "", []),
    ("Stephen King", "Stephen King", []),
])
def test_split_title(run, name, title):
    got_name, got_title = nm.split_title(run)
    assert got_name == name and all(t in got_title for t in title)


@pytest.mark.parametrize("question, expected", [
    ("What did Ren say about chips?", ("Ren", "chips")),
    ("What did Raine say about Huawei's revenue in 2020?", ("Raine", "Huawei's revenue in 2020")),
    ("Did Ren comment on the sanctions?", ("Ren", "the sanctions")),
    ("Has Joe Biden said anything about Huawei?", ("Joe Biden", "Huawei")),
    ("According to Ren, will Huawei sell its phone business?", ("Ren", "will Huawei sell its phone business")),
    ("What does Ren Zhengfei think of the new administration?", ("Ren Zhengfei", "the new administration")),
    ("What did Ren tell reporters about TSMC?", ("Ren", "TSMC")),
    ("What is Ren's view on 5G?", ("Ren", "5G")),
    ("What did the president of Huawei say about chips?", ("the president of Huawei", "chips")),
    ("What did Ren say?", ("Ren", "")),
])
def test_speaker_in_question(question, expected):
    assert speaker_in_question(question) == expected


@pytest.mark.parametrize("question", ["Where did Huawei open a new laboratory?", "What did he say about chips?",
                                      "When was Huawei placed on the US list?", "What did the company sell?"])
def test_not_a_speaker_question(question):
    assert speaker_in_question(question) is None


# -- over an index (hash embedder: fast, no model) ----------------------------------------------------

ARTICLE_A = ('Huawei founder Ren Zhengfei spoke in Shenzhen.\n\n"We will not invest in chip technology," Ren said.\n\n'
             '"We hope to buy American components," Raine added.\n')
ARTICLE_B = ('Farmer Ren Wei counted his losses.\n\n"The harvest was poor this year and prices fell," Ren said.\n')
ARTICLE_C = '"The rains came late this year in the valley," Ren said. Nobody else was asked.\n'


@pytest.fixture
def two_rens(fake_assistant, tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("Huawei remarks\n\n" + ARTICLE_A)
    (folder / "b.txt").write_text("Harvest report\n\n" + ARTICLE_B)
    (folder / "c.txt").write_text("Valley weather\n\n" + ARTICLE_C)
    return fake_assistant(paths=[folder])


def test_different_rens_in_different_articles_stay_separate(two_rens):
    found = {s.name: s for s in two_rens.speakers()}
    assert {"Ren Zhengfei", "Ren Wei", "Ren"} <= set(found)
    assert "Raine" in found["Ren Zhengfei"].variants and "Raine" not in found["Ren Wei"].variants
    said = [q.statement for q in two_rens.quotes("Ren Zhengfei")]
    assert len(said) == 2 and not any("harvest" in s or "rains" in s for s in said)
    assert [q.canonical for q in two_rens.quotes("Ren Wei")] == ["Ren Wei"]


def test_a_variant_finds_the_whole_person(two_rens):
    raine = {q.statement for q in two_rens.quotes("Raine")}
    assert raine == {"We will not invest in chip technology", "We hope to buy American components"}
    # a bare surname asks for every Ren
    assert {q.canonical for q in two_rens.quotes("Ren")} == {"Ren Zhengfei", "Ren Wei", "Ren"}


def test_quotes_about_a_topic_without_a_model_use_words(two_rens):
    from qa.news.speakers import quotes

    rows = quotes(two_rens.store.db, "Ren Zhengfei", about="chip", embedder=None)
    assert [q.statement for q in rows] == ["We will not invest in chip technology"]


def test_unknown_speaker_has_no_quotes(two_rens):
    assert two_rens.quotes("Angela Merkel") == []
