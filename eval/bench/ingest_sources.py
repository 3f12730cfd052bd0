"""Benchmark: ingest by source (issue 25): the same real articles as text files, as PDFs and as a 100-entry feed
served from 127.0.0.1 (each entry's page fetched), through qa's whole ingest with the default embedding backend;
PDF text extraction alone (pages/s) on real PDFs, with the libraries that were candidates when they are installed.

    .venv/bin/python -m eval.bench.ingest_sources [--corpus FILE.jsonl] [--articles 100] [--pdf FILE ...] [--out DIR]

The articles are the first --articles of the corpus (default: ../shared/data/realtimeqa-dev/corpus.jsonl, quiz
evidence paragraphs left out). The PDFs of them are written by tests/ingest/pdfmaker.py (Helvetica, a running
header, page numbers); the feed and its pages by tests/ingest/site.py (the local site the tests use), fetched with
fetch.pace_s = 0 (the default 1 s per host would make 100 pages of one site take 100 s at least). Each row is
a fresh index, all rows share one embedding model loaded and warmed before the first. Writes DIR/ingest_sources.json and DIR/ingest_sources.md and prints the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ..data import DEV_CORPUS as DEFAULT_CORPUS, REPO


def articles(corpus: Path, n: int) -> list[dict[str, Any]]:
    out = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if not r["id"].startswith("rtqa-ev-") and len(r["text"]) > 500:
                out.append(r)
            if len(out) == n:
                break
    return out


def _ingest(paths: list[str], settings: Any, embedder: Any, **kw: Any) -> tuple[Any, float]:
    from qa.assistant import Assistant

    a = Assistant.open(settings=settings, create=True, embedder=embedder)
    try:
        t = time.perf_counter()
        report = a.add(paths, progress=False, **kw)
        return report, time.perf_counter() - t
    finally:
        a.close()


def row(name: str, report: Any, seconds: float, **extra: Any) -> dict[str, Any]:
    n = report.added + report.updated
    return {"source": name, "articles": n, "chunks": report.chunks, "seconds": round(seconds, 2),
            "articles_per_s": round(n / seconds, 2), "articles_per_min": round(60 * n / seconds, 1),
            "chunks_per_s": round(report.chunks / seconds, 1), "skipped": len(report.skipped),
            "stages": {k: round(v, 2) for k, v in report.stages.items()}} | extra


def pdf_pages_per_s(paths: list[Path]) -> list[dict[str, Any]]:
    """Text extraction alone, per library: qa's reader (pypdfium2 + layout clean-up), and the raw text of
    pypdfium2, pdfminer.six and pypdf where installed."""
    import pypdfium2

    from qa.ingest.load import Budget
    from qa.ingest.pdf import read_pdf

    def qa_reader(p: Path) -> int:
        return len(read_pdf(p, Budget(200, 600))["pages"])

    def pdfium_raw(p: Path) -> int:
        doc = pypdfium2.PdfDocument(str(p))
        for page in doc:
            page.get_textpage().get_text_range()
        return len(doc)

    libs = {"qa (pypdfium2 + layout)": qa_reader, "pypdfium2 raw text": pdfium_raw}
    try:
        from pdfminer.high_level import extract_text

        from pdfminer.pdfpage import PDFPage

        def miner(p: Path) -> int:
            extract_text(str(p))
            with p.open("rb") as fh:
                return sum(1 for _ in PDFPage.get_pages(fh))

        libs["pdfminer.six extract_text"] = miner
    except ImportError:
        pass
    try:
        import pypdf

        def pyp(p: Path) -> int:
            r = pypdf.PdfReader(str(p))
            for page in r.pages:
                page.extract_text()
            return len(r.pages)

        libs["pypdf extract_text"] = pyp
    except ImportError:
        pass
    out = []
    for name, fn in libs.items():
        pages, t = 0, time.perf_counter()
        for p in paths:
            pages += fn(p)
        dt = time.perf_counter() - t
        out.append({"library": name, "files": len(paths), "pages": pages, "seconds": round(dt, 2),
                    "pages_per_s": round(pages / dt, 1)})
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--articles", type=int, default=100)
    ap.add_argument("--pdf", type=Path, nargs="*", default=[], help="real PDFs for the extraction rows")
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "bench")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from qa.config import Settings
    from tests.ingest import pdfmaker
    from tests.ingest.site import Site

    from qa.embed import make_embedder

    docs = articles(args.corpus, args.articles)
    base = Settings.load(env={})
    embedder = make_embedder(base.embedding)  # one model, loaded and warmed before the clock: rows differ by source
    embedder.embed(["warm-up sentence for the embedding model"] * 8)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-sources-") as tmp:
        tmp_path = Path(tmp)
        txt, pdf = tmp_path / "txt", tmp_path / "pdf"
        txt.mkdir()
        pdf.mkdir()
        pages = 0
        for i, a in enumerate(docs):
            (txt / f"{i:03d}.txt").write_text(a["title"] + "\n\n" + a["text"], encoding="utf-8")
            data = pdfmaker.text_pdf([a["title"]] + a["text"].split("\n"), header=a.get("source") or "News")
            (pdf / f"{i:03d}.pdf").write_bytes(data)
            pages += data.count(b"/Type /Page ")
        for name, folder, extra in (("text files (.txt)", txt, {}), ("PDF (the same articles printed)", pdf, {"pages": pages})):
            s = base.replace(index_dir=str(tmp_path / f"idx-{folder.name}"))
            report, seconds = _ingest([str(folder)], s, embedder)
            if "pages" in extra:
                extra["parse_pages_per_s"] = round(pages / report.stages["parse"], 1)
            rows.append(row(name, report, seconds, **extra))
            print(json.dumps(rows[-1]), flush=True)
        with Site() as site:
            feed = site.wire(docs)
            s = base.replace(index_dir=str(tmp_path / "idx-feed"), **{"fetch.allow_private": True, "fetch.pace_s": 0.0})
            report, seconds = _ingest([feed], s, embedder)
            rows.append(row(f"RSS feed of {len(docs)} entries on 127.0.0.1 (each entry's page fetched)", report, seconds,
                            requests=sum(site.hits.values())))
            print(json.dumps(rows[-1]), flush=True)
        real = [REPO / "tests" / "ingest" / "fixtures" / "siege-of-vicksburg-1863.pdf", *args.pdf]
        extraction = pdf_pages_per_s(real)
        sample = pdf_pages_per_s(sorted(pdf.glob("*.pdf")))
    result = {"corpus": str(args.corpus), "articles": len(docs), "embedding": base.embedding.backend,
              "cpu": os.cpu_count(), "ingest": rows, "pdf_extraction_real": extraction,
              "pdf_extraction_printed_articles": sample, "real_pdfs": [str(p) for p in real]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest_sources.json").write_text(json.dumps(result, indent=2))
    md = table(result)
    (args.out / "ingest_sources.md").write_text(md)
    print(md)
    return 0


def table(r: dict[str, Any]) -> str:
    lines = [f"Ingest by source: {r['articles']} RealTimeQA dev articles, embedding {r['embedding']}, {r['cpu']} CPUs.", "",
             "| source | articles | chunks | ingest s | articles/s | articles/min | chunks/s | parse s | embed s | PDF pages | parse pages/s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in r["ingest"]:
        lines.append(f"| {x['source']} | {x['articles']} | {x['chunks']} | {x['seconds']} | {x['articles_per_s']} | "
                     f"{x['articles_per_min']} | {x['chunks_per_s']} | {x['stages']['parse']} | {x['stages']['embed']} | "
                     f"{x.get('pages', '–')} | {x.get('parse_pages_per_s', '–')} |")
    for key, what in (("pdf_extraction_real", "real PDFs (" + ", ".join(Path(p).name for p in r["real_pdfs"]) + ")"),
                      ("pdf_extraction_printed_articles", "the printed articles")):
        lines += ["", f"PDF text extraction alone, {what}:", "", "| library | files | pages | s | pages/s |", "|---|---|---|---|---|"]
        lines += [f"| {x['library']} | {x['files']} | {x['pages']} | {x['seconds']} | {x['pages_per_s']} |" for x in r[key]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
