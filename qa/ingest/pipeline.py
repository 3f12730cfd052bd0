"""Ingest: load → chunk → enrich → embed → write, streamed in committed batches with progress. No SQL here.

Re-running on the same files re-embeds nothing: articles whose content hash is stored are skipped, and
chunk texts seen before reuse their stored vectors.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from ..config import Settings
from ..embed import Embedder
from ..ids import content_hash
from ..text.dates import dateline_date
from ..errors import ConfigError, StoreError
from ..text.escape import shown, valid_utf8
from ..text.sentences import split_sentences
from ..types import Article, Chunk, Enrichment
from .chunk import chunk_article
from .load import SUPPORTED, Budget, Skipped, _extension, check_paths, iter_files, load_paths, open_bounded

if TYPE_CHECKING:
    from ..news import NewsRecords
    from .web import WebLoader

log = logging.getLogger(__name__)

STAGES = ("parse", "chunk", "enrich", "embed", "write")


@dataclass
class IngestReport:
    """Counts and timings of one ingest run."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0  # chunks written (new or changed articles)
    embedded: int = 0  # chunks actually run through the embedding model (the rest came from the cache)
    skipped: list[Skipped] = field(default_factory=list)
    cut: list[Cut] = field(default_factory=list)  # articles over ingest.max_article_chars, indexed shortened
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    interrupted: bool = False

    @property
    def indexed(self) -> int:
        return self.added + self.updated + self.unchanged

    def summary(self) -> str:
        rate = self.chunks / self.seconds if self.seconds else 0.0
        parts = [
            f"{self.added} added", f"{self.updated} updated", f"{self.unchanged} unchanged",
            f"{len(self.skipped)} skipped",
        ]
        if self.removed:
            parts.append(f"{self.removed} removed")
        if self.cut:
            parts.append(f"{len(self.cut)} cut to ingest.max_article_chars")
        return (f"articles: {', '.join(parts)}; chunks: {self.chunks} written, {self.embedded} embedded; "
                f"{self.seconds:.1f} s ({rate:.1f} chunks/s)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added, "updated": self.updated, "unchanged": self.unchanged, "removed": self.removed,
            "skipped": [{"origin": s.origin, "reason": s.reason} for s in self.skipped], "chunks": self.chunks,
            "cut": [{"origin": s.origin, "reason": s.reason} for s in self.cut],
            "embedded": self.embedded, "seconds": round(self.seconds, 3),
            "stages": {k: round(v, 3) for k, v in self.stages.items()}, "interrupted": self.interrupted,
        }


class Cut(Skipped):
    """An article indexed shortened: it was over ingest.max_article_chars."""

    def __str__(self) -> str:
        return f"cut {shown(self.origin)}: {shown(self.reason)}"


def cap_length(article: Article, max_chars: int) -> Cut | None:
    """Shorten an article over ``max_chars`` at its last sentence end before the limit (else at a space).

    Quote extraction and chunking grow faster than linearly with an article's length (a 30 MB text took 469 s
    and 1.5 GB): the cut comes before them."""
    n = len(article.text)
    if max_chars <= 0 or n <= max_chars:
        return None
    head = article.text[:max_chars]
    spans = split_sentences(head)
    # the last span may be a sentence the limit cut through: keep what ends before it
    end, at = (spans[-2][1] if len(spans) > 1 else 0), "a sentence end"
    if end < max_chars // 2:  # one giant sentence: a word boundary then
        end, at = head.rfind(" "), "a space"
        if end <= 0:
            end, at = max_chars, "the limit"
    article.text = head[:end].rstrip()
    return Cut(article.origin, f"article is {n:,} characters: indexed its first {len(article.text):,}, cut at {at} "
                               f"(raise ingest.max_article_chars to index more)")


