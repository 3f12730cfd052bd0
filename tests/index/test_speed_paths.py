"""The fast paths of issue 17 give the results of the paths they replace: date windows cut from a sorted table,
BM25 ranked once per row, FAISS windows as a bitmap, exact search of a window on an HNSW graph, the HNSW graph
built at save past exact_search_max, data-parallel embedding batches, and int8 weights that follow the index."""

from __future__ import annotations

import json

import numpy as np
import pytest

from qa.assistant import Assistant
from qa.index import manifest
from qa.index.db import BM25
from qa.index.keyword import fts_query
from qa.index.vectors import FaissIndex

from tests.embed.test_ort import _texts, cache, tiny_model  # noqa: F401 - fixtures
from tests.index.test_store import write_articles


def _dated_index(hash_settings, tmp_path, n=30):
    folder = tmp_path / "docs"
    folder.mkdir()
    for i in range(n):
        day = None if i % 7 == 0 else f"2023-{1 + i % 12:02d}-{1 + (i * 5) % 28:02d}"
        record = {"id": f"a{i}", "title": f"Report {i} on topic{i % 4}", "text": " ".join(
            f"Sentence {j} about topic{i % 4} and word{(i * j) % 17} in town{i % 5}." for j in range(30))}
        if day:
            record["published"] = day
        (folder / f"a{i}.json").write_text(json.dumps(record))
    a = Assistant.open(settings=hash_settings, create=True)
    a.add([folder], progress=False)
    return a


WINDOWS = [(None, None), ("2023-03-01", None), (None, "2023-06-15"), ("2023-02-10", "2023-02-10"),
           ("2023-04-01", "2023-09-30"), ("2024-01-01", None), (None, "2022-12-31"), ("2023-09-30", "2023-04-01")]


def test_date_windows_equal_the_sql_query(hash_settings, tmp_path):
    a = _dated_index(hash_settings, tmp_path)
    for lo, hi in WINDOWS:
        for keep in (True, False):
            got = a.store.backend.chunk_ids_between(lo, hi, keep)
            want = np.sort(a.store.db.chunk_ids_between(lo, hi, keep))
            assert np.array_equal(got, want), (lo, hi, keep)
            assert np.all(got[1:] > got[:-1])  # sorted, no repeats
    assert len(a.store.backend.chunk_ids_between(None, "2023-06-15")) > len(a.store.backend.chunk_ids_between(None, "2023-06-15", False)) > 0


def test_bm25_ranks_as_the_two_evaluation_query_did(hash_settings, tmp_path):
    a = _dated_index(hash_settings, tmp_path)
    db = a.store.db
    old = f"SELECT rowid, -{BM25} FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY {BM25} LIMIT ?"
    for query in ("topic1 town2 word3", "report topic3", "sentence about word5 word11"):
        expr = fts_query(query)
        want = [(int(r), float(s)) for r, s in db._all(old, (expr, 10))]
        assert db.bm25(expr, 10) == want and want
        allowed = a.store.backend.chunk_ids_between("2023-03-01", "2023-08-31")
        allowed_set = set(allowed.tolist())
        want = [(r, s) for r, s in (tuple(x) for x in db._all(old, (expr, 200))) if r in allowed_set][:10]
        assert db.bm25(expr, 10, allowed) == want
        assert db.bm25(expr, 10, allowed[::-1].copy()) == want  # an unsorted window too
        assert db.bm25(expr, 10, np.array([], dtype=np.int64)) == []


def _vectors(n=600, d=32, seed=0):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, d)).astype(np.float32)
    v[5] = v[4]  # a duplicate text: equal scores
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.arange(1000, 1000 + n, dtype=np.int64), v


def _exact(ids, vecs, q, k, allowed):
    mask = np.isin(ids, allowed)
    scores = vecs[mask] @ q
    order = np.lexsort((ids[mask], -scores))[:k]
    return [int(i) for i in ids[mask][order]]


def test_flat_window_as_a_bitmap_equals_the_id_batch_selector():
    import faiss

    ids, vecs = _vectors()
    flat = FaissIndex.new(vecs.shape[1], len(ids), exact_max=10_000)
    flat.add(ids, vecs)
    rng = np.random.default_rng(1)
    for size in (1, 7, 150, 599):
        allowed = np.sort(rng.choice(ids, size=size, replace=False))
        for q in vecs[rng.choice(len(vecs), 5)]:
            sel = faiss.IDSelectorBatch(allowed)
            s, i = flat.index.search(q.reshape(1, -1), 10, params=faiss.SearchParameters(sel=sel))
            want = [(int(a), float(b)) for a, b in zip(i[0], s[0]) if a >= 0]
            assert flat.search(q, 10, allowed) == want


