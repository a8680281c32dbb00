"""The rewardkit command: list, check, score."""

import json
import os
import signal
import subprocess
import sys

import pytest

from rewardkit.cli import main


@pytest.fixture
def data(tmp_path):
    rows = [
        {"prompt": "2+2?", "completion": "<reasoning>\nadd\n</reasoning>\n<answer>\n4\n</answer>\n", "answer": "4", "id": "a"},
        {"prompt": [{"role": "user", "content": "3+3?"}], "completion": [{"role": "assistant", "content": "six"}], "id": "b"},
        {"completion": "", "id": "c", "nested": {"keep": [1, 2]}, "answer": "#### 6"},
    ]
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n\n")
    return path, rows


def test_list_shows_rewards_plugins_descriptions_and_parameters(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "xml_count  [rewardkit.plugins.format]" in out
    assert "per_tag: float (default 0.125)" in out
    assert "presets: " in out and "gsm8k" in out


def test_list_json(capsys):
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["rewards"]["length_target"]["params"]["ideal"]["default"] == 50
    assert data["rewards"]["length_target"]["plugin"] == "rewardkit.plugins.length"


def test_check_validates_and_reports_errors(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text("extends: gsm8k\nweights: {xml_count: 0}\n")
    assert main(["check", str(good)]) == 0
    assert "OK" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("rewards: [{name: nope}]\n")
    assert main(["check", str(bad)]) == 2
    assert "unknown reward 'nope'" in capsys.readouterr().err


def test_score_prints_rows_and_summary_and_keeps_every_input_row(data, tmp_path, capsys):
    path, rows = data
    out = tmp_path / "scored.jsonl"
    assert main(["score", "gsm8k", str(path), "--out", str(out), "--batch-size", "2"]) == 0
    printed = capsys.readouterr().out
    assert "component" in printed and "total" in printed and "errors" in printed
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert [{k: v for k, v in r.items() if k != "rewardkit"} for r in scored] == rows
    assert scored[0]["rewardkit"]["components"]["strict_format"] == 0.5
    # 4 x 0.125 xml_count + 0.5 soft + 0.5 strict + 0.5 int_answer + 2.0 math_correctness
    assert scored[0]["rewardkit"]["total"] == pytest.approx(4.0)
    assert scored[1]["rewardkit"]["components"]["math_correctness"] is None  # no gold answer
    assert scored[2]["rewardkit"]["total"] == 0.0


def test_score_reports_bad_json_with_its_line(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"completion": "a"}\n{oops\n')
    assert main(["score", "gsm8k", str(path)]) == 2
    assert "bad.jsonl:2: invalid JSON" in capsys.readouterr().err


def test_an_integer_too_long_to_read_in_a_row_is_one_line_naming_it(tmp_path, capsys):
    path = tmp_path / "rows.jsonl"
    path.write_text('{"completion": "a", "n": ' + "7" * 5000 + "}\n")  # Python reads at most 4,300 digits
    assert main(["score", "gsm8k", str(path)]) == 2
    assert capsys.readouterr().err == f"rewardkit score: error: {path}:1: invalid JSON: an integer of more than 4,300 digits\n"


def test_score_refuses_to_overwrite_an_input_key(tmp_path, capsys):
    path = tmp_path / "d.jsonl"
    path.write_text('{"completion": "a", "answer": "1", "rewardkit": 1}\n')
    assert main(["score", "gsm8k", str(path), "--out", str(tmp_path / "o.jsonl")]) == 2
    assert "--key" in capsys.readouterr().err


def test_a_batch_without_a_column_other_rows_have_scores_it_as_absent(data, tmp_path):
    path, rows = data
    out = tmp_path / "scored.jsonl"
    assert main(["score", "gsm8k", str(path), "--out", str(out), "--batch-size", "1"]) == 0
    scored = [json.loads(line)["rewardkit"] for line in out.read_text().splitlines()]
    assert scored[1]["components"]["math_correctness"] is None
    assert scored[0]["components"]["math_correctness"] == 2.0


# -- rows as they came, atomic output, one-line errors ----------------------------------------------

ODD_ROWS = [
    '{"completion": "a", "n": 1e400, "m": 1.0E+2, "d": 1, "d": 2}',
    '{ "completion" : "caf\\u00e9 \\/ \\ud800",\t"x": -0.0 }',
    '{"completion": "b", "prompt": [{"role": "user", "content": "q"}]}',
]


def test_score_writes_each_row_as_it_came_with_the_scores_spliced_in(tmp_path):
    path = tmp_path / "odd.jsonl"
    path.write_text("\r\n".join(ODD_ROWS) + "\n", encoding="utf-8")
    out = tmp_path / "scored.jsonl"
    assert main(["score", "length", str(path), "--out", str(out)]) == 0
    written = out.read_text(encoding="utf-8").split("\n")
    assert written[-1] == "" and len(written) == 4
    for original, line in zip(ODD_ROWS, written):
        assert line.startswith(original.rstrip()[:-1]), line  # every character before the closing brace
        assert json.loads(line)["rewardkit"]["components"]["length_target"] <= 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [("{}", '{"k": 1}'), (" { } ", ' { "k": 1}'), ('{"a": 1e400 }', '{"a": 1e400 , "k": 1}')],
)
def test_a_key_is_spliced_before_the_closing_brace(text, expected):
    from rewardkit.jsonl import with_key

    assert with_key(text, json.loads(text), "k", 1) == expected


def test_score_in_place_keeps_every_row_even_one_with_a_lone_surrogate(tmp_path):
    path = tmp_path / "rows.jsonl"
    rows = ['{"completion": "a"}', '{"completion": "\\ud800"}', '{"completion": "b"}']
    path.write_text("\n".join(rows) + "\n")
    assert main(["score", "length", str(path), "--out", str(path)]) == 0
    lines = path.read_text().splitlines()
    assert len(lines) == 3 and all(line.startswith(row[:-1]) for row, line in zip(rows, lines))
    assert [p.name for p in tmp_path.iterdir()] == ["rows.jsonl"]  # no temporary file left


def test_an_interrupted_write_leaves_the_target_as_it_was(tmp_path):
    from rewardkit.jsonl import atomic_output

    target = tmp_path / "out.jsonl"
    target.write_text("old\n")
    target.chmod(0o640)
    with pytest.raises(KeyboardInterrupt):
        with atomic_output(target) as handle:
            handle.write("new, half written\n")
            raise KeyboardInterrupt
    assert target.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]
    with atomic_output(target) as handle:
        handle.write("new\n")
    assert target.read_text() == "new\n" and oct(target.stat().st_mode & 0o777) == "0o640"


@pytest.mark.parametrize("where", ["directory", "missing folder"])
def test_an_unwritable_out_is_refused_in_one_line_before_scoring(data, tmp_path, capsys, where):
    path, _ = data
    out = tmp_path if where == "directory" else tmp_path / "nope" / "scored.jsonl"
    assert main(["score", "gsm8k", str(path), "--out", str(out)]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""  # nothing was scored
    assert printed.err.count("\n") == 1 and "cannot write" in printed.err


def test_non_utf8_input_is_one_line_naming_the_line(tmp_path, capsys):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"completion": "a"}\n{"completion": "b"}\n{"completion": "caf\xe9"}\n')
    assert main(["score", "length", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "latin1.jsonl:3: not UTF-8" in err


def test_ctrl_c_is_one_line_and_status_130(tmp_path, capsys, inline_reward):
    from rewardkit import Reward

    class Interrupts(Reward):
        name = "interrupts"
        description = "Ctrl-C while scoring"

        def score(self, sample):
            raise KeyboardInterrupt

    inline_reward(Interrupts)
    path = tmp_path / "d.jsonl"
    path.write_text('{"completion": "a"}\n')
    out = tmp_path / "o.jsonl"
    assert main(["score", str(_yaml(tmp_path, "rewards: [interrupts]")), str(path), "--out", str(out)]) == 130
    assert capsys.readouterr().err == "rewardkit score: interrupted\n" and not out.exists()


def test_ctrl_c_while_the_process_shuts_down_exits_quietly_with_130(tmp_path):
    """Ctrl-C after "wrote N rows": the command is done and Python is shutting down (joining
    threads, as concurrent.futures' pools do from threading._shutdown; closing worker pools).
    Python printed "Exception ignored in: <module 'threading'> ... KeyboardInterrupt". The
    stand-in, registered the way concurrent.futures registers its join, says when it runs."""
    path = tmp_path / "d.jsonl"
    path.write_text('{"completion": "a"}\n')
    code = (
        "import sys, threading, time\n"
        "from rewardkit.cli import main\n"
        "def joining():\n"
        "    print('shutting down', flush=True)\n"
        "    time.sleep(120)\n"
        "threading._register_atexit(joining)\n"
        "sys.exit(main())\n"
    )
    argv = ["score", "length", str(path), "--out", str(tmp_path / "o.jsonl")]
    process = subprocess.Popen(
        [sys.executable, "-c", code, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    lines = []
    for line in process.stdout:
        lines.append(line)
        if line == "shutting down\n":
            break
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert any(line.startswith("wrote 1 rows") for line in lines)
    assert process.returncode == 130 and err == ""


def _yaml(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text + "\n")
    return path


@pytest.mark.parametrize(
    "argv, suggestion",
    [
        (["train", "--learnig-rate", "1e-5"], "(did you mean --learning-rate?)"),
        (["train", "--reward-function", "accuracy", "length_target"], "(did you mean --rewards?)"),
        (["train", "--num_train_epochs", "1"], "(did you mean --epochs?)"),
        (["train", "--per_device_train_batch_size", "4"], "(did you mean --batch-size?)"),
        (["train", "--max_completion_length", "4"], "(did you mean --max-completion-length?)"),
        (["score", "gsm8k", "d.jsonl", "--batch_size", "3"], "(did you mean --batch-size?)"),
        (["eval", "--max-tokens", "3"], "(did you mean --max-new-tokens?)"),
    ],
)
def test_an_unknown_option_suggests_the_nearest_one_of_that_command(argv, suggestion, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"rewardkit {argv[0]}: error: unrecognized arguments: " in err
    assert err.rstrip().endswith(suggestion)
    assert f"usage: rewardkit {argv[0]}" in err


def test_several_unknown_options_each_get_their_suggestion_and_strangers_get_none(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--learnig-rate=1", "--num_generations", "2", "--zzz"])
    err = capsys.readouterr().err
    assert "(did you mean --learning-rate for --learnig-rate, --num-generations for --num_generations?)" in err
    with pytest.raises(SystemExit):
        main(["list", "--zzz"])
    assert capsys.readouterr().err.rstrip().endswith("unrecognized arguments: --zzz")


@pytest.mark.parametrize("command", [None, "list", "check", "score", "diagnose", "serve", "train", "eval", "rm-train"])
def test_help_is_written_for_users(command, capsys):
    with pytest.raises(SystemExit) as done:
        main(["--help"] if command is None else [command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert not [mark for mark in ("``", ":mod:", ":func:", ":class:", ":meth:", ":data:") if mark in text]
    description = text.split("\n\n")[1]  # after the usage
    assert len(description.split()) >= 8, description  # a description, not a bare title
    if command is not None:
        assert "example" in text or command == "list"


def test_list_and_check_name_the_columns_each_reward_reads(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "    columns: answer or solution (gold_column)" in out.split("math_correctness  [")[1].split("\n\n")[0]
    assert "columns: instruction_id_list (ids_column); kwargs (kwargs_column)" in out
    code = "columns: verification_info or input_output or test or test_list or tests (tests_column)"
    assert code in out.split("code_pass_rate  [")[1].split("\n\n")[0]
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["rewards"]
    assert data["math_correctness"]["columns"] == ["answer", "solution"]
    assert data["ifeval"]["columns"] == ["instruction_id_list", "kwargs"]
    assert data["code_pass_rate"]["columns"] == ["verification_info", "input_output", "test", "test_list", "tests"]
    assert data["cosine_scaled"]["columns"] == ["answer", "solution"]
    assert data["judge_verdict"]["columns"] == ["answer"]
    assert main(["check", "ifeval"]) == 0
    assert "columns: instruction_id_list (ids_column); kwargs (kwargs_column)" in capsys.readouterr().out


def test_list_marks_what_needs_an_extra_and_what_is_missing_here(capsys, monkeypatch):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "judge_score  [rewardkit.plugins.judge] (needs rewardkit[judge])\n" in out
    assert "rm_score  [rewardkit.plugins.reward_model] (needs rewardkit[train])" in out
    assert "lingua [rewardkit.plugins.language] (needs rewardkit[language])" in out
    assert "sandbox_fusion [rewardkit.plugins.code]," in out  # httpx is a core dependency
    assert "xml_count  [rewardkit.plugins.format]\n" in out
    monkeypatch.setitem(sys.modules, "openai", None)  # what `import openai` meets where it is not installed
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "judge_score  [rewardkit.plugins.judge] (needs rewardkit[judge]; NOT INSTALLED: pip install 'rewardkit[judge]')" in out
    assert main(["list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rewards"]["judge_score"]["needs"]["missing"] == ["openai"]


def test_a_reward_that_cannot_run_here_fails_when_the_composition_is_built(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "judged.yaml"
    spec.write_text("rewards: [xml_count, {name: judge_score, params: {model: m, base_url: 'http://127.0.0.1:9/v1'}}]\n")
    monkeypatch.setitem(sys.modules, "openai", None)
    assert main(["check", str(spec)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "openai is not installed (needed for reward 'judge_score'): pip install 'rewardkit[judge]'" in err
