"""The reasoning_gym reward through every path a reward takes: `rewardkit score`, `rewardkit serve`
(its /score and OpenRLHF's /get_reward), OpenRLHF's reward_func, and verl (in-process, and verl's
own reward managers in its virtual environment, with the metadata in extra_info).

Every path must give what the composition gives in-process, and that is what reasoning-gym's own
``score_answer`` gives (tests/test_reasoning_gym.py checks the latter).
"""

from __future__ import annotations

import json

import pytest

reasoning_gym = pytest.importorskip("reasoning_gym")

from rewardkit import load_composition  # noqa: E402
from rewardkit.cli import main  # noqa: E402
from rewardkit.integrations import openrlhf, verl  # noqa: E402
from rewardkit.plugins.reasoning_gym.rows import item_text, metadata_text  # noqa: E402
from test_verl import run_verl, verl_python  # noqa: E402,F401 - verl's environment and driver

FAMILIES = ("leg_counting", "arc_agi", "countdown", "word_sorting")
# The reasoning_gym preset with time limits no loaded machine reaches: these tests check numbers, not speed.
RELAXED = {"timeout": 600.0, "deadline": None}
COMPOSITION = {"extends": "reasoning_gym", "rewards": [{"name": "reasoning_gym", "params": RELAXED}]}
ITEM_COMPOSITION = {"rewards": [{"name": "reasoning_gym", "params": {"item_column": "item", **RELAXED}}]}


def items() -> list[dict]:
    found = []
    for name in FAMILIES:
        dataset = reasoning_gym.create_dataset(name, size=2, seed=11)
        found += [dataset[i] for i in range(2)]
    return found


def responses(batch: list[dict]) -> list[str]:
    """Right, wrong and missing answers, in turn."""
    kinds = [lambda a: f"<answer>{a}</answer>", lambda a: f"<answer>{a}9</answer>", lambda a: f"no tags: {a}"]
    return [kinds[i % 3](item["answer"]) for i, item in enumerate(batch)]


@pytest.fixture(scope="module")
def batch():
    found = items()
    return found, responses(found)


@pytest.fixture(scope="module")
def expected(batch):
    found, texts = batch
    return load_composition(COMPOSITION).score(
        texts, answer=[i["answer"] for i in found], metadata=[metadata_text(i["metadata"]) for i in found]
    )


def test_the_expected_scores_are_not_trivial(expected):
    scores = expected.components["reasoning_gym"]
    assert 1.0 in scores and any(s < 1.0 for s in scores)


def test_rewardkit_score_on_a_jsonl_file(batch, expected, tmp_path):
    found, texts = batch
    path = tmp_path / "rows.jsonl"
    rows = [{"completion": t, "answer": i["answer"], "metadata": metadata_text(i["metadata"])} for i, t in zip(found, texts)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "scored.jsonl"
    composition = tmp_path / "rewards.yaml"
    composition.write_text(json.dumps(COMPOSITION))
    assert main(["score", str(composition), str(path), "--out", str(out)]) == 0
    scored = [json.loads(line)["rewardkit"] for line in out.read_text().splitlines()]
    assert [r["total"] for r in scored] == expected.total
    assert [r["components"]["reasoning_gym"] for r in scored] == expected.components["reasoning_gym"]


def test_metadata_as_dicts_in_a_jsonl_file_scores_the_same(batch, expected, tmp_path):
    found, texts = batch
    path = tmp_path / "rows.jsonl"
    rows = [{"completion": t, "answer": i["answer"], "metadata": json.loads(metadata_text(i["metadata"]))} for i, t in zip(found, texts)]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    out = tmp_path / "scored.jsonl"
    composition = tmp_path / "rewards.yaml"
    composition.write_text(json.dumps(COMPOSITION))
    assert main(["score", str(composition), str(path), "--out", str(out)]) == 0
    assert [json.loads(line)["rewardkit"]["total"] for line in out.read_text().splitlines()] == expected.total


class TestServe:
    @pytest.fixture(scope="class")
    @classmethod
    def server(cls):
        pytest.importorskip("fastapi")
        from _servers import running

        from rewardkit.integrations.server import ServeSettings, create_app

        with running(create_app(load_composition(COMPOSITION), ServeSettings())) as url:
            yield url

    def test_score_over_http_gives_the_in_process_numbers(self, server, batch, expected):
        from _servers import request

        found, texts = batch
        body = {"completions": texts, "answer": [i["answer"] for i in found], "metadata": [metadata_text(i["metadata"]) for i in found]}
        status, reply = request(server + "/score", body)
        assert status == 200
        assert reply["total"] == expected.total and reply["components"] == expected.components

    def test_openrlhfs_get_reward_with_the_item_as_the_label(self, batch, expected):
        from _servers import request, running

        from rewardkit.integrations.server import ServeSettings, create_app

        found, texts = batch
        prompt = "<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n"
        body = {"query": [prompt + t + "<|im_end|>" for t in texts], "prompts": [prompt] * len(texts),
                "labels": [item_text(i) for i in found]}  # fmt: skip
        with running(create_app(load_composition(ITEM_COMPOSITION), ServeSettings())) as url:
            status, reply = request(url + "/get_reward", body)
        assert status == 200
        assert reply["rewards"] == expected.components["reasoning_gym"]


def test_openrlhfs_reward_func_with_the_item_as_the_label(batch, expected, tmp_path):
    found, texts = batch
    path = tmp_path / "rewards.yaml"
    path.write_text(json.dumps(ITEM_COMPOSITION))
    reward_func = openrlhf.make_reward_func(path)
    reply = reward_func(["Q " + t for t in texts], ["Q "] * len(texts), [item_text(i) for i in found])
    assert reply["rewards"] == expected.components["reasoning_gym"]


def test_verl_compute_score_with_the_metadata_in_extra_info(batch, expected):
    found, texts = batch
    rows = [
        verl.compute_score("reasoning_gym", t, i["answer"], {"metadata": metadata_text(i["metadata"]), "index": k},
                           composition=COMPOSITION)  # fmt: skip
        for k, (i, t) in enumerate(zip(found, texts))
    ]
    assert [r["score"] for r in rows] == expected.total
    assert [r["reasoning_gym"] for r in rows] == expected.components["reasoning_gym"]


def test_verls_own_reward_managers(batch, expected, verl_python, tmp_path):
    found, texts = batch
    kwargs = {"composition": COMPOSITION}
    spec = {
        "prompts": ["Q"] * len(texts),
        "responses": texts,
        "ground_truths": [i["answer"] for i in found],
        "data_sources": ["reasoning_gym"] * len(texts),
        "extra_infos": [{"metadata": metadata_text(i["metadata"])} for i in found],
        "runs": [
            {"manager": "reward_loop", "function": "compute_score", "reward_kwargs": kwargs},
            {"manager": "batch", "function": "compute_score_batch", "reward_kwargs": kwargs},
            {"manager": "reward_loop", "function": "compute_score_async", "reward_kwargs": kwargs},
        ],
    }
    out = run_verl(verl_python, spec, tmp_path)
    assert out["decoded"] == texts
    for run in out["runs"]:
        assert run["extra"]["reasoning_gym"] == expected.components["reasoning_gym"]
        assert run["extra"]["score"] == expected.total