def test_hnsw_window_is_searched_exactly_among_its_vectors():
    ids, vecs = _vectors()
    hnsw = FaissIndex.new(vecs.shape[1], len(ids), exact_max=0)
    assert hnsw.kind == "IndexHNSWFlat"
    hnsw.add(ids[:400], vecs[:400])
    hnsw.add(ids[400:], vecs[400:])  # rows of a later add are found too
    rng = np.random.default_rng(2)
    for size in (1, 3, 40, 300):
        allowed = np.sort(rng.choice(ids, size=size, replace=False))
        allowed = np.append(allowed, [5, 999_999])  # ids the index does not hold are ignored
        for q in vecs[rng.choice(len(vecs), 5)]:
            got = hnsw.search(q, 10, allowed)
            assert [i for i, _ in got] == _exact(ids, vecs, q, 10, allowed)
            assert all(a[1] >= b[1] for a, b in zip(got, got[1:]))
    q = vecs[4]
    assert [i for i, _ in hnsw.search(q, 2, ids[[4, 5, 9]])] == [1004, 1005]  # equal scores: by id


def test_save_turns_a_flat_index_past_exact_search_max_into_hnsw(hash_settings, tmp_path):
    settings = hash_settings.replace(**{"ingest.exact_search_max": 20})
    folder = tmp_path / "docs"
    write_articles(folder, 12, words=200)
    a = Assistant.open(settings=settings, create=True)
    a.add([folder], progress=False)
    n = a.stats().chunks
    assert n > 20 and a.stats().faiss == "IndexHNSWFlat"
    hits = a.store.dense_search(a.embedder.embed(["topic3 word7"])[0], 5)
    a.close()
    b = Assistant.open(settings=settings)
    assert len(b.store.backend.vectors()) == n and b.store.backend.vectors().kind == "IndexHNSWFlat"
    assert b.store.dense_search(b.embedder.embed(["topic3 word7"])[0], 5) == hits


def test_data_parallel_batches_equal_one_batch_at_a_time(tiny_model, cache):  # noqa: F811
    from qa.embed import ort

    target = ort.export_dir(tiny_model, quantized=False)
    ort.load_onnx(tiny_model, quantized=False)
    texts = _texts(37, seed=3)
    batches = ort.OnnxEncoder(tiny_model, target / ort.ONNX_FILE, threads=2, parallel="batches")
    ops = ort.OnnxEncoder(tiny_model, target / ort.ONNX_FILE, threads=2, parallel="ops")
    assert batches.parallel == "batches" and ops.parallel == "ops"
    for size in (4, 32):
        np.testing.assert_allclose(batches.encode(texts, batch_size=size), ops.encode(texts, batch_size=size), atol=1e-5)
    one = np.vstack([ops.encode([t]) for t in texts[:6]])
    np.testing.assert_allclose(batches.encode(texts[:6]), one, atol=1e-5)  # 6 texts: 2 batches of 3, order kept


def test_s8_and_u8_exports_are_separate_and_both_close(tiny_model, cache):  # noqa: F811
    from qa.embed import ort

    u8, s8 = ort.export_dir(tiny_model, True, "u8"), ort.export_dir(tiny_model, True, "s8")
    assert u8 != s8 and u8.name.endswith("-int8") and s8.name.endswith("-int8")
    fp32 = ort.load_onnx(tiny_model, quantized=False).encode(_texts(12), normalize_embeddings=True)
    for weights in ("u8", "s8"):
        v = ort.load_onnx(tiny_model, quantized=True, weights=weights).encode(_texts(12), normalize_embeddings=True)
        assert np.min(np.sum(v * fp32, axis=1)) > 0.9, weights
    assert json.loads((s8 / "export.json").read_text())["weights"] == "s8"
    assert ort.default_weights() in ort.WEIGHTS


class _Int8Embedder:
    """The hash embedder with the int8 weight switch of the ONNX int8 backend."""

    def __init__(self, weights):
        from qa.testing import HashEmbedder

        self._inner = HashEmbedder()
        self.name, self.dim, self.int8_weights = "hash-int8", self._inner.dim, weights
        self.switched = []

    def use_int8_weights(self, weights):
        self.switched.append(weights)
        self.int8_weights = weights

    def embed(self, texts):
        return self._inner.embed(texts)

    def count_tokens(self, texts):
        return self._inner.count_tokens(texts)


def test_an_index_is_read_with_the_int8_weights_it_was_built_with(hash_settings, tmp_path):
    from qa.index import Index

    settings = hash_settings.replace(**{"embedding.backend": "onnx-int8"})
    folder = tmp_path / "idx"
    Index(folder, settings, _Int8Embedder("s8")).save()
    assert json.loads((folder / "manifest.json").read_text())["embedding"]["int8"] == "s8"
    reader = _Int8Embedder("u8")
    Index(folder, settings, reader, create=False)  # opens: the embedder takes the index's s8 weights
    assert reader.switched == ["s8"] and reader.int8_weights == "s8"
    data = json.loads((folder / "manifest.json").read_text())
    del data["embedding"]["int8"]  # an index from before the s8 recipe: u8 weights
    (folder / "manifest.json").write_text(json.dumps(data))
    old = _Int8Embedder("s8")
    Index(folder, settings, old, create=False)
    assert old.switched == ["u8"] and "int8" not in manifest.fingerprint(settings, old)["embedding"]


