"""Does llama.cpp's prompt-lookup decoding speed up the composed answers? (issue 24)

Answers copy much of their evidence, so draft tokens proposed from n-grams of the prompt
(llama-cpp-python's LlamaPromptLookupDecoding) may be accepted several at a time. This builds the compose prompts
of the reporter questions (the standalone prompt, prompts/compose.txt, from the same evidence the answer stage
uses), then generates each answer greedily twice with the same GGUF model: plainly, and with prompt lookup
(which needs logits for every token: logits_all, n_ctx x vocabulary floats). It prints tokens/s of each, the
speed-up, and whether the two outputs are identical (they should be: greedy decoding either way).

    python -m eval.studies.lookup [--index index/reporter] [--gold eval/gold/reporter-train.jsonl] [--n 12]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


def prompts_for(index: Path, gold: Path, n: int) -> list[str]:
    from qa.answer.draft import dated_lines
    from qa.answer.pipeline import PLANS, covering_evidence
    from qa.assistant import Assistant

    a = Assistant.open(index)
    out = []
    for line in gold.read_text(encoding="utf-8").splitlines()[:n]:
        q = json.loads(line)
        r = a.retrieve(q["question"], q["question"])
        if r.shape == "choice":
            continue
        evidence = covering_evidence(r, a._services(r.request), None)
        form = a.prompts.header("compose")["forms"][r.shape]
        messages = a.prompts.messages("compose", evidence=dated_lines(evidence, r.ctx.passages), question=q["question"],
                                      form=form)
        out.append((a.generator.chat_prompt(messages), PLANS[r.shape].max_tokens))
    a.close()
    return out


def timed(llm, prompts, stop) -> tuple[list[str], list[float]]:  # noqa: ANN001
    texts, rates = [], []
    for prompt, max_tokens in prompts:
        llm.reset()
        llm.eval(llm.tokenize(prompt.encode("utf-8"), special=True))  # the prompt is not what is timed
        t = time.perf_counter()
        out = llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0, top_k=1, stop=stop, repeat_penalty=1.0)
        secs = time.perf_counter() - t
        texts.append(out["choices"][0]["text"])
        rates.append(out["usage"]["completion_tokens"] / secs)
    return texts, rates


def main(argv: list[str] | None = None) -> int:
    import llama_cpp
    from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

    from qa.config import Settings
    from qa.generate.llama import cores
    from qa.generate.models import resolve_model

    p = argparse.ArgumentParser(prog="python -m eval.studies.lookup", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, default=Path("index/reporter"))
    p.add_argument("--gold", type=Path, default=Path(__file__).resolve().parents[1] / "gold" / "reporter-train.jsonl")
    p.add_argument("--n", type=int, default=12)
    p.add_argument("--draft", type=int, default=10, help="tokens proposed per lookup")
    args = p.parse_args(argv)
    prompts = prompts_for(args.index, args.gold, args.n)
    path = str(resolve_model(Settings.load().llm.model))
    stop = ["\n\n\n", "Question:", "Evidence:"]
    common = dict(model_path=path, n_ctx=2048, n_threads=cores(), n_threads_batch=cores(), verbose=False, seed=0)
    plain = llama_cpp.Llama(**common)
    base_texts, base_rates = timed(plain, prompts, stop)
    plain.close()
    fast = llama_cpp.Llama(**common, draft_model=LlamaPromptLookupDecoding(num_pred_tokens=args.draft))
    look_texts, look_rates = timed(fast, prompts, stop)
    same = sum(a == b for a, b in zip(base_texts, look_texts))
    print(f"{len(prompts)} compose prompts, {path.rsplit('/', 1)[-1]}, {cores()} threads")
    print(f"generation tokens/s, median: plain {statistics.median(base_rates):.1f}, prompt lookup "
          f"{statistics.median(look_rates):.1f} (x{statistics.median(look_rates) / statistics.median(base_rates):.2f}); "
          f"identical outputs {same}/{len(prompts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
