"""`qa watch`: refresh every feed and watched folder, then again every fetch.watch_minutes, until stopped.

Folders are polled (no file-watching library: a poll works the same on every system and on network shares):
each round indexes only the files whose size or modification time changed since the round before (all of them
in the first round), so an unchanged folder costs a directory walk. Stopping it at any moment (Ctrl-C, kill -9)
leaves the index as its last committed batch; the next run picks up from there.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ..config import Settings
from ..embed import Embedder
from .feeds import FeedStore, UpdateReport, update
from .load import Skipped, iter_files


def watch(store: FeedStore, embedder: Embedder, settings: Settings, *, rounds: int | None = None,
          on_round: Callable[[int, UpdateReport], None] | None = None, on_skip: Callable[[Skipped], None] | None = None,
          sleep: Callable[[float], None] = time.sleep) -> None:
    """Run `update` every fetch.watch_minutes (``rounds`` times, or until interrupted)."""
    seen: dict[str, tuple[int, int]] = {}
    n = 0
    while rounds is None or n < rounds:
        n += 1
        folders = [s for s, kind, *_ in store.db.subscriptions() if kind == "folder"]
        changed = list(_changed(folders, seen))
        report = update(store, embedder, settings, progress=False, on_skip=on_skip, folders=changed)
        if on_round:
            on_round(n, report)
        if rounds is None or n < rounds:
            sleep(settings.fetch.watch_minutes * 60)


def _changed(folders: list[str], seen: dict[str, tuple[int, int]]) -> Iterator[str]:
    """Files under ``folders`` new or changed (size, mtime) since the last call; ``seen`` is updated."""
    for item in iter_files([f for f in folders if Path(f).is_dir()]):
        if isinstance(item, Skipped):
            continue
        try:
            st = item.stat()
        except OSError:
            continue
        key = (st.st_size, st.st_mtime_ns)
        if seen.get(str(item)) != key:
            seen[str(item)] = key
            yield str(item)
