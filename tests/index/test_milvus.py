"""The Milvus backend against real Milvus Lite (the engine embedded, in a tmp folder): ingest, dense + BM25 search,
date filters pushed down, article upsert and delete, reopen and rebuild, fingerprint rules, and the seed questions."""

from __future__ import annotations

import json
import sqlite3

import pytest

from qa.errors import ConfigError, IndexMismatchError, StoreError
from qa.index.backend import DateWindow

from tests.conftest import SAMPLE, SAMPLE_ARTICLE, check_seed_answer, seed_questions

pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

QUERIES = ("What did Ren say about chips?", "Huawei laboratory Taiyuan", "Biden phone call", "smartphone sales")


def _open(tmp_path, backend="milvus", name="index", **extra):
    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.testing import ScriptedGenerator

    settings = Settings.load(env={}, **{"index_dir": str(tmp_path / name), "embedding.backend": "hash",
                                        "index.backend": backend, "answer.abstain_threshold": 0.2, **extra})
    return Assistant.open(settings=settings, create=True, generator=ScriptedGenerator([""]))


def _articles(folder, rows):
    folder.mkdir(exist_ok=True)
    path = folder / "news.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


STORY = ("{w} said the storm reached the coast on {day}. Officials in {w} ordered schools closed and asked people to "
         "stay home while the rivers rose. The weather service expects more rain in {w} through the weekend.")
DATED = [
    {"id": "jan", "title": "Storm in Lisbon", "published": "2022-01-10", "text": STORY.format(w="Lisbon", day="Monday")},
    {"id": "mar", "title": "Storm in Porto", "published": "2022-03-05", "text": STORY.format(w="Porto", day="Friday")},
    {"id": "undated", "title": "Storm in Faro", "text": STORY.format(w="Faro", day="Sunday")},
]


def _articles_of(store, hits):
    passages = store.passages([cid for cid, _ in hits])
    return {passages[cid].article_id for cid, _ in hits}


def test_sample_ingest_dense_and_bm25_search(tmp_path):
    a = _open(tmp_path)
    report = a.add([SAMPLE], progress=False)
    st = a.stats()
    assert report.added == 1 and st.chunks == report.chunks > 1
    assert st.faiss.startswith("Milvus Lite") and not (tmp_path / "index" / "vectors.faiss").exists()
    ms = a.store.backend
    assert ms.count() == st.chunks
    vec = a.embedder.embed(["Ren said Huawei will not invest in chip technology"])[0]
    dense = a.store.dense_search(vec, 3)
    assert len(dense) == 3 and dense[0][1] >= dense[-1][1]
    kw = a.store.bm25_search("chips", 10)
    assert kw and all(s > 0 for _, s in kw) and kw[0][1] >= kw[-1][1]
    assert "chip" in a.store.passages([kw[0][0]])[kw[0][0]].text.lower()
    assert a.store.bm25_search("the of and", 5) == []  # stopwords only: no query, as with FTS5
    passages = a.search("What did Ren say about chips?", k=3)  # the Retriever fuses both lists as with FAISS
    assert any("chip" in p.text.lower() for p in passages) and any(p.bm25_rank for p in passages)
    a.close()


def test_bm25_ranks_like_fts5_on_the_sample(tmp_path):
    """Milvus's BM25 over our Porter terms finds what FTS5 finds: same top chunk text, mostly the same set."""
    m, f = _open(tmp_path, "milvus", "m"), _open(tmp_path, "faiss", "f")
    m.add([SAMPLE], progress=False)
    f.add([SAMPLE], progress=False)
    for q in QUERIES:
        mk, fk = m.store.bm25_search(q, 5), f.store.bm25_search(q, 5)
        mt = [m.store.passages([c])[c].text for c, _ in mk]
        ft = [f.store.passages([c])[c].text for c, _ in fk]
        assert mt[0] == ft[0], q
        assert len(set(mt) & set(ft)) >= min(len(ft), 5) - 1, q
    m.close()
    f.close()


