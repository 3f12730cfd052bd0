"""Benchmark: ingest throughput against a plain loop, retrieval and answer latency at two corpus sizes, both answer
models idle and beside a competing CPU-bound process, cold `qa ask`, the thread plan and the int8 compute limit.

    .venv/bin/python -m eval.bench [--corpus FILE.jsonl(.gz)] [--sizes 500,1000] [--scale-index index/scale]
        [--reference-articles 500] [--models smollm2-135m,qwen2.5-coder-1.5b] [--queries 40] [--answers 12]
        [--choice-answers 4] [--cold 3] [--out DIR]

Every part runs in its own process (peak RSS is its own), one after the other:
  plain    the reference: the first --reference-articles articles, qa's chunker, sentence-transformers `encode`
           (torch fp32) into a flat FAISS index, texts in a Python list; dense-only query latency.
  fast     qa's ingest (parse, chunk, enrich, embed, write: SQLite + FTS5 + FAISS) fed the corpus in slices
           (--sizes), measured at each size: ingest throughput and stages, RSS, disk, warm retrieval latency
           (Assistant.search and its parts: query embedding, FAISS, BM25) without a date, with an as_of date and
           with a 4-week window. --scale-index (an index of the whole corpus, built once by `qa index`, opened
           read only) is measured the same way as the last size, so 7.5k articles are not embedded twice.
           Speed-up = fast / plain chunks/s on the same articles (the first slice = the reference articles).
  hnsw     dense recall@10 of the FAISS index the largest index uses (its saved vectors.faiss; an HNSW graph is
           built for the comparison when it is flat) against exact search, without and within date windows.
  limit    the compute limit of int8 MiniLM here: ONNX Runtime's profile of the model by operator, the int8 GEMMs
           of the model alone (MatMulInteger, same shapes, same MLAS kernels) and the CPU features.
  threads  the thread plan: llama.cpp prompt evaluation and generation with 1, 2 and the adaptive threads, ONNX
           Runtime embedding batches in parallel vs its intra-op pool, each idle and beside one competing process
           (a Python busy loop); once more with OMP_WAIT_POLICY=PASSIVE for llama.cpp's OpenMP threads.
  answers  per model and index (the last ingested size and --scale-index): warm Assistant.stream answers to
           --answers open questions (article titles) and --choice-answers multiple-choice questions (RealTimeQA
           DEV questions with their choices, no date), idle and then beside one competing process: first token,
           answer, per-call model cost (tokens evaluated, reused from the KV cache, generated; seconds; threads).
  cold     `qa ask` in a fresh process per run (--cold runs per model) on the largest index: wall time, peak RSS.
Writes DIR/bench.json, DIR/bench.md (the tables) and DIR/bench.png, and prints the tables.

The rooms: cli.py (the options, the plan, one process per role, the report), probes.py and corpus.py (what every
role measures with and asks), measure.py (what several roles share), roles/ (one module per role, by name in
roles.ROLES), render.py (the tables) and plot.py (the figure). Other benchmarks beside it, each its own command:
embed_speed, embed_variants, news_speed, serve_speed, milvus_bench.
"""
