"""Shared fixtures: fake and real components, sample data, and the ../shared data folder (skipped when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# The fast path for tests: SmolLM2-135M wherever a test does not name its model (the default answer model is
# Qwen2.5-Coder-1.5B; tests that need it say so). QA_MODEL reaches the `qa` subprocesses, DEFAULT the in-process
# settings built without the environment.
os.environ.setdefault("QA_MODEL", "smollm2-135m")
import qa.generate.models as _models  # noqa: E402
from eval import data as shared_data  # noqa: E402

_models.DEFAULT = os.environ["QA_MODEL"] if os.environ["QA_MODEL"] in _models.NAMES else "smollm2-135m"

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "corpus" / "sample"
SAMPLE_ARTICLE = SAMPLE / "huawei-ren-remarks.txt"
SHARED = shared_data.SHARED.resolve()  # eval/data.py: the one module that knows where ../shared/data lies
SEED_QUESTIONS = SHARED / "seed" / "questions.jsonl"
DEV = SHARED / "realtimeqa-dev"


def needs_shared(*parts: str) -> Path:
    """The path under ../shared/data, or skip the test with the reason."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (../shared/data is not mounted here)")
    return path


@pytest.fixture
def hash_settings(tmp_path):
    """Settings with the deterministic hash embedder and a temporary index folder."""
    from qa.config import Settings

    # The abstention threshold is calibrated for the real embedding model; hash vectors score lower.
    return Settings.load(env={}, **{"index_dir": str(tmp_path / "index"), "embedding.backend": "hash",
                                    "answer.abstain_threshold": 0.2})


@pytest.fixture
def fake_assistant(hash_settings):
    """An Assistant over a temporary index with the hash embedder and a scripted generator (replies set per test)."""
    from qa.assistant import Assistant
    from qa.testing import ScriptedGenerator

    def make(replies=("",), paths=(SAMPLE,)):
        gen = ScriptedGenerator(list(replies))
        a = Assistant.open(settings=hash_settings, create=True, generator=gen)
        if paths:
            a.add(list(paths), progress=False)
        return a

    return make


@pytest.fixture(scope="session")
def real_sample_index(tmp_path_factory):
    """The sample article indexed with the real embedding model (built once per test session)."""
    from qa.assistant import build_index

    path = tmp_path_factory.mktemp("sample-index")
    build_index([SAMPLE], path, progress=False)
    return path


@pytest.fixture(scope="session")
def real_assistant(real_sample_index):
    """An Assistant with the real embedding model and the real default GGUF model on the sample index."""
    from qa.assistant import Assistant

    a = Assistant.open(real_sample_index)
    yield a
    a.close()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch):
    """No developer's ./qa.toml reaches a test: settings come from defaults, the test's own file, env and overrides."""
    import qa.config

    monkeypatch.setattr(qa.config, "default_settings_file", lambda: None)


# -- the seed questions (the sample article's gold set), checked the same way on every index -------------------
SEED_GOLD = REPO / "eval" / "gold" / "seed.jsonl"  # a copy of ../shared/data/seed/questions.jsonl, bundled


def seed_questions() -> list[dict]:
    import json

    return [json.loads(line) for line in SEED_GOLD.read_text().splitlines() if line.strip()]


def check_seed_answer(assistant, q: dict, *, offsets: bool = True) -> None:  # noqa: ANN001
    """The answer to a seed question: abstains when it should; else holds a gold answer, cites a supporting sentence,
    and (``offsets``) every citation's offsets point at its sentence in the stored article."""
    from qa.answer.cite import SENTINEL

    ans = assistant.ask(q["question"], history=q.get("history"))
    if not q["answerable"]:
        assert ans.abstained and ans.text == SENTINEL and not ans.citations
        return
    assert not ans.abstained, ans.dropped
    assert any(a.lower() in ans.text.lower() for a in q["answers_any"]), ans.text
    assert any(s in c.passage_text for c in ans.citations for s in q["support"]), [c.sentence for c in ans.citations]
    if offsets:
        for c in ans.citations:
            assert assistant.store.article(c.article_id).text[c.start:c.end] == c.sentence


def open_with_qwen(index_dir):  # noqa: ANN001, ANN201
    """An Assistant on the index with the default model, Qwen2.5-Coder-1.5B, or skip where it is not installed."""
    from qa.assistant import Assistant
    from qa.generate.models import QWEN, ModelError, assembled

    try:
        assembled(QWEN)
    except ModelError as e:
        pytest.skip(f"Qwen2.5-Coder-1.5B is not installed: {e}")
    return Assistant.open(index_dir, **{"llm.model": "qwen2.5-coder-1.5b"})
