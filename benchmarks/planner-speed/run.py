"""Where the embedded planner's seconds go, on the machine this runs on.

Measures, for `local/<model>` (default: the default planner model):

- components, per thread count: model load; the planner prompt's fixed head evaluated from
  scratch (prompt tokens/s); its saved state's size, save and restore; free-text generation
  (tokens/s); grammar overhead (the same request with and without its JSON schema);
- a fresh `imagent plan` process (wall time and peak memory), min / median / max over
  requests drawn evenly from the dev suite: once with no saved prompt head on the machine
  ("first run"), then with it ("fresh process");
- a warm planning call (one process, model loaded), over the same requests, with the
  planner's calls decoded together and one at a time, interleaved.

Prints a table and writes `results.json` to --out, with the machine and how loaded it was.
Other work on the machine slows everything: compare numbers only from one quiet run.

    python benchmarks/planner-speed/run.py --out out/planner-speed
    python benchmarks/planner-speed/run.py --threads 1,2 --requests 19 --out out/planner-speed
    # the same fresh-process runs under other settings, interleaved request by request:
    python benchmarks/planner-speed/run.py --variant threads1:IMAGENT_LLM_THREADS=1 --out ...
    # ... or without the launcher's early model load:
    python benchmarks/planner-speed/run.py --variant no-early-load:ENTRY=app --out ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import llama_cpp
from llama_cpp.llama_grammar import LlamaGrammar

from imagent.agent.agent import Agent
from imagent.agent.planning.small import GapsOutput
from imagent.backends.llm import kv_reuse
from imagent.backends.llm.cpus import default_threads
from imagent.backends.llm.local import LocalLLM, unload_models
from imagent.backends.llm.model_files import (
    DEFAULT_MODEL,
    is_user_file,
    model_path,
    prefix_cache_dir,
    stamp_path,
)
from imagent.backends.llm.prefix_cache import DiskStates, Snapshot
from imagent.prompts import load_prompt
from imagent.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEV_SUITE = ROOT / "benchmarks" / "suites" / "dev.jsonl"
# ENTRY=app in a --variant runs the command line without its launcher, which starts loading
# the model before the rest of imagent is imported (the default, as the `imagent` command does).
ENTRIES = {"launch": "imagent.cli.launch", "app": "imagent.cli.app"}
PROSE = [{"role": "user", "content": "Describe a lighthouse at dusk in about 100 words."}]


def machine() -> dict[str, Any]:
    """What ran the benchmark, and how busy it was when it started."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        names = [
            line.split(":", 1)[1].strip()
            for line in cpuinfo.read_text().splitlines()
            if line.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    meminfo = Path("/proc/meminfo")
    mem_gb = None
    if meminfo.is_file():
        kb = int(meminfo.read_text().split("MemTotal:")[1].split()[0])
        mem_gb = round(kb / 1024**2, 1)
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "default_threads": default_threads(),
        "memory_gb": mem_gb,
        "python": platform.python_version(),
        "llama_cpp_python": llama_cpp.__version__,
        "system": platform.platform(),
        "load_average_start": os.getloadavg(),
    }


def dev_requests(count: int) -> list[str]:
    """`count` prompts spread evenly over the dev suite (every subtask, both languages)."""
    cases = [json.loads(line) for line in DEV_SUITE.read_text(encoding="utf-8").splitlines()]
    if count >= len(cases):
        return [case["prompt"] for case in cases]
    step = len(cases) / count
    return [cases[int(i * step)]["prompt"] for i in range(count)]


def spread(values: list[float]) -> dict[str, float]:
    return {
        "min": round(min(values), 2),
        "median": round(statistics.median(values), 2),
        "max": round(max(values), 2),
    }


# --- components, in this process ------------------------------------------------------------


def _perf(llama: llama_cpp.Llama) -> tuple[float, int, float, int]:
    data = llama_cpp.llama_perf_context(llama.ctx)
    return data.t_p_eval_ms / 1000, data.n_p_eval, data.t_eval_ms / 1000, data.n_eval


