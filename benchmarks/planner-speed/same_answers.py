"""Do saved prompt heads and the grammar-checked sampler change any answer? Compares, request
by request, the embedded model's answer to the small planner's calls two ways:

- `stock`: llama-cpp-python as it comes (its sampler chain applies the grammar to the whole
  vocabulary), the prompt's head evaluated in the same batch as the request the first time
  and reused by llama-cpp-python for the next requests with that head;
- `imagent`: `LocalLLM`, the head restored from a saved state (evaluated once, alone), the
  request evaluated after it, the grammar consulted for the chosen token.

Calls are grouped by prompt so each side evaluates each head once. Prints the mismatches and
writes `same_answers.json` to --out.

    python benchmarks/planner-speed/same_answers.py --suite benchmarks/suites/holdout.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

import llama_cpp
from pydantic import BaseModel

from imagent.agent.planning.small import GapsOutput, PictureOutput
from imagent.backends.llm.local import LocalLLM
from imagent.backends.llm.model_files import DEFAULT_MODEL, model_path
from imagent.prompts import load_prompt
from imagent.settings import Settings

CALLS: list[tuple[str, type[BaseModel], int]] = [
    ("plan", GapsOutput, 400),
    ("picture", PictureOutput, 300),
]


def stock_answers(path: Path, threads: int, prompts: list[str]) -> dict[str, list[str]]:
    llama = llama_cpp.Llama(
        model_path=str(path), n_ctx=4096, n_threads=threads, seed=0, verbose=False
    )
    answers: dict[str, list[str]] = {}
    for name, schema, max_tokens in CALLS:
        format_: Any = {"type": "json_object", "schema": schema.model_json_schema()}
        answers[name] = [
            llama.create_chat_completion(
                messages=load_prompt(name).messages(request=prompt),
                max_tokens=max_tokens,
                temperature=0.0,
                response_format=format_,
            )["choices"][0]["message"]["content"]
            for prompt in prompts
        ]
    return answers


async def imagent_answers(settings: Settings, prompts: list[str]) -> dict[str, list[str]]:
    llm = LocalLLM(DEFAULT_MODEL, settings)
    answers: dict[str, list[str]] = {}
    for name, schema, max_tokens in CALLS:
        answers[name] = []
        for prompt in prompts:
            completion = await llm.complete(
                load_prompt(name).messages(request=prompt),
                schema.model_json_schema(),
                max_tokens=max_tokens,
            )
            answers[name].append(completion.text)
    return answers


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", type=Path, default=Path("benchmarks/suites/holdout.jsonl"))
    parser.add_argument("--threads", type=int, default=0, help="default: imagent's")
    parser.add_argument("--out", type=Path, default=Path("out/planner-speed"))
    args = parser.parse_args()
    lines = args.suite.read_text(encoding="utf-8").splitlines()
    prompts = [json.loads(line)["prompt"] for line in lines if line.strip()]
    settings = Settings(llm_threads=args.threads or None)
    path = model_path(DEFAULT_MODEL, settings)
    start = time.perf_counter()
    theirs = stock_answers(path, settings.llm_threads or 2, prompts)
    stock_s = time.perf_counter() - start
    start = time.perf_counter()
    ours = await imagent_answers(settings, prompts)
    imagent_s = time.perf_counter() - start
    mismatches = [
        {"call": name, "prompt": prompt, "stock": theirs[name][i], "imagent": ours[name][i]}
        for name, *_ in CALLS
        for i, prompt in enumerate(prompts)
        if theirs[name][i] != ours[name][i]
    ]
    report = {
        "suite": str(args.suite),
        "answers_compared": len(prompts) * len(CALLS),
        "mismatches": mismatches,
        "stock_s": round(stock_s, 1),
        "imagent_s": round(imagent_s, 1),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "same_answers.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(
        f"{report['answers_compared']} answers compared, {len(mismatches)} differ; "
        f"stock {report['stock_s']} s, imagent {report['imagent_s']} s"
    )
    for mismatch in mismatches:
        print(json.dumps(mismatch, ensure_ascii=False))


if __name__ == "__main__":
    asyncio.run(main())
