"""What an index folder holds: file names, the SQLite schema and its version."""

from __future__ import annotations

SCHEMA_VERSION = 1
CHUNKER_VERSION = 3  # bump when qa/ingest/chunk.py changes how text is cut, so old indexes are not silently mixed
MANIFEST = "manifest.json"
DB = "index.sqlite"
FAISS_FILE = "vectors.faiss"
FAISS_META = "vectors.json"
FILES = (MANIFEST, DB, DB + "-wal", DB + "-shm", FAISS_FILE, FAISS_META)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS articles(
    id TEXT PRIMARY KEY, title TEXT NOT NULL, source TEXT, url TEXT, published TEXT, authors TEXT,
    text TEXT NOT NULL, origin TEXT, content_hash TEXT NOT NULL, story_id TEXT, added_at REAL);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published);
CREATE INDEX IF NOT EXISTS articles_origin ON articles(origin);
CREATE INDEX IF NOT EXISTS articles_story ON articles(story_id);
CREATE TABLE IF NOT EXISTS chunks(
    id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, n_tokens INTEGER, text_hash TEXT, vector BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(text_hash);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, tokenize='porter unicode61');
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_vocab USING fts5vocab(chunks_fts, 'row');
CREATE TABLE IF NOT EXISTS quotes(
    id INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT NOT NULL, speaker TEXT NOT NULL,
    canonical TEXT NOT NULL, statement TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    kind TEXT, cue TEXT);
CREATE INDEX IF NOT EXISTS quotes_article ON quotes(article_id);
CREATE INDEX IF NOT EXISTS quotes_canonical ON quotes(canonical);
CREATE TABLE IF NOT EXISTS minhash(article_id TEXT PRIMARY KEY, signature BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS minhash_band(key INTEGER NOT NULL, article_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS minhash_band_key ON minhash_band(key);
CREATE INDEX IF NOT EXISTS minhash_band_article ON minhash_band(article_id);
CREATE TABLE IF NOT EXISTS pages(article_id TEXT PRIMARY KEY, starts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions(
    source TEXT PRIMARY KEY, kind TEXT NOT NULL, etag TEXT, last_modified TEXT, added_at REAL, checked_at REAL,
    error TEXT);
"""
