"""Quote extraction (qa/news/quotes.py) on hand-written sentences: each pattern, resolution, and negatives."""

from __future__ import annotations

import pytest

from qa.news.quotes import extract

from tests.conftest import SAMPLE_ARTICLE


def one(text: str, contains: str):
    """The single statement whose text contains ``contains`` (and a check that offsets index the text)."""
    found = [s for s in extract(text) if contains in s.statement]
    assert len(found) == 1, [s.statement for s in extract(text)]
    s = found[0]
    assert text[s.start:s.end] == s.statement
    return s


@pytest.mark.parametrize("text, speaker, cue", [
    ('"We will not back down," Ren said.', "Ren", "said"),
    ('"We will not back down," said Ren Zhengfei.', "Ren Zhengfei", "said"),
    ('"We will not back down," Ren added on Monday.', "Ren", "added"),
    ('"We will not back down," Ren, 76, told reporters.', "Ren", "told reporters"),
    ('Ren told reporters: "We will not back down."', "Ren", "told reporters"),
    ('Ren said, "We will not back down."', "Ren", "said"),
    ('"We will not back down," according to Ren.', "Ren", "according to"),
    ('"We will not back down," Huawei CEO Ren Zhengfei said.', "Ren Zhengfei", "said"),
])
def test_direct_quote_patterns(text, speaker, cue):
    s = one(text, "We will not back down")
    assert (s.kind, s.speaker, s.cue, s.canonical) == ("direct", speaker, cue, speaker)
    assert s.statement.rstrip(".") == "We will not back down"


@pytest.mark.parametrize("text, speaker, cue, statement", [
    ("Ren said that Huawei would keep its phone unit.", "Ren", "said", "Huawei would keep its phone unit"),
    ("Ren said Huawei would keep its phone unit.", "Ren", "said", "Huawei would keep its phone unit"),
    ("Ren said on Tuesday that Huawei would keep its phone unit.", "Ren", "said", "Huawei would keep its phone unit"),
    ("Ren stressed that Huawei would keep its phone unit.", "Ren", "stressed", "Huawei would keep its phone unit"),
    ("Ren told reporters Huawei would keep its phone unit.", "Ren", "told reporters",
     "Huawei would keep its phone unit"),
    ("Ren added that Huawei would keep its phone unit.", "Ren", "added", "Huawei would keep its phone unit"),
    ("According to Ren, Huawei would keep its phone unit.", "Ren", "according to", "Huawei would keep its phone unit"),
    ("Huawei would keep its phone unit, according to Ren.", "Ren", "according to", "Huawei would keep its phone unit"),
    ("Ren visited a lab in Taiyuan, and said that Huawei would keep its phone unit.", "Ren", "said",
     "Huawei would keep its phone unit"),
    ("Ren spoke in an optimistic tone, saying that Huawei would keep its phone unit.", "Ren", "saying",
     "Huawei would keep its phone unit"),
])
def test_reported_speech_patterns(text, speaker, cue, statement):
    s = one(text, "phone unit")
    assert (s.kind, s.speaker, s.cue, s.statement, s.canonical) == ("reported", speaker, cue, statement, speaker)


def test_said_then_stressing_gives_two_statements():
    text = "Ren said that the company will never sell its phone business, stressing that it will not invest in chips."
    first, second = extract(text)
    assert (first.statement, first.cue) == ("the company will never sell its phone business", "said")
    assert (second.statement, second.cue, second.speaker) == ("it will not invest in chips", "stressing", "Ren")


def test_quote_then_adding_that_is_attributed_to_the_quoted_speaker():
    text = '"We have more means," Raine said, adding that Huawei achieved positive growth in 2020.'
    direct, reported = extract(text)
    assert direct.kind == "direct" and reported.kind == "reported" and reported.cue == "adding"
    assert direct.speaker == reported.speaker == "Raine"
    assert reported.statement == "Huawei achieved positive growth in 2020"


@pytest.mark.parametrize("follow", ['"We will grow," he said.', 'He added, "We will grow."',
                                    '"We will grow," he added.', "He said that Huawei will grow."])
