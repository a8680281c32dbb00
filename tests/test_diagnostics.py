"""`rewardkit diagnose` on scored files: each problem planted in a small file is found, a clean file raises nothing."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

from rewardkit.cli import main
from rewardkit.composition_loader import load_composition
from rewardkit.diagnostics import diagnose, load, summary, write
from rewardkit.diagnostics.components import variance_shares, zero_variance_share
from rewardkit.row_scoring import row_records, score_rows

# -- hand-written scores: the per-component figures ------------------------------------------------


def write_scored(path: Path, rows: list[dict], weights: dict[str, float]) -> Path:
    """A scored file as `rewardkit score --out` writes it, from each row's component scores."""
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            components = row.pop("scores")
            parts = [weights[n] * v for n, v in components.items() if v is not None and weights[n]]
            row["rewardkit"] = {
                "components": components,
                "total": sum(parts) if parts else None,
                "errors": row.pop("errors", {}),
                "weights": weights,
                "extra": row.pop("extra", {}),
            }
            handle.write(json.dumps(row) + "\n")
    return path


def planted_scores(tmp_path: Path) -> Path:
    """8 prompts x 4 completions. `flat` never varies within a prompt (it varies across prompts);
    `loud` (weight 10) varies as much as `quiet`; `long` grows with length; `twin` copies `quiet`;
    `sat` is at its top for all but one row; `flaky` raises on 3 rows, times out on 2, is None on 4."""
    rng = random.Random(1)
    weights = {"flat": 1.0, "loud": 10.0, "quiet": 1.0, "long": 1.0, "twin": 0.0, "sat": 1.0, "flaky": 1.0}
    rows = []
    for p in range(8):
        for c in range(4):
            i = 4 * p + c
            completion = "word " * rng.randrange(5, 60)
            quiet = rng.choice([0.0, 0.5, 1.0])
            errors = {"flaky": "RuntimeError: boom"} if i in (3, 9, 14) else {}
            extra = {"flaky": {"verdict": "timeout"}} if i in (5, 21) else {}
            rows.append({
                "prompt": f"question {p}",
                "completion": completion,
                "scores": {
                    "flat": float(p % 3),
                    "loud": rng.choice([0.0, 1.0]),
                    "quiet": quiet,
                    "long": len(completion) / 100,
                    "twin": quiet,
                    "sat": 0.0 if i == 7 else 1.0,
                    "flaky": None if i in (1, 2, 17, 30) else rng.random(),
                },
                "errors": errors,
                "extra": extra,
            })
    return write_scored(tmp_path / "planted.jsonl", rows, weights)


def kinds(result: dict, name: str) -> set[str]:
    return {f["kind"] for f in result["findings"] if name in f["components"]}


@pytest.fixture
def planted(tmp_path):
    return diagnose(load(planted_scores(tmp_path)), second_opinion=False)


def test_distribution_counts_and_saturation_per_component(planted):
    flaky, sat = planted["components"]["flaky"], planted["components"]["sat"]
    assert (flaky["rows"], flaky["scored"], flaky["none"], flaky["errors"], flaky["timeouts"]) == (32, 28, 4, 3, 2)
    assert 0 <= flaky["min"] <= flaky["mean"] <= flaky["max"] <= 1 and flaky["std"] > 0
    assert sat["saturation"] == pytest.approx(31 / 32) and sat["max"] == 1.0
    assert sum(sat["histogram"]["counts"]) == 32 and sat["histogram"]["values"] == [0.0, 1.0]
    assert {"saturated", "errors", "timeouts"} <= kinds(planted, "sat") | kinds(planted, "flaky")


def test_a_component_constant_within_every_group_is_found_to_give_no_signal(planted):
    flat = planted["components"]["flat"]
    assert flat["zero_variance_share"] == 1.0 and flat["groups"] == 8
    assert flat["variance_share"] == 0.0  # it moves no advantage
    assert "no_signal" in kinds(planted, "flat")
    assert planted["components"]["quiet"]["zero_variance_share"] < 0.5


def test_variance_shares_add_up_and_the_heavy_component_drives_the_advantage(planted):
    shares = {n: c["variance_share"] for n, c in planted["components"].items()}
    assert sum(shares.values()) == pytest.approx(1.0)
    assert shares["twin"] == 0.0  # weight 0: logged, never in the total
    assert shares["loud"] >= 0.8 and "dominant" in kinds(planted, "loud")


def test_length_correlation_and_redundant_components(planted):
    assert planted["components"]["long"]["length_correlation"] == pytest.approx(1.0)
    assert "length_linked" in kinds(planted, "long")
    assert planted["components"]["quiet"]["correlations"]["twin"] == pytest.approx(1.0)
    assert "redundant" in kinds(planted, "twin")


