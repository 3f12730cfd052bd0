"""Fast checks of the CLI's own text handling (no models)."""

from __future__ import annotations

from qa.cli import _matching_sentences

TEXT = ("Huawei sold its Honor smartphone brand in November. The United States has also moved to cut Huawei "
        "from supplies of major chips. Huawei reported revenue growth. The company will not invest in chip technology.")


def test_search_shows_the_sentences_with_the_rarest_query_words():
    got = _matching_sentences(TEXT, "Huawei chips")
    assert got == ["The United States has also moved to cut Huawei from supplies of major chips.",
                   "The company will not invest in chip technology."]


def test_search_shows_nothing_when_no_sentence_matches():
    assert _matching_sentences(TEXT, "bananas") == []