def test_pronoun_resolves_to_the_last_named_speaker(follow):
    text = f'"We welcome the call," Huawei founder Ren Zhengfei said. {follow}'
    s = one(text, "grow")
    assert s.speaker.lower() == "he" and s.resolved == "Ren Zhengfei" and s.canonical == "Ren Zhengfei"


@pytest.mark.parametrize("role", ["the president of Huawei", "the company's founder", "the CEO", "Huawei's founder"])
def test_role_descriptions_resolve_to_the_person_with_that_title(role):
    subject = role[0].upper() + role[1:]
    text = f"Huawei CEO Ren Zhengfei spoke in Shenzhen on Monday. {subject} said that sales had risen."
    s = one(text, "sales had risen")
    assert s.canonical == "Ren Zhengfei", (role, s)
    assert s.speaker.lower() == role.lower()


def test_role_resolves_to_the_matching_title_not_just_the_last_speaker():
    text = ('US President Joe Biden called on Monday. "We will talk," Ren Zhengfei said. '
            'The president said that the call went well.')
    assert one(text, "call went well").canonical == "Joe Biden"


def test_unattributed_quote_stays_unattributed():
    text = ('"I will welcome such phone calls," Ren said. Huawei opened a lab. '
            '"The mining industry needs better networks and faster links."')
    s = one(text, "mining industry")
    assert s.speaker is None and s.canonical is None and s.kind == "direct"


def test_scare_quotes_are_not_statements():
    text = 'Ren spoke of the "viability" of the company in the city of "Taiyuan" in northern China.'
    assert [s for s in extract(text) if s.statement in {"viability", "Taiyuan"}] == []


def test_pronoun_without_a_named_speaker_stays_unresolved():
    assert one('"We will grow," he said.', "grow").canonical is None


def test_pronoun_after_another_person_opens_a_sentence_is_ambiguous():
    text = '"We will grow," Ren Zhengfei said. Prime Minister Boris Johnson arrived later. "It went well," he said.'
    assert one(text, "went well").canonical is None


def test_a_spokesman_is_not_the_last_speaker():
    text = '"We will grow," Ren Zhengfei said. "No comment on that matter," a spokesman said.'
    s = one(text, "No comment")
    assert s.speaker == "a spokesman" and s.canonical is None


def test_sample_article_resolves_every_name_of_ren():
    text = SAMPLE_ARTICLE.read_text()
    found = extract(text)
    ren = [s for s in found if s.canonical == "Ren Zhangvi"]
    assert {s.speaker for s in ren} >= {"Ren Zhangvi", "Ren", "Rain", "Raine", "the president of Huawei", "he", "He"}
    by_text = {s.statement: s for s in found}
    for phrase in ("will not invest in chip technology", "purchase large quantities of American components",
                   "positive growth in revenue and net profit for 2020"):
        s = next(s for t, s in by_text.items() if phrase in t)
        assert s.canonical == "Ren Zhangvi", phrase
    assert all(text[s.start:s.end] == s.statement for s in found)


@pytest.mark.parametrize("text", ["Huawei would keep its phone unit, Ren said.",
                                  "Huawei would keep its phone unit, Ren said, without giving figures.",
                                  "Huawei would keep its phone unit, Ren added on Monday."])
def test_clause_then_attribution(text):
    s = one(text, "phone unit")
    assert (s.kind, s.speaker, s.statement) == ("reported", "Ren", "Huawei would keep its phone unit")


@pytest.mark.parametrize("text", [
    'President Donald Trump spoke first. "We will win," Trump said. '
    "The former vice president said that he disagreed with it.",
    "An official with the United Nations High Commissioner for Refugees spoke. "
    "The official said that 2,300 people left.",
])
def test_roles_without_a_matching_title_stay_unresolved(text):
    s = one(text, "people left" if "official" in text else "disagreed")
    assert s.canonical is None


def test_groups_are_not_speakers():
    assert extract("Officials said the road would reopen on Monday. Experts warned that prices would rise.") == []


def test_hopes_and_wants_are_speaker_questions_too():
    from qa.news.speakers import speaker_in_question

    assert speaker_in_question("What does Ren hope to buy from American companies?") == (
        "Ren", "buy from American companies")
    assert speaker_in_question("What did Biden promise on student loans?") == ("Biden", "student loans")