def test_a_wide_window_on_hnsw_walks_the_graph_and_keeps_to_the_window(monkeypatch):
    from qa.index import vectors

    ids, vecs = _vectors()
    hnsw = FaissIndex.new(vecs.shape[1], len(ids), exact_max=0)
    hnsw.add(ids, vecs)
    monkeypatch.setattr(vectors, "SUBSET_EXACT", 10)  # every window wider than 10 ids: the filtered graph walk
    allowed = ids[::2]
    hits = 0
    for q in vecs[:20]:
        got = hnsw.search(q, 10, allowed)
        assert len(got) == 10 and set(i for i, _ in got) <= set(allowed.tolist())
        hits += len(set(i for i, _ in got) & set(_exact(ids, vecs, q, 10, allowed)))
    assert hits / 200 > 0.9  # recall@10 of the walk on 600 vectors


def test_llama_threads_follow_the_cores_other_processes_leave(monkeypatch):
    from qa.generate import llama

    monkeypatch.setattr(llama, "cores", lambda: 2)
    samples = iter([(0.0, 0.0, 0.0), (1.0, 1.0, 0.9), (2.0, 2.9, 1.8), (2.1, 3.0, 1.85), (3.0, 3.5, 2.7)])
    monkeypatch.setattr(llama.CpuShare, "_sample", staticmethod(lambda: next(samples)))
    share = llama.CpuShare()
    assert share.free_cores() == 2  # 1 s: 1.0 busy, 0.9 of it ours -> others 0.1 core: both cores
    assert share.free_cores() == 1  # 1 s: 1.9 busy, 0.9 ours -> another process held a core
    assert share.free_cores() == 1  # 0.1 s later: too short a window, the last answer stands
    assert share.free_cores() == 2  # 1 s: 0.5 busy, 0.85 ours (rounding of ticks) -> idle again
    assert not hasattr(share, "mark")  # windows span our own calls: back-to-back calls still see a competitor
    assert llama._common([1, 2, 3, 4], [1, 2, 5]) == 2 and llama._common([], [1]) == 0


def test_llama_weight_repack_is_off_with_amx_and_the_load_parameters_are_restored(monkeypatch):
    import types

    from qa.config import LLMSettings
    from qa.generate import llama

    gen = object.__new__(llama.LlamaCppGenerator)  # no model file needed for the setting's logic
    for amx, setting, want in [(True, "auto", False), (False, "auto", True), (True, "on", True), (False, "off", False)]:
        monkeypatch.setattr(llama, "has_amx", lambda amx=amx: amx)
        gen.settings = LLMSettings(repack=setting)
        assert gen.repack is want, (amx, setting)

    class Params:  # stands in for llama_cpp's ctypes struct
        use_extra_bufts = True

    module = types.SimpleNamespace(llama_model_default_params=Params)
    package = types.SimpleNamespace(llama_cpp=module)
    with llama._model_params(package, use_extra_bufts=False, not_a_field=1):
        p = module.llama_model_default_params()
        assert p.use_extra_bufts is False and not hasattr(p, "not_a_field")
    assert module.llama_model_default_params is Params  # restored for every later load
    with pytest.raises(RuntimeError), llama._model_params(package, use_extra_bufts=False):
        raise RuntimeError("a failed load")
    assert module.llama_model_default_params is Params


@pytest.mark.model
def test_the_answer_model_loads_and_reads_on_this_cpu():
    """The real GGUF model through the real llama.cpp build: with AMX, the extra buffers crashed the first prompt."""
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator

    gen = LlamaCppGenerator(LLMSettings(model="smollm2-135m"))
    said = gen.complete(gen.chat_prompt([{"role": "user", "content": "What is the capital of France? One word."}]),
                        max_tokens=6, stop=["\n"])
    assert gen.calls[-1]["prompt_tokens"] > 5 and gen.calls[-1]["generated_tokens"] >= 1
    assert said.strip()



def test_a_wide_and_a_narrow_window_score_their_vectors_alike():
    """The subset search scores a wide window in one pass over every vector and a narrow one by copying its rows:
    both give the exact top k among the window."""
    from qa.index.vectors import FaissIndex

    rng = np.random.default_rng(3)
    vecs = rng.standard_normal((3000, 16)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    ids = np.arange(10, 3010, dtype=np.int64)
    index = FaissIndex.build(16, len(ids), 1000, [(ids, vecs)])  # over exact_search_max: HNSW
    assert index.kind == "IndexHNSWFlat"
    for size in (50, 2500):  # 1.7% and 83% of the vectors: the two ways
        allowed = np.sort(rng.choice(ids, size, replace=False))
        for q in vecs[:20]:
            got = index._subset_search(q, 10, allowed)
            want = allowed[np.argsort(-(vecs[allowed - 10] @ q), kind="stable")[:10]]
            assert [i for i, _ in got] == want.tolist()