def _chat(
    llama: llama_cpp.Llama, messages: list[Any], schema: dict[str, Any] | None, max_tokens: int
) -> dict[str, Any]:
    """One call, its wall time split into prompt evaluation, decoding and the rest."""
    options: dict[str, Any] = {"max_tokens": max_tokens, "temperature": 0.0}
    if schema is not None:
        options["response_format"] = {"type": "json_object", "schema": schema}
    llama_cpp.llama_perf_context_reset(llama.ctx)
    start = time.perf_counter()
    response = llama.create_chat_completion(messages=messages, **options)
    wall = time.perf_counter() - start
    prompt_s, prompt_n, decode_s, _ = _perf(llama)
    return {
        "wall_s": wall,
        "prompt_s": prompt_s,
        "prompt_tokens": prompt_n,
        "decode_s": decode_s,
        "output_tokens": response["usage"]["completion_tokens"],
        # sampling, the grammar and Python: what is left of the wall time
        "other_s": wall - prompt_s - decode_s,
        "text": response["choices"][0]["message"]["content"],
    }


def _restore(llama: Any, snapshot: Snapshot) -> bool:
    """Make the context hold exactly the saved head, as a call that finds it saved does."""
    kv_reuse.forget(llama)
    if not kv_reuse.restore_sequence(llama, snapshot, 0):
        return False
    count = len(snapshot.tokens)
    llama.input_ids[:count] = snapshot.tokens
    llama.n_tokens = count
    llama._requires_eval = True
    return True


async def components(model: str, threads: int, request: str) -> dict[str, Any]:
    """Load the model with `threads` threads and time each part of a planning call."""
    unload_models()
    settings = Settings(llm_threads=threads, llm_prefix_cache_mb=0)
    llm = LocalLLM(model, settings)
    start = time.perf_counter()
    await llm.load()
    load_s = time.perf_counter() - start
    loaded = llm._loaded
    assert loaded is not None
    llama = loaded.llama
    messages: list[Any] = load_prompt("plan").messages(request=request)
    assert loaded.prefixes.template is not None
    tokens, boundary = loaded.prefixes.template.split(messages)
    head = tokens[:boundary]

    kv_reuse.forget(llama)
    start = time.perf_counter()
    llama.eval(head)
    eval_s = time.perf_counter() - start
    start = time.perf_counter()
    snapshot = kv_reuse.capture(llama, head)
    capture_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        disk = DiskStates(Path(folder), kv_reuse.state_key(llama, model), 1 << 30)
        start = time.perf_counter()
        path = disk.save(snapshot)
        save_s = time.perf_counter() - start
        assert path is not None
        start = time.perf_counter()
        loaded_snapshot = disk.load(path)
        assert isinstance(loaded_snapshot, Snapshot)
        assert _restore(llama, loaded_snapshot)
        restore_s = time.perf_counter() - start
    # Both calls start from the restored head, so they differ only in the schema.
    schema = GapsOutput.model_json_schema()
    with_schema = _chat(llama, messages, schema, 400)
    assert _restore(llama, snapshot)
    without_schema = _chat(llama, messages, None, 400)
    start = time.perf_counter()
    LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    grammar_build_s = time.perf_counter() - start
    kv_reuse.forget(llama)
    prose = _chat(llama, PROSE, None, 96)
    unload_models()
    per_token = [
        call["other_s"] / max(call["output_tokens"], 1) for call in (with_schema, without_schema)
    ]
    return {
        "threads": threads,
        "load_s": round(load_s, 2),
        "head_tokens": boundary,
        "prompt_tokens": len(tokens),
        "head_eval_s": round(eval_s, 2),
        "prompt_tok_s": round(boundary / eval_s, 1),
        "state_mb": round(len(snapshot.state) / 1e6, 1),
        "state_capture_s": round(capture_s, 3),
        "state_save_s": round(save_s, 3),
        "state_restore_s": round(restore_s, 3),
        "gen_tok_s": round(prose["output_tokens"] / prose["decode_s"], 1),
        "planning_call_after_restore_s": round(with_schema["wall_s"], 2),
        "suffix_eval_s": round(with_schema["prompt_s"], 2),
        "grammar_ms_per_token": round(1000 * (per_token[0] - per_token[1]), 1),
        "grammar_build_s": round(grammar_build_s, 3),
        "same_answer_without_schema": with_schema["text"] == without_schema["text"],
        "with_schema": {k: v for k, v in with_schema.items() if k != "text"},
        "without_schema": {k: v for k, v in without_schema.items() if k != "text"},
        "answer": with_schema["text"],
    }


