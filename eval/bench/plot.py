"""The benchmark's figure (bench.png): ingest, retrieval, answers, memory, the thread plan."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .render import gemms_free_factor


def plot(results: dict[str, Any], path: Path) -> None:
    """Ingest, retrieval, answers, memory, thread plan."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fast = results.get("fast") or {"sizes": []}
    fig, axes = plt.subplots(2, 3, figsize=(17, 9))
    ax = axes[0][0]
    names, rates = [], []
    plain = results.get("plain")
    if plain:
        names.append(f"plain loop\n(torch fp32)\n{plain['articles']} art.")
        rates.append(plain["ingest"]["chunks_per_s"] or 0)
    for r in fast["sizes"]:
        if r["ingest"].get("chunks_per_s"):
            names.append(f"qa\n{r['articles']:,} art." + ("\n(qa index)" if r.get("index") else ""))
            rates.append(r["ingest"]["chunks_per_s"])
    lim = results.get("limit")
    first = next((r for r in fast["sizes"] if r["ingest"].get("chunks_per_s")), None)
    free = gemms_free_factor(lim) if lim and first else None
    if free:  # the bound: this ingest with its int8 GEMMs taking no time
        names.append("qa bound:\nint8 GEMMs\nfree")
        rates.append(first["ingest"]["chunks_per_s"] * free)
    lim = lim if free else None
    ax.bar(range(len(rates)), rates, color=["C3"] * bool(plain) + ["C0"] * (len(rates) - bool(plain) - bool(lim)) + ["C7"] * bool(lim))
    ax.set_xticks(range(len(rates)), names, fontsize=7)
    if plain:
        ax.axhline(2.5 * (plain["ingest"]["chunks_per_s"] or 0), color="C3", ls="--", lw=1, label="2.5x plain loop")
        ax.legend(fontsize=8)
    ax.set(title="ingest (chunks/s)", ylabel="chunks/s")
    ax = axes[0][1]
    xs = [r["chunks"] for r in fast["sizes"]]
    for key, label, style in (("total", "search p50", "o-"), ("bm25", "BM25 p50", "s--"), ("faiss", "FAISS p50", "^--"),
                              ("query_embedding", "query embedding p50", "v--"), ("rest", "passages+fusion+diversity", "d--")):
        ys = [(r["retrieval"].get(key) or {}).get("p50_ms") for r in fast["sizes"]]
        if any(y is not None for y in ys):
            ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=label)
    for name, style in (("as_of", "o:"), ("window", "x:")):
        ys = [((r.get("retrieval_dated") or {}).get(name) or {}).get("total", {}).get("p50_ms") for r in fast["sizes"]]
        if any(y is not None for y in ys):
            ax.plot(xs, [float("nan") if y is None else y for y in ys], style, label=f"search p50, {name}")
    ax.axhline(30, color="C3", ls="--", lw=1, label="30 ms target")
    ax.set(title="retrieval (warm)", xlabel="chunks", ylabel="ms")
    ax.legend(fontsize=7)
    ax = axes[0][2]
    answers = results.get("answers") or []
    labels, p50s, firsts, colors = [], [], [], []
    for a in answers:
        for condition, cell in a["cells"].items():
            labels.append(f"{a['model'].split('-')[0]}\n{a['articles'] // 1000 or a['articles']}{'k' if a['articles'] >= 1000 else ''}"
                          f"\n{'idle' if condition == 'idle' else '+1 proc'}")
            p50s.append((cell["open"]["total"]["p50_ms"] or 0) / 1000)
            firsts.append((cell["open"]["first_token"]["p50_ms"] or float("nan")) / 1000)
            colors.append("C0" if "smol" in a["model"] else "C1")
    if labels:
        ax.bar(range(len(p50s)), p50s, color=colors, alpha=0.8, label="answer p50")
        ax.plot(range(len(firsts)), firsts, "k^", label="first token p50")
        ax.set_xticks(range(len(labels)), labels, fontsize=6)
        ax.legend(fontsize=8)
    ax.set(title="answers, open questions (warm)", ylabel="seconds")
    ax = axes[1][0]
    ax.plot(xs, [r["peak_rss_mb"] for r in fast["sizes"]], "o-", label="peak RSS (search process)")
    ax.plot(xs, [r["disk_mb"] for r in fast["sizes"]], "s-", label="index on disk")
    for a in answers:
        ax.plot([a["chunks"]], [a["peak_rss_mb"]], "^", color="C0" if "smol" in a["model"] else "C1")
    ax.set(title="memory and disk (triangles: answering, per model)", xlabel="chunks", ylabel="MB")
    ax.legend(fontsize=8)
    ax = axes[1][1]
    th = (results.get("threads") or {})
    bars, vals = [], []
    for key in ("default", "passive"):
        for model, m in ((th.get(key) or {}).get("llama") or {}).items():
            for condition in ("idle", "competitor"):
                for setting, v in (m.get(condition) or {}).items():
                    bars.append(f"{model.split('-')[0]} {'P ' if key == 'passive' else ''}{setting}\n{'idle' if condition == 'idle' else '+1'}")
                    vals.append(v["prompt_tokens_per_s"] or 0)
    if bars:
        ax.barh(range(len(vals)), vals, color=["C0" if "smol" in b else "C1" for b in bars])
        ax.set_yticks(range(len(bars)), bars, fontsize=5)
    ax.set(title="llama.cpp prompt tokens/s by threads", xlabel="tokens/s")
    ax = axes[1][2]
    onnx = (th.get("default") or {}).get("onnx")
    if onnx:
        names = list(onnx["idle"])
        w = 0.38
        ax.bar([i - w / 2 for i in range(len(names))], [onnx["idle"][n] for n in names], w, label="idle")
        if onnx.get("competitor"):
            ax.bar([i + w / 2 for i in range(len(names))], [onnx["competitor"][n] for n in names], w, label="+1 process")
        ax.set_xticks(range(len(names)), [n.replace(", ", "\n") for n in names], fontsize=7)
        ax.legend(fontsize=8)
    ax.set(title="ONNX Runtime embedding (chunks/s)", ylabel="chunks/s")
    m = results.get("machine", {})
    fig.suptitle(f"{m.get('cpu', '?')}, {m.get('cpus', '?')} cores; 1-minute load average at each size: "
                 f"{[r.get('load_avg', [None])[0] for r in fast['sizes']]}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
