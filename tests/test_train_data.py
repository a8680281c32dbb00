"""Dataset loaders for every format, the bundled samples, and prompt building."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rewardkit.errors import ConfigError

datasets = pytest.importorskip("datasets")
pytest.importorskip("trl")

from rewardkit.trainers.policy.config import load_config  # noqa: E402
from rewardkit.trainers.policy.data import (  # noqa: E402
    build_prompt,
    dataset_for,
    eval_source,
    load_rows,
    prepare,
    prompt_plan,
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
    with pytest.raises(ConfigError, match=r"no such file or directory \(bundled samples: gsm8k, scitldr, ifeval, tool_use\)"):
        load_rows(str(tmp_path / "missing.jsonl"))


def test_a_bad_jsonl_line_is_named(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n{not json\n")
    with pytest.raises(ConfigError, match=r"d.jsonl:2: invalid JSON"):
        load_rows(str(path))
    path.write_text("[1, 2]\n")
    with pytest.raises(ConfigError, match="row 1 is not a JSON object"):
        load_rows(str(path))


def test_a_directory_that_is_not_a_dataset_is_a_config_error(tmp_path):
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("not data")
    with pytest.raises(ConfigError, match="not a datasets directory .*save_to_disk.*data files"):
        load_rows(str(tmp_path / "plain"))


def test_a_folder_of_data_files_loads_by_split_as_a_hub_dataset_is_laid_out(tmp_path):
    folder = tmp_path / "hub-dataset" / "data"
    folder.mkdir(parents=True)
    datasets.Dataset.from_list(ROWS).to_parquet(str(folder / "train-00000-of-00001.parquet"))
    datasets.Dataset.from_list(ROWS[:1]).to_parquet(str(folder / "test-00000-of-00001.parquet"))
    check(load_rows(str(tmp_path / "hub-dataset"), split="train"))
    assert load_rows(str(tmp_path / "hub-dataset"), split="test")["question"] == ["What is 2+2?"]
    jsonl = tmp_path / "jsonl-dataset"
    jsonl.mkdir()
    (jsonl / "train.jsonl").write_text("\n".join(json.dumps(r) for r in ROWS))
    check(load_rows(str(jsonl)))
    with pytest.raises(ConfigError, match="has no split 'validation'; splits: train"):
        load_rows(str(jsonl), split="validation")


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
    ds = prepare(datasets.Dataset.from_list(ROWS), config(system="S"), ["answer"]).rows
    assert ds.column_names == ["question", "answer", "prompt"]
    assert ds[1]["prompt"][-1] == {"role": "user", "content": "What is 3+3?"}


def test_prepare_replaces_an_existing_prompt_column():
    rows = [{"prompt": "raw text", "x": 1}]
    ds = prepare(datasets.Dataset.from_list(rows), config(question_column="prompt", template="plain",
                                                          plain_format="Q: {question}")).rows
    assert ds[0]["prompt"] == "Q: raw text"


def test_prepare_names_missing_question_and_reward_columns():
    ds = datasets.Dataset.from_list(ROWS)
    with pytest.raises(ConfigError, match="question_column 'problem' is not a dataset column"):
        prepare(ds, config(question_column="problem"))
    with pytest.raises(ConfigError, match="the rewards need dataset column.* gold"):
        prepare(ds, config(), ["answer", "gold"])


def test_limit_and_shuffle_use_the_runs_seed():
    ds = datasets.Dataset.from_list([{"question": str(i)} for i in range(50)])
    first = prepare(ds, load_config({"dataset": {"limit": 5}})).rows
    assert first["question"] == ["0", "1", "2", "3", "4"]
    a = prepare(ds, load_config({"dataset": {"limit": 5, "shuffle": True}, "seed": 3})).rows
    b = prepare(ds, load_config({"dataset": {"limit": 5, "shuffle": True}, "seed": 3})).rows
    assert a["question"] == b["question"] != first["question"]


def test_evaluation_uses_the_test_split_when_there_is_one(tmp_path):
    assert eval_source(load_config(None)) == ("gsm8k", "test")
    assert eval_source(load_config({"dataset": {"path": "scitldr"}})) == ("scitldr", "train")
    assert eval_source(load_config({"dataset": {"eval_split": "train"}})) == ("gsm8k", "train")
    assert len(dataset_for(load_config(None), evaluation=True)) == 200
    (tmp_path / "e.jsonl").write_text(json.dumps(ROWS[0]))
    cfg = load_config({"dataset": {"eval_path": str(tmp_path / "e.jsonl")}})
    assert len(dataset_for(cfg, evaluation=True)) == 1


CHAT = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "What is 2+2?"},
]


def from_rows(rows):
    return datasets.Dataset.from_list(rows)


def test_a_prompt_column_of_text_is_used_as_it_is_and_the_other_columns_are_kept():
    rows = from_rows([{"prompt": "What is 2+2?", "answer": "4"}, {"prompt": "What is 3+3?", "answer": "6"}])
    ds = prepare(rows, config(), ["answer"]).rows
    assert ds["prompt"] == ["What is 2+2?", "What is 3+3?"] and ds["answer"] == ["4", "6"]


def test_conversational_prompts_stay_messages_and_take_no_system_prompt_from_the_config():
    cfg = config(system="Respond in XML.")
    ds, plan = prepare(from_rows([{"prompt": CHAT, "answer": "4"}]), cfg, ["answer"])
    assert ds[0]["prompt"] == CHAT
    assert plan.as_is and "not applied" in plan.describe(cfg.prompt)


def test_a_question_column_of_messages_gets_the_system_prompt_and_examples_around_the_conversation():
    spec = config(system="Be brief.", question_column="chat", examples=[{"question": "1+1?", "answer": "2"}]).prompt
    user_only = [{"role": "user", "content": "What is 2+2?"}]
    assert build_prompt({"chat": user_only}, spec) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "1+1?"},
        {"role": "assistant", "content": "2"},
        {"role": "user", "content": "What is 2+2?"},
    ]
    # the conversation's own system message is kept, and no second one is added
    assert build_prompt({"chat": CHAT}, spec) == [CHAT[0], {"role": "user", "content": "1+1?"},
                                                   {"role": "assistant", "content": "2"}, CHAT[1]]
    plain = config(question_column="chat", template="plain").prompt
    with pytest.raises(ConfigError, match="template 'plain' needs text, but column 'chat' holds chat messages"):
        build_prompt({"chat": CHAT}, plain)


def test_a_column_that_is_neither_text_nor_messages_is_named_instead_of_printed():
    with pytest.raises(ConfigError, match="column 'question' holds dict values"):
        build_prompt({"question": {"a": 1}}, config().prompt)
    with pytest.raises(ConfigError, match="'prompt' column holds int values"):
        prepare(from_rows([{"prompt": 3}]), config())


def test_preference_rows_train_on_their_prompts():
    explicit = [{"prompt": CHAT, "chosen": [{"role": "assistant", "content": "4"}],
                 "rejected": [{"role": "assistant", "content": "5"}]}]
    assert prepare(from_rows(explicit), config()).rows[0]["prompt"] == CHAT
    implicit = [{"chosen": [*CHAT, {"role": "assistant", "content": "4"}],
                 "rejected": [*CHAT, {"role": "assistant", "content": "5"}]}]
    assert prepare(from_rows(implicit), config()).rows[0]["prompt"] == CHAT
    hh = [{"chosen": "\n\nHuman: hi there\n\nAssistant: hello!", "rejected": "\n\nHuman: hi there\n\nAssistant: go away"},
          {"chosen": "same", "rejected": "same"}]
    ds, plan = prepare(from_rows(hh), config())
    assert len(ds) == 1 and ds[0]["prompt"] == [{"role": "user", "content": "hi there"}]
    assert plan.column is None and "share" in plan.describe(config().prompt)


def test_the_real_hh_rlhf_pairs_give_prompts_that_end_with_the_users_turn(shared_data):
    rows = load_rows(str(shared_data / "hh_rlhf_harmless_base" / "test_first2000.jsonl"))
    ds = prepare(rows, load_config({"dataset": {"limit": 50}})).rows
    assert len(ds) == 50
    assert all(p[-1]["role"] == "user" and p[-1]["content"] for p in ds["prompt"])


def test_prompt_columns_in_order_explicit_then_prompt_then_question_then_problem():
    spec = config().prompt
    assert prompt_plan(["question", "prompt"], spec).column == "prompt"
    assert prompt_plan(["problem", "solution"], spec).column == "problem"
    assert prompt_plan(["question", "prompt"], config(question_column="question").prompt).column == "question"
    with pytest.raises(ConfigError, match="no prompt column: none of prompt, question, problem .*columns: text"):
        prompt_plan(["text"], spec)


def test_math500_problems_become_chat_prompts(shared_data):
    rows = load_rows(str(shared_data / "math500" / "test.jsonl"))
    ds = prepare(rows, config(system="Think step by step.")).rows
    assert ds[0]["prompt"][0] == {"role": "system", "content": "Think step by step."}
    assert ds[0]["prompt"][1]["content"] == rows[0]["problem"]