def test_keyword_terms_are_fts5_porter_unicode61_terms():
    from qa.index.milvus import keyword_terms

    text = SAMPLE_ARTICLE.read_text() + " Pokémon naïve café COVID-19 relational generalization"
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance')")
    db.execute("INSERT INTO t VALUES(?)", (text,))
    fts = [r[0] for r in db.execute("SELECT term FROM v ORDER BY offset")]
    assert keyword_terms(text) == fts


def test_date_window_is_pushed_down_and_keeps_undated_articles(tmp_path):
    m, f = _open(tmp_path, "milvus", "m"), _open(tmp_path, "faiss", "f")
    src = _articles(tmp_path / "docs", DATED)
    m.add([src], progress=False)
    f.add([src], progress=False)
    vec = m.embedder.embed(["storm coast rivers"])[0]
    for window, want in ((None, {"jan", "mar", "undated"}), (DateWindow("2022-03-01", "2022-03-31"), {"mar", "undated"}),
                         (DateWindow(None, "2022-02-01"), {"jan", "undated"}), (DateWindow("2022-03-05", None), {"mar", "undated"}),
                         (DateWindow("2023-01-01", "2023-12-31"), {"undated"})):
        for a in (m, f):
            assert _articles_of(a.store, a.store.dense_search(vec, 50, window)) == want, (a.store.backend.kind, window)
            assert _articles_of(a.store, a.store.bm25_search("storm rain", 50, window)) == want, (a.store.backend.kind, window)
    # through the Retriever: as_of hides later articles (the three are one story, so one copy is cited)
    for a in (m, f):
        got = [p.article_id for p in a.search("storm coast", as_of="2022-02-01")]
        assert got and "mar" not in got
    from qa.index.milvus import window_filter

    assert window_filter(DateWindow("2022-03-01", "2022-03-31")) == "(day >= 19052 and day <= 19082) or day == -1000000"
    m.close()
    f.close()


def test_changed_article_is_replaced_and_removed_article_deleted(tmp_path):
    a = _open(tmp_path)
    src = _articles(tmp_path / "docs", DATED)
    a.add([src], progress=False)
    ms = a.store.backend
    assert a.store.bm25_search("Porto", 10)
    changed = [dict(r) for r in DATED]
    changed[1]["text"] = changed[1]["text"].replace("Porto", "Braga") + " A bridge in Braga was closed."
    src = _articles(tmp_path / "docs", changed)
    report = a.add([src], progress=False)
    assert report.updated == 1 and report.unchanged == 2
    assert ms.count() == a.stats().chunks
    hits = a.store.bm25_search("Braga bridge", 10)
    assert hits and _articles_of(a.store, hits) == {"mar"}
    assert _articles_of(a.store, a.store.bm25_search("Porto", 10)) <= {"mar"}  # only the title still says Porto
    stored = sorted(r[0] for rows in a.store.db.iter_search_rows() for r in rows if r[1] == "mar")
    assert ms.article_chunk_ids("mar") == stored  # exactly the new chunks of the article, none of the old
    assert a.remove(["jan"]) == 1
    assert ms.article_chunk_ids("jan") == []
    assert ms.count() == a.stats().chunks
    vec = a.embedder.embed(["Lisbon storm"])[0]
    assert "jan" not in _articles_of(a.store, a.store.dense_search(vec, 50))
    assert "jan" not in _articles_of(a.store, a.store.bm25_search("Lisbon", 50))
    a.close()


def test_reopen_uses_the_collection_and_a_stale_one_is_rebuilt(tmp_path, monkeypatch):
    from qa.index.milvus import META, Milvus

    a = _open(tmp_path)
    a.add([SAMPLE], progress=False)
    before = a.store.bm25_search("chips", 5)
    n = a.stats().chunks
    a.close()
    rebuilt = []
    real = Milvus.rebuild
    monkeypatch.setattr(Milvus, "rebuild", lambda self: (rebuilt.append(1), real(self))[1])
    b = _open(tmp_path)
    assert b.store.bm25_search("chips", 5) == before and not rebuilt  # in step: used as it is
    # a batch committed to SQLite after the last save (as after a kill -9 mid-ingest): milvus.json lags
    src = _articles(tmp_path / "docs", DATED)
    b.store.backend._synced = -1  # this process forgets it wrote the batch: the next use must check again
    b.add([src], progress=False)
    b.close()
    meta = json.loads((tmp_path / "index" / META).read_text())
    meta["generation"] -= 1
    (tmp_path / "index" / META).write_text(json.dumps(meta))
    c = _open(tmp_path)
    assert c.store.bm25_search("chips", 5) and rebuilt
    assert c.store.backend.count() == c.stats().chunks == n + 3
    c.close()


