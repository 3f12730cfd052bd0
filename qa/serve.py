"""`qa serve`: an OpenAI-compatible HTTP API over the Assistant (FastAPI + uvicorn), for any OpenAI client or chat UI.

  POST /v1/chat/completions  the last user message is the question, the earlier user turns are the history;
                             the answer carries its citations inline ([1]) and as data: a top-level "citations"
                             list (title, source, url, published, sentence, start, end, article_id), also in
                             the final chunk of a stream. Extra request fields: as_of, date_from, date_to, choices.
  GET  /v1/models            the one model id (serve.model_id)
  POST /v1/search            {"query", "k", "as_of", "date_from", "date_to"} → the fused passages
  GET  /health               readiness, never behind the token

Streaming sends the role chunk at once, SSE comments while the assistant retrieves and the model drafts, then
the VERIFIED answer: the model's raw draft is never streamed, because a client cannot take back text the citation
check later removes. Each request runs in a worker thread of its own that finishes even if the client goes away
(the generator's lock is never left held by an abandoned stream). The model loads once, before the port opens.
Errors use OpenAI's shape: {"error": {"message", "type", "param", "code"}}.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import re
import threading
import time
import traceback
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

# FastAPI reads the endpoints' annotations at module level (this module loads only for `qa serve`)
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from .config import ServeSettings
from .errors import ConfigError, ModelError, QAError
from .export import citation_record
from .text.escape import valid_utf8

log = logging.getLogger(__name__)


class APIError(Exception):
    """A request the API refuses: HTTP status and OpenAI-style error fields."""

    def __init__(self, status: int, message: str, code: str, param: str | None = None,
                 type: str = "invalid_request_error") -> None:  # noqa: A002 - OpenAI's field name
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.type = status, message, code, param, type

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass
class Question:
    """What one chat request asks: the question, the earlier user turns, and the optional filters."""

    question: str
    history: list[str]
    stream: bool
    include_usage: bool
    as_of: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    choices: list[str] | None = None


def citation_data(c: Any) -> dict[str, Any]:
    """One citation as the API returns it: the record the exports write (qa/export.py), so the two never differ."""
    return citation_record(c)


def content_of(answer: Any, with_sources: bool) -> str:
    """The message content: the answer with [n] markers, and (for chat UIs) the numbered sources under it."""
    if not with_sources or not answer.citations:
        return answer.text
    lines = [answer.text, "", "Sources:"]
    for c in answer.citations:
        meta = " · ".join(x for x in (c.published or "undated", c.source, c.url) if x)
        lines.append(f"[{c.n}] {c.title} ({meta})")
    return "\n".join(lines)


def parse_chat(body: Any, s: ServeSettings) -> Question:
    """Validate a chat request against the limits; the question is the last user message."""
    if not isinstance(body, dict):
        raise APIError(400, "the request body must be a JSON object", "invalid_body")
    if body.get("model") != s.model_id:
        raise APIError(404, f"the model {body.get('model')!r} does not exist here: use {s.model_id!r} (see /v1/models)",
                       "model_not_found", "model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise APIError(400, "messages must be a non-empty list of {role, content} objects", "invalid_messages", "messages")
    if len(messages) > s.max_messages:
        raise APIError(400, f"{len(messages)} messages is over the limit of {s.max_messages} (serve.max_messages): "
                       "send fewer earlier turns", "too_many_messages", "messages")
    if body.get("n", 1) != 1 or isinstance(body.get("n"), bool):
        raise APIError(400, "n must be 1: the assistant gives one answer", "invalid_n", "n")
    stream = body.get("stream", False)
    if stream is not None and not isinstance(stream, bool):  # "false" is a string, and a true one
        raise APIError(400, f"stream must be true or false, got {stream!r}", "invalid_stream", "stream")
    users = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict) or not isinstance(m.get("role"), str):
            raise APIError(400, f"messages[{i}] must be an object with a role and a content", "invalid_messages", "messages")
        if m["role"] == "user":
            users.append(valid_utf8(_text_content(m.get("content"), i)))
    if not users or not users[-1].strip():
        raise APIError(400, "no question: the last user message is empty or missing", "empty_question", "messages")
    question = users[-1].strip()
    if len(question) > s.max_question_chars:
        raise APIError(400, f"the question is {len(question)} characters, over the limit of {s.max_question_chars} "
                       "(serve.max_question_chars): ask it shorter", "question_too_long", "messages")
    history = [u.strip()[: s.max_question_chars] for u in users[:-1] if u.strip()]
    opts = body.get("stream_options") or {}
    if not isinstance(opts, dict) or not isinstance(opts.get("include_usage", False), bool):
        raise APIError(400, "stream_options must be an object like {\"include_usage\": true}", "invalid_stream_options",
                       "stream_options")
    choices = body.get("choices")
    if choices is not None and not (isinstance(choices, list) and all(isinstance(c, str) for c in choices) and 2 <= len(choices) <= 8):
        raise APIError(400, "choices must be a list of 2 to 8 strings", "invalid_choices", "choices")
    if choices is not None:
        choices = [valid_utf8(c) for c in choices]
    return Question(question, history, bool(stream), bool(opts.get("include_usage")),
                    _date(body, "as_of"), _date(body, "date_from"), _date(body, "date_to"), choices)


def _text_content(content: Any, i: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]; images and the like are skipped
        texts = []
        for j, p in enumerate(content):
            if not isinstance(p, dict) or not isinstance(p.get("type"), str):
                raise APIError(400, f"messages[{i}].content[{j}] must be an object with a type, like "
                               '{"type": "text", "text": "..."}', "invalid_messages", "messages")
            if p["type"] == "text":
                if not isinstance(p.get("text"), str):
                    raise APIError(400, f"messages[{i}].content[{j}].text must be a string, got {p.get('text')!r:.40}",
                                   "invalid_messages", "messages")
                texts.append(p["text"])
        return " ".join(texts)
    if content is None:
        return ""
    raise APIError(400, f"messages[{i}].content must be a string or a list of text parts", "invalid_messages", "messages")


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _date(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _DATE.match(value):
        raise APIError(400, f"{key} must be a date like 2021-03-31, got {value!r}", "invalid_date", key)
    return value


def create_app(assistant: Any, settings: ServeSettings | None = None, token: str | None = None) -> FastAPI:
    """The FastAPI application answering from ``assistant`` (bearer ``token`` required when given)."""
    s = settings or ServeSettings()
    if token is not None and not token.strip():
        raise ConfigError("the API token is empty or blank: give a token, or none to serve without one")
    token = token.strip() if token else None
    created = int(time.time())
    slots = threading.BoundedSemaphore(s.max_concurrent)
    app = FastAPI(title="newsqa", docs_url=None, redoc_url=None, openapi_url=None)

    def error(exc: APIError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 408:  # what is left of that body may still arrive: the connection can't be used again
            headers = {"Connection": "close"}
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError) -> JSONResponse:
        return error(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error(APIError(exc.status_code, f"{request.method} {request.url.path}: {exc.detail}", code))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error(APIError(400, "the request is not valid JSON of the expected shape", "invalid_body"))

    def check_token(request: Request) -> None:
        if not token:
            return
        given = request.headers.get("authorization", "")
        scheme, _, value = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise APIError(401, "missing or wrong API key: send the server's token as 'Authorization: Bearer <token>'",
                           "invalid_api_key", type="authentication_error")

    async def read_json(request: Request) -> Any:
        """The JSON body, refused with 413 past serve.max_body_bytes (counted as it arrives, not trusted from headers)."""
        declared = request.headers.get("content-length")
        too_big = APIError(413, f"the request body is over {s.max_body_bytes} bytes (serve.max_body_bytes): send a "
                           "shorter conversation", "request_too_large")
        if declared and declared.isdigit() and int(declared) > s.max_body_bytes:
            raise too_big
        chunks, size = [], 0
        pieces = request.stream().__aiter__()
        while True:
            try:  # a client that declares a body and never sends it must not hold a connection for ever
                chunk = await asyncio.wait_for(pieces.__anext__(), s.body_timeout_s)
            except StopAsyncIteration:
                break
            except asyncio.TimeoutError:
                raise APIError(408, f"the request body did not arrive within {s.body_timeout_s:g} s "
                               "(serve.body_timeout_s)", "request_timeout") from None
            except ClientDisconnect:
                raise APIError(400, "the client went away before sending the whole request body",
                               "client_disconnected") from None
            size += len(chunk)
            if size > s.max_body_bytes:
                raise too_big
            chunks.append(chunk)
        try:
            return json.loads(b"".join(chunks) or b"null")
        except ValueError:
            raise APIError(400, "the request body is not valid JSON", "invalid_json") from None
        except RecursionError:
            raise APIError(400, "the request body is JSON nested too deeply (over ~1000 levels of [ or {)",
                           "invalid_json") from None

    def model_card() -> dict[str, Any]:
        return {"id": s.model_id, "object": "model", "created": created, "owned_by": "newsqa"}

    def endpoint(fn: Any) -> Any:
        """Any failure of an endpoint is one OpenAI-style error (and one line in the server's log), never a
        plain-text 500 with a traceback."""
        @functools.wraps(fn)
        async def run(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            except (APIError, StarletteHTTPException):
                raise
            except Exception as exc:  # noqa: BLE001
                raise to_api_error(exc) from None
        return run

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models")
    @endpoint
    async def models(request: Request) -> dict[str, Any]:
        check_token(request)
        return {"object": "list", "data": [model_card()]}

    @app.get("/v1/models/{model_id:path}")
    @endpoint
    async def model(model_id: str, request: Request) -> dict[str, Any]:
        check_token(request)
        if model_id != s.model_id:
            raise APIError(404, f"the model {model_id!r} does not exist here: use {s.model_id!r}", "model_not_found", "model")
        return model_card()

    @app.post("/v1/search")
    @endpoint
    async def search(request: Request) -> dict[str, Any]:
        check_token(request)
        body = await read_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("query"), str) or not body["query"].strip():
            raise APIError(400, "send {\"query\": \"...\"} (optional: k, as_of, date_from, date_to)", "invalid_query", "query")
        query = valid_utf8(body["query"].strip())
        if len(query) > s.max_question_chars:
            raise APIError(400, f"the query is {len(query)} characters, over the limit of {s.max_question_chars} "
                           "(serve.max_question_chars)", "query_too_long", "query")
        k = body.get("k", assistant.settings.retrieval.top_k)
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= s.max_search_k:
            raise APIError(400, f"k must be a whole number from 1 to {s.max_search_k} (serve.max_search_k)", "invalid_k", "k")
        passages = await guarded(run_in_threadpool, assistant.search, query, k, as_of=_date(body, "as_of"),
                                 date_from=_date(body, "date_from"), date_to=_date(body, "date_to"))
        return {"object": "list", "query": query, "data": [passage_data(p) for p in passages]}

    @app.post("/v1/chat/completions")
    @endpoint
    async def chat(request: Request):  # noqa: ANN202 - JSON or a stream
        check_token(request)
        q = parse_chat(await read_json(request), s)
        if not slots.acquire(blocking=False):
            raise APIError(429, f"{s.max_concurrent} questions are being answered already (serve.max_concurrent): "
                           "retry in a few seconds", "too_many_requests", type="rate_limit_error")
        rid = f"chatcmpl-{uuid.uuid4().hex}"
        if not q.stream:
            try:
                answer = await guarded(run_in_threadpool, ask, q)
            finally:
                slots.release()
            return completion(rid, answer)
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue()
        worker = threading.Thread(target=produce, args=(q, loop, events), name=f"qa-serve-{rid[-8:]}", daemon=True)
        worker.start()
        return StreamingResponse(stream_chunks(rid, q, events), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def ask(q: Question) -> Any:
        return assistant.ask(q.question, history=q.history, as_of=q.as_of, date_from=q.date_from, date_to=q.date_to,
                             choices=q.choices)

    def produce(q: Question, loop: asyncio.AbstractEventLoop, events: asyncio.Queue) -> None:
        """Run one question to the end in this thread, handing its events to the response's queue."""
        def put(item: tuple[str, Any]) -> None:
            try:
                loop.call_soon_threadsafe(events.put_nowait, item)
            except RuntimeError:  # the server shut down meanwhile: nobody is listening any more
                pass

        try:
            for e in assistant.stream(q.question, history=q.history, as_of=q.as_of, date_from=q.date_from,
                                      date_to=q.date_to, choices=q.choices):
                put(("answer", e.answer) if e.kind == "answer" else ("working", e.kind))
        except Exception as exc:  # noqa: BLE001 - every failure reaches the client as one error chunk
            put(("error", to_api_error(exc)))
        finally:
            slots.release()
            put(("end", None))

    async def stream_chunks(rid: str, q: Question, events: asyncio.Queue) -> AsyncIterator[bytes]:
        yield sse(chunk(rid, {"role": "assistant", "content": ""}))
        last_ping = time.monotonic()
        while True:
            kind, value = await events.get()
            if kind == "working":
                if time.monotonic() - last_ping > 1.0:  # keeps proxies and clients from timing out; clients skip comments
                    last_ping = time.monotonic()
                    yield b": working\n\n"
            elif kind == "answer":
                text = content_of(value, s.sources_in_content)
                for piece in re.findall(r"\S+\s*|\s+", text):
                    yield sse(chunk(rid, {"content": piece}))
                final = chunk(rid, {}, finish="stop")
                final.update(extras(value))
                yield sse(final)
                if q.include_usage:
                    tail = chunk(rid, {})
                    tail["choices"], tail["usage"] = [], usage(value)
                    yield sse(tail)
            elif kind == "error":
                yield sse(value.body())
            elif kind == "end":
                yield b"data: [DONE]\n\n"
                return

    def chunk(rid: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": rid, "object": "chat.completion.chunk", "created": int(time.time()), "model": s.model_id,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    def completion(rid: str, answer: Any) -> dict[str, Any]:
        out = {"id": rid, "object": "chat.completion", "created": int(time.time()), "model": s.model_id,
               "choices": [{"index": 0, "message": {"role": "assistant", "content": content_of(answer, s.sources_in_content)},
                            "finish_reason": "stop"}],
               "usage": usage(answer)}
        out.update(extras(answer))
        return out

    return app


def extras(answer: Any) -> dict[str, Any]:
    """The fields beside OpenAI's: the citations as data, and how the answer was made."""
    return {"citations": [citation_data(c) for c in answer.citations],
            "newsqa": {"answer": answer.text, "short": answer.short, "mode": answer.mode, "abstained": answer.abstained,
                       "query": answer.query, "as_of": answer.as_of, "choice": answer.choice, "timings": answer.timings}}


def usage(answer: Any) -> dict[str, int]:
    prompt, completion = int(answer.tokens.get("prompt", 0)), int(answer.tokens.get("completion", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def passage_data(p: Any) -> dict[str, Any]:
    return {"article_id": p.article_id, "chunk_id": p.chunk_id, "title": p.title, "source": p.source, "url": p.url,
            "published": p.published, "text": p.text, "start": p.start, "end": p.end, "score": p.score}


def sse(data: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(data, ensure_ascii=False).encode("utf-8") + b"\n\n"


def to_api_error(exc: BaseException) -> APIError:
    """What the client is told about a failure inside the assistant (one line, no traceback)."""
    if isinstance(exc, APIError):
        return exc
    if isinstance(exc, ConfigError):
        return APIError(400, str(exc), "invalid_request")
    if isinstance(exc, ModelError):
        return APIError(503, str(exc), "model_unavailable", type="server_error")
    if isinstance(exc, QAError):
        return APIError(500, str(exc), "assistant_error", type="server_error")
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {where[0].filename}:{where[0].lineno}" if where else ""
    log.error("qa serve: internal error (%s: %s)%s", type(exc).__name__, " ".join(str(exc).split())[:300], at)
    return APIError(500, f"internal error ({type(exc).__name__}: {exc}); see the server's log", "internal_error",
                    type="server_error")


async def guarded(run: Any, func: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``func`` in the thread pool; its errors become API errors."""
    try:
        return await run(func, *args, **kwargs)
    except APIError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise to_api_error(exc) from None


def warm(assistant: Any) -> None:
    """Load the embedding model and the generator before the port opens, so no request pays for it."""
    assistant.embedder.embed(["warm up"])
    if assistant.settings.llm.enabled:
        assistant.generator.count_tokens("warm up")


def serve(assistant: Any, host: str | None = None, port: int | None = None, token: str | None = None,
          settings: ServeSettings | None = None, ready: Any = None) -> None:
    """Serve ``assistant`` until interrupted (the model loaded first); ``ready(url)`` is called once listening."""
    import uvicorn

    s = settings or assistant.settings.serve
    host, port = host or s.host, port or s.port
    warm(assistant)
    app = create_app(assistant, s, token)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    if ready is not None:
        original = server.startup

        async def startup(sockets: Any = None) -> None:
            await original(sockets)
            if server.started:
                ready(f"http://{host}:{port}")

        server.startup = startup  # type: ignore[method-assign]
    try:
        server.run()
    except SystemExit:  # uvicorn exits when it cannot bind (it has logged why)
        pass
    if not server.started:
        raise ConfigError(f"cannot listen on {host}:{port} (in use, or not an address of this machine): pick another --port or --host")
