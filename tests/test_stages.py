"""Unit tests of single stages with deterministic fakes: fusion, recency, diversity, evidence scoring, dates,
condensing follow-ups, prompts, ingest as a unit, and reading while an ingest writes."""

from __future__ import annotations

import threading
from datetime import date

import numpy as np
import pytest

from qa.config import RetrievalSettings
from qa.search import Retriever, SearchRequest
from qa.types import Passage


class FakeStore:
    """Fixed ranked lists for dense and keyword search; passages by id."""

    def __init__(self, dense, keyword, published=None, article=None, stories=None):
        self._dense, self._keyword = dense, keyword
        self.published = published or {}
        self.article_of = article or {}
        self.stories = stories or {}

    def dense_search(self, vec, k, window=None):
        return [(c, s) for c, s in self._dense if self.inside(c, window)][:k]

    def bm25_search(self, text, k, window=None):
        return [(c, s) for c, s in self._keyword if self.inside(c, window)][:k]

    def passages(self, ids):
        return {c: Passage(c, self.article_of.get(c, f"a{c}"), 0, 0, 10, f"text of chunk {c} " + "x" * c, f"T{c}", "", "",
                           self.published.get(c)) for c in ids}

    def story_ids(self, article_ids):
        return {a: self.stories.get(a, a) for a in article_ids}

    def inside(self, c, window):
        if window is None:
            return True
        p, lo, hi = self.published.get(c), window.date_from, window.date_to
        return c in self.published and (not hi or (p or "") <= hi) and (not lo or (p or "") >= lo)


class FakeEmbedder:
    dim = 4

    def embed(self, texts):
        return np.ones((len(texts), 4), dtype=np.float32) / 2


def _retriever(store, **kw):
    return Retriever(store, FakeEmbedder(), RetrievalSettings(**{"candidates": 10, "rrf_k": 60, **kw}))


def test_reciprocal_rank_fusion_adds_the_votes_of_both_lists():
    store = FakeStore(dense=[(1, 0.9), (2, 0.8), (3, 0.7)], keyword=[(3, 9.0), (4, 8.0)])
    out = _retriever(store).search(SearchRequest("q", top_k=4))
    scores = {p.chunk_id: p.score for p in out}
    assert scores[3] == pytest.approx(1 / 63 + 1 / 61)  # third in dense, first in keyword: both votes
    assert scores[1] == pytest.approx(1 / 61)
    assert [p.chunk_id for p in out][0] == 3
    assert out[0].dense_rank == 3 and out[0].bm25_rank == 1


def test_recency_bonus_lifts_articles_of_the_last_days_before_as_of():
    published = {1: "2022-01-01", 2: "2022-06-20"}
    store = FakeStore(dense=[(1, 0.9), (2, 0.8)], keyword=[], published=published)
    as_of = date(2022, 6, 23)
    out = _retriever(store, recency_weight=1.0).search(SearchRequest("q", as_of=as_of, prefers_recent=False))
    assert [p.chunk_id for p in out] == [2, 1]  # 1/62 + 1/61 beats 1/61
    out = _retriever(store, recency_weight=0.0).search(SearchRequest("q", as_of=as_of, prefers_recent=False))
    assert [p.chunk_id for p in out] == [1, 2]


def test_as_of_hides_later_articles():
    published = {1: "2022-07-01", 2: "2022-06-20"}
    store = FakeStore(dense=[(1, 0.9), (2, 0.8)], keyword=[(1, 5.0)], published=published)
    out = _retriever(store).search(SearchRequest("q", as_of=date(2022, 6, 23)))
    assert [p.chunk_id for p in out] == [2]


def test_at_most_max_per_article_passages_of_one_story():
    ranked = [(i, 1.0 - i / 10) for i in range(1, 7)]
    article = {1: "a", 2: "a", 3: "a", 4: "b", 5: "c", 6: "c"}
    store = FakeStore(dense=ranked, keyword=[], article=article, stories={"c": "a"})  # c is a copy of a's story
    out = _retriever(store, max_per_article=2).search(SearchRequest("q", top_k=6))
    assert [p.chunk_id for p in out] == [1, 2, 4]
    assert out[0].duplicates == ["c"]


