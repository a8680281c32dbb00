"""`rewardkit score --ray` on real Ray clusters (rewardkit.ray_scoring): a cluster started for the
run, and a two-node cluster on this machine whose second node is killed mid-job; the output is
the local run's, byte for byte. Every Ray process binds to 127.0.0.1 (tests/_ray_cluster.py)."""

import json
import os
import shutil
import signal
import subprocess
import sys

import psutil
import pytest
from _hostile import power_towers

from rewardkit.cli import main
from rewardkit.ray_scoring import split_endpoint_limits

pytest.importorskip("ray.data")
from _ray_cluster import TwoNodeCluster, ray_env, wait_for  # noqa: E402

RK = [sys.executable, "-m", "rewardkit.cli"]


def math_rows(n, hung_every=None):
    """MATH-style completions (LaTeX and numerals, right and wrong), 4 per prompt; every
    ``hung_every``-th answer a power tower that runs to the verifier's time limit."""
    rows = []
    towers = iter(power_towers(n))
    for i in range(n):
        k = i // 4 + 2
        answers = [f"\\frac{{{2 * k}}}{{{2 * k + 2}}}", f"\\frac{{{k}}}{{{k + 2}}}", str(k), f"{k + 1}"]
        answer = next(towers) if hung_every and i % hung_every == hung_every - 1 else answers[i % 4]
        completion = f"<reasoning>\nsteps\n</reasoning>\n<answer>\n{answer}\n</answer>\n" if i % 3 else f"So \\boxed{{{answer}}}."
        rows.append({"prompt": f"p{i // 4}", "pid": i // 4, "completion": completion, "solution": f"\\frac{{{k}}}{{{k + 1}}}", "i": i})
    return rows


def write_rows(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run(argv, env, **kwargs):
    return subprocess.run([*RK, *argv], env=env, capture_output=True, text=True, timeout=900, **kwargs)


def test_endpoint_limits_are_divided_between_actors_and_other_rewards_keep_theirs():
    entries = [
        {"name": "judge_score", "params": {"base_url": "http://127.0.0.1:1/v1", "model": "m", "requests_per_minute": 90}},
        {"name": "judge_verdict", "params": {"base_url": "http://127.0.0.1:1/v1", "model": "m", "concurrency": 2}},
        {"name": "math_correctness", "params": {"workers": 2}},
        {"name": "code_pass_rate", "params": {"concurrency": 6}},
    ]
    split = split_endpoint_limits(entries, 3)
    assert split[0]["params"] == {**entries[0]["params"], "concurrency": 2, "requests_per_minute": 30.0}  # 8 // 3
    assert split[1]["params"]["concurrency"] == 1  # never below one call in flight
    assert split[2:] == entries[2:] and entries[0]["params"].get("concurrency") is None  # the input is left as it was


def test_a_cluster_started_for_the_run_gives_the_local_output_summary_and_selection(tmp_path, capsys):
    data = write_rows(tmp_path / "rows.jsonl", math_rows(240, hung_every=100))  # 1% of answers hang
    spec = tmp_path / "r.yaml"
    spec.write_text("extends: gsm8k\nrewards: [{name: math_correctness, params: {gold_column: solution}}]\n")
    choose = ["--keep", "math_correctness == 2", "--best-of", "1", "--group-key", "pid", "--rows-per-piece", "40"]
    local = tmp_path / "local.jsonl"
    assert main(["score", str(spec), str(data), "--out", str(local), "--pass-rates", str(tmp_path / "lr.jsonl"), *choose]) == 0
    printed_locally = capsys.readouterr().out
    done = run(
        ["score", str(spec), str(data), "--out", str(tmp_path / "ray.jsonl"), "--pass-rates", str(tmp_path / "rr.jsonl"),
         *choose, "--ray", "--actors", "2"],
        ray_env(),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ray.jsonl").read_bytes() == local.read_bytes()
    assert (tmp_path / "rr.jsonl").read_bytes() == (tmp_path / "lr.jsonl").read_bytes()
    assert done.stdout.replace("ray.jsonl", "local.jsonl").replace("rr.jsonl", "lr.jsonl") == printed_locally
    assert "math_correctness/timeouts" in done.stdout  # the hung answers were cut at their limit, and counted


@pytest.fixture(scope="module")
def cluster():
    # one CPU each: two actors take one node each. The second node finds no bubblewrap (its PATH
    # holds only this Python's folder).
    started = TwoNodeCluster(head_cpus=1, worker_cpus=1, worker_env={"PATH": os.path.dirname(sys.executable)})
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """Rows whose 24 pieces each take a second or more, and their local output to compare with."""
    folder = tmp_path_factory.mktemp("job")
    data = write_rows(folder / "rows.jsonl", math_rows(480, hung_every=20))  # a hung answer in every piece
    spec = folder / "r.yaml"
    spec.write_text("rewards: [{name: math_correctness, params: {gold_column: solution, cache_size: 0}}, xml_count]\n")
    argv = ["score", str(spec), str(data), "--rows-per-piece", "20", "--batch-size", "5"]
    assert main([*argv, "--out", str(folder / "local.jsonl")]) == 0
    return argv, (folder / "local.jsonl").read_text()


def test_every_process_of_the_cluster_listens_on_127_0_0_1_only(cluster):
    listening = []
    for process in cluster.processes():
        try:
            listening += [(process.name(), c.laddr.ip) for c in process.net_connections(kind="inet") if c.status == "LISTEN"]
        except psutil.Error:
            continue
    assert listening and all(ip in ("127.0.0.1", "::ffff:127.0.0.1") for _, ip in listening), listening


def joined(folder):
    return "".join(p.read_text() for p in sorted(folder.glob("part-*.jsonl")))


@pytest.mark.slow
def test_a_node_killed_mid_job_loses_no_row(cluster, job, tmp_path):
    argv, expected = job
    out = tmp_path / "parts"
    process = subprocess.Popen([*RK, *argv, "--out", f"{out}/", "--ray", cluster.address, "--actors", "2"],
                               env=cluster.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    def nodes():
        return {json.loads(p.read_text())["node"] for p in out.glob("part-*.json")}

    wait_for(lambda: len(nodes()) == 2 or process.poll() is not None)  # both actors are at work
    before = nodes()
    cluster.kill_second_node()  # its actor dies in the middle of a piece (each takes a second or more)
    cluster.join_second_node()  # a replacement, as an autoscaler would start: Ray restarts the actor there
    stdout, stderr = process.communicate(timeout=900)
    assert process.returncode == 0, stderr
    results = [json.loads(p.read_text()) for p in out.glob("part-*.json")]
    assert len(results) == 24 and len(before) == 2
    assert joined(out) == expected  # every row once, in input order, scored as locally


@pytest.mark.slow
def test_a_rerun_of_an_interrupted_job_skips_the_parts_written(cluster, job, tmp_path):
    argv, expected = job
    out = tmp_path / "parts"
    command = [*RK, *argv, "--out", f"{out}/", "--ray", cluster.address, "--actors", "1"]
    process = subprocess.Popen(command, env=cluster.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_for(lambda: len(list(out.glob("part-*.json"))) >= 3 or process.poll() is not None)
    os.killpg(process.pid, signal.SIGKILL)  # the driver dies; its actors go with its job
    process.wait()
    written = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*")}
    assert 3 <= len(written) // 2 < 24
    done = subprocess.run(command, env=cluster.env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    assert all((out / name).stat().st_mtime_ns == mtime for name, mtime in written.items())  # not scored again
    assert joined(out) == expected


def test_a_node_that_cannot_run_the_sandbox_fails_the_run_in_one_line_naming_it(cluster, tmp_path):
    if shutil.which("bwrap") is None:
        pytest.skip("bubblewrap is not installed here (apt-get install bubblewrap): the driver could not check either")
    data = write_rows(tmp_path / "rows.jsonl", [{"completion": "```python\nprint(1)\n```", "tests": []}] * 4)
    spec = tmp_path / "code.yaml"
    spec.write_text("rewards: [code_pass_rate]\n")
    done = run(["score", str(spec), str(data), "--ray", cluster.address, "--actors", "2", "--rows-per-piece", "1"], cluster.env)
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("rewardkit score: error: node 127.0.0.1 (") and "bubblewrap" in last, done.stderr
