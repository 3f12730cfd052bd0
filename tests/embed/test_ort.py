"""ONNX embedding backend (qa/embed/ort.py): export once into our cache, reuse it, match the torch backend."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from qa.embed import ort
from qa.errors import ModelError

WORDS = ("the a of to in and is was he she it said news court vote city team game won lost price rose fell "
         "president minister police fire storm rain school bank market oil year week day").split()


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    """A tiny random BERT saved as a sentence-transformers folder (mean pooling + normalise), made offline."""
    pytest.importorskip("onnxruntime")
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Normalize, Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    root = tmp_path_factory.mktemp("tiny")
    hf = root / "hf"
    hf.mkdir()
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS, *[f"##{c}" for c in "abcdefghijklmnopqrstuvwxyz"],
             *"abcdefghijklmnopqrstuvwxyz"]
    (hf / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizerFast(vocab_file=str(hf / "vocab.txt")).save_pretrained(str(hf))
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    import torch

    torch.manual_seed(0)
    BertModel(config).save_pretrained(str(hf))
    word = Transformer(str(hf), max_seq_length=48)
    st = SentenceTransformer(modules=[word, Pooling(32, pooling_mode="mean"), Normalize()], device="cpu")
    folder = root / "tiny-st"
    st.save(str(folder))
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _texts(n: int, seed: int = 1) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, size=int(rng.integers(1, 60)))) for _ in range(n)]


def test_export_matches_torch_and_lands_in_our_cache(tiny_model, cache):
    from sentence_transformers import SentenceTransformer

    before = sorted(p.name for p in tiny_model.rglob("*"))
    texts = _texts(20)
    ref = SentenceTransformer(str(tiny_model), device="cpu").encode(texts, normalize_embeddings=True)
    fp32 = ort.load_onnx(tiny_model, quantized=False)
    int8 = ort.load_onnx(tiny_model, quantized=True)
    v32 = fp32.encode(texts, batch_size=4, normalize_embeddings=True)
    v8 = int8.encode(texts, batch_size=4, normalize_embeddings=True)
    assert v32.shape == ref.shape == (20, 32) and v32.dtype == np.float32
    assert np.min(np.sum(v32 * ref, axis=1)) > 0.9999
    assert np.min(np.sum(v8 * ref, axis=1)) > 0.9  # random weights quantise worse than trained ones
    np.testing.assert_allclose(np.linalg.norm(v8, axis=1), 1.0, atol=1e-5)
    assert sorted(p.name for p in tiny_model.rglob("*")) == before  # the model folder is never written to
    exports = sorted((p.name for p in (cache / "onnx").iterdir()), key=lambda e: e.rsplit("-", 1)[1])  # fp32, int8
    assert [e.rsplit("-", 1)[1] for e in exports] == ["fp32", "int8"]
    assert not [e for e in exports if "." in e]  # no temporary export folder left behind
    assert os.path.getsize(cache / "onnx" / exports[1] / "model.onnx") < os.path.getsize(cache / "onnx" / exports[0] / "model.onnx")


def test_second_load_reuses_the_export(tiny_model, cache, monkeypatch):
    ort.load_onnx(tiny_model, quantized=True)

    def boom(*_a, **_k):
        raise AssertionError("exported twice")

    monkeypatch.setattr(ort, "_export", boom)
    encoder = ort.load_onnx(tiny_model, quantized=True)
    assert encoder.encode(["court vote"]).shape == (1, 32)


def test_batches_are_length_sorted_but_rows_keep_input_order(tiny_model, cache):
    encoder = ort.load_onnx(tiny_model, quantized=False)
    texts = _texts(13, seed=2)
    one_by_one = np.vstack([encoder.encode([t]) for t in texts])
    batched = encoder.encode(texts, batch_size=5)
    np.testing.assert_allclose(batched, one_by_one, atol=1e-5)


def test_truncation_follows_max_seq_length(tiny_model, cache):
    encoder = ort.load_onnx(tiny_model, quantized=False)
    long = " ".join(["storm"] * 10 + ["bank"] * 200)
    encoder.max_seq_length = 8  # [CLS] + 6 words + [SEP]: every word kept is 'storm'
    assert np.allclose(encoder.encode([long]), encoder.encode([" ".join(["storm"] * 6)]), atol=1e-5)


def test_embedder_uses_the_onnx_backend(tiny_model, cache):
    from qa.config import EmbeddingSettings
    from qa.embed.st import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(EmbeddingSettings(model=str(tiny_model), backend="onnx-int8", max_tokens=48))
    vecs = emb.embed(["police said", "oil price rose"])
    assert vecs.shape == (2, 32) and emb.dim == 32
    assert isinstance(emb.model, ort.OnnxEncoder) and emb.model.max_seq_length == 48


def test_export_dir_changes_with_the_weights(tmp_path, cache):
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"1234")
    a = ort.export_dir(folder, quantized=True)
    (folder / "model.safetensors").write_bytes(b"12345")
    b = ort.export_dir(folder, quantized=True)
    assert a != b and a.parent == b.parent == cache / "onnx" and a.name.endswith("-int8")


def test_unsupported_pooling_is_one_clear_error(tmp_path):
    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "modules.json").write_text(json.dumps([
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]))
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_max_tokens": True}))
    with pytest.raises(ModelError, match="embedding.backend = 'torch'"):
        ort._pooling(tmp_path)


def test_unwritable_cache_is_one_clear_error(tiny_model, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QA_CACHE_DIR", str(blocker))
    with pytest.raises(ModelError, match="QA_CACHE_DIR"):
        ort.load_onnx(tiny_model, quantized=False)


@pytest.mark.model
def test_real_model_int8_stays_close_to_torch(tmp_path, monkeypatch):
    """all-MiniLM-L6-v2: fp32 ONNX equals torch; int8 keeps cosine > 0.97 on news-like text."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path / "cache"))
    from qa.config import EmbeddingSettings
    from qa.embed.st import SentenceTransformerEmbedder

    texts = ["Ren Zhengfei said Huawei would survive the chip export ban.", "Stocks fell on Tuesday as oil rose.",
             "The city council voted 7-2 to approve the new budget after a long debate about police funding. " * 4]
    ref = SentenceTransformerEmbedder(EmbeddingSettings(backend="torch")).embed(texts)
    for backend, floor in (("onnx", 0.9999), ("onnx-int8", 0.97)):
        vecs = SentenceTransformerEmbedder(EmbeddingSettings(backend=backend)).embed(texts)
        assert np.min(np.sum(vecs * ref, axis=1)) > floor, backend
