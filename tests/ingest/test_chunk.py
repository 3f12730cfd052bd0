"""Sentence splitting and token-sized chunks: offsets are exact, nothing is dropped, limits hold."""

from __future__ import annotations

from qa.ingest.chunk import chunk_article
from qa.testing import WordCounter
from qa.text.sentences import split_sentences
from qa.types import Article

from tests.conftest import SAMPLE_ARTICLE


def test_sentences_respect_abbreviations_quotes_and_lines():
    text = 'Mr. Smith met U.S. officials at 3 p.m. on Jan. 5. "It went well," he said. Then J. K. Rowling left!\nHeadline here\nNext one?'
    got = [text[a:b] for a, b in split_sentences(text)]
    assert got == ["Mr. Smith met U.S. officials at 3 p.m. on Jan. 5.", '"It went well," he said.',
                   "Then J. K. Rowling left!", "Headline here", "Next one?"]


def test_sentence_offsets_are_exact():
    text = SAMPLE_ARTICLE.read_text()
    for a, b in split_sentences(text):
        assert text[a:b] == text[a:b].strip() and text[a:b]


def test_chunks_cover_every_sentence_within_the_token_limit():
    text = SAMPLE_ARTICLE.read_text().strip()
    article = Article("x", "t", text)
    counter = WordCounter()
    chunks = chunk_article(article, counter, max_tokens=120, overlap_tokens=30, min_tokens=20)
    assert len(chunks) > 2
    for c in chunks:
        assert text[c.start:c.end] == c.text
        assert counter.count_tokens([c.text])[0] <= 120 + 5  # sentence counts sum; joining adds no pieces
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    for a, b in split_sentences(text):
        assert set(range(a, b)) <= covered, text[a:b]
    # consecutive chunks share a sentence unless the previous chunk's last sentence is too long to repeat
    overlapping = [nxt.start < prev.end for prev, nxt in zip(chunks, chunks[1:])]
    assert sum(overlapping) >= len(overlapping) * 2 // 3


def test_overlong_sentence_is_cut_not_dropped():
    text = " ".join(f"w{i}" for i in range(400)) + "."
    chunks = chunk_article(Article("x", "t", text), WordCounter(), max_tokens=100, overlap_tokens=0, min_tokens=0)
    assert len(chunks) >= 4
    assert " ".join(c.text for c in chunks).split() == text.split()


def test_real_tokenizer_keeps_chunks_under_the_model_limit():
    import pytest

    pytest.importorskip("tokenizers")
    from qa.config import EmbeddingSettings
    from qa.embed.st import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder(EmbeddingSettings())
    article = Article("x", "t", SAMPLE_ARTICLE.read_text().strip())
    chunks = chunk_article(article, emb, max_tokens=230)
    assert all(n <= 254 for n in emb.count_tokens([c.text for c in chunks]))
