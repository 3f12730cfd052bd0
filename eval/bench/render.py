"""The benchmark's Markdown tables (docs/performance.md), made from the roles' results."""

from __future__ import annotations

from typing import Any


def speedup(results: dict[str, Any]) -> dict[str, Any] | None:
    """fast / plain on the same articles: the first size whose article count equals the reference's."""
    plain, fast = results.get("plain"), results.get("fast")
    if not plain or not fast:
        return None
    same = next((r for r in fast["sizes"] if r["articles"] == plain["articles"]), None)
    if same is None:
        return {"note": "no fast size with the reference's article count: pass --sizes including "
                        f"{plain['articles']}"}
    f, p = same["ingest"], plain["ingest"]
    return {"articles": plain["articles"], "chunks_fast": same["chunks"], "chunks_plain": plain["chunks"],
            "ingest_chunks_per_s": _ratio(f["chunks_per_s"], p["chunks_per_s"]),
            "embed_chunks_per_s": _ratio(f["embed_chunks_per_s"], p["embed_chunks_per_s"])}



def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None



def _ms(x: float | None) -> str:
    if x is None:
        return "–"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}"



def render_table(results: dict[str, Any]) -> str:
    """The Markdown tables of docs/performance.md."""
    parts = [_ingest_table(results)]
    for render in (_retrieval_table, _hnsw_lines, _answers_table, _calls_table, _cold_table, _threads_table, _limit_lines):
        text = render(results)
        if text:
            parts.append(text)
    return "\n\n".join(parts)



