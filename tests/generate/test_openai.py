"""llm.backend = "openai": the generator over an OpenAI-compatible server.

Fast tests talk to small real HTTP servers on 127.0.0.1 that script their replies (errors, stalls, broken
streams); the `model` tests run llama-cpp-python's own `python -m llama_cpp.server` with the packaged SmolLM2
GGUF and compare the Assistant's answer through it with the in-process answer from the same file.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eval.serving import free_port, running
from qa.config import LLMSettings, Settings
from qa.errors import ConfigError, ModelError
from qa.generate import make_generator
from qa.generate.openai import OpenAIGenerator, estimate_tokens

from tests.conftest import SAMPLE

QUESTION = "What did Ren say about chips?"


class Scripted:
    """A real HTTP server on 127.0.0.1 whose replies a test scripts: route (method, path) → handler(req, body)."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], object] = {}
        self.requests: list[tuple[str, str, dict, dict]] = []  # method, path, headers, json body
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # noqa: ANN002
                pass

            def _handle(self, method: str) -> None:
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n)) if n else {}
                outer.requests.append((method, self.path, dict(self.headers), body))
                route = outer.routes.get((method, self.path))
                if route is None:
                    self.reply(404, {"detail": "Not Found"})
                else:
                    route(self, body)

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def reply(self, status: int, data: object, ctype: str = "application/json") -> None:
                raw = data if isinstance(data, bytes) else json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def events(self, payloads: list[str], stall: float = 0.0) -> None:
                """Server-sent events without a length (the connection closes after); stall before the last."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for i, p in enumerate(payloads):
                    if stall and i == len(payloads) - 1:
                        time.sleep(stall)
                    self.wfile.write(f"data: {p}\n\n".encode())
                    self.wfile.flush()
                self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def chat_reply(text: str) -> dict:
    return {"id": "x", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                                                  "finish_reason": "stop"}]}


def chunks(text: str) -> list[str]:
    out = [json.dumps({"choices": [{"index": 0, "delta": {"role": "assistant"}}]})]
    out += [json.dumps({"choices": [{"index": 0, "delta": {"content": w}}]}) for w in text.split(" ") if w]
    return out + ["[DONE]"]


@pytest.fixture
def server():
    s = Scripted()
    yield s
    s.close()


def gen(url: str, environ: dict | None = None, **kw) -> OpenAIGenerator:
    return OpenAIGenerator(LLMSettings(backend="openai", base_url=url, **kw), environ=environ or {})


MSG = [{"role": "user", "content": "Say hi."}]


# -- settings and the backend choice ------------------------------------------------------------

def test_backend_is_chosen_by_name_and_validated():
    s = Settings.load(env={}, **{"llm.backend": "openai", "llm.base_url": "http://127.0.0.1:1/v1", "llm.model": "any-name"})
    g = make_generator(s.llm)
    assert isinstance(g, OpenAIGenerator) and g.name == "any-name"  # a remote name is no local file to check
    with pytest.raises(ConfigError, match="llm.backend must be 'llama' or 'openai', got 'ollama'"):
        Settings.load(env={}, **{"llm.backend": "ollama"})
    with pytest.raises(ConfigError, match="needs llm.base_url"):
        Settings.load(env={}, **{"llm.backend": "openai"})
    with pytest.raises(ConfigError, match="NAME of an environment variable"):
        Settings.load(env={}, **{"llm.api_key_env": "sk-live-123"})
    env = Settings.load(env={"QA_LLM_BACKEND": "openai", "QA_LLM_BASE_URL": "http://h:8000/v1"}).llm
    assert (env.backend, env.base_url, env.api_key_env) == ("openai", "http://h:8000/v1", "OPENAI_API_KEY")


# -- requests, streaming, counting ----------------------------------------------------------------

def test_sends_standard_fields_and_the_key_from_the_environment(server):
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.reply(200, chat_reply("Hello [1]."))
    g = OpenAIGenerator(LLMSettings(backend="openai", base_url=server.url, model="m1", api_key_env="MY_KEY", seed=7),
                        environ={"MY_KEY": "secret-1"})
    assert g.generate(MSG, max_tokens=12, stop=["\n\n"]) == "Hello [1]."
    _, path, headers, body = server.requests[-1]
    assert headers["Authorization"] == "Bearer secret-1"
    assert body == {"model": "m1", "max_tokens": 12, "temperature": 0.0, "seed": 7, "stream": False,
                    "messages": MSG, "stop": ["\n\n"]}


def test_streams_pieces_as_they_come_and_skips_comments(server):
    def stream_raw(h, body):  # a comment (': ping') and an event: line are not data lines
        assert body["stream"] is True
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Connection", "close")
        h.end_headers()
        h.wfile.write(b": ping\n\nevent: message\n")
        for p in chunks("Ren said chips [1]."):
            h.wfile.write(f"data: {p}\n\n".encode())
        h.close_connection = True

    server.routes[("POST", "/v1/chat/completions")] = stream_raw
    pieces = list(gen(server.url, model="m").generate(MSG, max_tokens=8, stream=True))
    assert pieces == ["Ren", "said", "chips", "[1]."]


def test_plain_chat_format_uses_the_completions_endpoint(server):
    server.routes[("POST", "/v1/completions")] = lambda h, b: h.reply(200, {"choices": [{"text": " Paris [1]."}]})
    g = gen(server.url, model="m", chat_format="plain")
    assert g.generate([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}], max_tokens=5) == " Paris [1]."
    assert server.requests[-1][3]["prompt"] == "a\n\nb"


def test_empty_model_means_the_first_one_the_server_lists(server):
    server.routes[("GET", "/v1/models")] = lambda h, b: h.reply(200, {"object": "list", "data": [{"id": "qwen"}, {"id": "x"}]})
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.reply(200, chat_reply(b["model"]))
    assert gen(server.url).generate(MSG, max_tokens=4) == "qwen"


def test_tokens_are_counted_by_the_server_when_it_can(server):
    counts = {"": 1, "hello world": 3}  # a server that counts a BOS token: the empty text's count is taken off
    server.routes[("POST", "/extras/tokenize/count")] = lambda h, b: h.reply(200, {"count": counts[b["input"]]})
    assert gen(server.url, model="m").count_tokens("hello world") == 2


def test_vllm_tokenize_endpoint_is_the_second_try(server):
    server.routes[("POST", "/tokenize")] = lambda h, b: h.reply(200, {"count": len(b["prompt"].split()), "tokens": []})
    assert gen(server.url, model="m").count_tokens("one two three") == 3


def test_without_a_counter_tokens_are_over_estimated(server):
    g = gen(server.url, model="m")
    assert g.count_tokens("x" * 30) == estimate_tokens("x" * 30) == 10


# -- failures: one line with the URL and what to do ----------------------------------------------

def test_server_down_is_one_line_naming_url_and_fix():
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(ModelError) as err:
        gen(url, model="m").generate(MSG, max_tokens=4)
    msg = str(err.value)
    assert "\n" not in msg and url + "/chat/completions" in msg and "connection refused" in msg
    assert "llama_cpp.server" in msg and "llm.base_url" in msg
    with pytest.raises(ModelError, match="cannot reach"):  # streamed: the error comes on the first piece
        next(iter(gen(url, model="m").generate(MSG, max_tokens=4, stream=True)))


def test_a_server_that_never_answers_times_out():
    with socket.socket() as listener:  # accepts connections, never replies
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
        t = time.perf_counter()
        with pytest.raises(ModelError) as err:
            gen(url, model="m", timeout_s=0.3).generate(MSG, max_tokens=4)
        assert time.perf_counter() - t < 10  # it gave up (the figure is not the test: no exact timing asserted)
        msg = str(err.value)
        assert "did not answer within 0.3 s" in msg and "llm.timeout_s" in msg and url in msg and "\n" not in msg


def test_a_stream_that_stalls_mid_reply_times_out(server):
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.events(chunks("one two three"), stall=3.0)
    it = iter(gen(server.url, model="m", timeout_s=0.3).generate(MSG, max_tokens=4, stream=True))
    got = [next(it), next(it), next(it)]
    with pytest.raises(ModelError, match="sent nothing for 0.3 s mid-reply"):
        list(it)
    assert got == ["one", "two", "three"]


def test_http_errors_carry_the_servers_message_and_the_fix(server):
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.reply(
        401, {"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}})
    with pytest.raises(ModelError) as err:
        gen(server.url, model="m", api_key_env="QA_TEST_KEY").generate(MSG, max_tokens=4)
    msg = str(err.value)
    assert "HTTP 401 (Incorrect API key provided)" in msg and "set QA_TEST_KEY" in msg and "unset here" in msg
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.reply(500, b"<html>boom</html>", "text/html")
    with pytest.raises(ModelError, match=r"HTTP 500 \(<html>boom</html>\): check the server's log"):
        gen(server.url, model="m").generate(MSG, max_tokens=4)
    with pytest.raises(ModelError, match="HTTP 404.*llm.base_url"):
        gen(server.url.replace("/v1", "/wrong"), model="m").generate(MSG, max_tokens=4)


def test_error_objects_and_garbage_inside_a_stream(server):
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.events([json.dumps({"error": {"message": "model crashed"}})])
    with pytest.raises(ModelError, match="reported an error \\(model crashed\\)"):
        list(gen(server.url, model="m").generate(MSG, max_tokens=4, stream=True))
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.events(["{not json"])
    with pytest.raises(ModelError, match="not JSON.*OpenAI-compatible"):
        list(gen(server.url, model="m").generate(MSG, max_tokens=4, stream=True))


def test_a_server_ignoring_stream_true_still_works(server):
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.reply(200, chat_reply("whole reply"))
    assert list(gen(server.url, model="m").generate(MSG, max_tokens=4, stream=True)) == ["whole reply"]


def test_the_citation_verifier_checks_what_the_server_wrote(server, hash_settings):
    """A remote model's invented number and its citation of missing evidence are removed, like the local one's."""
    from qa.assistant import Assistant

    reply = "Huawei achieved growth of 35% in revenue in 2020 [1]. Huawei will never sell its smart phone business [2]. Ren founded Apple [9]."
    server.routes[("POST", "/v1/chat/completions")] = lambda h, b: h.events(chunks(reply))
    settings = hash_settings.replace(**{"llm.backend": "openai", "llm.base_url": server.url, "llm.model": "remote"})
    a = Assistant.open(settings=settings, create=True)
    a.add([SAMPLE], progress=False)
    assert isinstance(a.generator, OpenAIGenerator)
    ans = a.ask("Will Huawei sell its smartphone business?")
    assert "35%" not in ans.text and any("35%" in d for d in ans.dropped)
    assert "Apple" not in ans.text and any("Apple" in d for d in ans.dropped)
    assert "never sell its smart phone business" in " ".join(c.sentence for c in ans.citations)
    for c in ans.citations:
        assert a.store.article(c.article_id).text[c.start:c.end] == c.sentence
    a.close()


# -- the real thing: llama-cpp-python's server with the packaged GGUF --------------------------------

@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    """`python -m llama_cpp.server` with SmolLM2 on a free 127.0.0.1 port, one thread like the in-process model."""
    pytest.importorskip("sse_starlette", reason="llama_cpp.server needs its [server] extra: run make install")
    from qa.generate.models import default_model_path

    port = free_port()
    # llama_cpp.server takes no option for llama.cpp's extra weight buffers, which crash on AMX CPUs (llm.repack):
    # the server module runs with the same load parameters as the in-process model
    launch = ("import runpy, sys, llama_cpp; from qa.generate.llama import _model_params, has_amx\n"
              "with _model_params(llama_cpp, use_extra_bufts=not has_amx()):\n"
              "    sys.argv[0] = 'llama_cpp.server'; runpy.run_module('llama_cpp.server', run_name='__main__')")
    cmd = [sys.executable, "-c", launch, "--model", str(default_model_path()), "--host", "127.0.0.1",
           "--port", str(port), "--n_ctx", "2048", "--n_threads", "1", "--n_threads_batch", "1"]
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    # its log goes to a file, not a pipe: llama.cpp's load log would fill a pipe nobody reads and stall it
    url = f"http://127.0.0.1:{port}/v1"
    with running(cmd, url + "/models", "llama_cpp.server", log=log_path, timeout=120, stop_timeout=10):
        yield url


def _settings(index, **kw) -> Settings:
    return Settings.load(env={}, **{"index_dir": str(index), "llm.threads": 1, **kw})


@pytest.mark.model
def test_server_generates_and_counts_like_the_model_in_process(llama_server):
    from qa.generate.llama import LlamaCppGenerator

    local = LlamaCppGenerator(_settings("x").llm)
    remote = make_generator(_settings("x", **{"llm.backend": "openai", "llm.base_url": llama_server}).llm)
    messages = [{"role": "system", "content": "Answer in one sentence."},
                {"role": "user", "content": "Huawei’s founder Ren Zhengfei spoke about “chips”. What did he speak about?"}]
    for text in ("", "hello world", messages[1]["content"], "[1] 35% – 2020\n\nQuestion:"):
        assert remote.count_tokens(text) == local.count_tokens(text)
    want = local.generate(messages, max_tokens=32, stop=["\n\n"])
    assert remote.generate(messages, max_tokens=32, stop=["\n\n"]) == want
    assert "".join(remote.generate(messages, max_tokens=32, stop=["\n\n"], stream=True)) == want
    assert want.strip()


@pytest.mark.model
def test_assistant_through_llama_cpp_server_gives_the_in_process_answer(llama_server, real_sample_index):
    """Same GGUF, temperature 0: the same draft, so the same verified sentences and the same citations."""
    from qa.assistant import Assistant

    local = Assistant.open(settings=_settings(real_sample_index))
    remote = Assistant.open(settings=_settings(real_sample_index, **{"llm.backend": "openai", "llm.base_url": llama_server}),
                            embedder=local.embedder)
    try:
        runs = {}
        for name, a in (("local", local), ("remote", remote)):
            events = list(a.stream(QUESTION))
            runs[name] = ("".join(e.text for e in events if e.kind == "token"), events[-1].answer)
        (draft_l, ans_l), (draft_r, ans_r) = runs["local"], runs["remote"]
        assert isinstance(remote.generator, OpenAIGenerator)
        assert draft_r == draft_l and draft_l.strip()
        assert ans_r.mode == ans_l.mode  # (SmolLM2's draft may all be dropped: then both quote the evidence)
        assert ans_r.text == ans_l.text and ans_r.dropped == ans_l.dropped
        key = lambda a: [(c.n, c.article_id, c.start, c.end, c.sentence) for c in a.citations]  # noqa: E731
        assert key(ans_r) == key(ans_l) and ans_l.citations
        assert ans_r.tokens == ans_l.tokens
        # the verifier did its work on the remote draft: what is shown is not the raw draft
        assert ans_r.text != draft_r.strip() and "[1]" in ans_r.text
        for c in ans_r.citations:
            assert remote.store.article(c.article_id).text[c.start:c.end] == c.sentence
    finally:
        remote.close()
        local.close()


@pytest.mark.model
def test_a_wrong_api_root_is_a_clear_404(llama_server):
    g = make_generator(_settings("x", **{"llm.backend": "openai", "llm.base_url": llama_server.replace("/v1", "/v2")}).llm)
    with pytest.raises(ModelError, match="HTTP 404.*most servers' API root ends in /v1"):
        g.generate(MSG, max_tokens=4)
