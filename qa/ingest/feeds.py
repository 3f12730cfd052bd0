"""Subscriptions that keep an index current: feeds by URL and watched folders, kept in the index itself.

`update` refreshes each once, incrementally: a feed is asked for with the ETag / Last-Modified of its last complete
update (an unchanged feed is a 304 and nothing more), entries already indexed are not fetched again, and a folder's
unchanged files are unchanged articles (content hashes). A feed's validators are stored only after the ingest that
used them committed, so a run killed at any moment is redone by the next one, never half-forgotten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..config import Settings
from ..embed import Embedder
from ..errors import ConfigError
from .fetch import is_url
from .load import Skipped
from .pipeline import IngestReport, Store, ingest


class SubscriptionRecords(Protocol):
    """The subscriptions an index keeps (`qa.index.db.Database` meets it)."""

    def subscriptions(self) -> list[tuple[str, str, str, str, float | None, str]]:
        """(source, kind, etag, last_modified, checked_at, error) of every subscription, in the order added."""
        ...

    def add_subscription(self, source: str, kind: str) -> bool: ...

    def remove_subscription(self, source: str) -> bool: ...

    def set_subscription_state(self, source: str, etag: str | None, last_modified: str | None, error: str) -> None: ...


class FeedStore(Store, Protocol):
    """An index that keeps subscriptions (`qa.index.Index`)."""

    db: SubscriptionRecords


@dataclass
class Subscription:
    """A feed URL or a watched folder, and how its last refresh went."""

    source: str
    kind: str  # 'feed' | 'folder'
    checked_at: float | None = None
    error: str = ""


@dataclass
class UpdateReport:
    """What one refresh of every subscription did."""

    ingest: IngestReport
    not_modified: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # source → its one line

    def summary(self) -> str:
        extra = f"; {len(self.not_modified)} feed(s) unchanged since the last update" if self.not_modified else ""
        return self.ingest.summary() + extra


def normalise(source: str) -> tuple[str, str]:
    """(source as stored, kind): a URL as given, a folder as its absolute path; anything else is a `ConfigError`."""
    source = source.strip()
    if is_url(source):
        return source, "feed"
    path = Path(source).expanduser()
    if not source or not path.is_dir():
        raise ConfigError(f"{source!r} is neither an http(s) feed address nor a folder: give a feed URL "
                          "(https://…/feed.xml) or an existing folder to watch")
    return str(path.resolve()), "folder"


def add(store: FeedStore, source: str) -> Subscription:
    """Subscribe the index to a feed or folder (a second time changes nothing)."""
    source, kind = normalise(source)
    store.db.add_subscription(source, kind)
    return Subscription(source, kind)


def remove(store: FeedStore, source: str) -> bool:
    """Forget a subscription; the articles it brought stay indexed (`qa remove` removes those)."""
    stored = source.strip() if is_url(source) else str(Path(source).expanduser().resolve())
    return store.db.remove_subscription(stored) or store.db.remove_subscription(source.strip())


def subscriptions(store: FeedStore) -> list[Subscription]:
    return [Subscription(s, k, t, e) for s, k, _, _, t, e in store.db.subscriptions()]


def update(store: FeedStore, embedder: Embedder, settings: Settings, *, progress: bool = True,
           on_skip: Callable[[Skipped], None] | None = None, folders: list[str] | None = None) -> UpdateReport:
    """Refresh every subscription once (``folders``: only these files/folders instead of the watched folders)."""
    from .web import WebLoader

    rows = store.db.subscriptions()
    feeds = [(s, etag, lm) for s, kind, etag, lm, _, _ in rows if kind == "feed"]
    paths = folders if folders is not None else [s for s, kind, *_ in rows if kind == "folder"]
    failed: dict[str, str] = {}

    def skip(item: Skipped) -> None:
        if item.origin in {f for f, _, _ in feeds}:
            failed[item.origin] = item.reason
        if on_skip:
            on_skip(item)

    with store.writing():
        web = WebLoader(settings, known=lambda ids: set(store.known_hashes(ids)),
                        validators={s: (etag, lm) for s, etag, lm in feeds})
        report = ingest([*paths, *(f for f, _, _ in feeds)], store, embedder, settings, progress=progress,
                        on_skip=skip, web=web)
        for source, _, _ in feeds:  # after the ingest committed: validators of a feed whose entries are all in
            if source in failed:
                store.db.set_subscription_state(source, None, None, failed[source])
            elif source in web.not_modified:
                store.db.set_subscription_state(source, None, None, "")
            else:
                etag, modified = web.seen.get(source, ("", ""))
                store.db.set_subscription_state(source, etag, modified, "")
        for folder in paths if folders is None else []:
            store.db.set_subscription_state(folder, None, None, "")
    return UpdateReport(report, sorted(web.not_modified), failed)
