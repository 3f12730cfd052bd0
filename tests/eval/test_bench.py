"""The benchmark command (eval/bench/) on a small generated corpus with the hash embedder and no LLM."""

from __future__ import annotations

import gzip
import json

import pytest

from eval.bench.cli import main
from eval.bench.corpus import parse_sizes, pick_queries, write_slices
from eval.bench.plot import plot
from eval.bench.probes import pct
from eval.bench.render import render_table

TOPICS = ["council budget vote", "storm flooding coast", "central bank interest rates", "football cup final",
          "election results count", "oil prices market", "school strike teachers", "hospital waiting lists"]


def _corpus(path, n=30):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i in range(n):
            topic = TOPICS[i % len(TOPICS)]
            text = " ".join(f"Sentence {j} of report {i} says the {topic} drew attention in town {i % 5}."
                            for j in range(40))
            fh.write(json.dumps({"id": f"a{i}", "title": f"Report {i} on the {topic} today",
                                 "published": f"2023-01-{1 + i % 28:02d}", "text": text}) + "\n")
    return path


def test_percentiles_and_sizes():
    assert pct([], 50) is None
    assert pct([3.0, 1.0, 2.0], 50) == 2.0
    assert pct([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
    assert parse_sizes("1000,10000,all", 7578) == [1000, 7578]
    assert parse_sizes("all,5", 3) == [3]


def test_slices_stream_the_corpus_in_order(tmp_path):
    corpus = _corpus(tmp_path / "c.jsonl.gz", 12)
    paths = write_slices(corpus, [5, 12], tmp_path / "slices")
    ids = [[json.loads(x)["id"] for x in p.read_text().splitlines()] for p in paths]
    assert ids == [[f"a{i}" for i in range(5)], [f"a{i}" for i in range(5, 12)]]
    assert len(pick_queries(paths[0], 3)) == 3


def test_bench_end_to_end_with_fakes(tmp_path, capsys):
    corpus = _corpus(tmp_path / "c.jsonl.gz", 30)
    out = tmp_path / "out"
    rc = main(["--corpus", str(corpus), "--sizes", "10,all", "--backend", "hash", "--no-llm", "--inline",
                     "--queries", "6", "--answers", "3", "--reference-articles", "10", "--hnsw-queries", "20",
                     "--out", str(out)])
    assert rc == 0
    result = json.loads((out / "bench.json").read_text())
    fast = result["fast"]
    assert [r["articles"] for r in fast["sizes"]] == [10, 30]
    first, last = fast["sizes"]
    assert first["ingest"]["articles"] == 10 and last["ingest"]["articles"] == 20
    assert set(first["ingest"]["stages_s"]) >= {"parse", "chunk", "embed", "write"}
    assert first["retrieval"]["total"]["n"] == 6 and first["retrieval"]["total"]["p50_ms"] > 0
    assert first["answer"]["total"]["n"] == 3 and first["answer"]["first_token"]["n"] == 0  # no LLM, no tokens
    assert last["disk_mb"] > first["disk_mb"] > 0 and last["peak_rss_mb"] > 0
    plain = result["plain"]
    assert plain["articles"] == 10 and plain["chunks"] == first["chunks"]  # same chunker, same articles
    assert result["speedup"]["articles"] == 10 and result["speedup"]["ingest_chunks_per_s"] > 0
    h = result["hnsw"]
    assert h["vectors"] == last["chunks"] and 0.0 <= h["recall_at_10"] <= 1.0 and h["queries"] == 6 + 20
    table = capsys.readouterr().out
    assert "| qa (hash) | 10 |" in table and "plain loop" in table and "recall@10" in table
    assert (out / "bench.png").stat().st_size > 10_000
    assert (out / "bench.md").read_text().startswith("| pipeline |")


def test_missing_corpus_is_one_line(tmp_path, capsys):
    assert main(["--corpus", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o")]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_report_only_rebuilds_from_partial_results(tmp_path, capsys):
    corpus = _corpus(tmp_path / "c.jsonl.gz", 12)
    out = tmp_path / "out"
    assert main(["--corpus", str(corpus), "--sizes", "6,all", "--backend", "hash", "--no-llm", "--inline",
                       "--queries", "3", "--answers", "0", "--reference-articles", "0", "--no-hnsw",
                       "--out", str(out)]) == 0
    (out / "bench.png").unlink()
    fast = json.loads((out / "work" / "fast.json").read_text())
    fast["sizes"] = fast["sizes"][:1]  # as if the run had been stopped during the second size
    (out / "work" / "fast.json").write_text(json.dumps(fast))
    capsys.readouterr()
    assert main(["--report-only", "--out", str(out)]) == 0
    table = capsys.readouterr().out
    assert "| qa (hash) | 6 |" in table and "| qa (hash) | 12 |" not in table
    assert (out / "bench.png").is_file() and json.loads((out / "bench.json").read_text())["plan"]["total"] == 12


def test_hnsw_recall_on_an_existing_index(tmp_path, capsys):
    from qa.assistant import build_index

    corpus = _corpus(tmp_path / "c.jsonl.gz", 20)
    build_index([corpus], tmp_path / "idx", progress=False, **{"embedding.backend": "hash"})
    assert main(["--hnsw-index", str(tmp_path / "idx"), "--hnsw-queries", "15"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["queries"] == 15 and result["vectors"] > 15 and result["recall_at_10"] > 0.5


def test_scale_index_is_measured_read_only_with_dated_searches(tmp_path, capsys):
    from qa.assistant import build_index

    corpus = _corpus(tmp_path / "c.jsonl.gz", 24)
    build_index([corpus], tmp_path / "scale", progress=False, **{"embedding.backend": "hash"})
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "scale").iterdir() if p.suffix != ".sqlite-shm")
    out = tmp_path / "out"
    assert main(["--corpus", str(corpus), "--sizes", "8,all", "--backend", "hash", "--no-llm", "--inline",
                       "--queries", "5", "--answers", "0", "--reference-articles", "0", "--hnsw-queries", "10",
                       "--scale-index", str(tmp_path / "scale"), "--out", str(out)]) == 0
    result = json.loads((out / "bench.json").read_text())
    sizes = result["fast"]["sizes"]
    assert [r["articles"] for r in sizes] == [8, 24] and sizes[1]["index"] == str(tmp_path / "scale")
    for row in sizes:
        for name in ("as_of", "window"):
            d = row["retrieval_dated"][name]
            assert d["total"]["n"] == 5 and 0 < d["window_fraction_p50"] <= 1
    h = result["hnsw"]
    assert h["vectors"] == sizes[1]["chunks"] and h["windows"]
    assert all(0.5 <= w["recall_at_10"] <= 1.0 for w in h["windows"].values())
    after = sorted((p.name, p.stat().st_mtime_ns) for p in (tmp_path / "scale").iterdir() if p.suffix != ".sqlite-shm")
    assert [n for n, _ in after if n in ("manifest.json", "vectors.faiss")] == ["manifest.json", "vectors.faiss"]
    assert dict(after)["vectors.faiss"] == dict(before)["vectors.faiss"]  # never saved again
    assert "4-week window" in capsys.readouterr().out


def test_report_renders_every_section_from_results(tmp_path):
    lat = {"n": 3, "p50_ms": 1200.0, "p95_ms": 1500.0, "mean_ms": 1250.0}
    call = {"n": 3, "seconds_p50": 2.1, "seconds_p95": 2.5, "prompt_tokens_p50": 340, "reused_tokens_p50": 60,
            "evaluated_tokens_p50": 280, "generated_tokens_p50": 4, "first_token_s_p50": None, "threads": {"2": 3},
            "evaluated_tokens_per_s": 130.0}
    cell = {"open": {"first_token": lat, "total": lat, "modes": {}, "model_calls_per_question": 1.0, "parts_p50_ms": {}},
            "choice": {"first_token": {"n": 0, "p50_ms": None, "p95_ms": None}, "total": lat, "modes": {},
                       "model_calls_per_question": 1.0, "parts_p50_ms": {}}, "calls": {"complete": call}}
    speed = {"prompt_s": 2.0, "prompt_tokens_per_s": 160.0, "generated_tokens_per_s": 25.0, "threads_used": [2]}
    results = {
        "answers": [{"model": "qwen2.5-coder-1.5b", "articles": 7578, "chunks": 93000, "peak_rss_mb": 1900.0,
                     "cells": {"idle": cell, "competitor": cell}}],
        "cold": {"models": {"qwen2.5-coder-1.5b": {"runs": [{"wall_s": 6.1, "rc": 0}], "wall_s_median": 6.1,
                                                   "peak_rss_mb": 1800.0}}},
        "threads": {"default": {"onnx": {"texts": 64, "weights": "s8", "idle": {"1 thread": 40.0}, "competitor": {"1 thread": 30.0}},
                                "llama": {"qwen2.5-coder-1.5b": {"prompt_tokens": 330, "idle": {"1": speed, "adaptive": speed},
                                                                 "competitor": {"1": speed, "adaptive": speed}}}}},
        "limit": {"cpu": "x", "cores": 2, "cpu_features": ["avx2", "avx512_vnni"], "weights": "s8", "texts": 64,
                  "tokens_per_text": 230.0, "int8_gemm_gmacs": 150.0, "fp32_attention_gmacs": 15.0,
                  "model_1_thread_texts_per_s": 40.0, "gemm_only_1_thread_s": 0.8, "model_1_thread_s": 1.6,
                  "gemm_gmac_per_s_1_thread": 190.0, "gemm_share_of_model": 0.5, "ceiling_1_thread_texts_per_s": 80.0,
                  "profile_share": {"QAttention": 0.4, "DynamicQuantizeMatMul": 0.3}},
    }
    table = render_table(results)
    for text in ("qwen2.5-coder-1.5b", "+1 CPU-bound process", "`complete`", "cold `qa ask`", "1 thread",
                 "adaptive", "Compute limit", "avx512_vnni"):
        assert text in table, text
    plot(results, tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 10_000
