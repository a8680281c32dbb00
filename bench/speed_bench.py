"""The cheap rewards against the hand-written code they replace, and rewardkit's overhead on each path.

One command, one run, the same completions for every system:

- **gsm8k**: 512 GSM8K completions (64 test problems × 8, ``tests/_gsm8k_notebook.py``:
  right, wrong, prose, commas, currency, malformed), batches of 64, chat format: the GSM8K GRPO
  notebook's five hand-written functions (``NOTEBOOK_FUNCTIONS`` there, fed the
  column the notebook prepares), the ``gsm8k`` preset and the recipe-exact ``gsm8k_strict``
  preset (fed the GSM8K solutions) take turns pass by pass; completions per second of wall-clock
  and of CPU time, each system's pass made twice: "cold", with every cache emptied first (the
  tidied answers, numerals, readings and verdicts a long run would have seen are forgotten, so
  that repeating the same 512 completions does not flatter rewardkit), then "warm", with what the
  cold pass left. ``gsm8k_strict``'s scores are compared with the notebook's, component by component;
- **r1** and **ifeval**: the ``r1`` preset on 512 ``<think>``/``<answer>`` completions of the
  bundled GSM8K sample, ``ifeval`` on 480 responses to the bundled IFEval-style prompts;
- **serve**: ``rewardkit serve gsm8k`` (a subprocess, ``--workers 1`` and ``2``) with 8 clients on
  keep-alive connections sending the gsm8k batches back to back (the clients share the machine's
  cores with the server); completions per second, and per CPU second of the server's processes;
- **verl**: verl's legacy batch reward manager (``compute_score_batch``, PyPI verl in
  ``.ci-venvs/verl``, built by ``.ci/verl-venv`` if missing) scoring the 512 completions with the
  ``gsm8k`` preset, the fastest of 10 warm passes timed, verl's own decoding included.

``--baseline REF`` (default: the commit before issue 34's fast path) measures every path a second
time with rewardkit as it was at REF (a copy of that commit, imported in place of this one), in
alternation with the current tree, so that before and after share the machine's load.
Load averages are recorded at start and end; on a shared machine, figures are indicative, and the
CPU-time ratios are the steadier ones. ``--profile gsm8k|r1|ifeval|serve`` prints where the time
goes instead (cProfile).

Results: ``bench/results/speed_bench.json`` and ``.md``. Run: ``python bench/speed_bench.py``
(about 10 minutes on 2 cores; ``--help`` for sizes, ``--skip-serve``, ``--skip-verl``).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import http.client
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parents[1]
for folder in (REPO / "bench", REPO / "tests"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from _gsm8k_notebook import NOTEBOOK_FUNCTIONS, extract_hash_answer, gsm8k_completions  # noqa: E402
from speed_corpus import ifeval_completions, r1_completions  # noqa: E402

BATCH = 64
BASELINE = "bca3e2a"  # main before issue 34's fast path
CLIENTS = 8
VERL_PASSES = 10  # a pass of 512 takes 40-130 ms: one pass is mostly the machine's noise
SERVER_WORKERS = (1, 2)
DATA = Path(os.environ.get("REWARDKIT_SHARED_DATA", REPO.parent / "shared" / "data"))

# -- the systems --------------------------------------------------------------------------------


def batches_of(columns: dict[str, list[Any]], names: tuple[str, ...]) -> list[dict[str, list[Any]]]:
    n = len(columns["completions"])
    return [{k: columns[k][i : i + BATCH] for k in names} for i in range(0, n, BATCH)]


def notebook(data: dict[str, list[Any]]) -> Callable[[], list[dict[str, list[float]]]]:
    """The five hand-written functions over every batch; the answer column as the notebook maps it."""
    batches = batches_of({**data, "answer": [extract_hash_answer(a) for a in data["answer"]]}, ("completions", "prompts", "answer"))

    def run() -> list[dict[str, list[float]]]:
        return [
            {name: f(prompts=b["prompts"], completions=b["completions"], answer=b["answer"]) for name, f in NOTEBOOK_FUNCTIONS.items()}
            for b in batches
        ]

    return run


def composition(spec: Any, data: dict[str, list[Any]], columns: tuple[str, ...]) -> Callable[[], list[Any]]:
    """A composition scoring every batch, as a trainer calls it."""
    from rewardkit.composition_loader import load_composition

    comp = load_composition(spec)
    batches = batches_of(data, ("completions", "prompts", *columns))

    def run() -> list[Any]:
        return [comp.score(b["completions"], b["prompts"], **{k: b[k] for k in columns}) for b in batches]

    return run


def clear_caches() -> None:
    """Forget what scoring the same completions before left in this process (and in the verifier
    workers): golds read, tidied answers, numerals, readings, integer checks, verdicts."""
    import gc

    from math_bench import _clear_process_caches

    try:
        _clear_process_caches()
    except ImportError:  # the baseline has no such cache
        from rewardkit.plugins.math.numerals import _parse_numeral
        from rewardkit.plugins.math.verifier import READINGS

        _parse_numeral.cache_clear()
        READINGS.clear()
    for obj in gc.get_objects():
        if type(obj).__name__ == "Verifier" and type(obj).__module__.endswith("math.verifier"):
            obj.cache.clear()
        elif type(obj).__name__ in ("MathCorrectness", "Accuracy") and type(obj).__module__.endswith("math.rewards"):
            obj.__dict__.pop("_gold_cache", None)  # the golds each math reward has read


def workloads(data: Path) -> dict[str, dict[str, Any]]:
    """Per workload, its systems (name -> zero-argument scorer) and its size."""
    from rewardkit.composition_loader import preset_names

    gsm8k = gsm8k_completions(data)
    systems: dict[str, Callable[[], Any]] = {
        "hand-written (notebook)": notebook(gsm8k),
        "gsm8k preset": composition("gsm8k", gsm8k, ("answer",)),
    }
    if "gsm8k_strict" in preset_names():
        systems["gsm8k_strict preset"] = composition("gsm8k_strict", gsm8k, ("answer",))
    r1 = r1_completions()
    ifeval = ifeval_completions()
    return {
        "gsm8k": {"n": len(gsm8k["completions"]), "systems": systems},
        "r1": {"n": len(r1["completions"]), "systems": {"r1 preset": composition("r1", r1, ("answer",))}},
        "ifeval": {"n": len(ifeval["completions"]), "systems": {
            "ifeval preset": composition("ifeval", ifeval, ("instruction_id_list", "kwargs"))}},
    }  # fmt: skip


def measure(seconds: float, data: Path) -> dict[str, Any]:
    """Each workload's systems taking turns pass by pass for about ``seconds``, warm and cold."""
    out: dict[str, Any] = {}
    for name, w in workloads(data).items():
        systems = w["systems"]
        for run in systems.values():
            run()  # untimed: imports, pools, first use
        totals = {s: {"passes": 0, "wall": 0.0, "cpu": 0.0, "cold_passes": 0, "cold_wall": 0.0, "cold_cpu": 0.0} for s in systems}
        start = time.perf_counter()
        while time.perf_counter() - start < seconds or not all(t["cold_passes"] for t in totals.values()):
            for system, run in systems.items():
                for cold in (True, False):  # the warm pass after the cold one: what it left is there
                    if cold:
                        clear_caches()
                    wall, cpu = time.perf_counter(), time.process_time()
                    run()
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    prefix = "cold_" if cold else ""
                    t = totals[system]
                    t[prefix + "passes"] += 1
                    t[prefix + "wall"] += wall
                    t[prefix + "cpu"] += cpu
        out[name] = {"completions": w["n"], "systems": totals}
    return out


