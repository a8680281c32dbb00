"""The judges end to end against a real OpenAI-compatible server: ``transformers serve`` running the
bundled SmolLM2-135M-Instruct on the CPU, through the Python API, ``rewardkit score`` and
``rewardkit serve``.

SmolLM2 is a weak judge, so these tests assert the protocol, not the judgement: the calls made,
each reply read as a score on the scale or counted as unparsed (None, never 0), the cache. One
server for the module, few and short calls (the machines running the tests have two cores).
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
MAX_TOKENS = 24  # enough for '{"reasoning": ..., "score": N}' to start, or "Score: N"


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


def read_as_protocol_says(out, replies: int) -> None:
    """Each reply is a score in [0, 1] or None with its reason, and every None is counted."""
    assert out.metrics["failures"] == 0
    scored = [s for s in out.scores if s is not None]
    assert all(0.0 <= s <= 1.0 for s in scored)
    assert len(scored) + out.metrics["unparsed"] == replies
    for i, score in enumerate(out.scores):
        assert (score is None) == bool(out.extra.get("judge_error", [None] * len(out.scores))[i])


def test_judge_score_calls_reads_and_caches(server):
    url, model = server
    reward = get_reward("judge_score", base_url=url, model=model, max_tokens=MAX_TOKENS, concurrency=2)
    completions = ["Paris is the capital of France.", "The capital of France is Berlin.", "Paris is the capital of France."]
    out = reward.evaluate(completions, ["What is the capital of France?"] * 3)
    assert out.metrics["calls"] == 2 and out.metrics["cache_hits"] == 1  # the repeated completion is one call
    assert out.metrics["prompt_tokens"] > 0 and out.metrics["completion_tokens"] > 0
    assert all(isinstance(reply, str) and reply for reply in out.extra["judge_reply"])
    read_as_protocol_says(out, replies=3)
    again = reward.evaluate(completions, ["What is the capital of France?"] * 3)
    assert again.metrics["calls"] == 0 and again.metrics["cache_hits"] == 3 and again.scores == out.scores


def judge_config(tmp_path, url: str, model: str) -> str:
    """The example composition, pointed at this server, with short replies and a disk cache."""
    config = yaml.safe_load(open("examples/judge_helpfulness.yaml"))
    (entry,) = config["rewards"]
    entry["params"].update(
        base_url=url, model=model, max_tokens=MAX_TOKENS, criteria=entry["params"]["criteria"][:1],
        cache_path=str(tmp_path / "judge.sqlite"),
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
        assert (score is None and detail["judge_error"]) or (0 <= score <= 1 and detail["criterion/answers"] == score)


def test_rewardkit_serve_scores_with_a_judge(server, tmp_path, repo, monkeypatch):
    monkeypatch.chdir(repo)
    config = judge_config(tmp_path, *server)
    with serve_command(config) as (url, _):
        status, body = request(f"{url}/score", {"completions": ["Blue.", "Blue."], "prompts": ["Name a colour."] * 2})
    assert status == 200
    scores, metrics = body["components"]["helpfulness"], body["metrics"]["helpfulness"]
    assert metrics["calls"] == 1 and metrics["cache_hits"] == 1 and metrics["failures"] == 0
    assert scores[0] == scores[1] and (scores[0] is None) == (metrics["unparsed"] == 2)