def test_last_month_asked_in_january_is_december_of_the_year_before():
    from qa.text.dates import resolve_time

    scope = resolve_time("What happened last month?", date(2023, 1, 15))
    assert (scope.date_from, scope.date_to) == (date(2022, 12, 1), date(2022, 12, 31))
    scope = resolve_time("Who resigned in December?", date(2023, 1, 15))
    assert (scope.date_from, scope.date_to) == (date(2022, 12, 1), date(2022, 12, 31))
    assert resolve_time("What did Ren say this week?", date(2023, 1, 15)).prefers_recent


def test_evidence_ranks_the_sentence_with_the_questions_rare_words_first():
    from qa.answer.evidence import select_evidence
    from qa.testing import HashEmbedder

    text = ("Huawei opened a new laboratory in Taiyuan. The weather was mild. Huawei opened a new laboratory in Taiyuan. "
            "Sales of phones fell.")
    p = Passage(1, "a1", 0, 0, len(text), text, "Huawei news", "", "", None)
    idf = lambda terms: {t: (5.0 if t in {"taiyuan", "laboratori", "laboratory"} else 1.0) for t in terms}  # noqa: E731
    evidence, ranked = select_evidence("Where is the new Huawei laboratory?", [p], HashEmbedder(), 3, idf)
    assert "Taiyuan" in evidence[0].text
    assert [e.n for e in evidence] == [1, 2, 3]
    assert sum("Taiyuan" in e.text for e in evidence) == 1  # the repeated sentence is offered once
    assert text[evidence[0].start:evidence[0].end] == evidence[0].text
    assert ranked[0].coverage > ranked[-1].coverage


def test_follow_up_pronouns_are_resolved_and_a_models_invented_name_is_refused():
    from qa.generate.prompts import Prompts
    from qa.search.condense import condense
    from qa.testing import ScriptedGenerator

    history = ["What did Ren say about chips?"]
    assert condense("What did he say about Apple?", history)[0] == "What did Ren say about Apple?"
    gen = ScriptedGenerator(["What did Tim Cook say about Apple?"])
    query, how = condense("What did he say about Apple?", history, gen, Prompts())
    assert (query, how) == ("What did Ren say about Apple?", "rules")  # 'Tim Cook' is in no turn
    assert gen.stops == [["\n\n"]]  # the stop strings come from prompts/condense.txt
    gen = ScriptedGenerator(["What did Ren say about Apple?"])
    assert condense("What did he say about Apple?", history, gen, Prompts())[1] == "model"


def test_prompt_files_have_placeholders_and_stop_strings(tmp_path):
    from qa.errors import ConfigError
    from qa.generate.prompts import Prompts

    (tmp_path / "p.txt").write_text('+++\nstop = ["END"]\n+++\n### system\nBe brief.\n### user\nQ: {question}\n')
    prompts = Prompts(tmp_path)
    assert prompts.stop("p") == ["END"]
    assert prompts.messages("p", question="why?") == [{"role": "system", "content": "Be brief."},
                                                       {"role": "user", "content": "Q: why?"}]
    with pytest.raises(ConfigError, match=r"needs \['question'\]"):
        prompts.render("p")
    assert set(Prompts().fields("compose")) == {"evidence", "question", "form"}
    assert set(Prompts().header("compose")["forms"]) == {"fact", "number", "quote", "explanation", "summary", "timeline", "comparison"}