def _ingest_table(results: dict[str, Any]) -> str:
    lines = ["| pipeline | articles | chunks | ingest s | articles/s | chunks/s | embed chunks/s | "
             "parse / chunk / enrich / embed / write s | peak RSS MB | disk MB | retrieval p50 / p95 ms | "
             "first token p50 / p95 ms | answer p50 / p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    fast = results.get("fast")
    if fast:
        for row in fast["sizes"]:
            ing = row["ingest"]
            st = ing.get("stages_s") or {}
            ret = row["retrieval"]["total"]
            ans = row.get("answer") or {}
            ft, tot = ans.get("first_token") or {}, ans.get("total") or {}
            added = f" (+{ing['articles']})" if ing.get("articles") and ing["articles"] != row["articles"] else ""
            name = f"qa ({fast['backend']})" + (" `qa index`, scale index" if row.get("index") else "")
            stages = (f"{st.get('parse')} / {st.get('chunk')} / {st.get('enrich')} / {st.get('embed')} / {st.get('write')}"
                      if st else "–")
            lines.append(
                f"| {name} | {row['articles']} | {row['chunks']} | {ing.get('seconds') or '–'}{added} | "
                f"{ing.get('articles_per_s') or '–'} | {ing.get('chunks_per_s') or '–'} | {ing.get('embed_chunks_per_s') or '–'} | "
                f"{stages} | {row['peak_rss_mb']} | {row['disk_mb']} | {ret['p50_ms']} / {ret['p95_ms']} | "
                f"{ft.get('p50_ms', '–')} / {ft.get('p95_ms', '–')} | {tot.get('p50_ms', '–')} / {tot.get('p95_ms', '–')} |")
    plain = results.get("plain")
    if plain:
        ing = plain["ingest"]
        st = ing["stages_s"]
        d = plain["dense_retrieval"]
        lines.append(
            f"| plain loop (torch fp32 + flat FAISS) | {plain['articles']} | {plain['chunks']} | {ing['seconds']} | "
            f"{ing['articles_per_s']} | {ing['chunks_per_s']} | {ing['embed_chunks_per_s']} | "
            f"{st['parse']} / {st['chunk']} / - / {st['embed']} / {st['write']} | {plain['peak_rss_mb']} | "
            f"(in memory) | dense only: {d['p50_ms']} / {d['p95_ms']} | - | - |")
    out = "\n".join(lines)
    sp = results.get("speedup")
    if sp and "ingest_chunks_per_s" in sp:
        out += (f"\n\nSpeed-up on the same {sp['articles']} articles: ingest {sp['ingest_chunks_per_s']}x chunks/s, "
                f"embedding {sp['embed_chunks_per_s']}x chunks/s (fast / plain).")
    return out



def _retrieval_table(results: dict[str, Any]) -> str:
    fast = results.get("fast")
    if not fast or not any(r.get("retrieval_dated") for r in fast["sizes"]):
        return ""
    lines = ["| index | chunks | FAISS | search p50 / p95 ms | query embedding | FAISS | BM25 | passages + fusion + diversity "
             "| as_of: search p50 / p95 (window cut, FAISS, BM25 p50) | 4-week window: search p50 / p95 (cut, FAISS, BM25) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in fast["sizes"]:
        r = row["retrieval"]
        cells = []
        for name in ("as_of", "window"):
            d = (row.get("retrieval_dated") or {}).get(name)
            if not d:
                cells.append("–")
                continue
            cells.append(f"{_ms(d['total']['p50_ms'])} / {_ms(d['total']['p95_ms'])} ({_ms(d['window_cut']['p50_ms'])}, "
                         f"{_ms(d['faiss']['p50_ms'])}, {_ms(d['bm25']['p50_ms'])}; {round(100 * (d['window_fraction_p50'] or 0))}% "
                         "of chunks)")
        lines.append(f"| {row['articles']:,} articles | {row['chunks']:,} | {row.get('faiss', '?')} | "
                     f"{_ms(r['total']['p50_ms'])} / {_ms(r['total']['p95_ms'])} | {_ms(r['query_embedding']['p50_ms'])} | "
                     f"{_ms(r['faiss']['p50_ms'])} | {_ms(r['bm25']['p50_ms'])} | {_ms((r.get('rest') or {}).get('p50_ms'))} | "
                     f"{cells[0]} | {cells[1]} |")
    return "\n".join(lines)



def _hnsw_lines(results: dict[str, Any]) -> str:
    h = results.get("hnsw")
    if not h:
        return ""
    out = (f"HNSW (M=32, efConstruction 80; {h.get('hnsw_source', 'built here')}) on {h['vectors']} vectors, "
           f"{h['queries']} queries, against exact search: recall@10 {h['recall_at_10']} at efSearch {h['efSearch']} (p50 "
           f"{h['latency']['hnsw']['p50_ms']} ms), {h['recall_at_10_ef256']} at efSearch 256 (p50 "
           f"{h['latency']['hnsw_ef256']['p50_ms']} ms); flat p50 {h['latency']['flat']['p50_ms']} ms; "
           f"HNSW build {h['build_s']} s.")
    for name, w in (h.get("windows") or {}).items():
        out += (f"\nDate window ({name}; {w['n']} queries, median window {round(100 * (w['window_fraction_p50'] or 0))}% "
                f"of chunks): recall@10 {w['recall_at_10']} (min {w['min_recall_at_10']}), p50 {w['latency']['p50_ms']} ms.")
    return out



def _md_table(header: str, rows: list[str]) -> str:
    """A Markdown table: the header row, its separator (one cell per column), the rows; empty without rows."""
    if not rows:
        return ""
    return "\n".join([header, "|" + "---|" * (header.count("|") - 1), *rows])



def _answer_cells(results: dict[str, Any]):  # noqa: ANN202
    """(answers of one model and index, 'idle' / '+1 CPU-bound process', that condition's cell) for every cell."""
    for a in results.get("answers") or []:
        for condition, cell in a["cells"].items():
            yield a, "idle" if condition == "idle" else "+1 CPU-bound process", cell



def _answers_table(results: dict[str, Any]) -> str:
    rows = []
    for a, machine, cell in _answer_cells(results):
        o, c = cell["open"], cell["choice"]
        threads: dict[str, int] = {}
        for call in cell["calls"].values():
            for t, n in call["threads"].items():
                threads[t] = threads.get(t, 0) + n
        rows.append(
            f"| {a['model']} | {a['articles']:,} articles | {machine} | "
            f"{_ms(o['total']['p50_ms'])} / {_ms(o['total']['p95_ms'])} | {_ms(o['first_token']['p50_ms'])} / "
            f"{_ms(o['first_token']['p95_ms'])} | {_ms(c['total']['p50_ms'])} / {_ms(c['total']['p95_ms'])} | "
            f"{o['model_calls_per_question']} open, {c['model_calls_per_question']} choice | "
            f"{', '.join(f'{t}: {n}' for t, n in sorted(threads.items())) or '–'} | {a['peak_rss_mb']} |")
    return _md_table("| model | index | machine | open question: answer p50 / p95 ms | first token p50 / p95 ms | "
                     "multiple choice: answer p50 / p95 ms | model calls per question | threads used | peak RSS MB |", rows)



def _calls_table(results: dict[str, Any]) -> str:
    what = {"complete": "read: few-word answer", "next_token_logprobs": "choose: letter log-probs",
            "generate": "phrase: streamed answer"}
    rows = [f"| {a['model']} | {a['articles']:,} | `{name}` ({what.get(name, name)}) | {machine} | {c['n']} | "
            f"{c['prompt_tokens_p50']} | {c['reused_tokens_p50']} | {c['evaluated_tokens_p50']} | "
            f"{c['generated_tokens_p50']} | {c['seconds_p50']} / {c['seconds_p95']} | {c['evaluated_tokens_per_s']} |"
            for a, machine, cell in _answer_cells(results) for name, c in cell["calls"].items()]
    return _md_table("| model | index | call (what for) | machine | calls | prompt tokens | reused from KV cache | "
                     "evaluated | generated | seconds p50 / p95 | evaluated tokens/s |", rows)



def _cold_table(results: dict[str, Any]) -> str:
    cold = results.get("cold")
    if not cold:
        return ""
    lines = ["| cold `qa ask` (fresh process) | runs (wall s) | median wall s | peak RSS MB |", "|---|---|---|---|"]
    for model, m in cold["models"].items():
        lines.append(f"| {model} | {', '.join(str(r['wall_s']) + ('' if r['rc'] == 0 else ' (failed)') for r in m['runs'])} | "
                     f"{m['wall_s_median']} | {m['peak_rss_mb']} |")
    return "\n".join(lines)



def _threads_table(results: dict[str, Any]) -> str:
    th = results.get("threads")
    if not th:
        return ""
    lines = []
    base = th.get("default") or {}
    onnx = base.get("onnx")
    if onnx:
        lines += ["| ONNX Runtime embedding (int8 " + str(onnx.get("weights")) + f", {onnx['texts']} chunks) | idle chunks/s | +1 process chunks/s |",
                  "|---|---|---|"]
        for name in onnx["idle"]:
            lines.append(f"| {name} | {onnx['idle'][name]} | {(onnx.get('competitor') or {}).get(name, '–')} |")
        lines.append("")
    lines += ["| llama.cpp | OpenMP wait | threads | idle: prompt tokens/s, generated tokens/s | "
              "+1 process: prompt tokens/s, generated tokens/s | threads the adaptive plan took |",
              "|---|---|---|---|---|---|"]
    for key, label in (("default", "spin (default)"), ("passive", "PASSIVE")):
        for model, m in ((th.get(key) or {}).get("llama") or {}).items():
            for setting in m["idle"]:
                i, c = m["idle"][setting], (m.get("competitor") or {}).get(setting, {})
                took = f"idle {i['threads_used']}, loaded {c.get('threads_used', '–')}" if setting == "adaptive" else ""
                lines.append(f"| {model} ({m['prompt_tokens']}-token prompt) | {label} | {setting} | "
                             f"{i['prompt_tokens_per_s']}, {i['generated_tokens_per_s']} | "
                             f"{c.get('prompt_tokens_per_s', '–')}, {c.get('generated_tokens_per_s', '–')} | {took} |")
    return "\n".join(lines)



def _limit_lines(results: dict[str, Any]) -> str:
    lim = results.get("limit")
    if not lim:
        return ""
    prof = ", ".join(f"{k} {round(100 * v)}%" for k, v in list(lim["profile_share"].items())[:6])
    out = (f"Compute limit of int8 MiniLM ({lim['cpu']}, {lim['cores']} cores; CPU features "
           f"{' '.join(lim['cpu_features'])}; int8 weights {lim['weights']}): {lim['texts']} chunks of "
           f"{lim['tokens_per_text']} word-pieces = {lim['int8_gemm_gmacs']} G int8 multiply-adds in the matrix "
           f"products + {lim['fp32_attention_gmacs']} G fp32 in attention. One thread: the model embeds "
           f"{lim['model_1_thread_texts_per_s']} chunks/s; its int8 GEMMs alone (MatMulInteger, same shapes, same MLAS "
           f"kernels) take {lim['gemm_only_1_thread_s']} s of the model's {lim['model_1_thread_s']} s "
           f"({round(100 * lim['gemm_share_of_model'])}%), at {lim['gemm_gmac_per_s_1_thread']} G multiply-adds/s: "
           f"even with everything else free, {lim['ceiling_1_thread_texts_per_s']} chunks/s per core. "
           f"Time by operator: {prof}.")
    sp = results.get("speedup") or {}
    free = gemms_free_factor(lim)
    if free and sp.get("ingest_chunks_per_s"):
        out += (f" The other {round(100 * (1 - lim['gemm_share_of_model']))}% is work int8 does not shrink (attention "
                f"scores and softmax, layer norms, GELU, quantising activations): were the int8 GEMMs free, the model "
                f"would be {free:.2f}x as fast, so embedding at most {sp['embed_chunks_per_s'] * free:.2f}x and ingest "
                f"at most {sp['ingest_chunks_per_s'] * free:.2f}x the plain loop (measured: "
                f"{sp['embed_chunks_per_s']}x, {sp['ingest_chunks_per_s']}x).")
    return out



def gemms_free_factor(lim: dict[str, Any]) -> float | None:
    """How much faster the model would be if its int8 GEMMs took no time (model time / the rest's time)."""
    model_s, gemm_s = lim.get("model_1_thread_s"), lim.get("gemm_only_1_thread_s")
    return model_s / (model_s - gemm_s) if model_s and gemm_s is not None and model_s > gemm_s else None