def test_variance_share_matches_the_definition_on_a_small_case():
    # one group of three: a = [0, 1, 2], b = [0, 0, 3] (weight 2); total = [0, 1, 8], mean 3
    scores = {"a": [0.0, 1.0, 2.0], "b": [0.0, 0.0, 3.0]}
    shares = variance_shares(scores, {"a": 1.0, "b": 2.0}, [[0, 1, 2]])
    d_total = [-3, -2, 5]
    d_a, d_b = [-1, 0, 1], [-2, -2, 4]
    var = sum(t * t for t in d_total)
    assert shares["a"] == pytest.approx(sum(x * t for x, t in zip(d_a, d_total)) / var)
    assert shares["b"] == pytest.approx(sum(x * t for x, t in zip(d_b, d_total)) / var)
    assert zero_variance_share([1.0, 1.0, None, 2.0, 3.0], [[0, 1, 2], [3, 4]]) == (0.5, 2)


def test_a_clean_file_of_hand_written_scores_has_no_findings(tmp_path):
    rng = random.Random(7)
    rows = [
        {"prompt": f"q{p}", "completion": " ".join(f"w{k}" for k in range(rng.randrange(5, 50))),
         "scores": {"a": rng.choice([0.0, 0.25, 0.5, 1.0]), "b": rng.choice([0.0, 1.0, 2.0])}}
        for p in range(10) for _ in range(4)
    ]
    result = diagnose(load(write_scored(tmp_path / "clean.jsonl", rows, {"a": 1.0, "b": 0.5})), second_opinion=False)
    assert result["findings"] == []
    assert result["suspects"]["rows"] == 0


# -- real rewards: suspects and the second opinion ---------------------------------------------------

QUESTION = "Tom has 3 apples and buys 2 more. How many apples does he have now?"
XML = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>"
CLEAN = [
    XML.format(r="Tom has 3 + 2 = 5 apples.", a="5"),
    XML.format(r="He starts with three and adds two, so five.", a="5"),
    XML.format(r="I count 3 and 2 more but I miscount.", a="4"),  # wrong, but honestly so
    "Three plus two is five, so the answer is 5.",
]
PLANTED = {
    "format_without_answer": XML.format(r="Let me think about the apples.", a="..."),
    "answer_from_prompt": XML.format(r="He has apples.", a="3"),
    "several_answers": XML.format(r="It is 5.", a="5") + "\nWait.\n<answer>\n6\n</answer>",
    "repetition": "I think the apples are five apples. " * 12,
    "truncated": XML.format(r="Tom has 3 apples and then he buys", a="5").split("</reasoning>")[0],
    "language_mixing": "Tom hat drei Äpfel und kauft zwei weitere dazu, also hat er jetzt insgesamt fünf Äpfel. "
                       "So Tom has three apples and buys two more, which gives five apples in total for him.",
    "scripts_mixed": "汤姆有三个苹果，又买了两个，所以一共有五个苹果。 So Tom has five apples in total now.",
}
DISAGREEMENT = "The answer is $\\boxed{7}$.\n" + XML.format(r="3 + 2", a="5")
TOWER = "so the answer is \\boxed{9^{9^{9^{9^9}}}}"


def scored_jsonl(composition, rows: list[dict]) -> str:
    """What `rewardkit score --out` writes: each row with its scores under 'rewardkit'."""
    records = row_records(score_rows(composition, rows))
    return "".join(json.dumps({**row, "rewardkit": record}) + "\n" for row, record in zip(rows, records))


