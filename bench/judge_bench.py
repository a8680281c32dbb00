"""Benchmark of the judge rewards against a real local OpenAI-compatible server.

The server is plain ``transformers serve`` with the bundled SmolLM2-135M-Instruct on the CPU (one
torch thread; no continuous batching: its engine sizes a KV cache from the free memory, and on a
shared machine it grew to 13 GB and was killed), the reward ``judge_score`` as
``examples/judge_bundled_model.yaml`` sets it up for that model (a short template and three example
turns, which SmolLM2 answers "Score: N"; its ``max_tokens`` unless ``--max-tokens``), its cache
off unless measured, each call given ``timeout: 600`` and no retries (a CPU server overloaded by
16 calls would otherwise see timed-out calls sent again on top of the ones it is still working
on: what is measured is throughput). Completions are GSM8K solutions (the bundled sample) under
their questions.

- throughput: completions judged per second with 1, 4 and 16 calls in flight; the same against
  an endpoint that takes 1 s per call and answers any number at once (the tests' own,
  ``tests/_judge_server.py``), which shows what rewardkit's concurrency gives a server that batches;
- the cache: a batch scored, then the same batch scored again (time and calls of each);
- overhead: rewardkit's time per call beyond a bare ``openai`` client call with the same
  messages. Measured where it can be seen: against an endpoint that answers at once, bare and
  rewardkit calls alternating, medians of many; then set against the time of one real call (the
  median of bare calls to the SmolLM2 server);
- TRL's reward-function path: a batch of 64 (8 prompts x 8 completions) through
  ``trl_rewards(...)`` awaited on a daemon event loop the way ``GRPOTrainer`` does
  (``asyncio.run_coroutine_threadsafe``), concurrently and one at a time, against the model
  server and against the 1-second endpoint.

Results go to ``bench/results/judge_bench.json`` and ``.md``, everything from one run with the
load average at the start and end of each part. Run: ``python bench/judge_bench.py`` (about half
an hour on 2 shared cores; ``--parts`` runs only some parts, and then writes
``judge_bench_parts.json``/``.md``, never mixing its figures into the full run's). SmolLM2 is a
weak judge: the share of replies read as a score is reported, not the judgement.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO / "bench", REPO / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _judge_server import judge_server  # noqa: E402
from _servers import transformers_serve  # noqa: E402
from math_bench import machine  # noqa: E402

from rewardkit import get_reward  # noqa: E402
from rewardkit.composition import Composition  # noqa: E402
from rewardkit.reward import Sample  # noqa: E402

IN_FLIGHT = (1, 4, 16)
SERVER_OPTIONS: tuple[str, ...] = ()  # no --continuous-batching: see the docstring
PARTS = ("throughput", "cache", "overhead", "trl")
SIMULATED_SECONDS = 1.0  # per call, of the endpoint that answers any number of calls at once
BUNDLED = REPO / "examples" / "judge_bundled_model.yaml"  # the template and example turns SmolLM2 follows


def corpus(n_prompts: int, per_prompt: int) -> tuple[list[str], list[str]]:
    """(prompts, completions): GSM8K questions, each with ``per_prompt`` distinct completions made
    from its solution (the solution, cut short, with a wrong final number...)."""
    rows = [json.loads(line) for line in (REPO / "rewardkit/data/gsm8k/train.jsonl").read_text().splitlines()[:n_prompts]]
    prompts, completions = [], []
    for row in rows:
        solution = row["answer"]
        lines = solution.splitlines()
        for k in range(per_prompt):
            variants = [solution, "\n".join(lines[:-1]), f"{solution}\nI am sure.", solution.replace("####", "The answer is")]
            text = variants[k % len(variants)] + (f"\n(attempt {k})" if k >= len(variants) else "")
            prompts.append(row["question"])
            completions.append(text)
    return prompts, completions


def bundled_params() -> dict[str, Any]:
    import yaml

    (entry,) = yaml.safe_load(BUNDLED.read_text())["rewards"]
    return entry["params"]


def judge(url: str, model: str, args: argparse.Namespace, **params: Any):
    settings = {**bundled_params(), "cache": False, "timeout": 600.0, "max_retries": 0, **params}
    return get_reward("judge_score", **{**settings, "base_url": url, "model": model, "max_tokens": args.max_tokens})


def timed(reward, completions: list[str], prompts: list[str]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = reward.evaluate(completions, prompts)
    return time.perf_counter() - started, out


def throughput(url: str, model: str, args: argparse.Namespace, sizes: dict[int, int]) -> list[dict[str, Any]]:
    rows = []
    for in_flight in IN_FLIGHT:
        n = sizes[in_flight]
        prompts, completions = corpus(n, 1)
        seconds, out = timed(judge(url, model, args, concurrency=in_flight), completions, prompts)
        parsed = sum(s is not None for s in out.scores)
        rows.append({
            "in_flight": in_flight, "completions": n, "seconds": seconds, "per_second": n / seconds,
            "parsed": parsed, "latency_p50": out.metrics.get("latency_p50"), "latency_p95": out.metrics.get("latency_p95"),
            "failures": out.metrics["failures"],
        })  # fmt: skip
        print(f"throughput at {url}: {in_flight} in flight: {n / seconds:.2f} completions/s ({parsed}/{n} parsed)", flush=True)
    return rows


def simulated(handler_seconds: float):
    """The tests' endpoint, answering every call after ``handler_seconds`` (any number at once)."""
    from _judge_server import Reply, Slow

    return judge_server(lambda body, headers, n: Slow(handler_seconds, Reply("Score: 7")))


