"""Per-question metrics and their aggregation (eval/metrics.py) on hand-built answers, against hand-computed values."""

from __future__ import annotations

import json

import pytest

from eval import metrics as M
from eval.gold import GoldQuestion, load_gold, parse_record
from qa.errors import ConfigError, InputError
from qa.types import Answer, Citation, Passage


def passage(article_id: str, duplicates: tuple[str, ...] = ()) -> Passage:
    return Passage(0, article_id, 0, 0, 10, "text", "title", "src", "", "2022-06-20", duplicates=list(duplicates))


def citation(n: int, sentence: str, passage_text: str = "") -> Citation:
    return Citation(n, "a1", "t", "s", "", None, sentence, 0, len(sentence), passage_text or sentence)


def rtqa(**kw) -> GoldQuestion:
    base = dict(id="q", question="What country elected its first leftist leader?", format="rtqa", source="CNN",
                answers=["Colombia"], choices=["Peru", "Colombia"], gold_choice=1, evidence_id="ev")
    return GoldQuestion(**{**base, **kw})


def test_retrieval_ranks_distinct_articles_and_counts_near_duplicates():
    ps = [passage("a"), passage("a"), passage("b", ("ev",)), passage("c"), passage("d"), passage("e"), passage("f")]
    m = M.retrieval_metrics("ev", ps)
    # distinct articles: a, b(+ev), c ... → rank 2
    assert (m["hit@1"], m["hit@5"], m["hit@10"], m["rr"], m["evidence_rank"]) == (0.0, 1.0, 1.0, 0.5, 2)
    ps = [passage(x) for x in "abcdef"] + [passage("ev")]
    m = M.retrieval_metrics("ev", ps)
    assert (m["hit@5"], m["hit@10"], m["rr"]) == (0.0, 1.0, pytest.approx(1 / 7))
    m = M.retrieval_metrics("ev", [passage("a")])
    assert (m["hit@10"], m["rr"], m["evidence_rank"]) == (0.0, 0.0, None)
    assert M.retrieval_metrics(None, [passage("a")])["hit@1"] is None


def test_citation_precision_and_recall_by_hand():
    answer = Answer(
        question="q",
        text="As of 2022-06-20, Petro won the election in Colombia [1][2]. He promised 40 reforms [2]. Turnout was high.",
        short="Petro", passages=[],
        citations=[citation(1, "Gustavo Petro won the election in Colombia on Sunday."),
                   citation(2, "The weather in Bogota was sunny.")],
    )
    m = M.citation_metrics(answer)
    # sentence 1 cites [1] (supports alone; the 'As of' date framing is cut) and [2] (does not, and [1] supports
    # without it: imprecise); sentence 2 cites [2] (the number 40 is absent); sentence 3 cites nothing.
    # Pairs 3, precise 1; sentences 3, supported 1.
    assert (m["cit_pairs"], m["cit_supported"], m["sentences"], m["sentences_supported"]) == (3, 1, 3, 1)
    assert m["cit_precision"] == pytest.approx(1 / 3)
    assert m["cit_recall"] == pytest.approx(1 / 3)


def test_citations_that_support_only_together_are_precise():
    # A headline without a full stop runs into the next quoted sentence: the claim cites both, and only both
    # together hold all its words. Hyphenated words ('Four-time') count as their parts.
    answer = Answer(question="q", short="", passages=[],
                    text="Four-time champion Rob Gronkowski retires [1] He won titles with Tampa Bay. [2]",
                    citations=[citation(1, "Four-time champion Rob Gronkowski retires"),
                               citation(2, "He won titles with Tampa Bay.")])
    m = M.citation_metrics(answer)
    assert (m["cit_pairs"], m["cit_supported"], m["sentences"], m["sentences_supported"]) == (2, 2, 1, 1)
    # a third citation that adds nothing is imprecise: 2 of 3
    answer.text = answer.text.replace("[2]", "[2][3]")
    answer.citations.append(citation(3, "The weather was fine."))
    m = M.citation_metrics(answer)
    assert (m["cit_pairs"], m["cit_supported"], m["sentences_supported"]) == (3, 2, 1)