def strict_agreement(data: Path) -> dict[str, Any] | None:
    """``gsm8k_strict``'s component scores against the notebook's functions', completion by completion."""
    from rewardkit.composition_loader import preset_names

    if "gsm8k_strict" not in preset_names():
        return None
    gsm8k = gsm8k_completions(data)
    hand = notebook(gsm8k)()
    ours = composition("gsm8k_strict", gsm8k, ("answer",))()
    per: dict[str, int] = {}
    differ: list[dict[str, Any]] = []
    for b, (h, o) in enumerate(zip(hand, ours)):
        for name, theirs in h.items():
            for i, (a, c) in enumerate(zip(theirs, o.components[name])):
                same = c is not None and abs(a - c) < 1e-12
                per[name] = per.get(name, 0) + same
                if not same and len(differ) < 20:
                    differ.append({"component": name, "row": b * BATCH + i, "notebook": a, "rewardkit": c,
                                   "kind": gsm8k["kind"][b * BATCH + i]})  # fmt: skip
    return {"completions": len(gsm8k["completions"]), "equal": per, "differences": differ}


# -- serve --------------------------------------------------------------------------------------


def served(data: Path, seconds: float, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """``rewardkit serve gsm8k`` with 8 clients, per --workers: completions/s, p50/p99 ms."""
    from _servers import serve_command
    from serve_bench import load, post

    gsm8k = gsm8k_completions(data)
    bodies = [json.dumps(b).encode() for b in batches_of(gsm8k, ("completions", "prompts", "answer"))]
    sizes = [BATCH] * len(bodies)
    out = {}
    for workers in SERVER_WORKERS:
        with serve_command("gsm8k", "--workers", str(workers), "--no-access-log", env=env, cwd=cwd) as (url, process):
            host, port = url.removeprefix("http://").split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=300)
            for body in bodies:
                status, raw = post(conn, body)
                if status != 200:
                    raise SystemExit(f"rewardkit serve answered {status}: {raw[:300]!r}")
            conn.close()
            load(url, bodies, sizes, CLIENTS, min(seconds, 4.0))  # untimed: every server process warm
            serving = server_processes(process.pid)
            before = cpu_seconds(serving)
            result = load(url, bodies, sizes, CLIENTS, seconds)
            result["server_cpu_seconds"] = cpu_seconds(serving) - before
            result["per_server_cpu_second"] = result["completions"] / max(result["server_cpu_seconds"], 1e-9)
            out[str(workers)] = result
    return out