def cache_effect(url: str, model: str, args: argparse.Namespace) -> dict[str, Any]:
    prompts, completions = corpus(args.cache_batch, 1)
    reward = judge(url, model, args, concurrency=4, cache=True)
    first, out = timed(reward, completions, prompts)
    again, out_again = timed(reward, completions, prompts)
    result = {
        "completions": len(completions), "first_seconds": first, "first_calls": out.metrics["calls"],
        "again_seconds": again, "again_calls": out_again.metrics["calls"], "again_cache_hits": out_again.metrics["cache_hits"],
        "same_scores": out.scores == out_again.scores, "parsed": sum(s is not None for s in out.scores),
    }  # fmt: skip
    print(f"cache: {first:.2f} s then {again * 1000:.1f} ms", flush=True)
    return result


async def _alternate(reward, client, model: str, messages: list[list[dict[str, str]]], completions: list[str], max_tokens: int):
    """Per-call seconds of bare client calls and of rewardkit calls, alternating, and how many of
    rewardkit's replies were read as a score."""
    bare, ours, parsed = [], [], 0
    for message, completion in zip(messages, completions):
        started = time.perf_counter()
        await client.chat.completions.create(model=model, messages=message, max_tokens=max_tokens, temperature=0.0)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        out = await reward.aevaluate([completion], ["q"])
        ours.append(time.perf_counter() - started)
        assert out.metrics["calls"] == 1 and out.metrics["failures"] == 0
        parsed += out.scores[0] is not None
    return bare, ours, parsed


def overhead_pairs(url: str, model: str, n: int, args: argparse.Namespace) -> tuple[list[float], list[float], int]:
    """Bare and rewardkit per-call seconds on the same requests (structured output off in both,
    so the requests are the same), and the replies rewardkit read as a score."""
    import openai

    reward = judge(url, model, args, structured="off")
    max_tokens = reward.params.max_tokens
    completions = [f"The answer is {k}." for k in range(n)]
    messages = [reward.messages(reward.render(Sample(c, "q"), _score_values(reward))[0]) for c in completions]

    async def run():
        client = openai.AsyncOpenAI(base_url=url, api_key="not-needed", timeout=600.0, max_retries=0)
        await _alternate(reward, client, model, messages[:1], completions[:1], max_tokens)  # warm: connections, imports
        return await _alternate(reward, client, model, messages, completions, max_tokens)

    return asyncio.run(run())


def _score_values(reward) -> dict[str, str]:
    low, high = reward.params.scale
    return {"criteria": reward.params.criteria, "low": f"{low:g}", "high": f"{high:g}"}


def overhead(url: str, model: str, args: argparse.Namespace) -> dict[str, Any]:
    with judge_server() as instant:
        bare, ours, _ = overhead_pairs(instant.url, "judge", args.overhead_calls, args)
    real_bare, real_ours, real_parsed = overhead_pairs(url, model, args.real_calls, args)
    per_call = statistics.median(ours) - statistics.median(bare)
    real_call = statistics.median(real_bare)
    result = {
        "instant_server": {"calls": len(bare), "bare_median_ms": 1000 * statistics.median(bare), "rewardkit_median_ms": 1000 * statistics.median(ours)},
        "overhead_ms_per_call": 1000 * per_call,
        "real_server": {"calls": len(real_bare), "bare_median_s": real_call, "rewardkit_median_s": statistics.median(real_ours), "parsed": real_parsed},
        "overhead_share_of_a_real_call": per_call / real_call,
    }  # fmt: skip
    print(f"overhead: {1000 * per_call:.2f} ms per call, {100 * per_call / real_call:.2f}% of a {real_call:.2f} s call", flush=True)
    return result


