"""`qa serve`: the OpenAI-compatible API, driven by the official `openai` client against the running server.

One `qa serve` process per module (real embedding model, real SmolLM2 GGUF, the sample index) on a free
127.0.0.1 port with a bearer token; the expected answers come from an in-process Assistant with the same settings.
Fast tests (no model) check the request parsing and limits on their own.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from eval.serving import free_port, running
from qa.config import ServeSettings
from qa.serve import APIError, parse_chat

TOKEN = "test-token-5b1f"
QUESTION = "What did Ren say about chips?"
QUESTIONS = [QUESTION, "Where did Huawei open a new laboratory?", "When was Huawei placed on the US list?",
             "What did Ren say about a phone call from Joe Biden?"]


# -- fast: request parsing -------------------------------------------------------------------------

def chat_body(*contents: str, roles: tuple[str, ...] | None = None, **extra) -> dict:
    roles = roles or ("user",) * len(contents)
    return {"model": "newsqa", "messages": [{"role": r, "content": c} for r, c in zip(roles, contents)], **extra}


def test_last_user_message_is_the_question_earlier_user_turns_the_history():
    q = parse_chat(chat_body("sys", "first?", "an answer", "second?", roles=("system", "user", "assistant", "user"),
                             stream=True, stream_options={"include_usage": True}, as_of="2021-03-01"), ServeSettings())
    assert (q.question, q.history, q.stream, q.include_usage, q.as_of) == ("second?", ["first?"], True, True, "2021-03-01")
    parts = {"model": "newsqa", "messages": [{"role": "user", "content": [{"type": "text", "text": "Who?"}]}]}
    assert parse_chat(parts, ServeSettings()).question == "Who?"


@pytest.mark.parametrize("body, status, code", [
    (chat_body("q", model="gpt-4o"), 404, "model_not_found"),
    ({"model": "newsqa", "messages": []}, 400, "invalid_messages"),
    (chat_body(*["q"] * 5), 400, "too_many_messages"),
    (chat_body("x" * 101), 400, "question_too_long"),
    (chat_body("  "), 400, "empty_question"),
    (chat_body("only a system prompt", roles=("system",)), 400, "empty_question"),
    (chat_body("q", as_of="last week"), 400, "invalid_date"),
    (chat_body("q", n=2), 400, "invalid_n"),
    (["not", "an", "object"], 400, "invalid_body"),
])
def test_bad_requests_are_refused_with_openai_error_fields(body, status, code):
    with pytest.raises(APIError) as err:
        parse_chat(body, ServeSettings(max_messages=4, max_question_chars=100))
    assert (err.value.status, err.value.code) == (status, code)
    assert set(err.value.body()["error"]) == {"message", "type", "param", "code"}


class DownGenerator:
    """A generator whose model server is gone (the error the openai backend raises)."""

    name, n_ctx = "down", 2048

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def generate(self, messages, max_tokens, stream=False, stop=()):  # noqa: ANN001, ANN201
        from qa.errors import ModelError

        raise ModelError("cannot reach the model server at http://127.0.0.1:9/v1/chat/completions (connection refused)")


def test_a_failure_inside_the_assistant_is_one_openai_error(fake_assistant):
    from fastapi.testclient import TestClient

    from qa.serve import create_app

    a = fake_assistant(["Huawei will never sell its smart phone business [1]."])
    a._generator = DownGenerator()
    with TestClient(create_app(a, ServeSettings())) as http:
        r = http.post("/v1/chat/completions", json=chat_body("Will Huawei sell its smartphone business?"))
        assert r.status_code == 503 and r.json()["error"]["code"] == "model_unavailable"
        assert "connection refused" in r.json()["error"]["message"]
        r = http.post("/v1/chat/completions", json=chat_body("Will Huawei sell its smartphone business?", stream=True))
        events = [line[6:] for line in r.text.splitlines() if line.startswith("data: ")]
        assert json.loads(events[0])["choices"][0]["delta"]["role"] == "assistant"  # the stream had started
        assert json.loads(events[-2])["error"]["code"] == "model_unavailable" and events[-1] == "[DONE]"
    a.close()


def test_serve_command_is_listed_and_loads_no_web_framework_for_help():
    code = ("import sys, contextlib, io, qa.cli\nbuf = io.StringIO()\ntry:\n    with contextlib.redirect_stdout(buf):\n"
            "        qa.cli.main(['serve', '--help'])\nexcept SystemExit:\n    pass\n"
            "print('fastapi' in sys.modules, '--token' in buf.getvalue(), 'QA_API_TOKEN' in buf.getvalue())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["False", "True", "True"], out.stderr


def test_busy_port_is_one_line_and_no_traceback(fake_assistant, hash_settings):
    a = fake_assistant()  # a hash-embedding index at hash_settings.index_dir
    a.close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "qa.cli", "serve", "--index", hash_settings.index_dir, "--no-llm",
                              "--port", str(port)], env={**os.environ, "QA_EMBED_BACKEND": "hash", "QA_SETTINGS": ""},
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"error: cannot listen on 127.0.0.1:{port}" in out.stderr and "--port" in out.stderr


# -- the running server ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(real_sample_index, tmp_path_factory):
    """`qa serve` on the sample index with a token; one llama.cpp thread (the machine's cores are shared)."""
    folder = tmp_path_factory.mktemp("serve")
    (folder / "qa.toml").write_text("[llm]\nthreads = 1\n\n[serve]\nmax_body_bytes = 8192\nmax_messages = 16\n"
                                    "max_question_chars = 500\n")
    port = free_port()
    env = {**os.environ, "QA_SETTINGS": str(folder / "qa.toml"), "QA_API_TOKEN": TOKEN}
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "qa.cli", "serve", "--index", str(real_sample_index), "--port", str(port)],
                 url + "/health", "qa serve", log=folder / "serve.log", env=env, timeout=180):
        yield url


