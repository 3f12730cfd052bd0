"""Fuzz (hypothesis) of the loaders and of index opening (issue 16): random bytes, random nesting, random
encodings and truncated files for every loader; random truncation and corruption of each file of an index folder.

What must hold: no exception escapes (no traceback), every failure is one line naming the file and the fix, and
a damaged index is never answered as an empty one. Example counts are modest (the whole file runs in about a
minute on two cores); `HYPOTHESIS_PROFILE=long` runs ten times as many.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from qa.errors import QAError
from qa.ingest import resolve_ids
from qa.ingest.load import Skipped, load_file

from tests.conftest import SAMPLE

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=400, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

EXTENSIONS = [".txt", ".md", ".html", ".json", ".jsonl", ".csv", ".tsv", ".rss", ".xml", ".jsonl.gz", ".json.gz"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252"]
VALID = {  # one good file per format, for truncation
    ".txt": b"Harbour news\n\nThe Lakeview harbour will reopen on 3 June after repairs, the port authority said.\n",
    ".md": b"---\ntitle: Harbour\n---\n# Harbour\n\nThe **Lakeview** harbour will reopen on 3 June after repairs.\n",
    ".html": b"<html><head><title>Harbour</title></head><body><article><p>The Lakeview harbour will reopen on 3 June "
             b"after repairs costing four million pounds, the port authority said on Monday.</p></article></body></html>",
    ".json": json.dumps([{"title": "Harbour", "text": "The harbour will reopen.", "date": "2022-06-01"},
                         {"title": "Ferry", "text": "The ferry returns.", "url": "https://e.com/f"}]).encode(),
    ".jsonl": b'{"title": "Harbour", "text": "The harbour will reopen."}\n{"title": "Ferry", "text": "The ferry returns."}\n',
    ".csv": b"title,text,date\nHarbour,The harbour will reopen.,2022-06-01\nFerry,\"The ferry, at last, returns.\",\n",
    ".rss": b'<?xml version="1.0"?><rss version="2.0"><channel><title>Daily</title><item><title>Harbour</title>'
            b"<link>http://e.com/1</link><description>The harbour will reopen.</description></item></channel></rss>",
}
VALID[".jsonl.gz"] = gzip.compress(VALID[".jsonl"])
VALID[".json.gz"] = gzip.compress(VALID[".json"])


def _load(folder: Path, name: str, data: bytes) -> list:
    """Load one file; every item must be an Article or a one-line Skipped naming the file (no exception)."""
    path = folder / name
    path.write_bytes(data)
    items = list(load_file(path))
    for item in items:
        if isinstance(item, Skipped):
            assert item.origin.startswith(str(path)), item
            assert item.reason and "\n" not in item.reason and len(item.reason) < 400, item.reason
        else:
            assert item.text and item.id and item.origin.startswith(str(path))
    return items


# -- the loaders --------------------------------------------------------------------------------------

@given(data=st.binary(max_size=3000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes_never_raise(tmp_path_factory, data, ext):
    _load(tmp_path_factory.mktemp("bytes"), "f" + ext, data)


def _nested(depth: int, kind: str, leaf: object) -> object:
    value = leaf
    for i in range(depth):
        value = [value] if kind == "list" or (kind == "mixed" and i % 2) else {"text": value}
    return value


@given(depth=st.integers(0, 3000), kind=st.sampled_from(["list", "dict", "mixed"]),
       where=st.sampled_from(["file", "field", "line"]), ext=st.sampled_from([".json", ".jsonl", ".json.gz"]))
def test_random_nesting_is_a_skip_or_an_article(tmp_path_factory, depth, kind, where, ext):
    leaf = "The harbour will reopen after repairs."
    record = _nested(depth, kind, leaf) if where == "file" else {"title": "T", "text": _nested(depth, kind, leaf)}
    text = json.dumps(record) if depth < 900 else _deep_json(depth, kind, where)
    if ext == ".jsonl":
        text = '{"text": "A line before."}\n' + text.replace("\n", " ") + '\n{"text": "A line after."}\n'
    data = text.encode()
    items = _load(tmp_path_factory.mktemp("nest"), "n" + ext, gzip.compress(data) if ext.endswith(".gz") else data)
    if ext == ".jsonl":  # the lines around a deep one are loaded all the same
        texts = [i.text for i in items if not isinstance(i, Skipped)]
        assert "A line before." in texts and "A line after." in texts


def _deep_json(depth: int, kind: str, where: str) -> str:
    """JSON too deep for json.dumps itself, written by hand."""
    opens = "".join("[" if kind == "list" or (kind == "mixed" and i % 2) else '{"text": ' for i in range(depth))
    closes = "".join("]" if c == "[" else "}" for c in reversed(opens.replace('{"text": ', "{")))
    inner = opens + '"x"' + closes
    return inner if where == "file" else '{"title": "T", "text": ' + inner + "}"


@given(text=st.text(min_size=1, max_size=400), encoding=st.sampled_from(ENCODINGS))
def test_random_encodings_decode_to_the_text_or_a_binary_skip(tmp_path_factory, text, encoding):
    from qa.ingest.load import _decode

    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    assume(not (encoding == "utf-16" and text.startswith("\x00")))  # FF FE 00 00 is UTF-32's byte-order mark
    exact = encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32") or (encoding.startswith("utf-16") and text.isascii())
    try:
        decoded = _decode(data, "f.txt")
    except QAError as exc:
        assert "binary" in str(exc) and "\n" not in str(exc)
        if exact:  # a text that reads back exactly is taken for binary only when it is control characters
            assert sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f" or 0x7F <= ord(ch) < 0xA0)
        return
    if exact:
        assert decoded == text
    _load(tmp_path_factory.mktemp("enc"), "e.txt", data)


@given(ext=st.sampled_from(sorted(VALID)), cut=st.floats(0.0, 1.0))
def test_truncated_files_never_raise(tmp_path_factory, ext, cut):
    data = VALID[ext]
    _load(tmp_path_factory.mktemp("cut"), "t" + ext, data[: int(len(data) * cut)])


def test_every_valid_fixture_loads():  # the truncation test starts from files that do load
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        for ext, data in VALID.items():
            assert any(not isinstance(i, Skipped) for i in _load(Path(d), "v" + ext, data)), ext


# -- opening a damaged index ------------------------------------------------------------------------

INDEX_FILES = ["index.sqlite", "manifest.json", "vectors.json", "vectors.faiss"]
QUESTION = "Which company can no longer license Android to Huawei?"


@pytest.fixture(scope="module")
def saved_index(tmp_path_factory):
    """A small saved index (the sample article and two notes) with the hash embedder, checkpointed."""
    from qa.assistant import build_index
    from qa.config import Settings

    root = tmp_path_factory.mktemp("fuzz-index")
    src = root / "src"
    src.mkdir()
    shutil.copy(SAMPLE / "huawei-ren-remarks.txt", src)
    (src / "harbour.txt").write_text("Harbour news\n\nThe Lakeview harbour will reopen on 3 June after repairs.")
    (src / "ferry.txt").write_text("Ferry news\n\nThe island ferry returns to its hourly timetable in May.")
    settings = Settings.load(env={}, **{"index_dir": str(root / "good"), "embedding.backend": "hash",
                                        "answer.abstain_threshold": 0.2, "llm.enabled": False})
    build_index([src], settings=settings, progress=False)
    for extra in ("index.sqlite-wal", "index.sqlite-shm"):  # closed: everything is in index.sqlite
        assert not (root / "good" / extra).exists() or (root / "good" / extra).stat().st_size == 0
    return root / "good", settings


def _damage(folder: Path, name: str, how: str, a: float, b: float, noise: bytes) -> None:
    path = folder / name
    data = path.read_bytes()
    i, j = sorted((int(len(data) * a), int(len(data) * b)))
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        path.write_bytes(data[:i])
    elif how == "garbage":
        path.write_bytes(noise * (1 + len(data) // max(1, len(noise))))
    elif how == "overwrite":  # random bytes over a random stretch
        stretch = (noise * (1 + (j - i) // max(1, len(noise))))[: j - i]
        path.write_bytes(data[:i] + stretch + data[j:])
    elif how == "zero-page":  # a 4096-byte page of zeros, as a lost write leaves it
        k = (i // 4096) * 4096
        path.write_bytes(data[:k] + bytes(min(4096, max(0, len(data) - k))) + data[k + 4096:])


@given(name=st.sampled_from(INDEX_FILES),
       how=st.sampled_from(["delete", "empty", "truncate", "garbage", "overwrite", "zero-page"]),
       a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), noise=st.binary(min_size=1, max_size=64))
def test_a_damaged_index_file_is_one_line_or_still_answers_right(saved_index, tmp_path_factory, name, how, a, b, noise):
    from qa.assistant import Assistant

    good, settings = saved_index
    folder = tmp_path_factory.mktemp("hurt") / "index"
    shutil.copytree(good, folder)
    _damage(folder, name, how, a, b, noise)
    try:
        assistant = Assistant.open(settings=settings.replace(index_dir=str(folder)))
        try:
            stats = assistant.stats()
            answer = assistant.ask(QUESTION)
            hits = assistant.search_keyword("Android license", 3)
        finally:
            assistant.close()
    except QAError as exc:
        line = str(exc)
        assert "\n" not in line and any(f in line for f in INDEX_FILES), line
        assert any(fix in line for fix in ("--rebuild", "backup", "--repair")), line
        return
    # it opened: then it is not an empty index, whatever was damaged
    assert stats.articles == 3 and stats.chunks > 0, (name, how, stats)
    assert hits, (name, how)
    assert "no passage retrieved" not in answer.dropped, (name, how, answer.dropped)
    if name != "index.sqlite":  # everything else is rebuilt from the database: the answer is the right one
        assert answer.short == "Google" or "Google" in answer.text, (name, how, answer.text)


@given(name=st.sampled_from(INDEX_FILES), how=st.sampled_from(["delete", "empty", "truncate", "garbage", "overwrite"]),
       a=st.floats(0.0, 1.0), b=st.floats(0.0, 1.0), noise=st.binary(min_size=1, max_size=64))
@settings(max_examples=15)
def test_qa_check_names_what_is_damaged(saved_index, tmp_path_factory, name, how, a, b, noise):
    from qa.embed import make_embedder
    from qa.index.check import check_index

    good, settings = saved_index
    folder = tmp_path_factory.mktemp("check") / "index"
    shutil.copytree(good, folder)
    _damage(folder, name, how, a, b, noise)
    report = check_index(folder, settings, make_embedder(settings.embedding))
    for f in report.findings:
        assert "\n" not in f.detail and (f.ok or f.fix), f
    if not report.ok:
        assert "problem(s)" in report.summary()


# -- issue 28: compressed inputs, what a folder holds besides files, hostile names --------------------------

def _gz_member(data: bytes, level: int) -> bytes:
    return gzip.compress(data, compresslevel=level, mtime=0)


@given(payload=st.one_of(st.binary(max_size=2000), st.sampled_from([VALID[".jsonl"], VALID[".json"]])),
       how=st.sampled_from(["member", "members", "cut", "garbage after", "zeros after", "bomb", "not gzip"]),
       cut=st.floats(0.0, 1.0), level=st.integers(1, 9), ext=st.sampled_from([".jsonl.gz", ".json.gz"]))
def test_compressed_inputs_are_articles_or_one_line_each(tmp_path_factory, payload, how, cut, level, ext):
    from qa.ingest.load import load_file

    member = _gz_member(payload, level)
    data = {"member": member, "members": member + _gz_member(payload[::-1], level),
            "cut": member[: int(len(member) * cut)], "garbage after": member + payload[:50] + b"\x01",
            "zeros after": member + bytes(64), "bomb": _gz_member(payload[:1] * 300_000 + payload, level),
            "not gzip": payload}[how]
    path = tmp_path_factory.mktemp("gz") / ("c" + ext)
    path.write_bytes(data)
    items = list(load_file(path, max_file_mb=0.2, max_seconds=5))  # a bomb: 300 kB decompressed, over 0.2 MB
    for item in items:
        if isinstance(item, Skipped):
            assert item.reason and "\n" not in str(item) and len(item.reason) < 400, item
    if how == "bomb" and payload[:1]:
        assert any(isinstance(i, Skipped) and "ingest.max_file_mb" in i.reason for i in items), items


NAME_CHARS = st.sampled_from(list("aZ09 _-.:#%\\'\"\n\r\t*?[]{}$`!~é漢") + ["\u202e", "\u2028", "\udce9", "\udcff"])
HOSTILE_NAME = st.text(NAME_CHARS, min_size=1, max_size=12).filter(lambda s: s not in (".", "..") and not s.startswith("."))
ENTRY = st.tuples(st.sampled_from(["text", "jsonl", "fifo", "socket", "link in", "link out", "dangling", "loop", "dir link out"]),
                  HOSTILE_NAME)


def _make(folder: Path, outside: Path, kind: str, name: str) -> Path | None:
    """One entry of a hostile folder; the path of a regular file it holds, else None."""
    import socket

    path = Path(os.fsdecode(os.fsencode(folder) + b"/" + os.fsencode(name)))
    if os.path.lexists(path):
        return None
    if kind in ("text", "jsonl"):
        path = path.with_name(path.name + (".txt" if kind == "text" else ".jsonl"))
        if os.path.lexists(path):
            return None
        body = VALID[".txt"] if kind == "text" else VALID[".jsonl"]
        path.write_bytes(body.replace(b"Lakeview", os.fsencode(name).replace(b"\n", b" ")[:20] or b"x"))
        return path
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        s = socket.socket(socket.AF_UNIX)
        try:
            s.bind(os.fsencode(path))
        except OSError:  # a name too long for a socket address
            pass
        finally:
            s.close()
    elif kind == "link in":
        (folder / "inside.txt").write_bytes(VALID[".txt"])
        path.symlink_to(folder / "inside.txt")
    elif kind == "link out":
        path.symlink_to(outside / "secret.txt")
    elif kind == "dangling":
        path.symlink_to(folder / "does-not-exist.txt")
    elif kind == "loop":
        path.symlink_to(path)
    elif kind == "dir link out":
        path.symlink_to(outside)
    return None


@given(entries=st.lists(ENTRY, min_size=1, max_size=8))
@settings(max_examples=25)
def test_a_folder_of_hostile_entries_is_read_without_a_hang_a_traceback_or_a_forged_line(tmp_path_factory, entries):
    """Named pipes, sockets, links in, out, dangling and looping, names with newlines, bidi overrides and bytes that
    are not UTF-8: every regular file is loaded, everything else is one line, links leaving the folder are not
    followed, and `qa remove` of a file's path takes exactly that file's articles."""
    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.ingest.load import load_paths

    root = tmp_path_factory.mktemp("hostile")
    folder, outside = root / "in", root / "out"
    folder.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"Secret\n\nThe vault code is 4471, the manager said on Friday.\n")
    files = [p for p in (_make(folder, outside, kind, name) for kind, name in entries) if p]
    items = list(load_paths([folder]))
    for item in items:
        if isinstance(item, Skipped):
            assert "\n" not in str(item) and "\r" not in str(item) and "\u2028" not in str(item), str(item)
            str(item).encode("utf-8")  # printable anywhere: no lone surrogates
        else:
            assert "4471" not in item.text and item.origin.encode("utf-8")
    settings = Settings.load(env={}, **{"index_dir": str(root / "idx"), "embedding.backend": "hash", "llm.enabled": False})
    a = Assistant.open(settings=settings, create=True)
    try:
        a.add([folder], progress=False)
        for path in files:
            want = {i.id for i in load_paths([path]) if not isinstance(i, Skipped)}
            assert set(resolve_ids(a.store, [str(path)])) >= want, path
            assert set(a.store.ids_from_origins([path])) == want, path
    finally:
        a.close()


# -- issue 28: `qa serve` against hostile JSON shapes and bytes ----------------------------------------------

JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                          lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                          max_leaves=12)
CHAT_KEYS = ["model", "messages", "stream", "stream_options", "n", "choices", "as_of", "date_from", "date_to"]


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    from tests.qa_process import serving_the_sample

    with serving_the_sample(tmp_path_factory.mktemp("serve-fuzz"), "[serve]\nbody_timeout_s = 2\n") as server:
        yield server
        assert "Traceback" not in server.log(), server.log()[-3000:]


def _post(server, path: str, body: bytes) -> tuple[int, bytes]:  # noqa: ANN001
    import urllib.error
    import urllib.request

    req = urllib.request.Request(server.url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _shape(status: int, raw: bytes) -> None:
    assert status != 500 and status < 500, (status, raw[:300])
    body = json.loads(raw)
    if status >= 400:
        assert set(body["error"]) == {"message", "type", "param", "code"}, body


@given(where=st.sampled_from(CHAT_KEYS + ["message", "content", "part"]), value=JSON_VALUE,
       path=st.sampled_from(["/v1/chat/completions", "/v1/search"]))
@settings(max_examples=40)
def test_serve_answers_hostile_json_shapes_with_a_status_never_a_500(hostile_server, where, value, path):
    body: dict = {"model": "newsqa", "messages": [{"role": "user", "content": "What did Ren say about chips?"}],
                  "query": "Huawei chips"}
    if where == "message":
        body["messages"].append(value)
    elif where == "content":
        body["messages"][0]["content"] = value
    elif where == "part":
        body["messages"][0]["content"] = [{"type": "text", "text": "Who?"}, value]
    else:
        body[where if path.endswith("completions") else {"messages": "query", "model": "k"}.get(where, where)] = value
    _shape(*_post(hostile_server, path, json.dumps(body).encode()))


@given(data=st.binary(max_size=300), path=st.sampled_from(["/v1/chat/completions", "/v1/search"]),
       wrap=st.booleans())
@settings(max_examples=40)
def test_serve_answers_hostile_bytes_with_a_status_never_a_500(hostile_server, data, path, wrap):
    if wrap:  # the bytes inside a string of an otherwise good request: escapes like \ud800 included
        text = data.decode("latin-1").replace("\\", "\\\\").replace('"', '\\"')
        data = (b'{"model": "newsqa", "query": "' + text.encode("utf-8", "surrogatepass") + b'", "messages": '
                b'[{"role": "user", "content": "' + text.encode("utf-8", "surrogatepass") + b'"}]}')
    _shape(*_post(hostile_server, path, data))