class Enricher(Protocol):
    """What is worked out of each article beside its chunks (qa/news's `NewsEnricher`: quotes, story signatures)."""

    def extract(self, article: Article) -> Enrichment | None:
        """Before the write transaction: plain rows, no SQL (None: nothing to store)."""
        ...

    def keep(self, db: NewsRecords, article: Article, enrichment: Enrichment) -> None:
        """Inside the write transaction: store it, through the database the index hands over."""
        ...


class Store(Protocol):
    """What ingest needs of an index (`qa.index.Index`)."""

    def writing(self) -> AbstractContextManager[None]: ...

    def known_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def cached_vectors(self, text_hashes: Sequence[str]) -> dict[str, np.ndarray]: ...

    def enriched_ids(self, ids: Sequence[str]) -> set[str]: ...

    def origins(self, ids: Sequence[str]) -> dict[str, str]: ...

    def update_origins(self, origins: dict[str, str]) -> None: ...

    def ids_from_origins(self, paths: Iterable[str | Path]) -> dict[str, str]: ...

    def write_batch(self, items: Sequence[tuple], enrich_only: Sequence[tuple[str, Enrichment]] = (),
                    keep: Callable[[NewsRecords, Article, Enrichment], None] | None = None) -> None: ...

    def remove(self, article_ids: Iterable[str]) -> int: ...

    def save(self) -> None: ...


def ingest(
    paths: Iterable[str | Path],
    store: Store,
    embedder: Embedder,
    settings: Settings,
    *,
    prune: bool = False,
    progress: bool = True,
    on_skip: Callable[[Skipped], None] | None = None,
    enricher: Enricher | None = None,
    web: WebLoader | None = None,
) -> IngestReport:
    """Index every article under ``paths`` (files, folders, and web pages or feeds by http(s) URL) into ``store``;
    returns what happened. ``web`` is the `qa.ingest.web.WebLoader` to fetch URLs with (one is made when needed).

    ``on_skip`` is called with each skipped file or record, and each article cut to ingest.max_article_chars.
    The whole run holds the index's writer lock: another process writing it is a one-line error before anything
    is read."""
    paths = check_paths(paths)
    with store.writing():
        return _ingest(paths, store, embedder, settings, prune, progress, on_skip, enricher, web)


def _ingest(paths: list[str | Path], store: Store, embedder: Embedder, settings: Settings, prune: bool, progress: bool,
            on_skip: Callable[[Skipped], None] | None, enricher: Enricher | None, web: WebLoader | None = None) -> IngestReport:
    from .fetch import is_url

    report = IngestReport()
    t0 = time.perf_counter()
    seen: dict[str, str] = {}
    ing = settings.ingest
    urls = [str(p) for p in paths if is_url(str(p))]
    paths = [p for p in paths if not is_url(str(p))]
    bar = _progress(paths, progress, ing.max_file_mb, ing.follow_links, extra=len(urls))
    batch: list[Article] = []
    enricher = enricher if enricher is not None else default_enricher(settings)

    def flush() -> None:
        if batch:
            _write(batch, store, embedder, settings, report, enricher)
            batch.clear()

    failed = True
    try:
        if web is None and (urls or settings.fetch.feed_pages):  # no request is made until a URL is met
            from .web import WebLoader

            web = WebLoader(settings, known=lambda ids: set(store.known_hashes(ids)))
        # a feed file's entries, like a feed URL's, are their own pages (fetch.feed_pages)
        pages = web.entry_pages() if web is not None and settings.fetch.feed_pages else None
        stream = iter(load_paths(paths, ing.max_file_mb, ing.max_file_seconds, ing.follow_links, feed_pages=pages))
        if urls:
            stream = itertools.chain(stream, web.load(urls))
        while True:
            t = time.perf_counter()
            item = next(stream, None)
            report.stages["parse"] += time.perf_counter() - t
            if item is None:
                break
            bar.update(1)
            if isinstance(item, Skipped):
                report.skipped.append(item)
                if on_skip:
                    on_skip(item)
                continue
            if item.id in seen:
                skip = Skipped(item.origin, f"duplicate article id {item.id!r} (first loaded from {seen[item.id]})")
                report.skipped.append(skip)
                if on_skip:
                    on_skip(skip)
                continue
            seen[item.id] = item.origin
            cut = cap_length(item, settings.ingest.max_article_chars)
            if cut:
                report.cut.append(cut)
                if on_skip:
                    on_skip(cut)
            batch.append(item)
            if len(batch) >= settings.ingest.batch_articles:
                flush()
            bar.set_postfix_str(f"+{report.added} ~{report.updated} ={report.unchanged} chunks {report.chunks}", refresh=False)
        flush()
        if web is not None:  # feed entries already indexed, not fetched again
            report.unchanged += web.already
        bar.set_postfix_str(f"+{report.added} ~{report.updated} ={report.unchanged} chunks {report.chunks}")
        if prune:  # by absolute paths: only articles of these very files and folders (see Index.ids_from_origins)
            gone = [i for i in store.ids_from_origins(p for p in paths if Path(p).expanduser().exists()) if i not in seen]
            report.removed = store.remove(gone)
        failed = False
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        bar.close()
        t = time.perf_counter()
        try:
            store.save()
        except Exception:
            if not failed:
                raise
            # the error on its way out says what happened (a full disk, say); this save failing too is its echo,
            # and the vector index it would have written is rebuilt from the database on the next open
            log.debug("saving after a failed ingest failed too", exc_info=True)
        report.stages["write"] += time.perf_counter() - t
        report.seconds = time.perf_counter() - t0
    return report


