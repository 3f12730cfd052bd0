"""Every protocol a room declares is met by what stands behind it, fakes included (so the fast tests run every
branch the real parts do): the methods and attributes the protocol names exist, with the parameters it names."""

from __future__ import annotations

import inspect

import pytest

from qa.embed import Embedder
from qa.generate import Generator, Reader
from qa.index import Index
from qa.index.backend import Backend
from qa.index.db import Database
from qa.index.faiss_fts5 import FaissFts5
from qa.index.milvus import Milvus
from qa.ingest.feeds import FeedStore, SubscriptionRecords
from qa.ingest.pipeline import Enricher, Store
from qa.news import NewsEnricher, NewsRecords
from qa.testing import HashEmbedder, ScriptedGenerator, ScriptedReader


def _members(protocol: type) -> dict[str, object]:
    out: dict[str, object] = {}
    for klass in reversed(protocol.__mro__):
        if klass in (object,) or not getattr(klass, "_is_protocol", False):
            continue
        out.update({k: v for k, v in vars(klass).items() if not k.startswith("_")})
        out.update({k: None for k in getattr(klass, "__annotations__", {})})
    return out


@pytest.mark.parametrize(("protocol", "implementation"), [
    (Generator, ScriptedGenerator), (Reader, ScriptedReader), (Embedder, HashEmbedder),
    (Backend, FaissFts5), (Backend, Milvus), (Store, Index), (NewsRecords, Database), (Enricher, NewsEnricher),
    (FeedStore, Index), (SubscriptionRecords, Database),
])
def test_the_implementation_has_every_member_of_its_protocol(protocol, implementation):
    members = _members(protocol)
    assert members, protocol
    instance_attrs = {"name", "dim", "n_ctx", "db"}  # set in __init__
    missing = [m for m in members if not hasattr(implementation, m) and m not in instance_attrs]
    assert missing == []
    for name, spec in members.items():
        if callable(spec) and callable(getattr(implementation, name, None)):
            wanted = [p for p in inspect.signature(spec).parameters if p != "self"]
            have = inspect.signature(getattr(implementation, name)).parameters
            assert [p for p in wanted if p not in have] == [], f"{implementation.__name__}.{name}"


def test_the_fakes_set_the_attributes_their_protocols_name():
    assert {"name", "n_ctx"} <= set(vars(ScriptedGenerator()))
    e = HashEmbedder()
    assert isinstance(e.name, str) and e.dim > 0
