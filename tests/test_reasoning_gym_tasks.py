"""reasoning-gym tasks as training data (dataset.reasoning_gym) and the curriculum that follows the reward."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

reasoning_gym = pytest.importorskip("reasoning_gym")
pytest.importorskip("trl")

from reasoning_gym.factory import create_curriculum  # noqa: E402

from rewardkit.errors import ConfigError  # noqa: E402
from rewardkit.registry import get_reward  # noqa: E402
from rewardkit.trainers.policy.config import load_config  # noqa: E402
from rewardkit.trainers.policy.curriculum import Curriculum, decide  # noqa: E402
from rewardkit.trainers.policy.data import dataset_for, prepare  # noqa: E402
from rewardkit.trainers.policy.tasks import CurriculumSpec, TasksSpec, task_rows  # noqa: E402


RELAXED = {"timeout": 600.0, "deadline": None}  # verdicts, not speed, on a loaded machine


def spec(*tasks, **more) -> TasksSpec:
    return TasksSpec.model_validate({"tasks": [t if isinstance(t, dict) else {"name": t} for t in tasks], **more})


def plain(rows) -> list[dict]:
    return [dict(r) for r in rows]


def test_rows_are_the_same_for_the_same_seed_and_differ_for_another():
    two = spec("leg_counting", "basic_arithmetic", size=24)
    first, again, other = task_rows(two, 7), task_rows(two, 7), task_rows(two, 8)
    assert plain(first) == plain(again)
    assert plain(first) != plain(other)
    assert {r["task"] for r in first} == {"leg_counting", "basic_arithmetic"}


def test_a_shorter_set_is_the_start_of_a_longer_one_and_a_limit_takes_the_start():
    short, long = task_rows(spec("leg_counting", "chain_sum", size=10), 3), task_rows(spec("leg_counting", "chain_sum", size=30), 3)
    assert plain(short) == plain(long)[:10]
    assert plain(task_rows(spec("leg_counting", "chain_sum", size=30), 3, limit=5)) == plain(long)[:5]


def test_the_evaluation_split_is_seeded_apart():
    tasks = spec("basic_arithmetic", size=20, eval_size=20)
    train, test = task_rows(tasks, 1), task_rows(tasks, 1, evaluation=True)
    assert len(test) == 20 and not {r["question"] for r in train} & {r["question"] for r in test}


def test_weights_share_the_rows():
    rows = task_rows(spec({"name": "leg_counting", "weight": 3}, {"name": "chain_sum", "weight": 1}, size=200), 0)
    counts = {t: sum(1 for r in rows if r["task"] == t) for t in ("leg_counting", "chain_sum")}
    assert counts["leg_counting"] > 2 * counts["chain_sum"] > 0


def test_a_level_is_reasoning_gyms_curriculum_and_config_goes_on_top():
    rows = task_rows(spec({"name": "basic_arithmetic", "level": 2, "config": {"min_terms": 3}}, size=4), 0)
    curriculum = create_curriculum("basic_arithmetic")
    curriculum.set_global_level(2)
    level_two = curriculum.generate_configuration({})
    settings = json.loads(rows[0]["metadata"])["rewardkit_config"]
    assert settings["max_terms"] == level_two.max_terms and settings["max_digits"] == level_two.max_digits
    assert settings["min_terms"] == 3


def test_generated_rows_carry_what_the_reward_needs_to_score_them():
    """The settings a row was generated with travel in its metadata: its oracle answer scores 1.0, and
    decimal_arithmetic's tolerance is the row's (one decimal place here), not the default's."""
    places = {"min_num_decimal_places": 1, "max_num_decimal_places": 1}
    rows = task_rows(spec("leg_counting", {"name": "decimal_arithmetic", "config": places}, size=12), 5)
    reward = get_reward("reasoning_gym", RELAXED)
    oracle = [f"<answer>{r['answer']}</answer>" for r in rows]
    assert reward(oracle, answer=list(rows["answer"]), metadata=list(rows["metadata"])) == [1.0] * len(rows)
    decimal = [r for r in rows if r["task"] == "decimal_arithmetic"]
    near = [f"<answer>{float(r['answer']) + 0.05}</answer>" for r in decimal]
    assert reward(near, answer=[r["answer"] for r in decimal], metadata=[r["metadata"] for r in decimal]) == [1.0] * len(decimal)


@pytest.mark.parametrize(
    "tasks, message",
    [
        ([{"name": "leg_count"}], "did you mean leg_counting"),
        ([{"name": "game_of_life_halting"}], "allow_forgeable"),
        ([{"name": "gsm_symbolic", "level": 1}], "no curriculum"),
    ],
)
def test_a_task_that_cannot_be_used_is_a_config_error_naming_it(tasks, message):
    with pytest.raises(ConfigError, match=message):
        task_rows(spec(*tasks), 0)


def test_a_forgeable_task_can_be_allowed():
    rows = task_rows(spec({"name": "game_of_life_halting", "allow_forgeable": True}, size=2), 0)
    assert len(rows) == 2


