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
        evidence = covering_evidence(r, a._services(r.request))
        form = a.prompts.header("compose")["forms"][r.shape]
        messages = a.prompts.messages("compose", evidence=dated_lines(evidence, r.ctx.passages), question=q["question"],
                                      form=form)
        out.append((a.generator.chat_prompt(messages), PLANS[r.shape].max_tokens))
    a.close()
    return out


def timed(gen, prompts, stop) -> tuple[list[str], list[float], list[float]]:  # noqa: ANN001
    """Each prompt from an empty cache: the answer, generated tokens/s (first token to last), whole seconds."""
    texts, rates, secs = [], [], []
    for prompt, max_tokens in prompts:
        gen.llm.reset()
        t = time.perf_counter()
        text = gen.complete(prompt, max_tokens, stop=stop)
        call = gen.calls[-1]
        secs.append(time.perf_counter() - t)
        gen_s = call["seconds"] - (call["first_token_s"] or 0)
        texts.append(text)
        rates.append(max(0, call["generated_tokens"] - 1) / gen_s if gen_s > 0 else 0.0)
    return texts, rates, secs


def main(argv: list[str] | None = None) -> int:
    from qa.config import LLMSettings, Settings
    from qa.generate.llama import LlamaCppGenerator, cores

    p = argparse.ArgumentParser(prog="python -m eval.studies.lookup", description=__doc__.split("\n\n")[0])
    p.add_argument("--index", type=Path, default=Path("index/reporter"))
    p.add_argument("--gold", type=Path, default=Path(__file__).resolve().parents[1] / "gold" / "reporter-train.jsonl")
    p.add_argument("--n", type=int, default=12)
    p.add_argument("--draft", type=int, default=10, help="tokens proposed per lookup (llm.lookup)")
    args = p.parse_args(argv)
    prompts = prompts_for(args.index, args.gold, args.n)
    model = Settings.load().llm.model
    stop = ["\n\n\n", "Question:", "Evidence:"]
    plain = LlamaCppGenerator(LLMSettings(model=model, threads=cores()))
    base_texts, base_rates, base_secs = timed(plain, prompts, stop)
    fast = LlamaCppGenerator(LLMSettings(model=model, threads=cores(), lookup=args.draft))
    look_texts, look_rates, look_secs = timed(fast, prompts, stop)
    same = sum(a == b for a, b in zip(base_texts, look_texts))
    med = statistics.median
    print(f"{len(prompts)} compose prompts (reporter questions, standalone prompt), {plain.name}, {cores()} threads")
    print(f"generation tokens/s, median: plain {med(base_rates):.1f}, prompt lookup ({args.draft}) {med(look_rates):.1f} "
          f"(x{med(look_rates) / med(base_rates):.2f}); whole call s, median: {med(base_secs):.1f} vs {med(look_secs):.1f}; "
          f"identical outputs {same}/{len(prompts)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
