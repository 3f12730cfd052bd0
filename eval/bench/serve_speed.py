"""Wall seconds of a streamed answer four ways: in process, through llama_cpp.server, through `qa serve` (with the
model in its process, and with llama_cpp.server behind it), interleaved per question so a busy machine slows all alike.

    .venv/bin/python -m eval.bench.serve_speed --index index/sample [--rounds 2] [--threads 1]

Every way uses the same GGUF (llm.model, default the packaged SmolLM2) with the same llama.cpp thread count,
each is warmed up with one question first, and the prompt prefix cache of each model is what a warm server has.
"first" is the first token of the model's draft (in process and through llama_cpp.server) or, through `qa serve`,
the first chunk (the role) and the first chunk of answer text (the verified answer comes whole, after the draft).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from ..serving import free_port, running

QUESTIONS = ["What did Ren say about chips?", "Where did Huawei open a new laboratory?",
             "When was Huawei placed on the US list?", "What did Ren say about a phone call from Joe Biden?"]
WARM = "Will Huawei sell its smartphone business?"


def through_assistant(a, question: str) -> tuple[float, float]:  # noqa: ANN001
    t, first = time.perf_counter(), None
    for e in a.stream(question):
        if e.kind == "token" and first is None:
            first = time.perf_counter() - t
    return (first if first is not None else float("nan")), time.perf_counter() - t


def through_api(client, question: str) -> tuple[float, float, float]:  # noqa: ANN001
    t, first, text = time.perf_counter(), None, None
    for ch in client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": question}], stream=True):
        now = time.perf_counter() - t
        first = now if first is None else first
        if text is None and ch.choices and ch.choices[0].delta.content:
            text = now
    return first, text, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1, help="llama.cpp threads in every process")
    args = ap.parse_args(argv)

    import openai

    from qa.assistant import Assistant
    from qa.config import Settings
    from qa.generate.models import resolve_model

    base = Settings.load(**{"index_dir": args.index, "llm.threads": args.threads})
    gguf = resolve_model(base.llm.model)
    logs = Path(tempfile.mkdtemp(prefix="serve-speed-"))
    with ExitStack() as servers:
        llama_urls = []
        for _ in range(2):  # one per way that uses it: a shared one would find the other way's identical prompt cached
            port = free_port()
            llama_urls.append(f"http://127.0.0.1:{port}/v1")
            servers.enter_context(running(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1", "--port", str(port),
                 "--n_ctx", str(base.llm.n_ctx), "--n_threads", str(args.threads), "--n_threads_batch", str(args.threads)],
                llama_urls[-1] + "/models", "llama_cpp.server", log=logs / f"llama_cpp.server-{port}.log"))
        (logs / "qa.toml").write_text(f"[llm]\nthreads = {args.threads}\n")
        clients = {}
        for name, extra in (("qa serve (model in its process)", {}),
                            ("qa serve -> llama_cpp.server", {"QA_LLM_BACKEND": "openai", "QA_LLM_BASE_URL": llama_urls[1]})):
            port = free_port()
            env = {**os.environ, "QA_SETTINGS": str(logs / "qa.toml"), "QA_MODEL": str(gguf), **extra}
            servers.enter_context(running([sys.executable, "-m", "qa.cli", "serve", "--index", args.index, "--port", str(port)],
                                          f"http://127.0.0.1:{port}/health", "qa serve", log=logs / f"serve-{port}.log",
                                          env=env))
            clients[name] = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="-", max_retries=0, timeout=600)

        local = Assistant.open(settings=base)
        remote = Assistant.open(settings=base.replace(**{"llm.backend": "openai", "llm.base_url": llama_urls[0]}),
                                embedder=local.embedder)
        ways = {"in process": lambda q: through_assistant(local, q),
                "through llama_cpp.server": lambda q: through_assistant(remote, q)}
        ways.update({name: (lambda q, c=c: through_api(c, q)) for name, c in clients.items()})
        for run in ways.values():
            run(WARM)
        times: dict[str, list[tuple]] = {name: [] for name in ways}
        for _ in range(args.rounds):
            for q in QUESTIONS:
                for name, run in ways.items():
                    times[name].append(run(q))
        print(f"{gguf.name}, {args.threads} llama.cpp thread(s), {len(QUESTIONS)} questions x {args.rounds} round(s); "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        for name, rows in times.items():
            cols = ("first token", "total") if len(rows[0]) == 2 else ("first chunk", "first answer text", "total")
            parts = [f"{c} {statistics.median(r[i] for r in rows):.2f} s" for i, c in enumerate(cols)]
            print(f"  {name:<34} median " + ", ".join(parts))
        local.close()
        remote.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
