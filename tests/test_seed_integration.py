"""The sample article's gold questions, answered with the real embedding model and the real GGUF model."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import check_seed_answer, open_with_qwen, seed_questions

pytestmark = pytest.mark.model


@pytest.mark.parametrize("q", seed_questions(), ids=lambda q: q["id"])
def test_seed_question(real_assistant, q):
    check_seed_answer(real_assistant, q)


def test_cli_ask_prints_answer_and_sources(real_sample_index):
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "What did Ren say about chips?", "--index", str(real_sample_index)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "not invest in chip" in out.stdout and "Sources:" in out.stdout
    assert "will not invest in chip technology" in out.stdout.split("Sources:")[1]
    assert out.stderr.strip() == ""  # llama.cpp and the libraries keep quiet


def test_cli_json_answer_object(real_sample_index):
    out = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "Where did Huawei open a new laboratory?", "--json",
                          "--index", str(real_sample_index)], capture_output=True, text=True, timeout=600)
    data = json.loads(out.stdout)
    assert {"text", "short", "citations", "passages", "abstained", "timings", "tokens"} <= set(data)
    assert data["timings"]["total"] >= data["timings"]["retrieve"] > 0
    assert "Taiyuan" in data["text"]


@pytest.fixture(scope="module")
def qwen_assistant(real_sample_index):
    """The default answer model, Qwen2.5-Coder-1.5B (assembled from its installed parts), reading on the sample index."""
    a = open_with_qwen(real_sample_index)
    yield a
    a.close()


@pytest.mark.parametrize("q", [q for q in seed_questions() if q["answerable"]], ids=lambda q: q["id"])
def test_seed_short_answer_with_qwen(qwen_assistant, q):
    """Answer.short itself (not only the answer text) holds the gold answer, with the model reading."""
    ans = qwen_assistant.ask(q["question"], history=q.get("history"))
    assert not ans.abstained, ans.dropped
    assert any(a.lower() in ans.short.lower() for a in q["answers_any"]), ans.short