@pytest.fixture(scope="module")
def expected(real_sample_index):
    """The in-process answers (same index, GGUF and settings) every API answer must equal."""
    from qa.assistant import Assistant
    from qa.config import Settings

    a = Assistant.open(settings=Settings.load(env={}, **{"index_dir": str(real_sample_index), "llm.threads": 1}))
    answers = {q: a.ask(q) for q in QUESTIONS}
    yield a, answers
    a.close()


@pytest.fixture(scope="module")
def client(server):
    openai = pytest.importorskip("openai", reason="the openai client is a test dependency: run make install")
    return openai.OpenAI(base_url=server + "/v1", api_key=TOKEN, max_retries=0, timeout=600)


def cites(citations: list[dict]) -> list[tuple]:
    return [(c["n"], c["article_id"], c["start"], c["end"], c["sentence"]) for c in citations]


def want_cites(answer) -> list[tuple]:  # noqa: ANN001
    return [(c.n, c.article_id, c.start, c.end, c.sentence) for c in answer.citations]


def raw(server: str, path: str, body: bytes | None = None, token: str | None = TOKEN, method: str | None = None):
    """(status, JSON) of one plain HTTP request, for what the client library would not send."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(server + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.mark.model
def test_cited_answer(client, expected):
    store, want = expected[0].store, expected[1][QUESTION]
    resp = client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": QUESTION}])
    content = resp.choices[0].message.content
    assert resp.choices[0].finish_reason == "stop" and resp.model == "newsqa"
    assert content.startswith(want.text) and "[1]" in want.text and "Sources:\n[1] " in content
    assert "not invest in chip" in content
    data = resp.model_extra
    assert cites(data["citations"]) == want_cites(want) and data["citations"]
    for c in data["citations"]:
        assert store.article(c["article_id"]).text[c["start"]:c["end"]] == c["sentence"]
        assert {"title", "source", "url", "published"} <= set(c)
    assert data["newsqa"]["answer"] == want.text and data["newsqa"]["mode"] == want.mode
    assert resp.usage.prompt_tokens == want.tokens["prompt"] and resp.usage.completion_tokens == want.tokens["completion"]


@pytest.mark.model
def test_streamed_cited_answer(client, expected):
    want = expected[1][QUESTION]
    stream = client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": QUESTION}], stream=True,
                                            stream_options={"include_usage": True})
    got = list(stream)
    assert got[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in got if c.choices)
    assert text.startswith(want.text) and len([c for c in got if c.choices and c.choices[0].delta.content]) > 3
    (final,) = [c for c in got if c.choices and c.choices[0].finish_reason == "stop"]
    assert cites(final.model_extra["citations"]) == want_cites(want)
    assert got[-1].choices == [] and got[-1].usage.completion_tokens == want.tokens["completion"]


@pytest.mark.model
def test_earlier_user_turns_are_the_history(client):
    resp = client.chat.completions.create(model="newsqa", messages=[
        {"role": "user", "content": "What did Ren say about a phone call from Joe Biden?"},
        {"role": "assistant", "content": "He said he would welcome such phone calls [1]."},
        {"role": "user", "content": "And what does he hope to buy from American companies?"}])
    data = resp.model_extra
    assert "Ren" in data["newsqa"]["query"] and data["citations"]
    assert any(w in resp.choices[0].message.content for w in ("components", "materials", "equipment"))


@pytest.mark.model
def test_models_and_search(client, server, expected):
    assert [m.id for m in client.models.list()] == ["newsqa"]
    assert client.models.retrieve("newsqa").id == "newsqa"
    found = client.post("/search", body={"query": "Huawei chip technology", "k": 3}, cast_to=object)
    assert found["object"] == "list" and 1 <= len(found["data"]) <= 3
    top = found["data"][0]
    assert top["article_id"] == expected[1][QUESTION].citations[0].article_id
    assert expected[0].store.article(top["article_id"]).text[top["start"]:top["end"]] == top["text"]
    assert any("chip" in p["text"] for p in found["data"])
    assert raw(server, "/v1/search", json.dumps({"query": "chips", "k": 10_000}).encode())[0] == 400


@pytest.mark.model
def test_a_token_is_required_when_set(client, server):
    import openai

    bad = openai.OpenAI(base_url=server + "/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": QUESTION}])
    assert err.value.status_code == 401 and err.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    status, body = raw(server, "/v1/search", json.dumps({"query": "chips"}).encode(), token=None)
    assert status == 401 and body["error"]["type"] == "authentication_error"
    assert raw(server, "/health", token=None) == (200, {"status": "ok"})


@pytest.mark.model
def test_request_size_limits(client, server):
    import openai

    with pytest.raises(openai.APIStatusError) as err:  # max_body_bytes = 8192 in this server's settings
        client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": "chips " * 2000}])
    assert err.value.status_code == 413 and err.value.body["code"] == "request_too_large"
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": "q?"}] * 17)
    assert err.value.body["code"] == "too_many_messages"
    with pytest.raises(openai.BadRequestError) as err:
        client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": "Ren? " * 120}])
    assert err.value.body["code"] == "question_too_long"
    with pytest.raises(openai.NotFoundError) as err:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert err.value.body["code"] == "model_not_found"
    status, body = raw(server, "/v1/chat/completions", b"{not json")
    assert status == 400 and body["error"]["code"] == "invalid_json"
    status, body = raw(server, "/v1/nothing-here", token=None)
    assert status == 404 and body["error"]["code"] == "not_found"


@pytest.mark.model
def test_eight_concurrent_clients_each_get_their_own_complete_answer(server, expected):
    import openai

    want = expected[1]

    def one(i: int) -> tuple[str, str, list[tuple]]:
        c = openai.OpenAI(base_url=server + "/v1", api_key=TOKEN, max_retries=0, timeout=600)
        q = QUESTIONS[i % len(QUESTIONS)]
        if i % 2:  # half stream, half do not
            chunks = list(c.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": q}], stream=True))
            text = "".join(x.choices[0].delta.content or "" for x in chunks if x.choices)
            final = [x for x in chunks if x.choices and x.choices[0].finish_reason == "stop"]
            return q, text, cites(final[0].model_extra["citations"]) if len(final) == 1 else []
        r = c.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": q}])
        return q, r.choices[0].message.content, cites(r.model_extra["citations"])

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(one, range(8)))
    assert len({q for q, _, _ in results}) == len(QUESTIONS)
    for q, text, got in results:
        assert text.startswith(want[q].text), (q, text)
        assert got == want_cites(want[q]) and got, q
    # the four questions cite different sentences, so a mix-up could not pass
    assert len({tuple(want_cites(want[q])) for q in QUESTIONS}) == len(QUESTIONS)
