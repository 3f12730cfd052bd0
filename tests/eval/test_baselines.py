"""eval/baselines.json agrees with the published table it was transcribed from (../shared/.../BASELINES.md)."""

from __future__ import annotations

import re

import pytest

from eval.report import load_baselines

from tests.conftest import needs_shared


@pytest.mark.shared
def test_baselines_json_matches_baselines_md():
    text = needs_shared("realtimeqa-dev", "BASELINES.md").read_text(encoding="utf-8")
    dev = text[text.index("## DEV set"):]
    rows = re.findall(r"^\| (\w+) \| \d+/\d+ \| (\d+) \| ([\d.]+) \| (\d+) \| ([\d.]+) \| ([\d.]+) \|$", dev, re.M)
    assert len(rows) == 6
    systems = load_baselines()["sets"]["realtimeqa-dev"]["systems"]
    assert {name: (float(mc), float(em), float(f1)) for name, _, mc, _, em, f1 in rows} == {
        name: (s["mc_accuracy"], s["em"], s["f1"]) for name, s in systems.items()}
    assert "(a) or (b): 179/238 (75.2%)" in dev
    assert load_baselines()["sets"]["realtimeqa-dev"]["ceilings"]["contains_gold"]["value"] == 75.2


def test_baselines_are_shown_only_beside_runs_of_the_questions_they_answered(tmp_path):
    from eval.report import baselines_for

    base = load_baselines()["sets"]["realtimeqa-dev"]
    summary = {"run": {"gold_sha1": base["questions_sha1"]}, "formats": {"rtqa": 240}}
    assert baselines_for(summary)["systems"]["open_gpt3_gcs"]["em"] == 38.2
    other = {"run": {"gold_sha1": "0" * 40}, "formats": {"rtqa": 200}}  # RealTimeQA format, other questions
    assert baselines_for(other) is None


@pytest.mark.shared
def test_the_recorded_hash_is_the_dev_questions_file():
    from eval.gold import file_sha1

    path = needs_shared("realtimeqa-dev", "questions.jsonl")
    assert file_sha1(path) == load_baselines()["sets"]["realtimeqa-dev"]["questions_sha1"]
