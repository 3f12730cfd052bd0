"""The eval runner end to end with fakes (HashEmbedder, ScriptedGenerator) on a tiny hand-made gold set.

Every expected figure below is computed by hand from the gold set and the scripted replies. EM/F1 also rest on
the reader taking the one country / sum of money the evidence holds as Answer.short; that is asserted first, so
a change of reader shows up as such.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.run import CHART, QUESTIONS, REPORT, RUN, SUMMARY, read_records, run_eval, scores
from eval.run import main as main_rescore
from qa import Assistant
from qa.cli import main
from qa.config import Settings
from qa.errors import ConfigError
from qa.testing import ScriptedGenerator

ARTICLES = [
    {"id": "art-rainbow", "title": "Saudi Arabia seizes rainbow toys", "published": "2022-06-20", "url": "https://example.com/rainbow",
     "text": "Saudi Arabia announced a crackdown on rainbow-colored toys this week. Officials in Riyadh said the items "
             "promote homosexuality and seized them from shops."},
    {"id": "art-buffett", "title": "Record bid for Buffett lunch", "published": "2022-06-18", "url": "https://example.com/buffett",
     "text": "An anonymous bidder paid $19 million for a private lunch with investor Warren Buffett. The annual auction "
             "raised money for charity in San Francisco."},
    {"id": "art-colombia", "title": "Colombia elects Petro", "published": "2022-06-20", "url": "https://example.com/colombia",
     "text": "Gustavo Petro was elected president of Colombia on Sunday, the country's first leftist leader. He promised "
             "sweeping reforms."},
    {"id": "art-old", "title": "Garden tips for spring", "published": "2021-03-01", "url": "https://example.com/garden",
     "text": "Gardeners should plant tomatoes after the last frost. Mulch keeps the soil moist during dry weeks."},
]
GOLD = [
    {"id": "q1", "question": "What country announced a crackdown on rainbow-colored toys this week?", "as_of": "2022-06-23",
     "answers": ["Saudi Arabia"], "choices": ["Mexico", "Saudi Arabia", "Cuba"], "gold_choice": 1, "source": "CNN",
     "evidence_id": "art-rainbow"},
    {"id": "q2", "question": "How much did an anonymous bidder pay for a lunch with Warren Buffett?", "as_of": "2022-06-23",
     "answers": ["19 million dollars"], "choices": ["$19,000", "19 million dollars"], "gold_choice": 1, "source": "CNN",
     "evidence_id": "art-buffett"},
    # q3's gold is deliberately wrong for this corpus (no article names Peru): every answer must score 0.
    {"id": "q3", "question": "What country elected its first leftist leader?", "as_of": "2022-06-23", "answers": ["Peru"],
     "choices": ["Colombia", "Peru"], "gold_choice": 1, "source": "THE WEEK", "evidence_id": "art-colombia"},
    {"id": "q4", "question": "Olivia Newton-John appeared in all these films except:", "as_of": "2022-06-23",
     "answers": ["Titanic"], "choices": ["Grease", "Xanadu", "Titanic"], "gold_choice": 2, "source": "THE WEEK",
     "evidence_id": None},
    {"id": "q5", "question": "What did the Buffett lunch auction raise money for?", "answerable": True,
     "answers_any": ["charity"], "support": ["raised money for charity"]},
    {"id": "q6", "question": "What did Elon Musk say about Twitter?", "answerable": False, "answers_any": [], "support": []},
]
# Replies in the order the model is called: q4 and q6 abstain before generation (no passage names Olivia
# Newton-John / Elon Musk), and multiple choice does not call the model.
REPLIES = ["Saudi Arabia [1].", "He paid $19 million [1].", "Gustavo Petro [1].", "It raised money for charity [1]."]


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "news.jsonl").write_text("".join(json.dumps(a) + "\n" for a in ARTICLES))
    (tmp_path / "gold.jsonl").write_text("".join(json.dumps(g) + "\n" for g in GOLD))
    return tmp_path


def fake_assistant(index: Path, replies=REPLIES) -> tuple[Assistant, ScriptedGenerator]:
    gen = ScriptedGenerator(list(replies))
    settings = Settings.load(env={}, **{"embedding.backend": "hash"})  # no QA_* variables from the environment
    return Assistant.open(index, settings=settings, create=True, generator=gen), gen


def run(data: Path, out: str, index: str = "idx", **kw):
    assistant, gen = fake_assistant(data / index)
    try:
        summary = run_eval(data / "gold.jsonl", corpus=[data / "corpus"], out=data / out, assistant=assistant,
                           progress=False, choices=True, **kw)
    finally:
        assistant.close()
    return summary, gen


def value(summary: dict, name: str, source: str | None = None) -> tuple:
    v = (summary["by_source"][source] if source else summary["overall"])[name]
    return (None if v["value"] is None else round(v["value"], 4), v["n"])


def test_metrics_come_out_as_computed_by_hand(data):
    s, gen = run(data, "out")
    assert len(gen.prompts) == 4  # q1, q2, q3, q5 generated; q4, q6 abstained
    records = {r["id"]: r for r in read_records(data / "out" / QUESTIONS)}
    # The reader's short answers: the one country / sum of money the evidence holds.
    assert [records[q]["short"] for q in ("q1", "q2", "q3")] == ["Saudi Arabia", "$19 million", "Colombia"]
    # EM/F1 over q1..q3 (q4 ends in 'except'): q1 'Saudi Arabia' = gold: 1, 1; q2 [19 million] vs
    # [19 million dollars]: EM 0, F1 = 2 * 1 * 2/3 / (1 + 2/3) = 0.8; q3 'Colombia' vs 'Peru': 0, 0.
    assert value(s, "em") == (round(1 / 3, 4), 3)
    assert value(s, "f1") == (round((1 + 0.8) / 3, 4), 3)
    assert value(s, "em", "CNN") == (0.5, 2) and value(s, "f1", "CNN") == (0.9, 2)
    assert value(s, "em", "THE WEEK") == (0.0, 1)
    # contains-gold, cited sentence, retrieved passages: only q1's gold text appears anywhere
    assert value(s, "contains_gold") == value(s, "cited_gold") == value(s, "passages_gold") == (round(1 / 3, 4), 3)
    assert s["failures"] == {"abstained": 0, "not_retrieved": 2, "not_in_answer": 0, "short_wrong": 0}
    assert s["failures_by_source"]["THE WEEK"]["not_retrieved"] == 1
    # multiple choice: q1, q2 right; q3 picks Colombia (gold: Peru); q4: no film is mentioned anywhere → no pick
    assert [(records[q].get("choice") or {}).get("index") for q in ("q1", "q2", "q3", "q4")] == [1, 1, 0, None]
    assert value(s, "mc_accuracy") == (0.5, 4) and value(s, "mc_none") == (0.25, 4)
    assert value(s, "mc_accuracy", "THE WEEK") == (0.0, 2)
    # retrieval: each evidence article is the first article retrieved (q4 has no evidence_id)
    assert value(s, "hit@1") == (1.0, 3) and value(s, "mrr") == (1.0, 3)
    # citations: four one-sentence answers, each citing one supporting sentence
    assert value(s, "citation_precision") == (1.0, 4) and value(s, "citation_recall") == (1.0, 4)
    # seed: q5 contains 'charity' and cites the passage with 'raised money for charity'; q6 abstains (right)
    assert value(s, "seed_correct") == (1.0, 2) and value(s, "cited_support") == (1.0, 1)
    assert value(s, "abstention_accuracy") == (1.0, 1)
    assert value(s, "false_abstention") == (0.2, 5)  # q4 abstained, among q1..q5
    assert s["sources"] == ["CNN", "THE WEEK", "seed"]
    assert s["errors"] == 0 and s["modes"] == {"generated": 4, "abstained": 2}


def test_output_files_and_records(data):
    s, _ = run(data, "out")
    out = data / "out"
    for name in (QUESTIONS, SUMMARY, REPORT, CHART, RUN):
        assert (out / name).is_file(), name
    assert (out / CHART).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    records = read_records(out / QUESTIONS)
    assert [r["id"] for r in records] == [g["id"] for g in GOLD]
    q1 = records[0]
    assert q1["short"] == "Saudi Arabia" and q1["citations"][0]["article_id"] == "art-rainbow"
    assert q1["choice"]["index"] == 1 and q1["articles"][0] == "art-rainbow"
    assert set(q1["timings"]) >= {"retrieve", "total"} and q1["metrics"]["em"] == 1.0
    assert json.loads((out / SUMMARY).read_text())["overall"] == s["overall"]
    report = (out / REPORT).read_text()
    assert "## EM (RealTimeQA rule)" in report and "| this run | 50.0 (n=2) |" in report
    assert "open_gpt3_gcs" not in report  # the published DEV baselines answered other questions than these
    assert "| gold text in no retrieved passage | 1 | 1 | 0 | 2 |" in report


def test_resume_skips_answered_questions_and_limit_restricts(data):
    first, gen1 = run(data, "out", limit=2)
    assert first["n"] == 2 and len(gen1.prompts) == 2
    again, gen2 = run(data, "out")  # resumes: q1, q2 are not asked again
    assert len(gen2.prompts) == 2  # the first two replies (q1, q2's) are consumed by q3 and q5 now
    assert again["n"] == 6 and len(read_records(data / "out" / QUESTIONS)) == 6
    third, gen3 = run(data, "out")
    assert gen3.prompts == [] and scores(third) == scores(again)


def test_two_runs_give_the_same_scores(data):
    a, _ = run(data, "out-a", index="idx-a")
    b, _ = run(data, "out-b", index="idx-b")
    assert scores(a) == scores(b)


def test_resume_refuses_other_settings(data):
    run(data, "out", limit=1)
    assistant, _ = fake_assistant(data / "idx")
    other = Assistant(assistant.settings.replace(**{"retrieval.top_k": 3}), assistant.store, assistant.embedder,
                      ScriptedGenerator(REPLIES))
    with pytest.raises(ConfigError, match=r"retrieval.top_k: 8 → 3"):
        run_eval(data / "gold.jsonl", out=data / "out", assistant=other, progress=False, choices=True)
    assistant.close()


def test_truncated_last_line_is_dropped_and_asked_again(data):
    run(data, "out", limit=2)
    path = data / "out" / QUESTIONS
    text = path.read_text()
    path.write_text(text[: len(text) - 40])  # a crash mid-write
    s, gen = run(data, "out", limit=2)
    assert s["n"] == 2 and len(gen.prompts) == 1


def test_cli_runs_the_suite_without_models(data, tmp_path, capsys):
    settings = tmp_path / "qa.toml"
    settings.write_text('[embedding]\nbackend = "hash"\n')
    rc = main(["--settings", str(settings), "eval", str(data / "gold.jsonl"), "--corpus", str(data / "corpus"),
               "--index", str(data / "cli-idx"), "--out", str(data / "cli-out"), "--choices", "--no-llm", "--limit", "3"])
    assert rc == 0
    out = capsys.readouterr().out
    assert "3 questions" in out and "MC acc" in out and str(data / "cli-out" / REPORT) in out
    run_json = json.loads((data / "cli-out" / RUN).read_text())
    assert run_json["model"].startswith("none") and run_json["temperature"] == 0.0
    # the corpus is now indexed: a second run writes nothing to the index
    mtime = (data / "cli-idx" / "manifest.json").stat().st_mtime_ns
    rc = main(["--settings", str(settings), "eval", str(data / "gold.jsonl"), "--corpus", str(data / "corpus"),
               "--index", str(data / "cli-idx"), "--out", str(data / "cli-out2"), "--no-llm", "--limit", "1"])
    assert rc == 0 and (data / "cli-idx" / "manifest.json").stat().st_mtime_ns == mtime


def test_cli_reports_a_missing_gold_file_in_one_line(tmp_path, capsys):
    rc = main(["eval", str(tmp_path / "nope.jsonl"), "--index", str(tmp_path / "idx"), "--no-llm"])
    err = capsys.readouterr().err
    assert rc == 1 and "nope.jsonl does not exist" in err and "Traceback" not in err


def test_rescore_recomputes_metrics_from_the_records(data):
    s, _ = run(data, "out")
    path = data / "out" / QUESTIONS
    records = read_records(path)
    for r in records:  # as if written by an older metric definition
        r["metrics"] = {**r["metrics"], "em": 0.0, "cit_precision": None, "cit_pairs": None, "mc_correct": 0.0}
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main_rescore(["rescore", str(data / "out")]) == 0
    again = json.loads((data / "out" / SUMMARY).read_text())
    assert scores(again) == scores(s)