@pytest.mark.parametrize(
    "section, message",
    [
        ({"path": "gsm8k", "reasoning_gym": {"tasks": [{"name": "leg_counting"}]}}, "either path"),
        ({"reasoning_gym": {"tasks": [{"name": "chain_sum"}, {"name": "chain_sum"}]}}, "listed twice"),
        ({"reasoning_gym": {"tasks": []}}, "tasks"),
        ({"reasoning_gym": {"tasks": [{"name": "chain_sum"}], "curriculum": {"raise_at": 0.2, "lower_at": 0.3}}}, "lower_at"),
        ({"reasoning_gym": {"tasks": [{"name": "chain_sum", "wieght": 2}]}}, "wieght"),
    ],
)
def test_the_config_section_is_checked_when_loaded(section, message):
    with pytest.raises(ConfigError, match=message):
        load_config({"dataset": section})


def test_a_train_config_builds_its_prompts_from_the_generated_questions():
    config = load_config({
        "dataset": {"reasoning_gym": {"tasks": [{"name": "leg_counting", "level": 0}], "size": 6}},
        "prompt": {"system": "Answer in <answer> tags."},
        "rewards": "reasoning_gym",
    })  # fmt: skip
    rows, plan = prepare(dataset_for(config), config, config.composition().required_columns())
    assert plan.column == "question" and len(rows) == 6
    assert rows[0]["prompt"][0] == {"role": "system", "content": "Answer in <answer> tags."}
    assert rows[0]["prompt"][-1]["content"] == rows[0]["question"]
    assert "leg_counting" in config.dataset.label()


def test_the_preset_and_its_bundled_run_load():
    from rewardkit.trainers.policy.config import load_run_config

    config = load_run_config("reasoning_gym")
    assert config.dataset.reasoning_gym is not None
    assert [c.reward.name for c in config.composition().components] == ["reasoning_gym", "tag_count"]


# -- the curriculum ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "accuracy, zero_share, step",
    [(0.9, 0.0, 1), (0.8, 1.0, 1), (0.05, 0.5, -1), (0.1, 1.0, -1), (0.6, 0.95, 1), (0.3, 0.95, -1), (0.5, 0.5, 0),
     (0.05, 0.2, 0), (0.0, 0.0, 0), (None, None, 0)],  # fmt: skip
)
def test_decide(accuracy, zero_share, step):
    assert decide(CurriculumSpec(), accuracy, zero_share)[0] == step


class Component:
    def __init__(self, name: str) -> None:
        self.__name__ = name


def feed(curriculum: Curriculum, task: str, scores_per_group: list[list[float]]) -> None:
    prompts, scores, tasks = [], [], []
    for g, scores_of_group in enumerate(scores_per_group):
        for s in scores_of_group:
            prompts.append(f"{task} prompt {g}")
            scores.append(s)
            tasks.append(task)
    curriculum.observe(Component("reasoning_gym"), scores, [""] * len(scores), prompts, {"task": tasks})


@pytest.fixture
def curriculum(tmp_path):
    tasks = spec({"name": "basic_arithmetic", "level": 1}, {"name": "chain_sum"}, size=16, curriculum={"window": 4})
    return Curriculum(tasks, 0, load_config({}).prompt, tmp_path)


def test_a_saturated_task_goes_up_and_one_where_nothing_passes_goes_down(curriculum, tmp_path):
    feed(curriculum, "basic_arithmetic", [[1.0, 1.0, 1.0, 1.0]] * 3)
    assert curriculum.generators.levels["basic_arithmetic"] == 1  # three groups: not a window yet
    feed(curriculum, "basic_arithmetic", [[1.0, 1.0, 1.0, 0.0]])
    assert curriculum.generators.levels["basic_arithmetic"] == 2
    feed(curriculum, "basic_arithmetic", [[0.0, 0.0, 0.0, 0.0]] * 4)
    assert curriculum.generators.levels["basic_arithmetic"] == 1
    feed(curriculum, "chain_sum", [[0.0, 0.0, 0.0, 0.0]] * 8)
    assert curriculum.generators.levels["chain_sum"] == 0  # already the lowest
    events = [json.loads(line) for line in (tmp_path / "curriculum.jsonl").read_text().splitlines()]
    assert [(e["task"], e["from"], e["to"]) for e in events] == [("basic_arithmetic", 1, 2), ("basic_arithmetic", 2, 1)]
    assert events[0]["accuracy"] == pytest.approx(15 / 16) and "raise_at" in events[0]["reason"]


def test_a_task_whose_failing_scores_still_vary_keeps_its_level(curriculum, tmp_path):
    """Partial credit (reasoning-gym scores a near miss between 0 and 1): nothing passes, but the
    groups have signal, so the level stays; once the scores stop varying, it goes down."""
    feed(curriculum, "basic_arithmetic", [[0.1, 0.3, 0.0, 0.2]] * 3 + [[0.0] * 4])
    assert curriculum.generators.levels["basic_arithmetic"] == 1
    feed(curriculum, "basic_arithmetic", [[0.0] * 4] * 3)
    assert curriculum.generators.levels["basic_arithmetic"] == 0
    event = json.loads((tmp_path / "curriculum.jsonl").read_text().splitlines()[-1])
    assert event["accuracy"] == 0.0 and event["zero_variance_share"] == 0.5 and "without signal" in event["reason"]


