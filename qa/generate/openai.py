"""Any OpenAI-compatible model server as the generator: llama.cpp's (and llama-cpp-python's) server, vLLM, Ollama.

`llm.backend = "openai"`, `llm.base_url` = the API root (``http://127.0.0.1:8000/v1``), `llm.model` = the server's
model name (empty = the first one /models lists), the API key from the environment variable `llm.api_key_env`
names (never from a settings file), `llm.timeout_s` for connecting and for each wait on the next piece of a reply.

Only the standard request fields are sent (model, messages or prompt, max_tokens, temperature, seed, stop, stream),
so a strict server accepts them; llama-cpp-python's server then samples exactly like the in-process model at
temperature 0 (greedy after its default repeat penalty of 1.1, the in-process setting too). Tokens are counted
by the server when it can (llama-cpp-python's /extras/tokenize/count, vLLM's /tokenize); otherwise estimated at
one token per 3 characters, an over-estimate for English text, so the prompt budget stays on the safe side.

Stdlib http.client, one connection per call: no shared client state between the threads of `qa serve`, and
socket timeouts give "connect or next piece within timeout_s" for streamed replies.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from ..config import LLMSettings
from ..errors import ModelError
from . import Message

CHARS_PER_TOKEN = 3  # the estimate when the server cannot count (English BPE runs ~4 characters a token)
START_HINT = "start it (e.g. `python -m llama_cpp.server --model FILE.gguf --port 8000`) or fix llm.base_url"


class ServerError(ModelError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class OpenAIGenerator:
    """Chat completions from an OpenAI-compatible server, streamed; errors are one-line ModelErrors naming the URL."""

    def __init__(self, settings: LLMSettings | None = None, environ: dict[str, str] | None = None) -> None:
        self.settings = settings or LLMSettings(backend="openai")
        if not self.settings.base_url:
            raise ModelError("llm.backend 'openai' needs llm.base_url (like http://127.0.0.1:8000/v1): set it in qa.toml or QA_LLM_BASE_URL")
        self.base_url = self.settings.base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        self._scheme, self._host, self._port = parts.scheme, parts.hostname or "", parts.port
        self._path = parts.path.rstrip("/")
        env = os.environ if environ is None else environ
        self._key = env.get(self.settings.api_key_env, "") if self.settings.api_key_env else ""
        self.n_ctx = self.settings.n_ctx
        self.timeout = self.settings.timeout_s
        self._model = self.settings.model.strip()
        self._counter: Callable[[str], int] | None = None
        self._init_lock = threading.RLock()  # count_tokens → _find_counter → name

    # -- protocol -------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The server's model name (asked of /models when llm.model is empty)."""
        if not self._model:
            with self._init_lock:
                if not self._model:
                    self._model = self._first_model()
        return self._model

    def generate(self, messages: Sequence[Message], max_tokens: int, stream: bool = False,
                 stop: Sequence[str] = ()) -> str | Iterator[str]:
        plain = self.settings.chat_format == "plain"
        body: dict[str, Any] = {"model": self.name, "max_tokens": int(max_tokens),
                                "temperature": self.settings.temperature, "seed": self.settings.seed, "stream": stream}
        if plain:  # a few-shot completion prompt, as the in-process model gets it
            body["prompt"] = "\n\n".join(m["content"] for m in messages)
        else:
            body["messages"] = [{"role": m["role"], "content": m["content"]} for m in messages]
        if stop:
            body["stop"] = list(stop)
        path = "/completions" if plain else "/chat/completions"
        if stream:
            return self._stream(path, body, plain)
        reply = self._request("POST", path, body)
        return _text(reply, plain, self._url(path)) or ""

    def count_tokens(self, text: str) -> int:
        if self._counter is None:
            with self._init_lock:
                if self._counter is None:
                    self._counter = self._find_counter()
        return self._counter(text)

    # -- HTTP -----------------------------------------------------------------------------------
    def _url(self, path: str, root: bool = False) -> str:
        return f"{self._scheme}://{self._netloc()}{'' if root else self._path}{path}"

    def _netloc(self) -> str:
        return self._host + (f":{self._port}" if self._port else "")

    def _connect(self) -> http.client.HTTPConnection:
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self.timeout, context=ssl.create_default_context())
        return http.client.HTTPConnection(self._host, self._port, timeout=self.timeout)

    def _open(self, method: str, path: str, body: dict[str, Any] | None, root: bool = False,
              ) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
        """Send one request; a refused connection, a timeout or an HTTP error status is a one-line ModelError."""
        url = self._url(path, root)
        headers = {"Accept": "application/json, text/event-stream"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        conn = self._connect()
        try:
            conn.request(method, ("" if root else self._path) + path, body=data, headers=headers)
            resp = conn.getresponse()
        except (TimeoutError, socket.timeout):
            conn.close()
            raise ModelError(f"the model server at {url} did not answer within {self.timeout:g} s "
                             "(llm.timeout_s): check it is running and not overloaded, or raise llm.timeout_s") from None
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise ModelError(f"cannot reach the model server at {url} ({_reason(exc)}): {START_HINT}") from None
        if resp.status >= 400:
            detail = _error_detail(resp)
            conn.close()
            raise ServerError(f"the model server at {url} answered HTTP {resp.status}{f' ({detail})' if detail else ''}: "
                             f"{self._fix_for(resp.status)}", resp.status)
        return conn, resp

    def _fix_for(self, status: int) -> str:
        if status in (401, 403):
            env = self.settings.api_key_env or "the variable llm.api_key_env names"
            return f"set {env} to a valid API key" + ("" if self._key else " (it is unset here)")
        if status == 404:
            return "check llm.base_url (most servers' API root ends in /v1) and llm.model"
        if status in (400, 422):
            return "the server rejected the request: check llm.model and that it serves chat completions"
        return "check the server's log"

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, root: bool = False) -> Any:
        conn, resp = self._open(method, path, body, root)
        url = self._url(path, root)
        try:
            raw = _read(resp.read, url, self.timeout)
        finally:
            conn.close()
        try:
            return json.loads(raw)
        except ValueError:
            raise ModelError(f"the model server at {url} sent something that is not JSON ({_clip(raw)}): "
                             "check llm.base_url points at an OpenAI-compatible API") from None

    def _stream(self, path: str, body: dict[str, Any], plain: bool) -> Iterator[str]:
        """The reply's text pieces as the server sends them (server-sent events, `data: {...}` lines)."""
        url = self._url(path)
        conn, resp = self._open("POST", path, body)
        try:
            if "text/event-stream" not in (resp.getheader("Content-Type") or ""):
                # a server that ignores stream=True sends the whole reply as one JSON object
                yield _text(_json(resp.read(), url), plain, url) or ""
                return
            while True:
                line = _read(resp.readline, url, self.timeout, " mid-reply")
                if not line:
                    return  # the server closed the stream (some send no [DONE])
                line = line.strip()
                if not line.startswith(b"data:"):
                    continue  # blank separators, comments (": ping"), event: lines
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                piece = _text(_json(data, url), plain, url, delta=True)
                if piece:
                    yield piece
        finally:
            conn.close()

    # -- model name and token counting ----------------------------------------------------------
    def _first_model(self) -> str:
        listing = self._request("GET", "/models")
        ids = [m.get("id") for m in (listing.get("data") or []) if isinstance(m, dict)] if isinstance(listing, dict) else []
        if not ids or not ids[0]:
            raise ModelError(f"the model server at {self._url('/models')} lists no model: set llm.model to the name it serves")
        return str(ids[0])

    def _find_counter(self) -> Callable[[str], int]:
        """The server's own token counter when it has one, else the character estimate."""
        root = self._path[: -len("/v1")] if self._path.endswith("/v1") else self._path
        tries = [
            # llama-cpp-python's server; it counts a BOS token when the model adds one, the baseline removes it
            (root + "/extras/tokenize/count", lambda text: {"input": text, "model": self.name}),
            # vLLM
            (root + "/tokenize", lambda text: {"model": self.name, "prompt": text, "add_special_tokens": False}),
        ]
        for path, make in tries:
            try:
                reply = self._request("POST", path, make(""), root=True)
            except ServerError as exc:
                if exc.status in (404, 405, 422, 400):
                    continue  # the server has no such endpoint (or reads other fields)
                raise
            except ModelError as exc:
                if "not JSON" in str(exc):
                    continue
                raise
            if isinstance(reply, dict) and isinstance(reply.get("count"), int):
                base = reply["count"]

                def count(text: str, path: str = path, make: Callable = make, base: int = base) -> int:
                    n = self._request("POST", path, make(text), root=True).get("count")
                    return max(0, int(n) - base) if isinstance(n, int) else estimate_tokens(text)

                return count
        return estimate_tokens


