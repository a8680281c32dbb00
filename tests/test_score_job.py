"""`rewardkit score` over large inputs: row sources (JSONL, Parquet, folders, globs, saved datasets),
pieces and parts, resuming, keep rules, best-of-n and pass rates, progress (rewardkit.scoring_job,
rewardkit.row_sources)."""

import json
import os
import random

import pytest

from rewardkit.cli import main
from rewardkit.errors import ConfigError
from rewardkit.jsonl import read_jsonl
from rewardkit.row_sources import open_source, read_piece


def gsm8k_rows(n, seed=0):
    """Completions of `n` prompts' worth of GSM8K-style answers, 4 per prompt, some right."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        gold = rng.randint(1, 500)
        answer = gold if rng.random() < 0.5 else gold + rng.randint(1, 9)
        completion = (
            f"<reasoning>\nwork\n</reasoning>\n<answer>\n{answer}\n</answer>\n" if rng.random() < 0.5 else f"It is {answer}."
        )
        rows.append({"prompt": f"q{i // 4}", "pid": i // 4, "completion": completion, "answer": str(gold), "i": i})
    return rows


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def scored(path):
    return [row["rewardkit"] for row in read_jsonl(path)]


# -- sources --------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_pieces_of_a_jsonl_file_hold_every_row_once_in_order(tmp_path, size):
    text = '{"completion": "a"}\r\n\n{"completion": "b"}\n{"completion": "c"}\n\n\n{"completion": "d"}'  # no final line end
    path = tmp_path / "rows.jsonl"
    path.write_text(text)
    source = open_source(path, size)
    read = [read_piece(p) for p in source.pieces]
    assert [row["completion"] for r in read for row in r.rows] == ["a", "b", "c", "d"]
    assert [n for r in read for n in r.numbers] == [1, 3, 4, 7]  # line numbers, for messages
    assert source.rows >= 4 and [p.number for p in source.pieces] == list(range(len(source.pieces)))


def test_a_folder_a_glob_parquet_and_a_saved_dataset_give_the_same_rows(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    datasets = pytest.importorskip("datasets")
    rows = gsm8k_rows(30)
    shards = tmp_path / "shards"
    shards.mkdir()
    for k in range(3):  # written out of order: input order is the sorted names
        write_jsonl(shards / f"part-{2 - k}.jsonl", rows[(2 - k) * 10 : (3 - k) * 10])
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet", row_group_size=4)
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "saved"))
    for spec in (shards, f"{shards}/part-*.jsonl", tmp_path / "rows.parquet", tmp_path / "saved"):
        source = open_source(spec, 7)
        assert [row for p in source.pieces for row in read_piece(p).rows] == rows, spec
    assert open_source(tmp_path / "rows.parquet", 7).columns == tuple(rows[0])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.jsonl", "no such file"),
        (lambda d: d / "nothing-*.jsonl", "no file matches"),
        (lambda d: (d / "x.csv").write_text("a,b\n") and d / "x.csv", "unknown kind of file"),
        (lambda d: (d / "e").mkdir() or d / "e", "no .jsonl, .parquet or .arrow files"),
    ],
)
def test_what_is_not_a_source_is_one_clear_error(tmp_path, make, message):
    with pytest.raises(ConfigError, match=message):
        open_source(make(tmp_path))


def test_a_dataset_dict_is_refused_naming_its_splits(tmp_path):
    datasets = pytest.importorskip("datasets")
    datasets.DatasetDict({"train": datasets.Dataset.from_list(gsm8k_rows(4))}).save_to_disk(str(tmp_path / "dd"))
    with pytest.raises(ConfigError, match="/dd/train"):
        open_source(tmp_path / "dd")


# -- pieces score as one file does ---------------------------------------------------------------


def test_scores_and_summary_do_not_depend_on_how_the_input_is_cut(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(120))
    outputs = []
    for size in (1000, 7):
        out = tmp_path / f"out-{size}.jsonl"
        assert main(["score", "gsm8k", str(data), "--out", str(out), "--rows-per-piece", str(size), "--batch-size", "7"]) == 0
        outputs.append((out.read_text(), capsys.readouterr().out))
    assert outputs[0] == (outputs[1][0], outputs[1][1].replace("out-7", "out-1000"))
    assert not (tmp_path / "out-7.jsonl.parts").exists()  # the parts are removed once joined


def test_parquet_in_parquet_out_keeps_the_columns_and_adds_the_same_scores(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    rows = gsm8k_rows(40)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "rows.parquet", row_group_size=8)
    write_jsonl(tmp_path / "rows.jsonl", rows)
    assert main(["score", "gsm8k", str(tmp_path / "rows.parquet"), "--out", str(tmp_path / "o.parquet"), "--rows-per-piece", "16"]) == 0
    assert main(["score", "gsm8k", str(tmp_path / "rows.jsonl"), "--out", str(tmp_path / "o.jsonl"), "--rows-per-piece", "16"]) == 0
    table = pq.read_table(tmp_path / "o.parquet")
    assert table.schema.names == [*rows[0], "rewardkit"] and table.schema.field("pid").type == pa.int64()
    assert [json.loads(s) for s in table.column("rewardkit").to_pylist()] == scored(tmp_path / "o.jsonl")
    assert table.drop_columns(["rewardkit"]).to_pylist() == rows


def test_parquet_output_from_jsonl_is_refused_before_scoring(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(4))
    assert main(["score", "gsm8k", str(data), "--out", str(tmp_path / "o.parquet")]) == 2
    assert "Parquet output needs Parquet or Arrow input" in capsys.readouterr().err


# -- parts, resuming, failures --------------------------------------------------------------------


def test_a_rerun_scores_only_the_pieces_without_a_result_and_gives_the_same_output(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(50))
    one_go = tmp_path / "one.jsonl"
    assert main(["score", "gsm8k", str(data), "--out", str(one_go), "--rows-per-piece", "10"]) == 0
    parts = tmp_path / "parts"
    argv = ["score", "gsm8k", str(data), "--out", f"{parts}/", "--rows-per-piece", "10"]
    assert main(argv) == 0
    assert sorted(p.name for p in parts.iterdir()) == ["manifest.json"] + [f"part-{i:06d}.{s}" for i in range(5) for s in ("json", "jsonl")]
    # an interruption: piece 3 was being written (its result missing, a temporary file left)
    (parts / "part-000003.json").unlink()
    (parts / ".part-000003.jsonl.abc.tmp").write_text("half a row")
    before = {p.name: p.stat().st_mtime_ns for p in parts.iterdir() if p.name != "part-000003.jsonl"}
    capsys.readouterr()
    assert main(argv) == 0
    after = {p.name: p.stat().st_mtime_ns for p in parts.iterdir()}
    assert [n for n in before if n in after and after[n] != before[n]] == []  # only piece 3 was rewritten
    assert "part-000003.json" in after and ".part-000003.jsonl.abc.tmp" not in after
    joined = "".join((parts / f"part-{i:06d}.jsonl").read_text() for i in range(5))
    assert joined == one_go.read_text()


def test_a_folder_holding_another_jobs_parts_is_refused(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(8))
    assert main(["score", "gsm8k", str(data), "--out", f"{tmp_path}/parts/"]) == 0
    assert main(["score", "length", str(data), "--out", f"{tmp_path}/parts/"]) == 2
    assert "holds the parts of another job (its composition differ" in capsys.readouterr().err


def test_a_bad_line_fails_its_piece_only_and_nothing_is_joined(tmp_path, capsys):
    rows = gsm8k_rows(30)
    lines = [json.dumps(r) for r in rows]
    lines[14] = '{"completion": "oops'
    data = tmp_path / "d.jsonl"
    data.write_text("\n".join(lines) + "\n")
    out = tmp_path / "o.jsonl"
    assert main(["score", "gsm8k", str(data), "--out", str(out), "--rows-per-piece", "10"]) == 2
    err = capsys.readouterr().err
    assert "d.jsonl:15: invalid JSON" in err and "2 of 3 pieces scored" in err and not out.exists()
    lines[14] = json.dumps(rows[14])
    data.write_text("\n".join(lines) + "\n")  # fixed: another input, so --out FILE starts afresh
    assert main(["score", "gsm8k", str(data), "--out", str(out), "--rows-per-piece", "10"]) == 0
    assert [r["i"] for r in read_jsonl(out)] == list(range(30))


def test_a_piece_missing_a_column_a_reward_needs_names_its_lines(tmp_path, capsys):
    rows = [{"completion": "4", "solution": "4"}] * 3 + [{"completion": "4"}] * 3
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    spec = tmp_path / "r.yaml"
    spec.write_text("rewards: [{name: math_correctness, params: {gold_column: solution}}]\n")
    assert main(["score", str(spec), str(data), "--rows-per-piece", "3"]) == 2
    err = capsys.readouterr().err
    assert "d.jsonl lines 4-6: reward 'math_correctness' needs the dataset column 'solution'" in err


# -- keep rules, best-of-n, pass rates ------------------------------------------------------------


def test_keep_best_of_and_pass_rates_match_what_the_full_scores_say(tmp_path, capsys):
    rows = gsm8k_rows(80, seed=3)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    everything = tmp_path / "all.jsonl"
    assert main(["score", "gsm8k", str(data), "--out", str(everything)]) == 0
    records = scored(everything)
    chosen = tmp_path / "best.jsonl"
    rates = tmp_path / "rates.jsonl"
    argv = ["score", "gsm8k", str(data), "--out", str(chosen), "--keep", "math_correctness == 2 and total >= 2",
            "--best-of", "1", "--group-key", "pid", "--pass-rates", str(rates), "--rows-per-piece", "6"]  # fmt: skip
    capsys.readouterr()
    assert main(argv) == 0
    passing = [i for i, r in enumerate(records) if r["components"]["math_correctness"] == 2 and r["total"] >= 2]
    best = {}
    for i in passing:  # the highest total of each prompt, the first one on a tie
        if rows[i]["pid"] not in best or records[i]["total"] > records[best[rows[i]["pid"]]]["total"]:
            best[rows[i]["pid"]] = i
    assert [r["i"] for r in read_jsonl(chosen)] == sorted(best.values())
    expected_rates = [
        {"group": pid, "completions": 4, "passed": sum(1 for i in passing if rows[i]["pid"] == pid),
         "pass_rate": sum(1 for i in passing if rows[i]["pid"] == pid) / 4}
        for pid in range(20)
    ]  # fmt: skip
    assert read_jsonl(rates) == expected_rates
    printed = capsys.readouterr().out
    assert f"kept {len(passing)} of 80 rows" in printed and f"wrote {len(best)} rows" in printed


def test_best_of_into_a_folder_writes_the_chosen_rows_beside_the_parts(tmp_path):
    rows = gsm8k_rows(24, seed=4)
    data = write_jsonl(tmp_path / "d.jsonl", rows)
    argv = ["score", "gsm8k", str(data), "--out", f"{tmp_path}/parts/", "--best-of", "2", "--group-key", "pid", "--rows-per-piece", "5"]
    assert main(argv) == 0
    assert main([*argv[:4], str(tmp_path / "o.jsonl"), *argv[5:]]) == 0
    best = "".join(p.read_text() for p in sorted((tmp_path / "parts" / "best").iterdir()))
    assert best == (tmp_path / "o.jsonl").read_text() and len(best.splitlines()) == 12
    assert main(argv) == 0  # done already: the chosen rows are written again, the same
    assert "".join(p.read_text() for p in sorted((tmp_path / "parts" / "best").iterdir())) == best


def test_rules_are_checked_before_anything_is_scored(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(4))
    assert main(["score", "gsm8k", str(data), "--keep", "__import__('os')"]) == 2
    assert main(["score", "gsm8k", str(data), "--best-of", "0"]) == 2
    assert main(["score", "gsm8k", str(data), "--pass-rates", str(tmp_path / "r.jsonl")]) == 2
    printed = capsys.readouterr()
    assert printed.out == "" and "--pass-rates needs --keep" in printed.err


def test_progress_reports_rows_per_second_and_time_left(tmp_path, capsys):
    data = write_jsonl(tmp_path / "d.jsonl", gsm8k_rows(30))
    assert main(["score", "gsm8k", str(data), "--rows-per-piece", "10", "--progress", "1e-9"]) == 0
    lines = [l for l in capsys.readouterr().err.splitlines() if l.startswith("scored ")]
    assert len(lines) == 3 and "of 30 (33.3%)" in lines[0] and "rows/s" in lines[0] and "left" in lines[0]