def test_abstained_answers_have_no_citation_metrics_and_score_zero():
    answer = Answer(question="q", text="I couldn't find this in the indexed articles.", short="", citations=[],
                    passages=[passage("ev")], abstained=True)
    m = M.answer_metrics(rtqa(), answer)
    assert m["cit_precision"] is None and m["cit_pairs"] is None
    assert (m["em"], m["f1"], m["contains_gold"], m["abstained"], m["hit@1"]) == (0.0, 0.0, 0.0, True, 1.0)


def test_answer_metrics_rtqa_by_hand():
    answer = Answer(question="q", text="Voters in Colombia chose Petro [1].", short="in Colombia",
                    citations=[citation(1, "Voters in Colombia chose Gustavo Petro.")], passages=[passage("x"), passage("ev")])
    m = M.answer_metrics(rtqa(), answer)
    # short [in colombia] vs [colombia]: EM 0, F1 = 2 * 1/2 * 1 / (3/2) = 2/3; gold in text and in the cited sentence
    assert m["em"] == 0.0 and m["f1"] == pytest.approx(2 / 3)
    assert (m["contains_gold"], m["cited_gold"], m["rr"]) == (1.0, 1.0, 0.5)
    assert (m["passages_gold"], m["failure"]) == (0.0, "not_retrieved")  # the passages' text is 'text'
    skipped = M.answer_metrics(rtqa(question="He coached at all of these schools except:"), answer)
    assert skipped["em"] is None and skipped["contains_gold"] is None


def test_seed_correctness_and_cited_support():
    gold = GoldQuestion(id="s", question="Where did Huawei open a laboratory?", format="seed",
                        answers_any=["Taiyuan"], support=["inaugurated a new laboratory"])
    good = Answer(question="q", text="Huawei opened it in taiyuan [1].", short="", passages=[],
                  citations=[citation(1, "Huawei opened a lab in Taiyuan.", "Last week Huawei inaugurated a new laboratory. "
                                                                            "Huawei opened a lab in Taiyuan.")])
    m = M.answer_metrics(gold, good)
    assert (m["seed_correct"], m["cited_support"]) == (1.0, 1.0)  # case-insensitive answer; verbatim support
    wrong = Answer(question="q", text="In Shenzhen [1].", short="", passages=[],
                   citations=[citation(1, "In Shenzhen.", "Huawei Inaugurated A New Laboratory in Shenzhen.")])
    m = M.answer_metrics(gold, wrong)
    assert (m["seed_correct"], m["cited_support"]) == (0.0, 0.0)  # support is case-sensitive (verbatim)
    unanswerable = GoldQuestion(id="u", question="?", format="seed", answerable=False)
    abstained = Answer(question="q", text="I couldn't find this.", short="", citations=[], passages=[], abstained=True)
    assert M.answer_metrics(unanswerable, abstained)["seed_correct"] == 1.0
    assert M.answer_metrics(unanswerable, good)["seed_correct"] == 0.0
    assert "cited_support" not in M.answer_metrics(unanswerable, abstained)


def test_choice_metrics():
    pick = lambda i: Answer(question="q", text="", short="", citations=[], passages=[], choice=i)  # noqa: E731
    assert M.choice_metrics(rtqa(), pick(1)) == {"mc_correct": 1.0, "mc_none": 0.0}
    assert M.choice_metrics(rtqa(), pick(0)) == {"mc_correct": 0.0, "mc_none": 0.0}
    assert M.choice_metrics(rtqa(), pick(None)) == {"mc_correct": 0.0, "mc_none": 1.0}
    assert M.choice_metrics(rtqa(choices=[]), pick(1))["mc_correct"] is None


