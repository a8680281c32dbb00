"""Several processes, one composition: a 2-process ``accelerate launch`` GRPO run on the CPU (gloo).

The stand-in for multi-GPU training that CI can run. The run's composition scores ``length``
and ``math_correctness`` in each rank, and ``remote_length`` through ``rm_remote`` on a
``rewardkit serve`` app in this test process, which records what every rank sent. So the test
sees each rank's own completions and can check that the per-component means TRL logs cover both
ranks, that local and remote scoring agree, and that nothing is left running afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
import yaml

pytest.importorskip("trl")
pytest.importorskip("fastapi")

from _servers import free_port, processes_left, running  # noqa: E402
from _tiny_models import tiny_model_dir  # noqa: E402

from rewardkit import Composition, Reward, get_reward  # noqa: E402
from rewardkit.composition import Component  # noqa: E402
from rewardkit.integrations.server import create_app  # noqa: E402

pytestmark = pytest.mark.slow
STEPS, PER_DEVICE, PROCESSES = 2, 4, 2
LENGTH = {"ideal": 8, "unit": "chars"}


class Recorder(Reward):
    """Records every batch the server scores (prompt, completion, gold); weight 0, so it scores nothing."""

    name = "recorder"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batches: list[list[tuple]] = []
        self.lock = threading.Lock()

    def score_batch(self, batch):
        with self.lock:
            self.batches.append([(s.prompt, s.completion, s.row.get("answer")) for s in batch.samples])
        return [None] * len(batch)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ddp")
    model = tiny_model_dir(tmp / "model")
    rows = [{"question": f"What is {i} + {i}?", "answer": f"#### {2 * i}"} for i in range(16)]
    (tmp / "train.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    recorder = Recorder()
    served = Composition([Component(get_reward("length_target", **LENGTH), 1.0), Component(recorder, 0.0)])
    marker = ("REWARDKIT_TEST_MARK", uuid.uuid4().hex)
    with running(create_app(served)) as url:
        config = {
            "model": str(model),
            "dataset": {"path": "train.jsonl"},
            "prompt": {"system": "Answer with a number.", "question_column": "question"},
            "rewards": [
                {"name": "length_target", "alias": "length", "params": LENGTH},
                {"name": "math_correctness"},
                {"name": "rm_remote", "alias": "remote_length", "weight": 0,
                 "params": {"url": url + "/rm_remote", "columns": ["answer"], "batch_size": 64, "timeout": 60}},
            ],
            "trainer": {"max_steps": STEPS, "learning_rate": 1e-2, "per_device_train_batch_size": PER_DEVICE,
                        "num_generations": 4, "max_completion_length": 12, "temperature": 1.0, "use_cpu": True},
            "output_dir": str(tmp / "out"),
            "seed": 0,
        }  # fmt: skip
        (tmp / "run.yaml").write_text(yaml.safe_dump(config))
        # On a machine without GPUs, --multi_gpu starts torchrun's processes and trainer.use_cpu makes
        # each one join a gloo process group (--cpu alone would start a single process).
        launch = [
            sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", str(PROCESSES),
            "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
            "--main_process_port", str(free_port()), "-m", "rewardkit.cli", "train", str(tmp / "run.yaml"),
        ]  # fmt: skip
        # The timeout only guards against a hang; the run takes well under a minute.
        done = subprocess.run(
            launch, cwd=tmp, capture_output=True, text=True, timeout=900, env={**os.environ, marker[0]: marker[1]}
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    metrics = [json.loads(line) for line in (tmp / "out" / "metrics.jsonl").read_text().splitlines()]
    return {"metrics": [m for m in metrics if "reward" in m], "batches": recorder.batches, "marker": "=".join(marker)}


def test_both_ranks_train_and_nothing_is_left_running(run):
    assert [m["step"] for m in run["metrics"]] == list(range(1, STEPS + 1))
    assert processes_left(run["marker"]) == []  # no rank, verifier worker or fork server outlives the run


def test_each_rank_scores_its_own_completions(run):
    batches = run["batches"]
    assert len(batches) == STEPS * PROCESSES  # one rm_remote request per rank per step
    assert all(len(b) == PER_DEVICE for b in batches)  # each rank's share of the global batch
    for step in range(STEPS):
        first, second = batches[2 * step : 2 * step + 2]
        assert {p for p, _, _ in first}.isdisjoint({p for p, _, _ in second})  # different prompts: different ranks


def test_per_component_means_are_gathered_over_every_rank(run):
    length = get_reward("length_target", **LENGTH)
    math = get_reward("math_correctness")
    for step, record in enumerate(run["metrics"]):
        rows = run["batches"][2 * step] + run["batches"][2 * step + 1]  # both ranks' completions of this step
        completions, golds = [c for _, c, _ in rows], [g for _, _, g in rows]
        assert record["rewards/length/mean"] == pytest.approx(sum(length(completions)) / len(rows))
        assert record["rewards/remote_length/mean"] == pytest.approx(record["rewards/length/mean"])
        assert record["rewards/math_correctness/mean"] == pytest.approx(sum(math(completions, answer=golds)) / len(rows))
        # rewardkit's own counters come through TRL's log_metric, which is not gathered: the main rank's share
        counted = sum(record[f"rewardkit/math_correctness/{k}"] for k in ("numeral", "no_answer", "sympy", "cache"))
        assert counted == PER_DEVICE