def test_ingest_as_a_unit_counts_and_reuses_vectors(hash_settings, tmp_path):
    from qa.index import Index
    from qa.ingest import ingest
    from qa.testing import HashEmbedder

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Title A\n\nThe council approved the budget. The mayor said it was fair.")
    (docs / "b.txt").write_text("Title B\n\nA storm hit the coast on Monday. Power was cut for hours.")
    emb = HashEmbedder()
    index = Index(tmp_path / "idx", hash_settings, emb)
    first = ingest([docs], index, emb, hash_settings, progress=False)
    assert (first.added, first.chunks, first.embedded) == (2, 2, 2)
    (docs / "b.txt").write_text("Title B\n\nA storm hit the coast on Tuesday. Power was cut for hours.")
    second = ingest([docs], index, emb, hash_settings, progress=False)
    assert (second.added, second.updated, second.unchanged, second.embedded) == (0, 1, 1, 1)
    assert index.counts() == {"articles": 2, "chunks": 2}
    assert len(index.dense_search(emb.embed(["storm on Tuesday"])[0], 5)) == 2


def test_questions_are_answered_while_an_ingest_writes(fake_assistant, tmp_path):
    """Readers see only committed batches: every passage a search returns exists, during and after the ingest."""
    a = fake_assistant()
    more = tmp_path / "more"
    more.mkdir()
    for i in range(40):
        (more / f"n{i}.txt").write_text(f"Story {i}\n\nThe regional council number {i} met about the bridge repairs.")
    a.settings = a.settings.replace(**{"ingest.batch_articles": 4})
    errors, seen = [], []

    def write():
        try:
            a.add([more], progress=False)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    t = threading.Thread(target=write)
    t.start()
    while t.is_alive() or not seen:
        for p in a.search("council bridge repairs", 5):
            article = a.store.article(p.article_id)
            assert article is not None and article.text[p.start:p.end] == p.text
        seen.append(a.stats().articles)
    t.join()
    assert not errors
    assert seen[-1] == 41 and seen == sorted(seen)  # counts only ever grow, batch by batch


def test_removing_an_article_leaves_no_band_rows(fake_assistant):
    a = fake_assistant()
    ids = [art.id for art in a.store.iter_articles()]
    assert a.store.db.conn.execute("SELECT COUNT(*) FROM minhash_band").fetchone()[0] > 0
    a.remove(ids)
    assert a.store.db.conn.execute("SELECT COUNT(*) FROM minhash_band").fetchone()[0] == 0


@pytest.mark.model
def test_the_real_model_gives_the_same_text_streamed_or_not():
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator
    from qa.generate.prompts import Prompts

    gen = LlamaCppGenerator(LLMSettings(threads=2))
    prompts = Prompts()
    messages = prompts.messages("compose", evidence="[1] (2021-02-09, example.com) Huawei opened a laboratory in Taiyuan.",
                                question="Where did Huawei open a laboratory?", form="Answer in one sentence.")
    gen.llm.reset()  # each from the same cache state (a reused prefix may tip a greedy choice: llama.cpp's batched
    whole = gen.generate(messages, max_tokens=24, stop=prompts.stop("compose"))  # and cached logits differ slightly)
    gen.llm.reset()
    pieces = list(gen.generate(messages, max_tokens=24, stream=True, stop=prompts.stop("compose")))
    assert isinstance(whole, str) and whole.strip()
    assert "".join(pieces) == whole
    raw = gen.chat_prompt(messages)  # and a raw prompt, as the draft that continues a read streams it
    gen.llm.reset()
    streamed = "".join(gen.complete(raw, 24, stop=prompts.stop("compose"), stream=True))
    gen.llm.reset()
    assert streamed == gen.complete(raw, 24, stop=prompts.stop("compose"))


def test_one_stemmer_the_python_stems_are_the_keyword_indexs_own():
    """qa.text.stem reproduces SQLite FTS5's porter tokenizer, so IDF looks up the index's own terms."""
    import re
    import sqlite3

    from tests.conftest import SAMPLE_ARTICLE
    from qa.text.tokens import stem

    words = set(re.findall(r"[a-z0-9]+", SAMPLE_ARTICLE.read_text().lower()))
    words |= {"analogies", "assembly", "impossibly", "trekked", "doxxing", "as", "generalization", "companies",
              "renault", "rent", "renew", "ren", "chips", "happiness", "relational", "2019", "covid19"}
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')")
    db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row')")
    differ = []
    for w in sorted(words):
        db.execute("DELETE FROM t")
        db.execute("INSERT INTO t VALUES(?)", (w,))
        fts = [r[0] for r in db.execute("SELECT term FROM v")]
        if fts != [stem(w)]:
            differ.append((w, fts, stem(w)))
    assert not differ