def test_groups_without_signal_do_not_send_a_task_back_where_its_accuracy_took_it_from(curriculum, tmp_path):
    """A policy sure of each item: half the groups all right, half all wrong, at any level."""
    feed(curriculum, "basic_arithmetic", [[0.0] * 4] * 4)  # nothing passes at level 1: down to 0
    sure = [[1.0] * 4, [0.0] * 4] * 2
    feed(curriculum, "basic_arithmetic", sure * 3)  # no signal at accuracy 0.5: not back up to 1
    assert curriculum.generators.levels["basic_arithmetic"] == 0
    feed(curriculum, "basic_arithmetic", [[1.0] * 4] * 4)  # saturated: up
    assert curriculum.generators.levels["basic_arithmetic"] == 1
    feed(curriculum, "basic_arithmetic", sure)  # the guess may go up from there
    assert curriculum.generators.levels["basic_arithmetic"] == 2
    events = [json.loads(line) for line in (tmp_path / "curriculum.jsonl").read_text().splitlines()]
    assert [(e["from"], e["to"]) for e in events] == [(1, 0), (0, 1), (1, 2)]


def test_other_components_are_not_followed(curriculum):
    prompts = ["p"] * 4
    for _ in range(8):
        curriculum.observe(Component("tag_count"), [1.0] * 4, [""] * 4, prompts, {"task": ["chain_sum"] * 4})
    assert curriculum.generators.levels["chain_sum"] == 0


def test_rows_read_after_a_change_are_generated_at_the_new_level(curriculum):
    rows = task_rows(curriculum.spec, 0)
    config = load_config({})
    prepared, _ = prepare(rows, config)
    followed = curriculum.follow(prepared)
    index = next(i for i in range(len(followed)) if followed[i]["task"] == "chain_sum")
    before = followed[index]
    feed(curriculum, "chain_sum", [[1.0] * 4] * 4)
    after = followed[index]
    assert curriculum.generators.levels["chain_sum"] == 1
    assert json.loads(after["metadata"])["source_index"] == json.loads(before["metadata"])["source_index"]
    assert json.loads(after["metadata"])["rewardkit_config"] != json.loads(before["metadata"]).get("rewardkit_config")
    assert after["prompt"][-1]["content"] == after["question"]
    reward = get_reward("reasoning_gym", RELAXED)
    assert reward([f"<answer>{after['answer']}</answer>"], answer=[after["answer"]], metadata=[after["metadata"]]) == [1.0]


def test_the_curriculum_follows_a_named_entry_of_the_composition():
    from rewardkit.composition_loader import load_composition
    from rewardkit.trainers.policy.trl_rewards import trl_rewards

    tasks = spec("chain_sum", curriculum={"reward": "nope"})
    with pytest.raises(ConfigError, match="not an entry"):
        Curriculum(tasks, 0, load_config({}).prompt).attach(trl_rewards(load_composition("reasoning_gym")))


# -- a real run ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from _tiny_models import tiny_model_dir

    return tiny_model_dir(tmp_path_factory.mktemp("tiny") / "model")


def test_a_training_run_moves_the_levels_logs_them_and_draws_them(tmp_path, model_dir):
    """pass_score 0: every completion passes, so each task's level rises with every window of groups."""
    from rewardkit.cli import build_parser

    config = {
        "model": str(model_dir),
        "dataset": {"reasoning_gym": {
            "tasks": [{"name": "basic_arithmetic", "level": 0}, {"name": "chain_sum", "level": 0}], "size": 16,
            "curriculum": {"window": 1, "pass_score": 0.0},
        }},  # fmt: skip
        "rewards": "reasoning_gym",
        "trainer": {"max_steps": 3, "learning_rate": 1e-2, "per_device_train_batch_size": 4, "num_generations": 2,
                    "max_completion_length": 8, "use_cpu": True},  # fmt: skip
        "output_dir": str(tmp_path / "out"),
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    args = build_parser().parse_args(["train", str(path)])
    assert args.run(args) == 0
    out = Path(tmp_path / "out")
    events = [json.loads(line) for line in (out / "curriculum.jsonl").read_text().splitlines()]
    assert events and all(e["to"] == e["from"] + 1 for e in events)
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    levels = [r["rewardkit/curriculum/chain_sum/level"] for r in records if "rewardkit/curriculum/chain_sum/level" in r]
    assert levels == sorted(levels) and levels[-1] >= 1
    report = json.loads((out / "diagnostics" / "diagnostics.json").read_text())
    assert report["training"]["curriculum"]["changes"]
    assert "Curriculum" in (out / "diagnostics" / "report.html").read_text()
