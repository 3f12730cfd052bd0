"""`qa eval` end to end with the real models (MiniLM embeddings, SmolLM2 GGUF) on the sample article."""

from __future__ import annotations

import json
import re

import pytest

from eval.run import CHART, QUESTIONS, REPORT, SUMMARY, read_records
from qa.cli import main

from tests.conftest import REPO


@pytest.mark.model
def test_qa_eval_on_the_seed_set_end_to_end(tmp_path, capsys):
    gold = REPO / "eval" / "gold" / "seed.jsonl"
    # One llama.cpp thread: on a machine shared with other jobs, two spinning threads run ~15x slower than one.
    settings = tmp_path / "qa.toml"
    settings.write_text("[llm]\nthreads = 1\n")
    args = ["--settings", str(settings), "eval", str(gold), "--corpus", str(REPO / "corpus" / "sample"),
            "--index", str(tmp_path / "idx")]
    assert main([*args, "--out", str(tmp_path / "out")]) == 0
    assert "8 questions" in capsys.readouterr().out
    out = tmp_path / "out"
    for name in (QUESTIONS, SUMMARY, REPORT, CHART):
        assert (out / name).stat().st_size > 0, name
    records = read_records(out / QUESTIONS)
    summary = json.loads((out / SUMMARY).read_text())
    assert [r["id"] for r in records] == [json.loads(line)["id"] for line in gold.read_text().splitlines()]
    assert summary["n"] == 8 and summary["errors"] == 0

    # The summary is the mean of the per-question file, and the report shows the same figures.
    correct = [r["metrics"]["seed_correct"] for r in records]
    assert summary["overall"]["seed_correct"] == {"value": sum(correct) / 8, "n": 8}
    answerable = [r for r in records if r["gold"]["answerable"]]
    assert summary["overall"]["false_abstention"]["value"] == sum(r["abstained"] for r in answerable) / len(answerable)
    unanswerable = [r for r in records if not r["gold"]["answerable"]]
    assert summary["overall"]["abstention_accuracy"]["value"] == sum(r["abstained"] for r in unanswerable) / len(unanswerable)
    pairs = sum(r["metrics"]["cit_pairs"] or 0 for r in records)
    supported = sum(r["metrics"]["cit_supported"] or 0 for r in records)
    assert pairs > 0 and summary["overall"]["citation_precision"]["value"] == supported / pairs
    for r in records:  # every non-abstained answer cites stored text
        assert r["abstained"] or r["citations"], r["id"]
    totals = sorted(r["timings"]["total"] for r in records)
    assert summary["latency"]["total"]["p50"] == pytest.approx((totals[3] + totals[4]) / 2)
    report = (out / REPORT).read_text()
    row = re.search(r"## Seed correctness.*?\| this run \| ([\d.]+) \(n=8\)", report, re.S)
    assert row and float(row.group(1)) == round(100 * sum(correct) / 8, 1)
    assert summary["peak_rss_mb"] > 100 and summary["tokens_per_s"]["n"] > 0

    # Deterministic: a second run (fresh --out, same index, temperature 0) answers the same way.
    assert main([*args, "--out", str(tmp_path / "out2"), "--limit", "3"]) == 0
    again = read_records(tmp_path / "out2" / QUESTIONS)
    assert [(r["answer"], r["metrics"]) for r in again] == [(r["answer"], r["metrics"]) for r in records[:3]]