def test_backend_is_part_of_the_fingerprint(tmp_path):
    a = _open(tmp_path, "milvus")
    a.add([SAMPLE], progress=False)
    a.close()
    with pytest.raises(IndexMismatchError, match=r'built with index.backend "milvus".*set index.backend'):
        _open(tmp_path, "faiss")
    f = _open(tmp_path, "faiss", "f")
    f.add([SAMPLE], progress=False)
    f.close()
    with pytest.raises(IndexMismatchError, match=r'built with index.backend "faiss", but the settings ask for "milvus"'):
        _open(tmp_path, "milvus", "f")
    # an index written before the backend was recorded is a FAISS index
    manifest = tmp_path / "f" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["index"]
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match='index.backend "faiss"'):
        _open(tmp_path, "milvus", "f")
    _open(tmp_path, "faiss", "f").close()


def test_rebuild_flag_drops_the_collection(tmp_path):
    a = _open(tmp_path)
    a.add([SAMPLE], progress=False)
    a.close()
    from qa.assistant import Assistant

    b = Assistant.open(settings=a.settings, create=True, rebuild=True)
    assert b.store.bm25_search("chips", 5) == [] and b.stats().chunks == 0 and b.store.backend.count() == 0
    b.close()


@pytest.mark.parametrize("key,value,message", [
    ("index.backend", "qdrant", "index.backend must be 'faiss' or 'milvus'"),
    ("index.milvus_uri", "/tmp/milvus", "index.milvus_uri must be ''"),
    ("index.milvus_collection", "news-chunks", "index.milvus_collection must be letters"),
    ("index.milvus_index_type", "IVF_PQ", "index.milvus_index_type must be 'HNSW' or 'FLAT'"),
    ("index.replicas", 0, "index.replicas must be > 0"),
])
def test_bad_index_settings_name_the_value(key, value, message):
    from qa.config import Settings

    with pytest.raises(ConfigError, match=message):
        Settings.load(env={}, **{key: value})


def test_unreachable_server_is_one_line(tmp_path):
    a = _open(tmp_path, **{"index.milvus_uri": "http://127.0.0.1:9"})
    with pytest.raises(StoreError) as err:
        a.add([SAMPLE], progress=False)
    msg = str(err.value)
    assert "cannot open Milvus at http://127.0.0.1:9" in msg and "index.milvus_uri" in msg and "\n" not in msg


# -- the real embedding model, and the seed questions with the real GGUF model ---------------------------

@pytest.fixture(scope="session")
def real_milvus_index(tmp_path_factory):
    """The sample article indexed with the real embedding model into Milvus Lite."""
    from qa.assistant import build_index

    path = tmp_path_factory.mktemp("sample-milvus")
    build_index([SAMPLE], path, progress=False, **{"index.backend": "milvus"})
    return path


@pytest.fixture(scope="session")
def real_milvus_assistant(real_milvus_index):
    from qa.assistant import Assistant

    a = Assistant.open(real_milvus_index, **{"index.backend": "milvus"})
    yield a
    a.close()


@pytest.mark.model
def test_real_model_search_on_milvus(real_milvus_assistant):
    a = real_milvus_assistant
    top = a.search("What did Ren say about chips?", k=3)
    assert any("will not invest in chip" in p.text for p in top)
    assert top[0].dense_rank is not None and top[0].bm25_rank is not None
    lab = a.search("Where did Huawei open a new laboratory?", k=3)
    assert any("Taiyuan" in p.text for p in lab)


@pytest.mark.model
@pytest.mark.parametrize("q", seed_questions(), ids=lambda q: q["id"])
def test_seed_question_on_milvus(real_milvus_assistant, q):
    """The same checks as tests/test_seed_integration.py, on Milvus Lite."""
    check_seed_answer(real_milvus_assistant, q)
