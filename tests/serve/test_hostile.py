"""Issue 28, `qa serve` against hostile clients: JSON nested 30,000 deep, wrongly typed content, "stream": "false",
lone surrogates, bytes that are not UTF-8, a client that goes away mid-body, a Content-Length never sent, a blank
token, a 500 that logs nothing. A real `qa serve` process (hash embeddings, extractive answers: no model) and raw
sockets; every test here failed before its fix. tests/ingest/test_fuzz.py fuzzes the same server with hypothesis.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request

import pytest

from tests.conftest import SAMPLE
from tests.qa_process import run, serving_the_sample


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    toml = "[serve]\nbody_timeout_s = 1\nmax_body_bytes = 1048576\n"
    with serving_the_sample(tmp_path_factory.mktemp("serve-hostile"), toml) as s:
        yield s


def post(server, path: str, body: bytes) -> tuple[int, dict]:
    req = urllib.request.Request(server.url + path, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())  # every error is OpenAI's JSON shape, never plain text


def chat(content, **extra) -> bytes:  # noqa: ANN001
    return json.dumps({"model": "newsqa", "messages": [{"role": "user", "content": content}], **extra}).encode()


HOSTILE = {
    "nested 30000 deep": b'{"model": "newsqa", "messages": [{"role": "user", "content": ' + b"[" * 30000 + b"]" * 30000 + b"}]}",
    "text part a number": chat([{"type": "text", "text": 5}]),
    "text part null": chat([{"type": "text", "text": None}]),
    "a part that is null": chat([None]),
    "a part without a type": chat([{"text": "Who?"}]),
    "stream a string": chat("What did Ren say about chips?", stream="false"),
    "stream_options a list": chat("What did Ren say about chips?", stream_options=[1]),
    "n true": chat("What did Ren say about chips?", n=True),
    "not UTF-8": b'{"model": "newsqa", "messages": [{"role": "user", "content": "chips\xff\xfe?"}]}',
    "body null": b"null",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_body_is_a_400_in_openais_shape(server, name):
    status, body = post(server, "/v1/chat/completions", HOSTILE[name])
    assert status == 400 and set(body["error"]) == {"message", "type", "param", "code"}, (status, body)


@pytest.mark.parametrize("path, body", [
    ("/v1/chat/completions", b'{"model": "newsqa", "messages": [{"role": "user", "content": "What did Ren say about chips\\ud800?"}]}'),
    ("/v1/chat/completions", b'{"model": "newsqa", "messages": [{"role": "user", "content": "What did Ren say?"}], "choices": ["chips\\udfff", "phones"]}'),
    ("/v1/search", b'{"query": "Huawei chips\\ud800", "k": 3}'),
])
def test_a_lone_surrogate_is_answered(server, path, body):
    status, answer = post(server, path, body)
    assert status == 200, answer


def test_a_client_that_goes_away_or_never_sends_its_body_costs_a_second_and_no_traceback(server):
    head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
            "Content-Length: 5000\r\n\r\n").encode()
    server.send(head + b'{"model": "newsqa", "mess', close_early=True)  # gone mid-body
    t = time.monotonic()
    reply = server.send(head + b'{"model"', timeout=20)  # the rest never comes
    assert reply.startswith(b"HTTP/1.1 408") and b"serve.body_timeout_s" in reply, reply[:300]
    assert time.monotonic() - t < 10
    assert post(server, "/v1/search", b'{"query": "chips"}')[0] == 200  # still answering
    time.sleep(0.5)
    assert "Traceback" not in server.log() and "Exception" not in server.log(), server.log()[-3000:]


def test_no_hostile_request_left_a_traceback_in_the_servers_log(server):
    for body in HOSTILE.values():
        post(server, "/v1/chat/completions", body)
    assert "Traceback" not in server.log(), server.log()[-3000:]


@pytest.mark.parametrize("args, environ", [(["--token", ""], {}), (["--token", "   "], {}), ([], {"QA_API_TOKEN": "  "})])
def test_an_empty_or_blank_token_does_not_start_a_server(tmp_path, args, environ):
    assert run(["index", str(SAMPLE), "--index", str(tmp_path / "idx"), "-q"]).rc == 0
    r = run(["serve", "--index", str(tmp_path / "idx"), "--no-llm", "--port", "9", *args], extra_env=environ, timeout=60)
    assert r.rc == 1 and "token is empty or blank" in r.one_line_error(), r.stderr


def test_an_internal_error_is_logged_in_one_line(fake_assistant, caplog):
    from fastapi.testclient import TestClient

    from qa.config import ServeSettings
    from qa.serve import create_app

    a = fake_assistant()

    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a bug")

    a.search = broken
    with caplog.at_level(logging.ERROR, logger="qa.serve"), TestClient(create_app(a, ServeSettings())) as http:
        r = http.post("/v1/search", json={"query": "chips"})
    assert r.status_code == 500 and "see the server's log" in r.json()["error"]["message"]
    (record,) = [r for r in caplog.records if r.name == "qa.serve"]
    assert "RuntimeError: a bug" in record.getMessage() and "\n" not in record.getMessage()
    a.close()