# --- fresh processes ------------------------------------------------------------------------


def _plan_process(prompt: str, env: dict[str, str]) -> dict[str, Any]:
    """`imagent plan PROMPT --json` in a new process: wall time and peak memory."""
    env = dict(env)
    entry = ENTRIES[env.pop("ENTRY", "launch")]
    command = [sys.executable, "-c", f"from {entry} import main; main()"]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "plan", prompt, "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"imagent plan {prompt!r} failed with exit code {process.returncode}")
    result = json.loads(output)
    return {
        "prompt": prompt,
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "plan_step_s": round(result["timings_s"].get("plan", 0.0), 2),
        "gaps": [gap["span"] for gap in result["gaps"]],
    }


def _shared_model_dir(model: str, settings: Settings) -> Path:
    """A models dir holding links to the assembled GGUF and an empty prompt-head cache."""
    folder = Path(tempfile.mkdtemp(prefix="imagent-bench-models-"))
    if not is_user_file(model):  # a user's own GGUF is used where it is
        source = model_path(model, settings)
        for file in (source, stamp_path(source)):
            (folder / file.name).symlink_to(file)
    return folder


def fresh_plans(
    model: str, requests: list[str], variants: dict[str, dict[str, str]], settings: Settings
) -> dict[str, Any]:
    """Each request in a new process per variant, interleaved so load drift hits all alike."""
    models = _shared_model_dir(model, settings)
    base = {**os.environ, "IMAGENT_MODEL_DIR": str(models), "IMAGENT_LLM": f"local/{model}"}
    home = Path(tempfile.mkdtemp(prefix="imagent-bench-home-"))
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    first: dict[str, dict[str, Any]] = {}
    for name, extra in variants.items():  # each variant's very first run: no saved head yet
        for entry in prefix_cache_dir(Settings(model_dir=models)).glob("*"):
            entry.unlink()
        first[name] = _plan_process(requests[0], {**base, "IMAGENT_HOME": str(home), **extra})
    for prompt in requests:
        for name, extra in variants.items():
            runs[name].append(_plan_process(prompt, {**base, "IMAGENT_HOME": str(home), **extra}))
    return {
        name: {
            "first_run": first[name],
            "wall_s": spread([run["wall_s"] for run in runs[name]]),
            "peak_rss_mb": spread([run["peak_rss_mb"] for run in runs[name]]),
            "plan_step_s": spread([run["plan_step_s"] for run in runs[name]]),
            "runs": runs[name],
        }
        for name in variants
    }


async def warm_plans(model: str, requests: list[str]) -> dict[str, Any]:
    """`Agent.plan` in one process with the model loaded and one call made already; each
    request is planned twice in turn, with the planner's calls decoded together (the
    default) and one at a time (`llm_sequences=1`), so drift hits both alike."""
    unload_models()
    with tempfile.TemporaryDirectory() as home:
        together = Settings(home=Path(home), llm=f"local/{model}")
        alone = together.model_copy(update={"llm_sequences": 1})
        async with Agent(together) as first, Agent(alone) as second:
            await first.plan("a lighthouse at dusk")
            walls: dict[str, list[float]] = {"together": [], "one at a time": []}
            prompts: dict[str, list[str]] = {"together": [], "one at a time": []}
            for prompt in requests:
                for name, agent in (("together", first), ("one at a time", second)):
                    start = time.perf_counter()
                    result = await agent.plan(prompt)
                    walls[name].append(time.perf_counter() - start)
                    prompts[name].append(result.final_prompt)
    unload_models()
    same = sum(a == b for a, b in zip(prompts["together"], prompts["one at a time"], strict=True))
    return {
        "wall_s": spread(walls["together"]),
        "one_at_a_time_wall_s": spread(walls["one at a time"]),
        "same_prompts": f"{same} of {len(requests)}",
    }


# --- report ---------------------------------------------------------------------------------


