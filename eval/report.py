"""The Markdown report and the PNG chart of a run, written from its summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

BASELINES_FILE = Path(__file__).resolve().parent / "baselines.json"

# metric → (title, what it measures); the order is the report's order.
TITLES: dict[str, tuple[str, str]] = {
    "em": ("EM (RealTimeQA rule)", "exact match of Answer.short with the gold choice text, official normalization"),
    "f1": ("F1 (RealTimeQA rule)", "token F1 of Answer.short with the gold choice text"),
    "contains_gold": ("Contains gold", "the normalized gold text appears, as whole tokens, in the answer text"),
    "cited_gold": ("Cited sentence contains gold", "some cited sentence contains the normalized gold text"),
    "passages_gold": ("Retrieved passages contain gold", "some retrieved passage (title + text) contains the normalized gold text"),
    "seed_correct": ("Seed correctness", "answer contains an answers_any string; unanswerable: abstained"),
    "seed_short_correct": ("Seed short-answer correctness", "Answer.short contains an answers_any string; unanswerable: abstained"),
    "cited_support": ("Seed cited support", "a cited passage contains a `support` string verbatim"),
    "mc_accuracy": ("Multiple-choice accuracy", "Answer.choice equals gold_choice (no pick = wrong)"),
    "mc_none": ("Multiple choice: no pick", "share of choice questions where no choice was picked"),
    "hit@1": ("Retrieval hit@1", "evidence article is the first distinct retrieved article"),
    "hit@5": ("Retrieval hit@5", "evidence article among the first 5 distinct retrieved articles"),
    "hit@10": ("Retrieval hit@10", "evidence article among the first 10 distinct retrieved articles"),
    "mrr": ("Retrieval MRR", "mean of 1/rank of the evidence article (0 when not retrieved)"),
    "citation_precision": ("Citation precision", "citations that support their sentence alone, or that the sentence's "
                           "citations need to support it together (ALCE)"),
    "citation_recall": ("Citation recall", "answer sentences that their citations, together, support"),
    "abstention_accuracy": ("Abstention accuracy", "unanswerable questions answered with an abstention"),
    "false_abstention": ("False abstention", "answerable questions answered with an abstention (lower is better)"),
}


def load_baselines(path: Path = BASELINES_FILE) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def baselines_for(summary: dict[str, Any]) -> dict[str, Any] | None:
    """The published baselines of the questions a run answered: only when its gold file is the very file the
    baselines were scored on (same sha1), never beside another set's figures."""
    data = load_baselines()
    gold = (summary.get("run") or {}).get("gold_sha1")
    for base in data["sets"].values():
        if gold and gold == base.get("questions_sha1"):
            return dict(base, note=data["source"])
    return None


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def write_markdown(summary: dict[str, Any], path: Path) -> None:
    """report.md: run facts, one table per metric by question source (with baselines), latency and cost."""
    run, sources = summary["run"], summary["sources"]
    base = baselines_for(summary)
    lines = [f"# Eval report: {Path(run['gold']).name}", ""]
    lines += [f"- gold: `{run['gold']}` ({summary['n']} questions answered in this report"
              + (f", limit {run['limit']}" if run.get("limit") else "") + ")",
              f"- index: `{run['index']}`", f"- model: {run['model']}; temperature {run['temperature']}; "
              f"multiple choice asked: {'yes' if run['choices'] else 'no'}",
              f"- errors: {summary['errors']}", "- figures in %; `n` = questions the metric applies to; "
              "definitions in eval/README.md", ""]
    cols = [*sources, "all"]
    for name, (title, meaning) in TITLES.items():
        overall = summary["overall"][name]
        if not overall["n"]:
            continue
        lines += [f"## {title}", "", meaning + ".", "", "| system | " + " | ".join(cols) + " |",
                  "|---|" + "---|" * len(cols)]
        cells = [f"{_pct(summary['by_source'][s][name]['value'])} (n={summary['by_source'][s][name]['n']})" for s in sources]
        cells.append(f"**{_pct(overall['value'])}** (n={overall['n']})")
        lines.append("| this run | " + " | ".join(cells) + " |")
        if base:
            for key, sysinfo in base["systems"].items():
                if name in sysinfo:
                    lines.append(f"| {key} ({sysinfo['label']}) | " + " | ".join("–" for _ in sources)
                                 + f" | {sysinfo[name]:.1f} |")
            ceil = base.get("ceilings", {}).get(name)
            if ceil:
                lines.append(f"| {ceil['label']} | " + " | ".join("–" for _ in sources) + f" | {ceil['value']:.1f} |")
        lines.append("")
    if base:
        lines += [f"Baselines: {base['note']}", ""]
        if summary["n"] < base["questions"]:
            lines += [f"Note: this run covers {summary['n']} of the {base['questions']} questions the baselines were "
                      "scored on; the figures are not directly comparable.", ""]
    if any(summary["failures"].values()):
        from .metrics import FAILURES

        lines += ["## Where free-text answers miss the exact match", "",
                  "| cause | " + " | ".join(cols) + " |", "|---|" + "---|" * len(cols)]
        for key, label in FAILURES.items():
            lines.append(f"| {label} | " + " | ".join(str(summary["failures_by_source"][s][key]) for s in sources)
                         + f" | {summary['failures'][key]} |")
        lines.append("")
    lines += ["## Latency (seconds per question)", "", "| stage | p50 | p95 | n |", "|---|---|---|---|"]
    for stage, v in summary["latency"].items():
        lines.append(f"| {stage} | {v['p50']:.3f} | {v['p95']:.3f} | {v['n']} |")
    for stage, v in summary.get("latency_choice", {}).items():
        lines.append(f"| multiple choice: {stage} | {v['p50']:.3f} | {v['p95']:.3f} | {v['n']} |")
    tps = summary["tokens_per_s"]
    lines += ["", f"- generation speed: {tps['value']:.1f} tokens/s ({tps['completion_tokens']} completion tokens in "
              f"{tps['generate_s']} s over {tps['n']} answers)" if tps["value"] else "- generation speed: – (no LLM call)",
              f"- peak memory (max resident set size of the eval process): {summary['peak_rss_mb']:.0f} MB",
              f"- answer modes: {', '.join(f'{k} {v}' for k, v in summary['modes'].items())}", "",
              "![chart](chart.png)", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_chart(summary: dict[str, Any], path: Path) -> None:
    """chart.png: the main scores against the published baselines, and the same scores by question source."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [m for m in ("em", "f1", "contains_gold", "seed_correct", "mc_accuracy", "hit@5", "citation_precision",
                         "citation_recall") if summary["overall"][m]["n"]]
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8))
    base = baselines_for(summary)
    ax = axes[0]
    compared = [m for m in ("em", "f1", "mc_accuracy") if summary["overall"][m]["n"]]
    if base and compared:
        systems = [("this run", {m: 100 * (summary["overall"][m]["value"] or 0) for m in compared})]
        systems += [(k, v) for k, v in base["systems"].items()]
        width = 0.8 / len(systems)
        for i, (label, vals) in enumerate(systems):
            xs = [j + i * width for j in range(len(compared))]
            ax.bar(xs, [vals.get(m, 0) for m in compared], width, label=label,
                   color="black" if label == "this run" else None)
        ax.set_xticks([j + 0.4 - width / 2 for j in range(len(compared))], compared)
        ax.set_title("vs published RealTimeQA baselines")
        ax.legend(fontsize=7)
    else:
        ax.bar(names, [100 * (summary["overall"][m]["value"] or 0) for m in names], color="black")
        ax.set_title("this run")
        ax.tick_params(axis="x", rotation=30)
    ax.set_ylabel("%")
    ax.set_ylim(0, 100)
    ax = axes[1]
    sources = summary["sources"]
    width = 0.8 / max(1, len(sources))
    for i, s in enumerate(sources):
        xs = [j + i * width for j in range(len(names))]
        ax.bar(xs, [100 * (summary["by_source"][s][m]["value"] or 0) for m in names], width, label=s)
    ax.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=30, ha="right")
    ax.set_ylim(0, 100)
    ax.set_title("by question source")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