def test_aggregate_means_pooled_ratios_and_abstention_by_hand():
    rows = [
        {"em": 1.0, "cit_pairs": 4, "cit_supported": 1, "sentences": 2, "sentences_supported": 1, "answerable": True, "abstained": False},
        {"em": 0.0, "cit_pairs": 1, "cit_supported": 1, "sentences": 1, "sentences_supported": 1, "answerable": True, "abstained": False},
        {"em": None, "cit_pairs": None, "answerable": True, "abstained": True},
        {"answerable": False, "abstained": True},
        {"answerable": False, "abstained": False},
    ]
    agg = M.aggregate(rows)
    assert agg["em"] == {"value": 0.5, "n": 2}
    assert agg["citation_precision"] == {"value": 2 / 5, "n": 2}  # pooled: (1 + 1) / (4 + 1), not mean(1/4, 1)
    assert agg["citation_recall"] == {"value": 2 / 3, "n": 2}
    assert agg["false_abstention"] == {"value": 1 / 3, "n": 3}
    assert agg["abstention_accuracy"] == {"value": 1 / 2, "n": 2}
    assert agg["mc_accuracy"] == {"value": None, "n": 0}


def test_percentiles_latency_and_tokens_per_second():
    assert M.percentile([1, 2, 3, 4], 50) == 2.5
    assert M.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21], 95) == 20.0
    assert M.percentile([], 50) is None
    lat = M.latency([{"retrieve": 1.0, "total": 2.0}, {"retrieve": 3.0, "total": 4.0, "generate": 1.0}, {}])
    # two values 1 and 3: p50 = 2, p95 = 1 + 0.95 * (3 - 1) = 2.9
    assert (lat["retrieve"]["p50"], lat["retrieve"]["p95"], lat["retrieve"]["n"]) == (2.0, pytest.approx(2.9), 2)
    assert lat["generate"]["n"] == 1
    tps = M.tokens_per_second([{"timings": {"generate": 2.0}, "tokens": {"completion": 30}},
                               {"timings": {"generate": 1.0}, "tokens": {"completion": 15}},
                               {"timings": {"total": 1.0}, "tokens": {}}])
    assert (tps["value"], tps["n"]) == (15.0, 2)


def test_gold_formats_and_errors(tmp_path):
    seed = parse_record({"id": "s1", "question": "And what?", "history": ["What did Ren say?"], "answerable": False,
                         "answers_any": [], "support": []})
    assert (seed.format, seed.source, seed.answerable, seed.history) == ("seed", "seed", False, ["What did Ren say?"])
    q = parse_record({"id": "r", "question": "Q?", "as_of": "2022-06-23", "answers": ["A"], "choices": ["A", "B"],
                      "gold_choice": 0, "source": "CNN", "evidence_id": None})
    assert (q.format, q.as_of, q.evidence_id, q.answerable) == ("rtqa", "2022-06-23", None, True)
    with pytest.raises(InputError, match="answers_any"):
        parse_record({"id": "x", "question": "Q?"}, "gold.jsonl:3")
    bad = tmp_path / "g.jsonl"
    bad.write_text(json.dumps({"id": "a", "question": "Q", "answers": ["x"]}) + "\n{oops\n")
    with pytest.raises(InputError, match=r"g.jsonl:2"):
        load_gold(bad)
    with pytest.raises(ConfigError, match="does not exist"):
        load_gold(tmp_path / "missing.jsonl")


def test_failure_kinds():
    base = {"em": 0.0, "abstained": False, "passages_gold": 1.0, "contains_gold": 0.0}
    assert M.failure_kind({**base, "em": 1.0}) is None
    assert M.failure_kind({**base, "abstained": True}) == "abstained"
    assert M.failure_kind({**base, "passages_gold": 0.0}) == "not_retrieved"
    assert M.failure_kind(base) == "not_in_answer"
    assert M.failure_kind({**base, "contains_gold": 1.0}) == "short_wrong"
    rows = [{"failure": "short_wrong"}, {"failure": "short_wrong"}, {"failure": None}, {}]
    assert M.failures(rows) == {"abstained": 0, "not_retrieved": 0, "not_in_answer": 0, "short_wrong": 2}
