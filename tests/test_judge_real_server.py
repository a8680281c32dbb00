"""The judges end to end against a real OpenAI-compatible server: ``transformers serve`` running the
bundled SmolLM2-135M-Instruct on the CPU, through the Python API, ``rewardkit score`` and
``rewardkit serve``.

``transformers serve`` ignores ``logprobs``, ``top_logprobs`` and ``response_format`` (it says so in
its log), and SmolLM2-135M asked for a JSON reply writes prose (no reply of the default template
has a score): what makes it reply "Score: N" is a prompt it follows, a short template and three
example turns (``few_shot``; ``examples/judge_bundled_model.yaml``). So these tests assert that every reply is read as a score on the
scale, through the protocol: the calls made, the cache, ``rewardkit score`` and ``serve``. The
judgement itself is SmolLM2's and is not asserted. One server for the module, few and short
calls (the machines running the tests have two cores).
"""

from __future__ import annotations

import json

import pytest
import yaml

pytest.importorskip("openai")
pytest.importorskip("aiolimiter")
pytest.importorskip("fastapi")
pytest.importorskip("transformers")

from _servers import request, serve_command, transformers_serve  # noqa: E402
from rewardkit import get_reward  # noqa: E402

pytestmark = pytest.mark.slow
MAX_TOKENS = 12  # "Score: N", and a little room to go astray
RUBRIC_TEMPLATE = "Question: {{prompt}}\nAnswer: {{completion}}\nScore from {{low}} to {{high}}: {{criterion}}"


def shots(ask: str, good: int, bad: int) -> list[dict[str, str]]:
    """Three example turns in the format of the request, answered "Score: N" (``good`` or ``bad``)."""
    examples = [("What is the largest planet?", "Jupiter is the largest planet.", good),
                ("What is the largest planet?", "The largest planet is Mars.", bad),
                ("How many legs does a cat have?", "A cat has four legs.", good)]  # fmt: skip
    return [{"user": f"Question: {q}\nAnswer: {a}\n{ask}", "assistant": f"Score: {n}"} for q, a, n in examples]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """(base URL, model name) of ``transformers serve`` with the bundled model."""
    from rewardkit.trainers.default_model import ModelNotFoundError, resolve_model_path

    try:
        model = resolve_model_path(None)
    except ModelNotFoundError as exc:
        pytest.skip(str(exc))
    with transformers_serve(model, tmp_path_factory.mktemp("serve") / "transformers-serve.log") as url:
        yield url, str(model)


def test_judge_score_reads_a_score_from_every_reply_and_caches(server, repo):
    url, model = server
    (entry,) = yaml.safe_load((repo / "examples" / "judge_bundled_model.yaml").read_text())["rewards"]
    reward = get_reward("judge_score", **{**entry["params"], "base_url": url, "model": model, "concurrency": 2})
    completions = ["Paris is the capital of France.", "The capital of France is Berlin.", "Paris is the capital of France."]
    out = reward.evaluate(completions, ["What is the capital of France?"] * 3)
    assert out.metrics["calls"] == 2 and out.metrics["cache_hits"] == 1  # the repeated completion is one call
    assert out.metrics["prompt_tokens"] > 0 and out.metrics["completion_tokens"] > 0
    assert out.metrics["failures"] == 0 and out.metrics["unparsed"] == 0, out.extra.get("judge_reply")
    assert all(1 <= s <= 10 for s in out.extra["judge_score"])  # read from "Score: N", on the scale
    assert out.scores == [(s - 1) / 9 for s in out.extra["judge_score"]]
    again = reward.evaluate(completions, ["What is the capital of France?"] * 3)
    assert again.metrics["calls"] == 0 and again.metrics["cache_hits"] == 3 and again.scores == out.scores


def test_the_default_template_gets_no_score_from_smollm2_and_says_so(server):
    url, model = server  # what few_shot is for: without it, every reply is prose, counted as unparsed
    out = get_reward("judge_score", base_url=url, model=model, max_tokens=MAX_TOKENS).evaluate(["Red."], ["Name a colour."])
    assert out.scores == [None] and out.metrics["unparsed"] == 1 and out.extra["judge_error"] == ["no score in the reply"]


def judge_config(tmp_path, url: str, model: str) -> str:
    """The example composition, pointed at this server, with short replies, a disk cache, and the
    template and example turns SmolLM2 follows."""
    config = yaml.safe_load(open("examples/judge_helpfulness.yaml"))
    (entry,) = config["rewards"]
    entry["params"].update(
        base_url=url, model=model, max_tokens=MAX_TOKENS, criteria=entry["params"]["criteria"][:1],
        cache_path=str(tmp_path / "judge.sqlite"), template=RUBRIC_TEMPLATE,
        few_shot=shots("Score from 1 to 5: It answers the question that was asked, all of it.", 5, 1),
    )  # fmt: skip
    path = tmp_path / "judge.yaml"
    path.write_text(yaml.safe_dump(config))
    return str(path)


def test_rewardkit_score_writes_scores_and_each_criterion(server, tmp_path, repo, monkeypatch):
    from rewardkit.cli import main

    monkeypatch.chdir(repo)
    config = judge_config(tmp_path, *server)
    rows = [{"prompt": "Name a primary colour.", "completion": "Red."}, {"prompt": "2 + 2?", "completion": "4"}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert main(["score", config, str(tmp_path / "in.jsonl"), "--out", str(tmp_path / "out.jsonl")]) == 0
    scored = [json.loads(line)["rewardkit"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    for record in scored:
        score, detail = record["components"]["helpfulness"], record["extra"]["helpfulness"]
        assert score is not None and 0 <= score <= 1 and detail["criterion/answers"] == score, detail


def test_rewardkit_serve_scores_with_a_judge(server, tmp_path, repo, monkeypatch):
    monkeypatch.chdir(repo)
    config = judge_config(tmp_path, *server)
    with serve_command(config) as (url, _):
        status, body = request(f"{url}/score", {"completions": ["Blue.", "Blue."], "prompts": ["Name a colour."] * 2})
    assert status == 200
    scores, metrics = body["components"]["helpfulness"], body["metrics"]["helpfulness"]
    assert metrics["calls"] == 1 and metrics["cache_hits"] == 1 and metrics["failures"] == 0
    assert metrics["unparsed"] == 0 and scores[0] == scores[1] and 0 <= scores[0] <= 1
