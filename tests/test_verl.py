"""verl's real reward managers, installed from PyPI, scoring with ``rewardkit.integrations.verl``.

verl pins transformers below what TRL needs, so it lives in its own virtual environment
(``.ci/verl-venv`` builds it; ``.ci/run`` does so before the tests, and this module builds it on
first use otherwise). tests/_verl_driver.py runs inside it: verl builds the managers and loads
the custom reward function from its config exactly as in training, on a hand-made batch.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from rewardkit import load_composition
from rewardkit.jsonl import read_jsonl

pytestmark = pytest.mark.verl  # builds .ci-venvs/verl on first use: deselect with -m "not verl"

REPO = Path(__file__).resolve().parents[1]
GSM8K = read_jsonl(REPO / "rewardkit" / "data" / "gsm8k" / "test.jsonl")


@pytest.fixture(scope="session")
def verl_python() -> Path:
    venv = Path(os.environ.get("REWARDKIT_VERL_VENV", REPO / ".ci-venvs" / "verl"))
    python = venv / "bin" / "python"
    if not python.exists():
        done = subprocess.run(
            ["bash", str(REPO / ".ci" / "verl-venv"), str(venv)], capture_output=True, text=True, timeout=1800
        )
        if done.returncode != 0:
            message = f"could not build verl's environment with .ci/verl-venv:\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    return python


def run_verl(python: Path, spec: dict, tmp: Path) -> dict:
    (tmp / "spec.json").write_text(json.dumps(spec))
    done = subprocess.run(
        [str(python), str(REPO / "tests" / "_verl_driver.py"), str(tmp / "spec.json"), str(tmp / "out.json")],
        capture_output=True, text=True, timeout=600, cwd=tmp,
        env={**os.environ, "PYTHONPATH": str(REPO / "tests")},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads((tmp / "out.json").read_text())


def batch() -> dict:
    """GSM8K responses in several formats (numeral fast path), LaTeX ones (the verifier pool), a row without gold."""
    prompts, responses, golds, sources = [], [], [], []
    for i, row in enumerate(GSM8K[:12]):
        n = int(row["answer"].rsplit("####", 1)[1].strip().replace(",", ""))
        prompts.append(row["question"])
        responses.append(
            [
                f"<reasoning>\nwork\n</reasoning>\n<answer>\n{n}\n</answer>\n",
                f"Some work.\n#### {n + 1}",
                f"The answer is $\\boxed{{{n:,}}}$.",
            ][i % 3]
        )
        golds.append(str(n))  # verl's gsm8k preprocessing keeps the number after ####
        sources.append("openai/gsm8k")
    for response, gold in [
        ("\\boxed{\\dfrac{14}{3}}", "\\frac{14}{3}"),
        ("\\boxed{\\left( 3, \\frac{\\pi}{2} \\right)}", "\\left( 3, \\frac{\\pi}{2} \\right)"),
        ("\\boxed{x^2 + 1}", "x^2+2"),
        ("\\boxed{5}", None),  # no gold: the composition gives None for math_correctness
    ]:
        prompts.append("Solve it.")
        responses.append(response)
        golds.append(gold)
        sources.append("HuggingFaceH4/MATH-500")
    extra = [{"index": i, "split": "test"} for i in range(len(responses))]
    return {"prompts": prompts, "responses": responses, "ground_truths": golds, "data_sources": sources, "extra_infos": extra}


GSM8K_KWARGS = {"composition": "gsm8k"}
MATH_ONLY = {"composition": {"rewards": [{"name": "math_correctness"}]}, "none_score": -1.0}  # inline, like a verl YAML
RUNS = [
    {"manager": "reward_loop", "function": "compute_score", "reward_kwargs": GSM8K_KWARGS},
    {"manager": "naive", "function": "compute_score", "reward_kwargs": GSM8K_KWARGS},
    {"manager": "batch", "function": "compute_score_batch", "reward_kwargs": GSM8K_KWARGS},
    {"manager": "reward_loop", "function": "compute_score", "reward_kwargs": MATH_ONLY},
    {"manager": "reward_loop", "function": "compute_score_async", "reward_kwargs": GSM8K_KWARGS},
]


@pytest.fixture(scope="module")
def verl_runs(verl_python, tmp_path_factory):
    spec = {**batch(), "runs": RUNS}
    return spec, run_verl(verl_python, spec, tmp_path_factory.mktemp("verl"))


def expected(spec: dict, composition_spec, none_score: float = 0.0) -> dict:
    scores = load_composition(composition_spec).score(spec["responses"], answer=spec["ground_truths"])
    fill = lambda values: [none_score if v is None else v for v in values]  # noqa: E731
    return {
        "score": fill(scores.total),
        **{name: fill(v) for name, v in scores.components.items()},
        "unscored": [1.0 if t is None else 0.0 for t in scores.total],
    }


def test_the_batch_reaches_the_reward_function_as_written(verl_runs):
    spec, out = verl_runs
    assert out["verl"] == "0.9.1"
    assert out["decoded"] == spec["responses"]


@pytest.mark.parametrize("index", range(3), ids=[f"{r['manager']}-{r['function']}" for r in RUNS[:3]])
def test_verl_managers_log_the_total_and_every_component(verl_runs, index):
    spec, out = verl_runs
    run, want = out["runs"][index], expected(spec, "gsm8k")
    assert run["extra"] == want  # what verl logs per sample: score, each component, unscored
    assert run["at_last_token"] == pytest.approx(want["score"], rel=1e-6)  # the reward sits on the last response token
    assert run["row_sums"] == pytest.approx(want["score"], rel=1e-6)  # and nowhere else
    assert want["math_correctness"][-1] == 0.0 and want["unscored"][-1] == 0.0  # the format rewards still scored it


def test_an_inline_composition_and_the_none_score(verl_runs):
    spec, out = verl_runs
    run, want = out["runs"][3], expected(spec, [{"name": "math_correctness"}], none_score=-1.0)
    assert run["extra"] == want
    assert want["unscored"][-1] == 1.0 and run["at_last_token"][-1] == -1.0
    assert want["score"][12:15] == [1.0, 1.0, 0.0]  # \dfrac and the tuple verified by sympy, x^2+1 wrong


def test_verls_reward_loop_awaits_compute_score_async_and_logs_the_same(verl_runs):
    spec, out = verl_runs
    awaited, plain = out["runs"][4], out["runs"][0]
    assert awaited["extra"] == plain["extra"] == expected(spec, "gsm8k")
    assert awaited["at_last_token"] == plain["at_last_token"]