def trl_path(url: str, model: str, args: argparse.Namespace, in_flight: tuple[int, int]) -> list[dict[str, Any]]:
    from trl.trainer.utils import shutdown_event_loop_in_daemon, start_event_loop_in_daemon

    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    prompts, completions = corpus(8, 8)
    thread, loop, ready = start_event_loop_in_daemon(name="trl-async-rewards")
    ready.wait()
    rows = []
    try:
        for calls in in_flight:
            (func,) = trl_rewards(Composition([judge(url, model, args, concurrency=calls)])).funcs
            load, started = os.getloadavg()[0], time.perf_counter()
            scores = asyncio.run_coroutine_threadsafe(func(prompts=prompts, completions=completions), loop).result()
            seconds = time.perf_counter() - started
            rows.append({"in_flight": calls, "completions": len(scores), "seconds": seconds, "per_second": len(scores) / seconds,
                         "scored": sum(s is not None for s in scores), "load_average": [load, os.getloadavg()[0]]})  # fmt: skip
            print(f"TRL path at {url}: {calls} in flight: {seconds:.1f} s for {len(scores)}", flush=True)
    finally:
        shutdown_event_loop_in_daemon(thread, loop)
    return rows


def _throughput_table(rows: list[dict[str, Any]], parsed: bool) -> list[str]:
    head = "| calls in flight | completions | seconds | completions/s | p50 s | p95 s |" + (" replies parsed |" if parsed else "")
    lines = [head, "| ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if parsed else "")]
    for r in rows:
        line = (
            f"| {r['in_flight']} | {r['completions']} | {r['seconds']:.1f} | {r['per_second']:.2f} | "
            f"{r['latency_p50']:.2f} | {r['latency_p95']:.2f} |"
        )
        lines.append(line + (f" {r['parsed']}/{r['completions']} |" if parsed else ""))
    return lines


def _trl_table(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| calls in flight | seconds | completions/s | scored | load average (start-end) |", "| ---: | ---: | ---: | ---: | ---: |"]
    lines += [
        f"| {r['in_flight']} | {r['seconds']:.1f} | {r['per_second']:.2f} | {r['scored']}/{r['completions']} | "
        f"{r['load_average'][0]:.1f}-{r['load_average'][1]:.1f} |"
        for r in rows
    ]
    return lines


def markdown(report: dict[str, Any]) -> str:
    t, c, o, trl = (report.get(part) for part in PARTS)
    first = next(report[part] for part in PARTS if part in report)
    m, a = first["machine"], first["args"]
    loads = ", ".join(
        f"{p} {report[p]['load_average_at_start'][0]:.1f}-{report[p]['load_average_at_end'][0]:.1f}" for p in PARTS if p in report
    )
    lines = [
        f"Run {first['date']} on {m['cpu']}, {m['cores']} cores, Python {m['python']}: `{first['server']}` (transformers "
        f"{first['versions']['transformers']}, one torch thread) with the bundled SmolLM2-135M-Instruct on the CPU; "
        f"`judge_score` (openai {first['versions']['openai']}) set up as `examples/judge_bundled_model.yaml` (a short "
        f"template and three example turns), replies of at most {a['max_tokens']} tokens, `timeout: 600`, no retries. "
        f"A shared machine (1-minute load average at the start-end of each part: {loads}): the model's figures are slow "
        "and indicative. Every figure below is from this one run of the command at the end.",
    ]
    if t:
        lines += [
            "",
            "Completions judged per second against the model server. *completions/s*: the batch's completions divided "
            "by the seconds the whole batch took (wall clock); *p50 s*, *p95 s*: percentiles of one call's latency (from "
            "sending the request to the whole reply read); *replies parsed*: replies read as a score on the scale:",
            "",
            *_throughput_table(t["rows"], parsed=True),
            "",
            "The server generates on the machine's two shared cores without batching: calls in flight share them, "
            f"and each waits longer. The same judge against an endpoint that takes {SIMULATED_SECONDS:g} s per call and answers "
            "any number at once (what a batching GPU server looks like from the client):",
            "",
            *_throughput_table(t["simulated"], parsed=False),
        ]
    if c:
        lines += [
            "",
            f"Cache: a batch of {c['completions']} took {c['first_seconds']:.1f} s and {c['first_calls']:.0f} calls; the "
            f"same batch again {1000 * c['again_seconds']:.1f} ms and {c['again_calls']:.0f} calls "
            f"({c['again_cache_hits']:.0f} cache hits, same scores: {c['same_scores']}); {c['parsed']}/{c['completions']} "
            "replies read as a score.",
        ]
    if o:
        lines += [
            "",
            f"Overhead: against an endpoint that answers at once, a bare `openai` call took "
            f"{o['instant_server']['bare_median_ms']:.2f} ms and a rewardkit call (one sample through `aevaluate`: "
            f"rendering, quoting, the cache lookup, the call, parsing, the metrics) {o['instant_server']['rewardkit_median_ms']:.2f} ms "
            f"(medians of {o['instant_server']['calls']} alternating pairs): **{o['overhead_ms_per_call']:.2f} ms per call**, "
            f"**{100 * o['overhead_share_of_a_real_call']:.3f}%** of one SmolLM2 call here "
            f"({o['real_server']['bare_median_s']:.2f} s, median of {o['real_server']['calls']} bare calls; rewardkit's "
            f"{o['real_server']['rewardkit_median_s']:.2f} s, {o['real_server']['parsed']}/{o['real_server']['calls']} read as "
            "a score). Goal: under 5%.",
        ]
    if trl:
        lines += [
            "",
            "TRL's reward-function path, a batch of 64 (8 prompts x 8 completions) awaited on a daemon event loop as "
            "`GRPOTrainer` does; *seconds*: the whole batch, wall clock; *load average*: the 1-minute load average "
            "before and after that batch; *scored*: completions given a score read from the judge's reply. The model server (CPU-bound, as above: calls in flight only share its cores):",
            "",
            *_trl_table(trl["rows"]),
            "",
            f"and the {SIMULATED_SECONDS:g}-second endpoint:",
            "",
            *_trl_table(trl["simulated"]),
        ]
    lines += ["", f"Command: `{first['command']}`"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--max-tokens", type=int, default=None, help="the judge's reply length (default: the example's)")
    parser.add_argument("--cache-batch", type=int, default=8)
    parser.add_argument("--overhead-calls", type=int, default=200, help="alternating pairs against the instant endpoint")
    parser.add_argument("--real-calls", type=int, default=3, help="alternating pairs against the model server")
    parser.add_argument(
        "--trl-in-flight", type=int, nargs="+", default=[4, 1],
        help="calls in flight of the model server's TRL runs",
    )  # fmt: skip
    args = parser.parse_args()
    args.max_tokens = args.max_tokens or bundled_params()["max_tokens"]
    name = "judge_bench" if set(args.parts) == set(PARTS) else "judge_bench_parts"
    out = REPO / "bench" / "results" / f"{name}.json"

    from importlib.metadata import version

    from rewardkit.trainers.default_model import resolve_model_path

    model = str(resolve_model_path(None))
    report: dict[str, Any] = {}
    run = {
        "date": dt.date.today().isoformat(), "machine": machine(), "args": vars(args),
        "versions": {p: version(p) for p in ("transformers", "openai", "trl")},
        "command": " ".join(["python bench/judge_bench.py", *sys.argv[1:]]),
        "server": " ".join(("transformers serve", *SERVER_OPTIONS)),
    }  # fmt: skip
    log = Path(tempfile.mkdtemp(prefix="judge_bench_")) / "serve.log"  # kept only when the run fails
    print(f"transformers serve's output: {log}", flush=True)
    with transformers_serve(Path(model), log, *SERVER_OPTIONS) as url:
        print(f"server up at {url}; warming up", flush=True)
        judge(url, model, args).evaluate(["Warm up."], ["Say something."])
        for part in PARTS:
            if part not in args.parts:
                continue
            start = os.getloadavg()
            if part == "throughput":
                report[part] = {**run, "rows": throughput(url, model, args, {1: 3, 4: 8, 16: 16})}
                with simulated(SIMULATED_SECONDS) as endpoint:
                    report[part]["simulated"] = throughput(endpoint.url, "judge", args, {1: 8, 4: 16, 16: 32})
            elif part == "cache":
                report[part] = {**run, **cache_effect(url, model, args)}
            elif part == "overhead":
                report[part] = {**run, **overhead(url, model, args)}
            else:
                report[part] = {**run, "rows": trl_path(url, model, args, tuple(args.trl_in_flight))}
                with simulated(SIMULATED_SECONDS) as endpoint:
                    report[part]["simulated"] = trl_path(endpoint.url, "judge", args, (16, 1))
            report[part].update(load_average_at_start=start, load_average_at_end=os.getloadavg())
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    out.with_suffix(".md").write_text("# Judge benchmark\n\n" + markdown(report) + "\n")
    print(markdown(report))
    print(f"wrote {out} and .md")
    shutil.rmtree(log.parent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
