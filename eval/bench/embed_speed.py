"""Embedding throughput of the backends side by side: torch fp32, ONNX fp32, ONNX int8, interleaved per round.

    .venv/bin/python -m eval.bench.embed_speed [--texts 64] [--words 200] [--rounds 4] [--batch-size 32]

Texts are consecutive ~200-word pieces of the RealTimeQA DEV articles. Each round runs every backend once on the
same texts, so a busy machine slows all of them alike; the int8 / torch ratio is printed per round and as a median.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from ..data import DEV_CORPUS as CORPUS

BACKENDS = ("torch", "onnx", "onnx-int8")


def pieces(path: Path, n: int, words: int) -> list[str]:
    out: list[str] = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            w = json.loads(line)["text"].split()
            out += [" ".join(w[i : i + words]) for i in range(0, len(w) - words, words)]
            if len(out) >= n:
                break
    return out[:n]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--texts", type=int, default=64)
    ap.add_argument("--words", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args(argv)
    if not args.corpus.is_file():
        print(f"error: {args.corpus} is absent (../shared/data is not mounted here)", file=sys.stderr)
        return 1
    from qa.config import EmbeddingSettings
    from qa.embed.st import SentenceTransformerEmbedder

    texts = pieces(args.corpus, args.texts, args.words)
    emb = {b: SentenceTransformerEmbedder(EmbeddingSettings(backend=b, batch_size=args.batch_size)) for b in BACKENDS}
    for e in emb.values():
        e.embed(texts[:4])  # load (and export once) outside the timing
    print(f"{len(texts)} texts, median {statistics.median(emb['torch'].count_tokens(texts))} word-pieces; "
          f"load average {[round(x, 1) for x in os.getloadavg()]}")
    ratios = []
    for r in range(args.rounds):
        rate = {}
        for b, e in emb.items():
            t = time.perf_counter()
            e.embed(texts)
            rate[b] = len(texts) / (time.perf_counter() - t)
        ratios.append(rate["onnx-int8"] / rate["torch"])
        print(f"round {r}: " + ", ".join(f"{b} {v:.1f} chunks/s" for b, v in rate.items())
              + f"; int8 / torch {ratios[-1]:.2f}", flush=True)
    print(f"median int8 / torch: {statistics.median(ratios):.2f}; load average {[round(x, 1) for x in os.getloadavg()]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