def estimate_tokens(text: str) -> int:
    """Tokens a server that cannot count is assumed to need: one per 3 characters (rounded up)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _text(reply: Any, plain: bool, url: str, delta: bool = False) -> str | None:
    """The generated text of a reply (or of one streamed chunk); an error object is a ModelError."""
    if not isinstance(reply, dict):
        raise ModelError(f"the model server at {url} sent {_clip(str(reply))}, not an OpenAI reply: "
                         "check llm.base_url points at an OpenAI-compatible API")
    if reply.get("error"):
        err = reply["error"]
        msg = err.get("message") if isinstance(err, dict) else err
        raise ModelError(f"the model server at {url} reported an error ({_clip(str(msg))}): check the server's log")
    choices = reply.get("choices")
    if not choices:
        return None  # e.g. a usage-only chunk
    choice = choices[0] or {}
    if plain:
        return choice.get("text")
    part = choice.get("delta" if delta else "message") or {}
    return part.get("content")


def _json(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise ModelError(f"the model server at {url} sent something that is not JSON ({_clip(raw)}): "
                         "check llm.base_url points at an OpenAI-compatible API") from None


def _error_detail(resp: http.client.HTTPResponse) -> str:
    """The server's own error message (OpenAI's {"error": {"message"}}, FastAPI's {"detail"}), on one line."""
    try:
        raw = resp.read(4096)
    except (OSError, http.client.HTTPException):
        return ""
    try:
        data = json.loads(raw)
    except ValueError:
        return _clip(raw)
    if isinstance(data, dict):
        err = data.get("error")
        msg = (err.get("message") if isinstance(err, dict) else err) or data.get("detail") or data.get("message")
        if msg:
            return _clip(msg if isinstance(msg, str) else json.dumps(msg))
    return _clip(raw)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return _clip(str(exc) or type(exc).__name__)


def _clip(raw: bytes | str, n: int = 160) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= n else text[: n - 1] + "…"


def _read(read: Any, url: str, timeout: float, when: str = "") -> bytes:
    """``read()`` of a reply; a stall or a broken connection is one line naming the URL and the fix."""
    try:
        return read()
    except (TimeoutError, socket.timeout):
        raise ModelError(f"the model server at {url} sent nothing for {timeout:g} s{when} (llm.timeout_s): "
                         "check it is not overloaded, or raise llm.timeout_s") from None
    except (OSError, http.client.HTTPException) as exc:
        raise ModelError(f"the model server at {url} broke off its reply ({_reason(exc)}): check the server's log") from None
