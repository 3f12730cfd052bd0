"""The answer pipeline with deterministic fakes (hash embedder, scripted generator): its guarantees."""

from __future__ import annotations

import pytest

from qa.answer.cite import SENTINEL
from qa.errors import ConfigError


def test_invented_number_never_reaches_the_user(fake_assistant):
    a = fake_assistant(["Huawei achieved growth of 35% in revenue in 2020 [1]. Huawei will never sell its smart phone business [2]."])
    ans = a.ask("Will Huawei sell its smartphone business?")
    assert "35%" not in ans.text and any("35%" in d for d in ans.dropped)
    assert ans.citations and not ans.abstained
    article = a.store.article(ans.citations[0].article_id)
    assert "never sell its smart phone business" in " ".join(c.sentence for c in ans.citations)
    for c in ans.citations:  # every citation points at exactly the text it shows
        assert a.store.article(c.article_id).text[c.start:c.end] == c.sentence
    assert article is not None


def test_nothing_survives_so_the_answer_quotes_evidence(fake_assistant):
    a = fake_assistant(["Huawei opened 17 labs in Paris [1]."])
    ans = a.ask("Where did Huawei open a new laboratory?")
    assert ans.mode == "extractive" and "17" not in ans.text
    assert any("Taiyuan" in c.sentence for c in ans.citations)
    assert all(f"[{c.n}]" in ans.text for c in ans.citations)


def test_unanswerable_abstains_without_calling_the_model(fake_assistant):
    a = fake_assistant(["Apple sold 10 million iPhones [1]."])
    ans = a.ask("What did Ren say about Apple's iPhone sales?")
    assert ans.abstained and ans.text == SENTINEL and ans.citations == []
    assert a._generator.prompts == []  # the model was never asked


def test_prompt_is_built_from_the_prompt_file_with_numbered_dated_evidence(fake_assistant):
    a = fake_assistant(["Huawei inaugurated a new laboratory in the city of Taiyuan [1]."])
    ans = a.ask("Where did Huawei open a new laboratory?")
    (messages,) = a._generator.prompts
    user = messages[-1]["content"]
    assert "Question: Where did Huawei open a new laboratory?" in user and "Answer in one sentence." in user
    assert "[1] (" in user  # each evidence line carries its article's date and outlet
    assert messages[0]["role"] == "system" and "The articles don't say" in messages[0]["content"]
    assert ans.mode == "generated" and "Taiyuan" in ans.text and ans.tokens["prompt"] > 0 and ans.shape == "fact"


def test_evidence_is_cut_to_fit_the_context_and_the_cut_is_counted(fake_assistant, hash_settings):
    a = fake_assistant(["Huawei inaugurated a new laboratory in the city of Taiyuan [1]."])
    a._generator.n_ctx = 420
    ans = a.ask("Where did Huawei open a new laboratory?")
    assert ans.tokens["evidence_dropped"] > 0 and ans.tokens["prompt"] <= 420 - 90


def test_follow_up_is_condensed_with_the_earlier_subject(fake_assistant):
    a = fake_assistant(["x"])
    a.settings.llm.enabled = False
    ans = a.ask("And what does he hope to buy from American companies?",
                history=["What did Ren say about a phone call from Joe Biden?"])
    assert ans.query.startswith("What does Ren hope to buy")
    assert any("American components" in c.sentence for c in ans.citations)


def test_as_of_hides_later_articles(fake_assistant, tmp_path):
    (tmp_path / "old.json").write_text('{"id": "old", "title": "Vote", "text": "The council approved the zoo budget.", "published": "2022-01-05"}')
    (tmp_path / "new.json").write_text('{"id": "new", "title": "Vote again", "text": "The council cancelled the zoo budget.", "published": "2022-03-05"}')
    a = fake_assistant(["x"], paths=[tmp_path])
    a.settings.llm.enabled = False
    early = a.ask("What happened to the zoo budget?", as_of="2022-02-01")
    assert {p.article_id for p in early.passages} == {"old"}
    late = a.search("zoo budget", 5, date_from="2022-02-01")
    assert {p.article_id for p in late} == {"new"}


