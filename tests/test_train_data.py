"""Dataset loaders for every format, the bundled samples, and prompt building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.errors import ConfigError

datasets = pytest.importorskip("datasets")
pytest.importorskip("trl")

from rewardkit.trainers.train_config import load_config  # noqa: E402
from rewardkit.trainers.data import (  # noqa: E402
    build_prompt,
    dataset_for,
    eval_source,
    load_rows,
    prepare,
    question_text,
)

ROWS = [
    {"question": "What is 2+2?", "answer": "#### 4"},
    {"question": "What is 3+3?", "answer": "#### 6"},
    {"question": "What is 5+5?", "answer": "#### 10"},
]


def check(ds):
    assert len(ds) == 3
    assert ds[0]["question"] == "What is 2+2?" and ds[2]["answer"] == "#### 10"


def test_jsonl(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n\n")
    check(load_rows(str(path)))


def test_json_array(tmp_path):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(ROWS))
    check(load_rows(str(path)))


def test_csv(tmp_path):
    path = tmp_path / "d.csv"
    datasets.Dataset.from_list(ROWS).to_csv(str(path), index=False)
    check(load_rows(str(path)))


def test_parquet(tmp_path):
    path = tmp_path / "d.parquet"
    datasets.Dataset.from_list(ROWS).to_parquet(str(path))
    check(load_rows(str(path)))


def test_save_to_disk_dataset(tmp_path):
    datasets.Dataset.from_list(ROWS).save_to_disk(str(tmp_path / "ds"))
    check(load_rows(str(tmp_path / "ds")))


def test_save_to_disk_dataset_dict_picks_the_split(tmp_path):
    dd = datasets.DatasetDict(
        {"train": datasets.Dataset.from_list(ROWS), "test": datasets.Dataset.from_list(ROWS[:1])}
    )
    dd.save_to_disk(str(tmp_path / "dd"))
    check(load_rows(str(tmp_path / "dd"), split="train"))
    assert len(load_rows(str(tmp_path / "dd"), split="test")) == 1
    with pytest.raises(ConfigError, match="no split 'validation'; splits: train, test"):
        load_rows(str(tmp_path / "dd"), split="validation")


def test_explicit_format_overrides_the_extension(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("\n".join(json.dumps(r) for r in ROWS))
    with pytest.raises(ConfigError, match="cannot tell the format"):
        load_rows(str(path))
    check(load_rows(str(path), fmt="jsonl"))


def test_relative_paths_resolve_against_base_dir(tmp_path):
    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    check(load_rows("d.jsonl", base_dir=tmp_path))


def test_missing_file_names_the_bundled_samples(tmp_path):
    with pytest.raises(ConfigError, match=r"no such file or directory \(bundled samples: gsm8k, scitldr\)"):
        load_rows(str(tmp_path / "missing.jsonl"))


def test_a_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(ConfigError, match=r"d.jsonl:2: invalid JSON"):
        load_rows(str(path))
    path.write_text("[1, 2]\n")
    with pytest.raises(ConfigError, match="row 1 is not a JSON object"):
        load_rows(str(path))


def test_a_directory_that_is_not_a_saved_dataset_is_a_config_error(tmp_path):
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match="not a directory written by save_to_disk"):
        load_rows(str(tmp_path / "plain"))


def test_bundled_gsm8k_sample_has_train_and_test_with_gold_answers():
    train, test = load_rows("gsm8k", split="train"), load_rows("gsm8k", split="test")
    assert len(train) == 500 and len(test) == 200
    assert train.column_names == ["question", "answer"]
    assert train[0]["question"].startswith("Natalia sold clips") and "#### 72" in train[0]["answer"]
    with pytest.raises(ConfigError, match="has no split 'dev'; splits: train, test"):
        load_rows("gsm8k", split="dev")


def test_bundled_samples_are_byte_identical_prefixes_of_the_shared_data(shared_data):
    folder = Path(__file__).resolve().parents[1] / "rewardkit" / "data"
    pairs = [
        ("gsm8k/train.jsonl", "gsm8k/train.jsonl"),
        ("gsm8k/test.jsonl", "gsm8k/test.jsonl"),
        ("scitldr/train.jsonl", "scitldr/train_first1000.jsonl"),
    ]
    for ours, theirs in pairs:
        mine = (folder / ours).read_bytes()
        assert (shared_data / theirs).read_bytes().startswith(mine), ours
    for sample in ("gsm8k", "scitldr"):
        assert (folder / sample / "LICENSE").is_file() and (folder / sample / "NOTICE").is_file()


def test_bundled_scitldr_abstracts_join_into_text():
    rows = load_rows("scitldr")
    assert len(rows) == 200
    text = question_text(rows[0]["source"])
    assert isinstance(rows[0]["source"], list) and text.startswith(rows[0]["source"][0].strip() + " ")


def config(**prompt):
    return load_config({"prompt": prompt} if prompt else {})


def test_chat_prompt_has_system_few_shot_turns_and_the_question():
    cfg = config(system="Be brief.", examples=[{"question": "1+1?", "answer": "<answer>2</answer>"}])
    assert build_prompt(ROWS[0], cfg.prompt) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "1+1?"},
        {"role": "assistant", "content": "<answer>2</answer>"},
        {"role": "user", "content": "What is 2+2?"},
    ]


def test_chat_prompt_without_system_is_just_the_question():
    assert build_prompt(ROWS[0], config().prompt) == [{"role": "user", "content": "What is 2+2?"}]


def test_plain_prompt_fills_the_format_with_system_examples_question_and_columns():
    cfg = config(
        system="Solve it.",
        template="plain",
        plain_format="{system}\n{examples}Q: {question}\nA:",
        examples=[{"question": "Q: 1+1?", "answer": "A: 2"}],
    )
    assert build_prompt(ROWS[0], cfg.prompt) == "Solve it.\nQ: 1+1?\nA: 2\n\nQ: What is 2+2?\nA:"
    cfg = config(template="plain", plain_format="{question} ({answer})")
    assert build_prompt(ROWS[0], cfg.prompt) == "What is 2+2? (#### 4)"
    with pytest.raises(ConfigError, match="names 'nope' which is not a dataset column"):
        build_prompt(ROWS[0], config(template="plain", plain_format="{nope}").prompt)


def test_prepare_adds_the_prompt_column_and_keeps_the_reward_columns():
    ds = prepare(datasets.Dataset.from_list(ROWS), config(system="S"), ["answer"])
    assert ds.column_names == ["question", "answer", "prompt"]
    assert ds[1]["prompt"][-1] == {"role": "user", "content": "What is 3+3?"}


def test_prepare_replaces_an_existing_prompt_column():
    rows = [{"prompt": "raw text", "x": 1}]
    ds = prepare(datasets.Dataset.from_list(rows), config(question_column="prompt", template="plain",
                                                          plain_format="Q: {question}"))
    assert ds[0]["prompt"] == "Q: raw text"


def test_prepare_names_missing_question_and_reward_columns():
    ds = datasets.Dataset.from_list(ROWS)
    with pytest.raises(ConfigError, match="question_column 'problem' is not a dataset column"):
        prepare(ds, config(question_column="problem"))
    with pytest.raises(ConfigError, match="the rewards need dataset column.* gold"):
        prepare(ds, config(), ["answer", "gold"])


def test_limit_and_shuffle_use_the_runs_seed():
    ds = datasets.Dataset.from_list([{"question": str(i)} for i in range(50)])
    first = prepare(ds, load_config({"dataset": {"limit": 5}}))
    assert first["question"] == ["0", "1", "2", "3", "4"]
    a = prepare(ds, load_config({"dataset": {"limit": 5, "shuffle": True}, "seed": 3}))
    b = prepare(ds, load_config({"dataset": {"limit": 5, "shuffle": True}, "seed": 3}))
    assert a["question"] == b["question"] != first["question"]


def test_evaluation_uses_the_test_split_when_there_is_one(tmp_path):
    assert eval_source(load_config(None)) == ("gsm8k", "test")
    assert eval_source(load_config({"dataset": {"path": "scitldr"}})) == ("scitldr", "train")
    assert eval_source(load_config({"dataset": {"eval_split": "train"}})) == ("gsm8k", "train")
    assert len(dataset_for(load_config(None), evaluation=True)) == 200
    (tmp_path / "e.jsonl").write_text(json.dumps(ROWS[0]))
    cfg = load_config({"dataset": {"eval_path": str(tmp_path / "e.jsonl")}})
    assert len(dataset_for(cfg, evaluation=True)) == 1
