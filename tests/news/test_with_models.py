"""Who said what on the sample article, with the real embedding model (and the real GGUF model where marked)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.model

INVEST = "will not invest in chip technology"
COMPONENTS = "purchase large quantities of American components"
GROWTH = "positive growth"


@pytest.fixture(scope="module")
def extractive(real_sample_index):
    """The real embedding model, answers quoted from the evidence (no LLM)."""
    from qa.assistant import Assistant

    a = Assistant.open(real_sample_index, **{"llm.enabled": False})
    yield a
    a.close()


def test_cli_quotes_ren_about_chips(real_sample_index):
    cmd = [sys.executable, "-m", "qa.cli", "quotes", "Ren", "--about", "chips", "--index", str(real_sample_index)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert INVEST in out.stdout and COMPONENTS in out.stdout
    # attributed to Ren although the text calls him "the president of Huawei" and "he" there
    assert "Ren Zhangvi (as “the president of Huawei”)" in out.stdout and "Ren Zhangvi (as “he”)" in out.stdout
    assert "phone calls" not in out.stdout  # off-topic statements are left out


def test_api_quotes_ren_about_chips_ranks_the_chip_statement_first(extractive):
    rows = extractive.quotes("Ren", about="chips")
    assert INVEST in rows[0].statement
    found = {q.statement: q for q in rows}
    comp = next(q for s, q in found.items() if COMPONENTS in s)
    assert comp.canonical == "Ren Zhangvi" and comp.speaker == "he"
    article = extractive.store.article(comp.article_id)
    assert article.text[comp.start:comp.end] == comp.statement


def test_cli_speakers_lists_every_name_of_ren(real_sample_index):
    out = subprocess.run([sys.executable, "-m", "qa.cli", "speakers", "--index", str(real_sample_index)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    line = next(x for x in out.stdout.splitlines() if "Ren Zhangvi" in x)
    also = {v.strip() for v in line.split("(also:")[1].rstrip(")").split(",")}
    assert also >= {"Raine", "Rain", "Ren", "the president of Huawei"}


def _cites_ren_growth(assistant, answer) -> None:
    assert not answer.abstained, answer.dropped
    assert GROWTH in answer.text, answer.text
    cited = [c for c in answer.citations if GROWTH in c.sentence]
    assert cited, [c.sentence for c in answer.citations]
    c = cited[0]
    speakers = {r[0] for r in assistant.store.db.conn.execute(
        'SELECT canonical FROM quotes WHERE article_id = ? AND start < ? AND "end" > ?',
        (c.article_id, c.end, c.start))}
    assert "Ren Zhangvi" in speakers  # the cited sentence is Ren's statement (written "Raine said ...")


def test_what_did_raine_say_about_revenue_without_llm(extractive):
    ans = extractive.ask("What did Raine say about Huawei's revenue in 2020?")
    _cites_ren_growth(extractive, ans)


def test_what_did_ren_zhengfei_say_about_chips_is_not_abstained(extractive):
    # 'Zhengfei' is not in the text ('Zhangvi'): the quotes index resolves the name, so it is not a missing name.
    ans = extractive.ask("What did Ren Zhengfei say about chips?")
    assert not ans.abstained and INVEST in ans.text


def test_what_did_raine_say_about_revenue_with_llm(real_assistant):
    ans = real_assistant.ask("What did Raine say about Huawei's revenue in 2020?")
    _cites_ren_growth(real_assistant, ans)


def test_speaker_with_no_statement_on_the_topic_abstains(extractive):
    # Ren's statements are all about Huawei; none is about Apple's iPhone, even if some are close in embedding.
    ans = extractive.ask("What did Ren say about Apple's iPhone sales?")
    assert ans.abstained, ans.text
    focus_rows = extractive.ask("What did Ren say about chips?")
    assert not focus_rows.abstained and INVEST in focus_rows.text


def test_cli_search_huawei_chips_prints_the_chip_sentences(real_sample_index):
    cmd = [sys.executable, "-m", "qa.cli", "search", "Huawei chips", "--index", str(real_sample_index)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    dense, keyword = out.stdout.split("== keyword (BM25)")
    for section in (dense, keyword):
        assert INVEST in section and "supplies of major chips" in section
