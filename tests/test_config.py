"""The typed settings object: layering, validation, unknown keys."""

from __future__ import annotations

import pytest

from qa.config import Settings, describe
from qa.errors import ConfigError


def test_defaults_are_valid_and_described():
    s = Settings()
    assert s.chunking.max_tokens < s.embedding.max_tokens
    names = {name for name, _, doc in describe() if doc}
    assert {"llm.model", "chunking.max_tokens", "answer.abstain_threshold", "retrieval.top_k"} <= names


def test_file_then_env_then_overrides(tmp_path):
    cfg = tmp_path / "qa.toml"
    cfg.write_text('[retrieval]\ntop_k = 5\n[llm]\nn_ctx = 1024\n')
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    s = Settings.load(cfg, env={"QA_MODEL": str(gguf)}, **{"retrieval.top_k": 7})
    assert s.retrieval.top_k == 7 and s.llm.n_ctx == 1024 and s.llm.model == str(gguf)


def test_unknown_key_is_rejected_with_known_names(tmp_path):
    cfg = tmp_path / "qa.toml"
    cfg.write_text("[retrieval]\ntopk = 5\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'retrieval.topk'.*top_k"):
        Settings.load(cfg, env={})


@pytest.mark.parametrize("key,value,message", [
    ("retrieval.top_k", 0, "retrieval.top_k must be > 0, got 0"),
    ("chunking.max_tokens", 400, "chunking.max_tokens must be 16..254"),
    ("llm.model", "/nowhere/model.gguf", "neither a .gguf file"),
    ("answer.abstain_threshold", "high", "must be float, got 'high'"),
])
def test_bad_values_name_the_value(key, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.load(env={}, **{key: value})


def test_bad_toml_names_the_file(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[llm\n")
    with pytest.raises(ConfigError, match="bad.toml is not valid TOML"):
        Settings.load(cfg, env={})


def test_a_section_built_alone_is_checked():
    from pydantic import ValidationError

    from qa.config import LLMSettings, RetrievalSettings

    with pytest.raises(ValidationError, match="n_ctx"):
        LLMSettings(n_ctx=10)
    with pytest.raises(ValidationError, match="'llama' or 'openai'"):
        LLMSettings(backend="ollama")
    with pytest.raises(ValidationError, match="Extra inputs"):
        RetrievalSettings(topk=3)
    assert RetrievalSettings(top_k=3).top_k == 3


def test_a_preset_sits_under_the_file_the_environment_and_flags(tmp_path):
    fast = Settings.load(env={}, preset="fast")
    assert fast.llm.model == "smollm2-135m" and fast.answer.model_reader == "off" and fast.preset == "fast"
    cfg = tmp_path / "qa.toml"
    cfg.write_text('preset = "fast"\n[answer]\nmodel_reader = "on"\n')
    s = Settings.load(cfg, env={"QA_MODEL": "qwen2.5-coder-1.5b"})
    assert (s.llm.model, s.answer.model_reader) == ("qwen2.5-coder-1.5b", "on")  # file and env win over the preset
    assert Settings.load(env={"QA_PRESET": "extractive"}).llm.enabled is False
    with pytest.raises(ConfigError, match="preset must be one of 'fast', 'extractive', got 'quick'"):
        Settings.load(env={}, preset="quick")


def test_choices_are_written_once():
    from qa.config import EmbeddingSettings, choices

    assert choices(EmbeddingSettings, "backend") == ("onnx-int8", "onnx", "torch", "hash")
    with pytest.raises(ConfigError, match="embedding.backend must be 'onnx-int8', 'onnx', 'torch' or 'hash', got 'cuda'"):
        Settings.load(env={}, **{"embedding.backend": "cuda"})


def test_a_developers_own_qa_toml_never_reaches_a_test(tmp_path, monkeypatch):
    (tmp_path / "qa.toml").write_text("[retrieval]\ntop_k = 3\n")
    monkeypatch.chdir(tmp_path)
    assert Settings.load(env={}).retrieval.top_k == Settings().retrieval.top_k  # the autouse fixture of conftest.py