def test_idf_counts_the_stem_not_every_word_starting_with_it(fake_assistant, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Rent\n\nThe rent rose again. Renault renewed its lease.")
    (docs / "b.txt").write_text("Ren\n\nRen said the company will not sell. Ren spoke on Monday.")
    a = fake_assistant(paths=[docs])
    df = a.store.db.doc_freq
    assert df("ren") == 1 and df("rent") == 1  # 'ren' is not counted in 'rent', 'renew', 'Renault'
    idf = a.store.idf(["ren", "rent", "sold"])
    assert idf["ren"] == idf["rent"]


def test_headings_and_fragments_are_not_evidence():
    from qa.answer.evidence import is_fragment, sentences_of

    text = "Huawei phones\nRen said the company will never sell its smartphone business.\nPhoto: Reuters"
    p = Passage(1, "a1", 0, 0, len(text), text, "Huawei", "", "", None)
    assert [s.text for s in sentences_of([p])] == ["Ren said the company will never sell its smartphone business."]
    assert is_fragment("Huawei phones") and is_fragment("Read more")
    assert not is_fragment("Sales fell 5% in March.")


def test_yes_no_lead_moves_the_cited_claim_sentence_first():
    """'Will Huawei sell …?': the sentence stating the claim leads even when another evidence sentence was cited
    first (the answer's first sentence is its short answer for yes/no questions)."""
    from qa.answer.cite import Claim
    from qa.answer.compose import lead_with
    from qa.answer.evidence import Sentence
    from qa.answer.short import ShortAnswer
    from qa.types import Evidence

    reuters = "A Reuters report also mentioned that Huawei is in talks to sell its premium smartphones."
    never = "The president of Huawei said that the company will never sell its smart phone business."
    evidence = [Evidence(1, reuters, "a", 0, 90, 0), Evidence(2, never, "a", 200, 290, 0)]
    claims = [Claim(reuters, [1]), Claim(never, [2])]
    short = ShortAnswer("", Sentence(never, "a", 200, 290, 0), "yesno", 1.0)
    _, out = lead_with(short, claims, evidence, max_sentences=3)
    assert [c.text for c in out] == [never, reuters]
    # a verdict of FALSE (score 0, no TRUE) leaves the order alone
    _, same = lead_with(ShortAnswer("", Sentence(never, "a", 200, 290, 0), "yesno", 0.0), claims, evidence, 3)
    assert [c.text for c in same] == [reuters, never]


@pytest.mark.model
def test_prompt_lookup_decoding_writes_and_gives_the_same_next_token_odds():
    """Not the same greedy text: checking drafted tokens in one batch rounds differently, and on 2 AMD EPYC cores
    the texts part after a few tokens (3 of 4 reporter answers with Qwen; eval/studies/lookup.py)."""
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator
    from qa.generate.prompts import Prompts

    prompts = Prompts()
    messages = prompts.messages("compose", evidence="[1] (2021-02-09, example.com) Huawei opened a laboratory in Taiyuan.",
                                question="Where did Huawei open a laboratory?", form="Answer in one sentence.")
    plain, lookup = (LlamaCppGenerator(LLMSettings(threads=2, lookup=n)) for n in (0, 8))
    raw = plain.chat_prompt(messages)
    texts, odds = [], []
    for gen in (plain, lookup):
        gen.llm.reset()
        texts.append(gen.complete(raw, 24, stop=prompts.stop("compose")))
        gen.llm.reset()
        odds.append(gen.next_token_logprobs(raw, [" The", " Huawei"]))
    assert texts[0].strip() and texts[1].strip()
    assert texts[0].split()[:2] == texts[1].split()[:2]  # the first tokens come from the same odds
    assert odds[0] == pytest.approx(odds[1], abs=0.05)  # the last token's row, not the first, with every row kept
