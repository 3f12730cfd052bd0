"""Reading with the language model: what it says is mapped onto evidence spans; its features; the real calls."""

from __future__ import annotations

import pytest

from qa.answer import model
from qa.answer.evidence import Pool, Sentence
from qa.types import Passage


def _pool(question: str, *sentences: str) -> Pool:
    ranked = [Sentence(s, f"a{i}", 0, len(s), i, relevance=0.6 - 0.05 * i, score=0.65 - 0.05 * i)
              for i, s in enumerate(sentences)]
    passages = [Passage(i, f"a{i}", 0, 0, len(s), s, f"Story {i}", "", "", "2022-06-20") for i, s in enumerate(sentences)]
    from qa.answer.spans import regex_spans

    return Pool(question, ranked, passages, spans=lambda texts: [regex_spans(t) for t in texts])


def test_what_the_model_said_is_mapped_to_the_evidence_span_it_matches():
    pool = _pool("What did Washington claim Huawei's equipment could be used for?",
                 "Washington claimed that Huawei's network equipment could be used to spy on the Americans.",
                 "Huawei has repeatedly denied the allegations.")
    r = model.interpret("Spying on the Americans.", pool.sentences)
    assert r.span == "spy on the Americans" and r.sentence is pool.sentences[0]
    assert r.sentence.text[r.start:r.end] == r.span and r.match == 1.0
    assert model.interpret("to build satellites", pool.sentences).span == ""  # nothing matches: no span
    none = model.interpret("not in the evidence", pool.sentences)
    assert none.none and not none.span


def test_the_models_span_joins_the_candidates_with_its_features():
    from qa.answer import ranker

    pool = _pool("What did Washington claim Huawei's equipment could be used for?",
                 "Washington claimed that Huawei's network equipment could be used to spy on the Americans.")
    reading = model.interpret("spy on the Americans", pool.sentences)
    _, cands = ranker.candidates(pool, reading=reading, stack={"base": 1.0, "m_span": 10.0})
    assert cands[0].text == "spy on the Americans" and cands[0].features["m_span"] == 1.0
    _, plain = ranker.candidates(pool)
    assert "spy on the americans" not in {c.key for c in plain}


def test_choice_probabilities_are_features_and_not_support():
    from qa.answer.choices import choose

    pool = _pool("Which city hosted the summit?", "The weather was mild across the region on Monday.")
    res = choose(pool, ["Paris", "Rome"], model_logprobs=[-0.1, -2.5])
    assert res.index is None  # the model's letter alone is no evidence: no sentence mentions either city


@pytest.mark.model
def test_the_real_model_reads_raw_prompts_with_a_reused_prefix():
    from qa.config import LLMSettings
    from qa.generate.llama import LlamaCppGenerator
    from qa.generate.prompts import Prompts

    gen = LlamaCppGenerator(LLMSettings(threads=2))
    prompts = Prompts()
    pool = _pool("Where did Huawei open a new laboratory?",
                 "Ren spoke as Huawei inaugurated a new laboratory in the city of Taiyuan in northern China.")
    r = model.read(gen, prompts, pool.question, pool.sentences)
    assert isinstance(r.said, str) and r.seconds > 0
    lp = model.choose(gen, prompts, pool.question, ["Taiyuan", "Shanghai"], pool.sentences)
    assert len(lp) == 2 and abs(sum(2.718281828 ** x for x in lp) - 1.0) < 1e-6
    again = model.choose(gen, prompts, pool.question, ["Taiyuan", "Shanghai"], pool.sentences)
    # the cached prefix gives the same logits as a fresh evaluation, up to the rounding of a different batch split
    # (~1e-3 on AMD EPYC, exact on Intel Xeon)
    assert again == pytest.approx(lp, abs=5e-3)


def test_a_count_of_something_no_sentence_counts_is_not_answered(fake_assistant):
    a = fake_assistant(["Huawei has 197,000 employees [1]."])
    a.settings = a.settings.replace(**{"answer.abstain_threshold": 0.0})  # only the counting rule can abstain
    ans = a.ask("How many employees does Huawei have?")
    assert ans.abstained and "employees" in ans.dropped[0]
    assert a.generator.prompts == []  # the model is not asked at all
    years = a.ask("How many years of pressure had Huawei faced?")  # 'years' is a unit: the counting rule stays out
    assert years.mode != "abstained" and not any("years" in d for d in years.dropped[:1])