def server_processes(pid: int) -> list[Any]:
    """The server's processes that answer requests (uvicorn's, not the verifier's fork server or workers)."""
    import psutil

    root = psutil.Process(pid)
    helpers = ("multiprocessing.forkserver", "multiprocessing.resource_tracker")  # the verifier's (and what it forks)
    return [root] + [p for p in root.children(recursive=True) if not any(h in " ".join(p.cmdline()) for h in helpers)]


def cpu_seconds(processes: list[Any]) -> float:
    return sum(sum(p.cpu_times()[:2]) for p in processes)


# -- verl ---------------------------------------------------------------------------------------


def verl_batch(data: Path, venv: Path, env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """verl's batch reward manager with the gsm8k preset over the 512 completions, the fastest of VERL_PASSES warm passes."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"building verl's environment in {venv} ...", flush=True)
        subprocess.run(["bash", str(REPO / ".ci" / "verl-venv"), str(venv)], check=True)
    gsm8k = gsm8k_completions(data)
    spec = {
        "prompts": ["Solve the problem."] * len(gsm8k["completions"]),
        "responses": [c[0]["content"] for c in gsm8k["completions"]],
        "ground_truths": gsm8k["answer"],
        "data_sources": ["openai/gsm8k"] * len(gsm8k["completions"]),
        "runs": [{"manager": "batch", "function": "compute_score_batch", "reward_kwargs": {"composition": "gsm8k"}, "repeat": VERL_PASSES + 1}],
    }
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "spec.json").write_text(json.dumps(spec))
        done = subprocess.run(
            [str(python), str(REPO / "tests" / "_verl_driver.py"), str(Path(tmp) / "spec.json"), str(Path(tmp) / "out.json")],
            capture_output=True, text=True, cwd=cwd,
            env={**os.environ, **env, "PYTHONPATH": os.pathsep.join(filter(None, [env.get("PYTHONPATH"), str(REPO / "tests")]))},
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"the verl driver failed:\n{done.stderr[-3000:]}")
        out = json.loads((Path(tmp) / "out.json").read_text())
    run, n = out["runs"][0], len(spec["responses"])
    return {"verl": out["verl"], "completions": n, "seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"],
            "per_second": n / run["seconds"], "per_cpu_second": n / run["cpu_seconds"]}  # fmt: skip


# -- trees: this one and the baseline ------------------------------------------------------------


def baseline_tree(ref: str, folder: Path) -> Path:
    """rewardkit as it was at ``ref``, laid out as installed (``rewardkit.plugins`` and
    ``rewardkit.trainers`` inside the package), for PYTHONPATH."""
    src, pkg = folder / "src", folder / "pkg"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    shutil.copytree(src / "rewardkit", pkg / "rewardkit")
    shutil.copytree(src / "plugins" / "builtin", pkg / "rewardkit" / "plugins")
    shutil.copytree(src / "trainers", pkg / "rewardkit" / "trainers")
    return pkg


def child(args: argparse.Namespace, env: dict[str, str], cwd: Path, what: str, seconds: float) -> dict[str, Any]:
    """This script's ``--child`` run under ``env`` (the baseline's PYTHONPATH, or none)."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", what, "--seconds", str(seconds), "--data", str(args.data),
         "--verl-venv", str(args.verl_venv)],
        capture_output=True, text=True, cwd=cwd, env={**os.environ, **env},
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"the {what} run failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def child_main(args: argparse.Namespace) -> int:
    import logging

    import rewardkit

    logging.getLogger("math_verify").setLevel(logging.ERROR)
    here = {"rewardkit": str(Path(rewardkit.__file__).parent)}
    env = {k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}
    if args.child == "inprocess":
        result = {**here, "workloads": measure(args.seconds, args.data), "strict": strict_agreement(args.data)}
    elif args.child == "serve":
        result = {**here, "serve": served(args.data, args.seconds, env, Path.cwd())}
    else:
        result = {**here, "verl": verl_batch(args.data, args.verl_venv, env, Path.cwd())}
    print(json.dumps(result))
    return 0


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The in-process rounds of one tree added up, per workload and system."""
    merged: dict[str, Any] = {}
    for r in rounds:
        for name, w in r["workloads"].items():
            into = merged.setdefault(name, {"completions": w["completions"], "systems": {}})
            for system, t in w["systems"].items():
                acc = into["systems"].setdefault(system, dict.fromkeys(t, 0))
                for key, value in t.items():
                    acc[key] += value
    for w in merged.values():
        n = w["completions"]
        for t in w["systems"].values():
            for prefix in ("", "cold_"):
                t[prefix + "per_second"] = n * t[prefix + "passes"] / t[prefix + "wall"]
                t[prefix + "per_cpu_second"] = n * t[prefix + "passes"] / t[prefix + "cpu"]
    return merged


# -- profile ------------------------------------------------------------------------------------


def profile(what: str, data: Path, seconds: float) -> str:
    """Where the time goes: cProfile of the workload's composition (or of a served process)."""
    if what == "serve":
        return profile_served(data, seconds)
    w = workloads(data)[what]
    run = next(r for s, r in w["systems"].items() if "hand-written" not in s)
    run()
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    while time.perf_counter() - start < seconds:
        run()
    profiler.disable()
    return _stats(profiler)


