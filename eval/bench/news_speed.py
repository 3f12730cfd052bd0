"""Cost of news enrichment at ingest (qa/news): milliseconds per article, without the embedding model.

    .venv/bin/python -m eval.bench.news_speed [CORPUS.jsonl(.gz) ...] [--limit N]

For each article: `enrich()` (quote extraction + shingles, before the transaction) and its writer (quotes rows,
MinHash signature, LSH bands, near-duplicate lookup) into an in-memory SQLite database with the index schema.
Prints the median and mean per article, the statements found and the near-duplicates joined to a story.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

from ..data import DEV_CORPUS

DEFAULT = [DEV_CORPUS]


def read(path: Path, limit: int | None):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                return
            yield json.loads(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus", nargs="*", type=Path, default=DEFAULT)
    ap.add_argument("--limit", type=int)
    args = ap.parse_args(argv)

    import tempfile

    from qa.index.db import Database
    from qa.news import enrich, store_enrichment
    from qa.types import Article

    for path in args.corpus:
        if not path.is_file():
            print(f"error: {path} is absent", file=sys.stderr)
            return 1
        db = Database(Path(tempfile.mkdtemp()) / "index.sqlite")
        before, write, chars = [], [], 0
        for row in read(path, args.limit):
            art = Article(str(row["id"]), row.get("title") or "", row.get("text") or "")
            chars += len(art.text)
            with db.transaction():
                db.insert_article(art, "")
            t = time.perf_counter()
            enrichment = enrich(art)
            t1 = time.perf_counter()
            with db.transaction():
                store_enrichment(db, art, enrichment)
            before.append(t1 - t)
            write.append(time.perf_counter() - t1)
        n = len(before)
        total = [a + b for a, b in zip(before, write)]
        summary = db.summary()
        quotes, dups = summary["quotes"], summary["articles"] - summary["stories"]
        print(f"{path.name}: {n} articles, {chars / max(n, 1):.0f} chars/article on average")
        print(f"  enrich (extract + shingles): median {1000 * statistics.median(before):.1f} ms, "
              f"mean {1000 * statistics.mean(before):.1f} ms")
        print(f"  writer (rows, MinHash, LSH lookup): median {1000 * statistics.median(write):.1f} ms, "
              f"mean {1000 * statistics.mean(write):.1f} ms")
        print(f"  total: mean {1000 * statistics.mean(total):.1f} ms/article, {sum(total):.1f} s; "
              f"{quotes} attributed statements; {dups} articles joined an earlier story")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