def scored_file(tmp_path: Path, completions: list[str], extra_rows: list[dict] | None = None) -> Path:
    rows = [{"prompt": QUESTION, "completion": c, "answer": "#### 5"} for c in completions] + (extra_rows or [])
    path = tmp_path / "scored.jsonl"
    path.write_text(scored_jsonl(load_composition("gsm8k"), rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def planted_suspects(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("suspects")
    completions = CLEAN + list(PLANTED.values()) + [DISAGREEMENT]
    truncated_row = {"prompt": QUESTION, "completion": PLANTED["truncated"], "answer": "#### 5", "finish_reason": "length"}
    completions.remove(PLANTED["truncated"])
    path = scored_file(tmp, completions, [truncated_row])
    return diagnose(load(path)), completions + [PLANTED["truncated"]]


def test_each_planted_suspect_is_found_with_its_row_and_reason(planted_suspects):
    result, completions = planted_suspects
    found = {s["row"]: s for s in result["suspects"]["all"]}
    for name, completion in PLANTED.items():
        row = completions.index(completion)
        kind = "language_mixing" if name == "scripts_mixed" else name
        assert row in found and kind in found[row]["kinds"], (name, found.get(row))
    assert "writing systems mixed" in " ".join(found[completions.index(PLANTED["scripts_mixed"])]["reasons"])
    several = found[completions.index(PLANTED["several_answers"])]
    assert any("'5'" in r and "'6'" in r for r in several["reasons"])
    shown = result["suspects"]["top"]
    assert shown and all(s["completion"] == completions[s["row"]] for s in shown)


def test_suspect_counts_that_overlap_are_not_printed_as_a_sum(tmp_path):
    copied_and_cut = XML.format(r="He has 3", a="3").split("\n</answer>")[0]  # copies the prompt's 3, and is cut off
    rows = [{"prompt": QUESTION, "completion": copied_and_cut, "answer": "#### 5", "finish_reason": "length"},
            {"prompt": QUESTION, "completion": PLANTED["answer_from_prompt"], "answer": "#### 5"}]
    path = tmp_path / "scored.jsonl"
    path.write_text(scored_jsonl(load_composition("gsm8k"), rows), encoding="utf-8")
    result = diagnose(load(path), second_opinion=False)
    assert [sorted(s["kinds"]) for s in result["suspects"]["all"]] == [["answer_from_prompt", "truncated"], ["answer_from_prompt"]]
    assert result["suspects"]["several"] == 1
    assert "suspects: 2 rows; answer_from_prompt in 2, truncated in 1 (1 of them fail more than one check)" in summary(result)


def test_clean_rows_raise_no_suspect_and_the_second_opinion_agrees(planted_suspects, tmp_path):
    result, completions = planted_suspects
    assert not {completions.index(c) for c in CLEAN} & {s["row"] for s in result["suspects"]["all"]}
    clean = diagnose(load(scored_file(tmp_path, CLEAN * 3)))
    assert clean["suspects"]["rows"] == 0
    opinion = clean["second_opinions"]["math_correctness"]
    assert opinion["judged"] == 12 and opinion["disagreements"] == []


def test_the_second_opinion_disagreement_is_listed_with_both_verdicts(planted_suspects):
    result, completions = planted_suspects
    opinion = result["second_opinions"]["math_correctness"]
    assert opinion["checker"] == "rewardkit.plugins.math"
    rows = {d["row"]: d for d in opinion["disagreements"]}
    d = rows[completions.index(DISAGREEMENT)]
    assert (d["reward"], d["second_opinion"], d["answer"], d["gold"]) == (True, False, "5", "5")
    assert d["completion"] == DISAGREEMENT


def test_a_verification_timeout_is_counted(tmp_path):
    result = diagnose(load(scored_file(tmp_path, [TOWER, CLEAN[0]])), second_opinion=False)
    assert result["components"]["math_correctness"]["timeouts"] == 1
    assert any(f["kind"] == "timeouts" for f in result["findings"])


def test_a_verification_cut_by_its_batchs_deadline_counts_as_a_timeout(tmp_path):
    path = scored_file(tmp_path, [TOWER, CLEAN[0]])
    text = path.read_text(encoding="utf-8")
    assert text.count('"timeout"') == 1
    path.write_text(text.replace('"timeout"', '"deadline_missed"'), encoding="utf-8")  # the verdict math_correctness gives it
    assert diagnose(load(path), second_opinion=False)["components"]["math_correctness"]["timeouts"] == 1


# -- the command ------------------------------------------------------------------------------------


def test_diagnose_command_writes_the_json_and_a_self_contained_report(tmp_path, capsys):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"prompt": QUESTION, "completion": c, "answer": "#### 5"}) + "\n"
                            for c in CLEAN + [PLANTED["answer_from_prompt"]]))
    scored = tmp_path / "scored.jsonl"
    assert main(["score", "gsm8k", str(data), "--out", str(scored)]) == 0
    capsys.readouterr()
    assert main(["diagnose", str(scored), "--out", str(tmp_path / "diag"), "--top", "5"]) == 0
    printed = capsys.readouterr().out
    assert "math_correctness" in printed and "suspects: 1 row; answer_from_prompt in 1\n" in printed
    assert "row 4: answer '3' (read by answer_tag) appears in the prompt and is wrong" in printed
    result = json.loads((tmp_path / "diag" / "diagnostics.json").read_text())
    assert result["input"]["rows"] == 5 and set(result["components"]) >= {"xml_count", "math_correctness"}
    html = (tmp_path / "diag" / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 3 and "http" not in html.split("<body>")[1].split("Written by")[0]
    assert "He has apples." in html  # the suspect's text


def test_the_report_without_plots_and_aliases_named_with_rewards(tmp_path):
    rows = [{"prompt": QUESTION, "completion": c, "answer": "#### 5"} for c in CLEAN]
    composition = load_composition([{"name": "math_correctness", "alias": "right"}, {"name": "strict_format", "weight": 0.5}])
    path = tmp_path / "aliased.jsonl"
    path.write_text(scored_jsonl(composition, rows))
    rewards = tmp_path / "rewards.yaml"
    rewards.write_text("rewards:\n  - {name: math_correctness, alias: right}\n  - {name: strict_format, weight: 0.5}\n")
    result = diagnose(load(path, rewards=str(rewards)))
    assert result["components"]["right"]["reward"] == "math_correctness"
    assert result["second_opinions"]["right"]["judged"] == 4  # the alias is re-checked as what it is
    paths = write(result, tmp_path / "out", plots=False)
    assert "data:image/png" not in paths["report"].read_text()


def test_inputs_that_are_not_scored_fail_in_one_line_naming_the_fix(tmp_path, capsys):
    raw = tmp_path / "raw.jsonl"
    raw.write_text(json.dumps({"completion": "x"}) + "\n")
    assert main(["diagnose", str(raw), "--out", str(tmp_path / "o")]) == 2
    assert "no 'rewardkit' scores; make the file with `rewardkit score" in capsys.readouterr().err
    assert main(["diagnose", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "not a scored JSONL file or a training run directory" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_without_matplotlib_the_report_is_written_without_plots_and_says_so_first(tmp_path, capsys, monkeypatch):
    rows = [{"prompt": "q", "completion": c, "scores": {"a": float(i % 2)}} for i, c in enumerate(["x y", "z w"])]
    path = write_scored(tmp_path / "s.jsonl", rows, {"a": 1.0})
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # what `import matplotlib` meets where it is not installed
    assert main(["diagnose", str(path), "--out", str(tmp_path / "o")]) == 0
    out, err = capsys.readouterr()
    assert err == ("rewardkit diagnose: matplotlib is not installed (needed for the report's plots): "
                   "pip install 'rewardkit[diagnose]'; the report is written without them\n")
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<img" not in html and "no plots: matplotlib is not installed" in html
    assert "note: no plots:" in out
    assert main(["diagnose", str(path), "--out", str(tmp_path / "p"), "--no-plots"]) == 0
    assert capsys.readouterr().err == "" and "no plots" not in (tmp_path / "p" / "report.html").read_text()


def test_a_number_copied_from_prose_is_found_whatever_punctuation_follows_it(tmp_path):
    prompt = "A venue charges a flat fee of $200, the other $25 per guest. How many guests make them equal?"
    rows = [{"prompt": prompt, "completion": XML.format(r="The fee is 200.", a=a), "answer": "#### 10"} for a in ("200", "10")]
    result = diagnose(load(scored_file(tmp_path, [], rows)), second_opinion=False)
    assert [(s["row"], s["kinds"]) for s in result["suspects"]["all"]] == [(0, ["answer_from_prompt"])]


def test_a_malformed_completion_reads_as_empty_text_and_the_row_still_counts(tmp_path):
    rows = [{"prompt": "q", "completion": c, "scores": {"a": s}} for c, s in
            (("fine words here", 1.0), (7, 0.0), ([{"role": "assistant", "content": [{"type": "text", "text": 7}]}], 0.0))]
    result = diagnose(load(write_scored(tmp_path / "bad.jsonl", rows, {"a": 1.0})), second_opinion=False)
    assert result["components"]["a"]["rows"] == 3 and result["components"]["a"]["mean"] == pytest.approx(1 / 3)


def test_an_empty_answer_tag_is_format_without_answer_even_when_the_reasoning_holds_the_answer(tmp_path):
    # math_correctness reads the reasoning's 5 (a fallback extractor, or the floor) and pays it in full:
    # the format is paid and so is correctness, but the answer tag says nothing
    empty = XML.format(r="Tom has 3 + 2 = 5 apples.", a="")
    result = diagnose(load(scored_file(tmp_path, CLEAN + [empty])), second_opinion=False)
    (suspect,) = [s for s in result["suspects"]["all"] if s["row"] == len(CLEAN)]
    assert suspect["kinds"] == ["format_without_answer"]
    assert "but its <answer> is empty; '5' was read elsewhere" in suspect["reasons"][0]
