"""The ``reasoning_gym`` reward against reasoning-gym's own ``score_answer``, over every family it registers.

For each family (``composite`` as a mixture of three others): ``--items`` seeded items, and for
each item its oracle answer (the item's ``answer``; where that is None, the example its metadata
carries: ``possible_answer``, ``example_answer``, ``example_correct_answer``) and systematic
perturbations of it, each as a completion ``<think>…</think><answer>…</answer>``:

- ``oracle``; ``wrong value`` (the last digit raised by one, else the last letter changed);
- ``extra whitespace`` (around the answer inside the tags; and inside it: every space doubled,
  spaces before line ends);
- ``reordered list`` (the answer's items, split at its commas, else its lines, else its spaces,
  in reverse order; a JSON list reversed);
- ``outside the tags`` (``The answer is …`` with no tags); ``cut off`` (the closing tag missing);
- ``as code`` (``__import__('pathlib').Path(MARKER).touch()``: see below).

Reference: reasoning-gym's ``extract_answer`` on the completion, then ``score_answer`` of the
dataset that generated the item, in this process, on the item as generated. rewardkit: the
``reasoning_gym`` reward on rows ``answer`` + ``metadata`` as JSON text (``rows.metadata_text``),
as a trainer or server hands them over: its cache off, each answer under the default time limit
(5 s), and no batch deadline (a family's answers go in one call, which is no training batch). Every difference is listed with both scores.

Safety: the ``as code`` payload touches a marker file when it runs. The reference runs it where a
verifier evaluates it (a harmless payload: that is the control); those families are listed and
compared with ``families.EVALUATES``. Through the reward, its marker must never appear.

Throughput: reference CPU seconds per answer (this process), and the reward's answers per second
of wall time for the family's whole batch (its worker pool: one worker per CPU), its first call
excluded (it starts the pool). Record the load average: a loaded machine slows the pool.

Run::

    python bench/reasoning_gym_bench.py [--items 100] [--seed 1234] [--families a,b] [--timeout 5]

Writes ``bench/results/reasoning_gym_bench.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import platform
import re
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PERTURBATIONS = (
    "oracle", "wrong value", "whitespace around", "whitespace inside", "reordered list", "outside the tags",
    "cut off", "as code",
)  # fmt: skip
EXAMPLE_KEYS = ("possible_answer", "example_answer", "example_correct_answer")
COMPOSITE_PARTS = ("leg_counting", "word_sorting", "arc_1d")
PAYLOAD = "__import__('pathlib').Path({marker!r}).touch()"


def oracle_answer(item: dict) -> str | None:
    if item["answer"] is not None:
        return str(item["answer"])
    for key in EXAMPLE_KEYS:
        value = item["metadata"].get(key)
        if value is not None:
            return value if isinstance(value, str) else json.dumps({str(k): v for k, v in value.items()} if isinstance(value, dict) else value)
    return None


def wrong_value(answer: str) -> str:
    digits = list(re.finditer(r"\d", answer))
    if digits:
        i = digits[-1].start()
        return answer[:i] + str((int(answer[i]) + 1) % 10) + answer[i + 1 :]
    letters = list(re.finditer(r"[A-Za-z]", answer))
    if letters:
        i = letters[-1].start()
        c = answer[i]
        swapped = "b" if c.lower() == "a" else "a"
        return answer[:i] + (swapped.upper() if c.isupper() else swapped) + answer[i + 1 :]
    return answer + "x"


def reordered(answer: str) -> str:
    try:
        value = json.loads(answer)
    except ValueError:
        value = None
    if isinstance(value, list) and len(value) > 1:
        return json.dumps(value[::-1])
    for separator in (", ", ",", "\n", " "):
        parts = answer.split(separator)
        if len(parts) > 1:
            return separator.join(parts[::-1])
    return answer[::-1]


def completions(answer: str | None, marker: str) -> dict[str, str]:
    a = "" if answer is None else answer
    think = "<think>reasoning</think>\n"
    return {
        "oracle": f"{think}<answer>{a}</answer>",
        "wrong value": f"{think}<answer>{wrong_value(a)}</answer>",
        "whitespace around": f"{think}<answer>\n  {a}  \n</answer>",
        "whitespace inside": f"{think}<answer>{a.replace(' ', '  ').replace(chr(10), ' ' + chr(10))}</answer>",
        "reordered list": f"{think}<answer>{reordered(a)}</answer>",
        "outside the tags": f"{think}The answer is {a}.",
        "cut off": f"{think}<answer>{a}",
        "as code": f"{think}<answer>{PAYLOAD.format(marker=marker)}</answer>",
    }


def generate(name: str, n: int, seed: int):
    import reasoning_gym

    if name == "composite":
        parts = [{"name": p, "weight": 1.0, "config": {}} for p in COMPOSITE_PARTS]
        from reasoning_gym.composite import CompositeConfig, CompositeDataset, DatasetSpec

        dataset = CompositeDataset(CompositeConfig(size=n, seed=seed, datasets=[DatasetSpec(**p) for p in parts]))
    else:
        dataset = reasoning_gym.create_dataset(name, size=n, seed=seed)
    with contextlib.redirect_stdout(io.StringIO()):  # some generators print (bf, codeio)
        return dataset, [dataset[i] for i in range(n)]


def reference(dataset, item, completion: str):
    from reasoning_gym.utils import extract_answer

    try:
        return dataset.score_answer(extract_answer(completion), item)
    except Exception as exc:  # noqa: BLE001 - a verifier that raises: reported as such
        return f"raises {type(exc).__name__}"


def bench_family(name: str, args, reward, relaxed, marker_dir: Path) -> dict:
    from rewardkit.plugins.reasoning_gym.rows import metadata_text

    started = time.perf_counter()
    dataset, items = generate(name, args.items, args.seed)
    generate_s = time.perf_counter() - started
    # the same length: a verifier that scores by length (containment) gives both the same score
    marker, reference_marker = str(marker_dir / f"{name}.rk"), str(marker_dir / f"{name}.rg")
    rows, texts, reference_texts, kinds = [], [], [], []
    for item in items:
        answer = oracle_answer(item)
        for kind, text in completions(answer, marker).items():
            rows.append(item)
            texts.append(text)
            reference_texts.append(text.replace(repr(marker), repr(reference_marker)))
            kinds.append(kind)
    expected, seconds = [], []
    for item, text in zip(rows, reference_texts):
        start = time.process_time()
        expected.append(reference(dataset, item, text))
        seconds.append(time.process_time() - start)
    reference_s, slowest = sum(seconds), max(seconds)
    wall = time.perf_counter()
    out = reward.evaluate(texts, answer=[r["answer"] for r in rows], metadata=[metadata_text(r["metadata"]) for r in rows])
    reward_s = time.perf_counter() - wall
    load = round(os.getloadavg()[0], 1)
    per_kind = {k: {"n": 0, "equal": 0, "mean_reference": 0.0} for k in PERTURBATIONS}
    unequal = []
    for i, (kind, want, got) in enumerate(zip(kinds, expected, out.scores)):
        entry = per_kind[kind]
        entry["n"] += 1
        number = isinstance(want, (int, float))  # polynomial_equations returns the int 0
        equal = number and got is not None and abs(want - got) < 1e-9
        entry["equal"] += equal
        if number:
            entry["mean_reference"] += want
        if not equal:
            unequal.append(i)
    # each scored again with a time limit no machine reaches: is the reward's limit the difference?
    again = relaxed.evaluate([texts[i] for i in unequal], answer=[rows[i]["answer"] for i in unequal],
                             metadata=[metadata_text(rows[i]["metadata"]) for i in unequal]).scores if unequal else []
    differences = [{"kind": kinds[i], "reference": expected[i], "rewardkit": out.scores[i], "rewardkit_no_time_limit": score,
                    "reference_s": round(seconds[i], 3), "answer": texts[i][-200:]} for i, score in zip(unequal, again)]  # fmt: skip
    for entry in per_kind.values():
        entry["mean_reference"] = round(entry["mean_reference"] / entry["n"], 4) if entry["n"] else None
    oracle_scores = [w for w, k in zip(expected, kinds) if k == "oracle" and isinstance(w, (int, float))]
    n = len(texts)
    return {
        "family": name,
        "items": len(items),
        "answers": n,
        "equal": n - len(differences),
        "differences": differences,
        "per_kind": per_kind,
        "oracle_mean": round(sum(oracle_scores) / len(oracle_scores), 4) if oracle_scores else None,
        "no_oracle": sum(1 for i in items if oracle_answer(i) is None),
        "wrong_max": max((w for w, k in zip(expected, kinds) if k == "wrong value" and isinstance(w, (int, float))), default=None),
        "generate_s_per_item": round(generate_s / len(items), 5),
        "reference_ms_per_answer": round(1000 * reference_s / n, 4),
        "reference_ms_slowest": round(1000 * slowest, 2),
        "rewardkit_answers_per_s": round(n / reward_s, 1),
        "load_1min": load,
        "rewardkit_metrics": {k: v for k, v in out.metrics.items() if v},
        "errors": out.errors[:3],
        "payload_ran_in_reference": os.path.exists(reference_marker),
        "payload_ran_in_reward": os.path.exists(marker),
    }


def explain(difference: dict, family: str, ran_code: list[str], timeout: float) -> str:
    """Why a listed difference is one (the cases the method knows of); 'unexplained' otherwise."""
    ref, got, relaxed = difference["reference"], difference["rewardkit"], difference["rewardkit_no_time_limit"]
    if isinstance(ref, str) and ref.startswith("raises"):
        return "the verifier raises on this answer; rewardkit gives the error score (0.0) and counts the error"
    if difference["kind"] == "as code" and family in ran_code:
        return "the verifier runs this answer as code; rewardkit's guard refuses it (scored as unreadable)"
    if got == 0.0 and relaxed is not None and abs(relaxed - ref) < 1e-9:
        return (f"the reward's time limit ({timeout:g} s of its worker's CPU time) ran out and gave the error score; "
                "with no time limit rewardkit scores it as score_answer does")
    return "unexplained"


def markdown(report: dict) -> str:
    rows = report["families"]
    lines = [
        "# reasoning_gym reward vs reasoning-gym's score_answer",
        "",
        f"{report['date']}, commit {report['commit']}, reasoning-gym {report['reasoning_gym']}, {report['machine']}; "
        f"{report['items']} items per family (seed {report['seed']}), {len(PERTURBATIONS)} answers per item; "
        f"load average {report['load_start']} at the start, {report['load_end']} at the end; "
        f"{report['workers']} worker processes; {report['wall_s']:.0f} s in all.",
        "",
        f"**{report['equal']:,} of {report['answers']:,} answers scored equal "
        f"({100 * report['equal'] / report['answers']:.2f}%)**; every difference is listed below with its reason "
        f"({report['unexplained']} unexplained).",
        "",
        "Perturbations (mean reference score over all families): "
        + "; ".join(f"{k} {v:.3f}" for k, v in report["mean_by_kind"].items()),
        "",
        "## Differences",
        "",
    ]
    if not report["differences"]:
        lines.append("None.")
    for family, items in report["differences"].items():
        reasons: dict[str, int] = {}
        for d in items:
            reasons[d["reason"]] = reasons.get(d["reason"], 0) + 1
        lines.append(f"- `{family}`: " + "; ".join(f"{n} × {r}" for r, n in reasons.items()))
        slow = [d["reference_s"] for d in items if "time limit" in d["reason"]]
        if slow:
            load = next(r["load_1min"] for r in rows if r["family"] == family)
            lines.append(f"  (the verifier's CPU seconds on those answers in the reference process: "
                         f"{', '.join(f'{s:.2f}' for s in sorted(slow))}; load average {load} when the family was scored)")
    lines += [
        "",
        "## Answers run as code",
        "",
        f"Called directly, reasoning-gym's own verifier ran the payload for: {', '.join(report['unguarded_runs']) or 'none'}. "
        f"Through the reward: {', '.join(report['ran_in_reward']) or 'none'}.",
        "",
        "## Per family",
        "",
        "| family | items | equal | oracle mean | wrong value max | gen ms/item | reference ms/answer (slowest) | rewardkit answers/s | notes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        notes = []
        if r["no_oracle"]:
            notes.append(f"no oracle answer for {r['no_oracle']}")
        if r["family"] in report["evaluates"]:
            notes.append("evaluates text")
        if r["family"] in report["forgeable"]:
            notes.append("forgeable")
        lines.append(
            f"| `{r['family']}` | {r['items']} | {r['equal']}/{r['answers']} | {r['oracle_mean']} | {r['wrong_max']} | "
            f"{1000 * r['generate_s_per_item']:.1f} | {r['reference_ms_per_answer']:.3f} ({r['reference_ms_slowest']:.1f}) | "
            f"{r['rewardkit_answers_per_s']:.0f} | "
            f"{', '.join(notes)} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--families", default="", help="comma-separated (default: every registered family)")
    parser.add_argument("--timeout", type=float, default=None, help="the reward's seconds per answer (default: its default)")
    parser.add_argument("--out", default=str(RESULTS / "reasoning_gym_bench"))
    args = parser.parse_args()

    import reasoning_gym
    from importlib.metadata import version

    from rewardkit.plugins.reasoning_gym.families import EVALUATES, FORGEABLE
    from rewardkit.pool import default_pool_size
    from rewardkit.registry import get_reward

    names = args.families.split(",") if args.families else sorted(reasoning_gym.factory.DATASETS)
    load_start = [round(x, 2) for x in os.getloadavg()]
    started = time.perf_counter()
    limit = {} if args.timeout is None else {"timeout": args.timeout}
    reward = get_reward("reasoning_gym", {"cache_size": 0, "deadline": None, **limit})  # a family's 800 answers are no training batch
    relaxed = get_reward("reasoning_gym", {"cache_size": 0, "deadline": None, "timeout": 3600.0})
    reward.evaluate(["<answer>1</answer>"], answer=["1"], metadata=['{"source_dataset": "leg_counting"}'])  # start the pool
    results = []
    with tempfile.TemporaryDirectory() as markers:
        for name in names:
            result = bench_family(name, args, reward, relaxed, Path(markers))
            print(f"{name}: {result['equal']}/{result['answers']} equal, {result['rewardkit_answers_per_s']:.0f} answers/s", flush=True)
            results.append(result)
    unguarded = [r["family"] for r in results if r["payload_ran_in_reference"]]
    differences = {}
    for r in results:
        for d in r["differences"]:
            d["reason"] = explain(d, r["family"], unguarded, reward.params.timeout)
        if r["differences"]:
            differences[r["family"]] = r["differences"]
    kinds = {k: [r["per_kind"][k]["mean_reference"] for r in results if r["per_kind"][k]["mean_reference"] is not None] for k in PERTURBATIONS}
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "commit": commit,
        "reasoning_gym": version("reasoning-gym"),
        "machine": f"{platform.machine()}, {platform.python_version()}, {os.cpu_count()} CPUs",
        "items": args.items,
        "seed": args.seed,
        "workers": default_pool_size(),
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "wall_s": time.perf_counter() - started,
        "answers": sum(r["answers"] for r in results),
        "equal": sum(r["equal"] for r in results),
        "unexplained": sum(d["reason"] == "unexplained" for ds in differences.values() for d in ds),
        "mean_by_kind": {k: sum(v) / len(v) for k, v in kinds.items() if v},
        "unguarded_runs": unguarded,
        "ran_in_reward": [r["family"] for r in results if r["payload_ran_in_reward"]],
        "evaluates": sorted(EVALUATES),
        "forgeable": sorted(FORGEABLE),
        "differences": {f: [{k: d[k] for k in ("kind", "reference", "rewardkit", "rewardkit_no_time_limit", "reference_s", "reason")}
                              for d in ds]
                        for f, ds in differences.items()},
        "families": [{k: v for k, v in r.items() if k != "differences"} for r in results],
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=1, default=str) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(markdown(report), encoding="utf-8")
    print(f"{report['equal']}/{report['answers']} equal, {report['unexplained']} unexplained; unguarded runs: {unguarded}; wrote {out}.json and .md")


if __name__ == "__main__":
    main()