def test_bad_date_and_empty_question_are_clear_errors(fake_assistant):
    a = fake_assistant(["x"], paths=[])
    with pytest.raises(ConfigError, match="as_of 'yesterday-ish' is not a date: use YYYY-MM-DD"):
        a.ask("Anything?", as_of="yesterday-ish")
    with pytest.raises(ConfigError, match="question is empty"):
        a.ask("  ")


class EchoGenerator:
    """A fake model that answers by copying every numbered evidence sentence of its prompt, with its number."""

    name, n_ctx = "echo", 4096

    def __init__(self):
        self.prompts = []

    def count_tokens(self, text):
        return len(text.split())

    def generate(self, messages, max_tokens, stream=False, stop=()):
        import re

        self.prompts.append(messages)
        lines = re.findall(r"^\[(\d+)\] (?:\([^)]*\) )?(.+)$", messages[-1]["content"], flags=re.M)
        reply = " ".join(f"{text} [{n}]" for n, text in lines)
        return iter(re.findall(r"\S+\s*", reply)) if stream else reply


def test_what_did_x_say_keeps_only_sentences_citing_x(hash_settings):
    from qa.assistant import Assistant

    from tests.conftest import SAMPLE

    loose = hash_settings.replace(**{"answer.max_sentences": 8, "answer.min_claim_relevance": 0.0})
    a = Assistant.open(settings=loose, create=True, generator=EchoGenerator())
    a.add([SAMPLE], progress=False)
    ans = a.ask("What did Ren say about chips?")
    assert len(a._generator.prompts[0][-1]["content"].splitlines()) > len(ans.citations) + 3  # others were offered
    assert ans.citations and not ans.abstained
    statements = a.store.db.conn.execute("SELECT start, \"end\" FROM quotes WHERE canonical LIKE 'Ren%'").fetchall()
    for c in ans.citations:
        assert any(s < c.end and c.start < e for s, e in statements), c.sentence


def test_as_of_prefix_keeps_capitals_of_names_and_lowers_plain_openers():
    from types import SimpleNamespace

    from qa.answer.compose import as_of_date

    ev = [SimpleNamespace(n=1, passage_index=0), SimpleNamespace(n=2, passage_index=1)]
    passages = [SimpleNamespace(published="2022-06-18"), SimpleNamespace(published="2022-06-20")]
    dated = as_of_date("Saudi Arabia's ministry seized toys [1].", {1: 1, 2: 2}, ev, passages)
    assert dated == "As of 2022-06-20, Saudi Arabia's ministry seized toys [1]."
    assert as_of_date("The ministry seized toys [1].", {1: 1}, ev, passages).startswith("As of 2022-06-18, the ministry")


def test_each_choice_gets_a_search_of_its_own(fake_assistant, tmp_path):
    """The question's wording finds only the council story; the right choice is in an article only its search finds."""
    docs = {"council": ("Council news", "The council heard this week that the harbor budget will rise. " * 3),
            "island": ("Awards", "Gull Island was named the cleanest port in the region.")}
    for name, (title, text) in docs.items():
        (tmp_path / f"{name}.json").write_text(f'{{"id": "{name}", "title": "{title}", "text": "{text}", '
                                               f'"published": "2022-03-01"}}')
    a = fake_assistant(["x"], paths=[tmp_path])
    a.settings.llm.enabled = False
    a.settings.retrieval.top_k = 1
    question = "Which place has the cleanest harbor, the council heard this week?"
    choices = ["Bay Town", "Gull Island", "Port Ash"]
    a.settings.retrieval.per_choice_k = 0
    only_question = a.ask(question, choices=choices)
    assert [p.article_id for p in only_question.passages] == ["council"] and only_question.choice is None
    a.settings.retrieval.per_choice_k = 2
    with_choices = a.ask(question, choices=choices)
    assert "island" in {p.article_id for p in with_choices.passages}
    assert with_choices.choice == 1 and "Gull Island" in with_choices.citations[0].sentence