def _write(batch: list[Article], store: Store, embedder: Embedder, settings: Settings, report: IngestReport,
           enricher: Enricher | None) -> None:
    known = store.known_hashes([a.id for a in batch])
    todo: list[tuple[Article, str, list[Chunk]]] = []
    unchanged: list[Article] = []
    c = settings.chunking
    t = time.perf_counter()
    for article in batch:
        h = content_hash(article)
        if known.get(article.id) == h:
            report.unchanged += 1
            unchanged.append(article)
            continue
        if article.published is None:
            article.published = dateline_date(article.text)
        chunks = chunk_article(article, embedder, c.max_tokens, c.overlap_tokens, c.min_tokens)
        if not chunks:
            report.skipped.append(Skipped(article.origin, "no sentences to index"))
            continue
        if article.id in known:
            report.updated += 1
        else:
            report.added += 1
        todo.append((article, h, chunks))
    report.stages["chunk"] += time.perf_counter() - t
    if unchanged:  # an older index stored origins as typed (relative): record where they are loaded from now
        stored = store.origins([a.id for a in unchanged])
        store.update_origins({a.id: a.origin for a in unchanged if stored.get(a.id) != a.origin})
    if enricher and unchanged:
        _enrich_unchanged(unchanged, store, report, enricher)
    if not todo:
        return

    t = time.perf_counter()
    extras = [enricher.extract(a) for a, _, _ in todo] if enricher else [None] * len(todo)
    report.stages["enrich"] += time.perf_counter() - t

    t = time.perf_counter()
    hashes = [[_text_hash(ch.text) for ch in chunks] for _, _, chunks in todo]
    cache = store.cached_vectors([h for hs in hashes for h in hs])
    missing = sorted({h: ch.text for (_, _, chunks), hs in zip(todo, hashes) for ch, h in zip(chunks, hs)
                      if h not in cache}.items())
    if missing:
        vectors = embedder.embed([text for _, text in missing])
        cache.update({h: v for (h, _), v in zip(missing, vectors)})
        report.embedded += len(missing)
    report.stages["embed"] += time.perf_counter() - t

    t = time.perf_counter()
    items = []
    for (article, h, chunks), hs, enrichment in zip(todo, hashes, extras):
        vecs = np.vstack([cache[x] for x in hs]).astype(np.float32)
        items.append((article, h, chunks, vecs, hs, enrichment))
        report.chunks += len(chunks)
    store.write_batch(items, keep=enricher.keep if enricher else None)
    report.stages["write"] += time.perf_counter() - t