def _stats(profile: cProfile.Profile | str) -> str:
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)  # type: ignore[arg-type]
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)
    return text.getvalue()


def profile_served(data: Path, seconds: float) -> str:
    """cProfile of a ``rewardkit serve gsm8k --workers 1`` process under 8 clients."""
    import signal

    from _servers import free_port, request
    from serve_bench import load

    gsm8k = gsm8k_completions(data)
    bodies = [json.dumps(b).encode() for b in batches_of(gsm8k, ("completions", "prompts", "answer"))]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "serve.prof"
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "rewardkit.cli", "serve", "gsm8k", "--port", str(port),
             "--no-access-log", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if request(url + "/health", timeout=2)[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        load(url, bodies, [BATCH] * len(bodies), CLIENTS, seconds)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        return _stats(str(out))


# -- report -------------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    trees = list(report["in_process"])
    lines = [
        f"Run {report['date'][:10]} on {m['cpu']}, {m['cores']} cores, Python {m['python']}; batches of {BATCH}; "
        f"load average {m['load_average_at_start'][0]:.1f} at start, {m['load_average_at_end'][0]:.1f} at the end "
        "(a shared machine: other sessions were running, so wall-clock figures are indicative and the CPU-time "
        "ones steadier; re-run on a quiet machine for figures to quote).",
        "",
        "In process, completions per second (wall-clock / CPU time; cold: every cache emptied before each pass):",
        "",
        "| workload | system | " + " | ".join(f"{t} /s | {t} /CPU-s | {t} cold /CPU-s" for t in trees) + " |",
        "| --- | --- | " + " | ".join("---: | ---: | ---:" for _ in trees) + " |",
    ]
    for workload in report["in_process"][trees[-1]]:
        systems = dict.fromkeys(s for t in trees for s in report["in_process"][t].get(workload, {}).get("systems", {}))
        for system in systems:
            cells = []
            for t in trees:
                r = report["in_process"][t].get(workload, {}).get("systems", {}).get(system)
                cells.append(" | ".join("n/a" for _ in range(3)) if r is None
                             else f"{r['per_second']:,.0f} | {r['per_cpu_second']:,.0f} | {r['cold_per_cpu_second']:,.0f}")
            lines.append(f"| {workload} | {system} | " + " | ".join(cells) + " |")
    lines.append("")
    for t in trees:
        g = report["in_process"][t]["gsm8k"]["systems"]
        hand = report["in_process"]["after"]["gsm8k"]["systems"]["hand-written (notebook)"]
        p = g["gsm8k preset"]
        lines.append(
            f"- gsm8k preset, {t}: {p['per_second']:,.0f}/s wall-clock, {p['per_cpu_second']:,.0f}/s per CPU second "
            f"({p['cold_per_cpu_second']:,.0f} cold); against the hand-written five in the same run "
            f"{p['per_cpu_second'] / hand['per_cpu_second']:.2f}× per CPU second, {p['per_second'] / hand['per_second']:.2f}× "
            "wall-clock (goal: ≥ 50,000/s and ≥ 0.3×)."
        )
    if report.get("strict"):
        s = report["strict"]
        lines.append(
            f"- gsm8k_strict against the notebook's functions on the {s['completions']} completions: equal scores on "
            + ", ".join(f"{name} {count}/{s['completions']}" for name, count in s["equal"].items()) + "."
        )
    if report.get("serve"):
        lines += ["", f"`rewardkit serve gsm8k`, {CLIENTS} clients (on the same cores as the server), completions per second:", "",
                  "| tree | --workers | completions/s | per CPU second of the server | p50 ms | p99 ms |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
        for t, cells in report["serve"].items():
            for workers, r in cells.items():
                per_cpu = f"{r['per_server_cpu_second']:,.0f}" if "per_server_cpu_second" in r else "n/a"
                lines.append(f"| {t} | {workers} | {r['completions_per_second']:,.0f} | {per_cpu} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |")
        lines.append("\nGoal: ≥ 20,000/s with 8 clients (the server's CPU time: its uvicorn processes, the verifier's fork server left out).")
    if report.get("verl"):
        lines += ["", f"verl's batch reward manager (`compute_score_batch`, the gsm8k preset, 512 completions, fastest of {VERL_PASSES} warm passes, "
                  f"verl {next(iter(report['verl'].values()))['verl']}):", ""]
        lines += [f"- {t}: {r['per_second']:,.0f} completions/s wall-clock ({r['seconds'] * 1000:.0f} ms), "
                  f"{r['per_cpu_second']:,.0f} per CPU second of verl's process ({r['cpu_seconds'] * 1000:.0f} ms)"
                  for t, r in report["verl"].items()]  # fmt: skip
        lines.append("\nGoal: ≥ 5,000/s.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seconds", type=float, default=20.0, help="in-process time per workload and tree")
    parser.add_argument("--rounds", type=int, default=3, help="the trees take turns this many times")
    parser.add_argument("--serve-seconds", type=float, default=8.0)
    parser.add_argument("--baseline", default=BASELINE, help="git ref measured as 'before' ('' to skip)")
    parser.add_argument("--skip-serve", action="store_true")
    parser.add_argument("--skip-verl", action="store_true")
    parser.add_argument("--verl-venv", type=Path, default=REPO / ".ci-venvs" / "verl")
    parser.add_argument("--profile", choices=("gsm8k", "r1", "ifeval", "serve"))
    parser.add_argument("--child", choices=("inprocess", "serve", "verl"), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results" / "speed_bench.json")
    args = parser.parse_args(argv)
    if not (args.data / "gsm8k" / "test.jsonl").exists():
        parser.error(f"no GSM8K data under {args.data} (give the shared data folder with --data)")
    if args.child:
        return child_main(args)
    if args.profile:
        print(profile(args.profile, args.data, args.seconds))
        return 0

    from math_bench import machine

    report: dict[str, Any] = {"date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "machine": machine()}
    with tempfile.TemporaryDirectory() as tmp:
        trees: dict[str, dict[str, str]] = {}
        if args.baseline:
            trees["before"] = {"PYTHONPATH": str(baseline_tree(args.baseline, Path(tmp) / "baseline"))}
            report["baseline"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.baseline],
                                                capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        trees["after"] = {}
        cwd = Path(tmp)  # not the repository: a child imports rewardkit from its tree only
        rounds: dict[str, list[dict[str, Any]]] = {t: [] for t in trees}
        for k in range(args.rounds):
            for t, env in trees.items():
                result = child(args, env, cwd, "inprocess", args.seconds / args.rounds)
                print(f"round {k + 1}, {t} ({result['rewardkit']}): " + ", ".join(
                    f"{s} {r['cpu'] and w['completions'] * r['passes'] / r['cpu']:,.0f}/CPU-s"
                    for w in result["workloads"].values() for s, r in w["systems"].items()), flush=True)  # fmt: skip
                rounds[t].append(result)
                if t == "after":
                    report["strict"] = result["strict"]
        report["in_process"] = {t: merge_rounds(r) for t, r in rounds.items()}
        if not args.skip_serve:
            report["serve"] = {t: child(args, env, cwd, "serve", args.serve_seconds)["serve"] for t, env in trees.items()}
            print(f"serve: {report['serve']}", flush=True)
        if not args.skip_verl:
            report["verl"] = {t: child(args, env, cwd, "verl", 0)["verl"] for t, env in trees.items()}
            print(f"verl: {report['verl']}", flush=True)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    text = table(report)
    args.out.with_suffix(".md").write_text("# Speed of the cheap rewards\n\n" + text + "\n")
    print(text)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