def table(results: dict[str, Any]) -> str:
    return "\n\n".join(part for part in (_components_table(results), _runs_table(results)) if part)


def _components_table(results: dict[str, Any]) -> str:
    if not results["components"]:
        return ""
    rows = [
        "| measure | "
        + " | ".join(f"{c['threads']} threads" for c in results["components"])
        + " |",
        "|---|" + "---|" * len(results["components"]),
    ]
    labels = [
        ("model load, s", "load_s"),
        ("planner prompt: head / whole, tokens", None),
        ("head evaluated from scratch, s", "head_eval_s"),
        ("prompt evaluation, tokens/s", "prompt_tok_s"),
        ("saved head state, MB", "state_mb"),
        ("head state restore (disk + llama.cpp), s", "state_restore_s"),
        ("generation, tokens/s", "gen_tok_s"),
        ("grammar, ms per generated token", "grammar_ms_per_token"),
        ("grammar build from the schema, s", "grammar_build_s"),
        ("planning call after restore, s", "planning_call_after_restore_s"),
    ]
    for label, key in labels:
        cells = [
            f"{c['head_tokens']} / {c['prompt_tokens']}" if key is None else str(c[key])
            for c in results["components"]
        ]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def _runs_table(results: dict[str, Any]) -> str:
    lines = ["| run | wall s (min / median / max) | peak RSS MB (median) |", "|---|---|---|"]
    for name, fresh in results["fresh"].items():
        one = fresh["first_run"]
        lines.append(
            f"| `imagent plan`, first run on the machine ({name}) | {one['wall_s']} "
            f"| {one['peak_rss_mb']} |"
        )
        w = fresh["wall_s"]
        lines.append(
            f"| `imagent plan`, fresh process ({name}) | {w['min']} / {w['median']} / "
            f"{w['max']} | {fresh['peak_rss_mb']['median']} |"
        )
    if results.get("warm"):
        warm = results["warm"]
        w, o = warm["wall_s"], warm["one_at_a_time_wall_s"]
        lines += [
            f"| warm planning call (`Agent.plan`) | {w['min']} / {w['median']} / {w['max']} | |",
            f"| the same, calls decoded one at a time, interleaved ({warm['same_prompts']} prompts"
            f" alike) | {o['min']} / {o['median']} / {o['max']} | |",
        ]
    m = results["machine"]
    lines += [
        "",
        f"{m['cpu']}, {m['logical_cpus']} CPUs, {m['memory_gb']} GB; load average "
        f"{m['load_average_start'][0]:.2f} at start, {m['load_average_end'][0]:.2f} at end",
    ]
    return "\n".join(lines)


def _variants(specs: list[str]) -> dict[str, dict[str, str]]:
    variants: dict[str, dict[str, str]] = {"default": {}}
    for spec in specs:
        name, _, assignments = spec.partition(":")
        variants[name] = dict(a.split("=", 1) for a in assignments.split(",") if a)
    return variants


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--threads", default="", help="thread counts, e.g. 1,2 (default: ours)")
    parser.add_argument("--requests", type=int, default=9, help="dev-suite requests per run")
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="NAME:VAR=VALUE,... another fresh-process configuration",
    )
    parser.add_argument("--skip", default="", help="parts to skip: components,fresh,warm")
    parser.add_argument("--out", type=Path, default=Path("out/planner-speed"))
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    threads = [int(t) for t in args.threads.split(",") if t] or [default_threads()]
    requests = dev_requests(args.requests)
    settings = Settings()
    await asyncio.to_thread(model_path, args.model, settings)  # assembly is not load time
    results: dict[str, Any] = {"machine": machine(), "model": args.model, "requests": requests}
    results["components"] = (
        []
        if "components" in skip
        else [await components(args.model, t, requests[0]) for t in threads]
    )
    results["fresh"] = (
        {}
        if "fresh" in skip
        else fresh_plans(args.model, requests, _variants(args.variant), settings)
    )
    results["warm"] = None if "warm" in skip else await warm_plans(args.model, requests)
    results["machine"]["load_average_end"] = os.getloadavg()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(table(results))


if __name__ == "__main__":
    asyncio.run(main())