def _enrich_unchanged(articles: list[Article], store: Store, report: IngestReport, enricher: Enricher) -> None:
    """Enrich unchanged articles that have no MinHash signature (indexed before news enrichment), without re-embedding."""
    t = time.perf_counter()
    done = store.enriched_ids([a.id for a in articles])
    todo = [(a.id, e) for a in articles if a.id not in done and (e := enricher.extract(a)) is not None]
    if todo:
        store.write_batch([], enrich_only=todo, keep=enricher.keep)
    report.stages["enrich"] += time.perf_counter() - t


def resolve_ids(store: Store, ids_or_paths: Iterable[str]) -> list[str]:
    """Article ids for items that are ids, or files/folders whose articles were indexed.

    An empty item is an error (`qa remove "$F"` with F unset named the current folder), and so is a path
    naming one file that would match the articles of several."""
    ids: set[str] = set()
    for item in ids_or_paths:
        if not item.strip():
            raise ConfigError(f"an empty id or path was given ({item!r}; an unset shell variable?): name the "
                              "articles' ids, or the files or folders they were loaded from")
        path = Path(item).expanduser()
        found = store.ids_from_origins([item]) if path.exists() or "/" in item else {}
        one_file = path.is_file() or (not path.exists() and _extension(path) in SUPPORTED)
        files = {_file_of(o) for o in found.values()}
        if one_file and len(files) > 1:
            raise StoreError(f"{shown(item)} names one file, but the articles of {len(files)} files match it "
                             f"({', '.join(shown(f) for f in sorted(files)[:3])}, ...): nothing was removed")
        ids |= set(found) if found else {valid_utf8(item)}
    return sorted(ids)


def _file_of(origin: str) -> str:
    """The file an origin names: path, path:line (JSONL, CSV), path#n (JSON) or path#entryN (feeds)."""
    return re.sub(r"(?::\d+|#\d+|#entry\d+)$", "", origin)


def default_enricher(settings: Settings) -> Enricher:
    """News enrichment: quotes with their speakers, near-duplicate story signatures."""
    from ..news import NewsEnricher

    return NewsEnricher(settings.ingest.dedup_threshold)


def _text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def estimate_records(paths: Iterable[str | Path], limit_bytes: int = 400_000_000, max_file_mb: float = 200.0,
                     follow_links: bool = False) -> int | None:
    """Roughly how many records the paths hold (lines of JSONL, one per other file), for the progress bar."""
    total = 0
    read = 0
    for item in iter_files(paths, follow_links):
        if isinstance(item, Skipped):
            total += 1
            continue
        name = item.name.lower()
        if name.endswith((".jsonl", ".ndjson", ".jsonl.gz")):
            try:  # read as the loader reads it: a compressed file up to ingest.max_file_mb decompressed
                with open_bounded(item, Budget(max_file_mb, 10.0, compressed=True)) as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        total += block.count(b"\n")
                        read += len(block)
                        if read > limit_bytes:
                            return None
            except Exception:  # noqa: BLE001 - only the bar's total is off; the loader says what is wrong
                total += 1
        else:
            total += 1
    return total


def _progress(paths: list[str | Path], enabled: bool, max_file_mb: float = 200.0,
              follow_links: bool = False, extra: int = 0):  # noqa: ANN202 - tqdm or a no-op
    from tqdm import tqdm

    # a feed's entries are not known ahead: with web addresses the bar counts without a total
    total = estimate_records(paths, max_file_mb=max_file_mb, follow_links=follow_links) if enabled and not extra else None
    return tqdm(total=total, unit="article", desc="indexing", disable=not enabled, file=sys.stderr,
                dynamic_ncols=True, mininterval=0.5)
