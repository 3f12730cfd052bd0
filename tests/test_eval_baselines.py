"""eval/baselines.json agrees with the published table it was transcribed from (../shared/.../BASELINES.md)."""

from __future__ import annotations

import re

import pytest

from eval.report import load_baselines

from .conftest import needs_shared


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
