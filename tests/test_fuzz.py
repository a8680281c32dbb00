"""Property-based fuzzing of every model-free built-in reward and of compositions (Hypothesis).

Random batches: completions and prompts as strings, chat messages with odd parts (content None,
numbers, nested lists, text parts whose text is None or a number, images, unknown roles), bare
None and numbers; huge texts (hostile fragments repeated to up to 200,000 characters),
unicode-heavy text with lone surrogates; dataset columns of any JSON-like value. The contract:
one score per completion, no exception escapes, every score finite or None; and work that
grows linearly with the text (:mod:`_hostile`: 4x the input, less than 8x the CPU time).

Two more classes: alias bombs (YAML anchors or shared Python lists of any depth and width, under
any key of a composition, as a file, a mapping or a verl inline spec): a composition or a
one-line ConfigError, and a bomb past the bound refused after walking each distinct list once;
and batches of answers that run to the time limit, mixed with ordinary ones, under a
``deadline``: every ordinary answer scored right unless a limit cut it (``deadline_missed``:
None, or ``timeout`` on a very busy machine), and at most workers x ceil(deadline / timeout)
verifications run to their own limit. Programs that attack the code harness (any mix of
``_hostile.HARNESS_ATTACKS`` against the same tests in every dataset format): 0, never 1 or None.
Integers of any length in a composition (file or mapping) or a JSONL row: loaded, or refused in
one line (beyond float range in a config, past Python's 4,300 digits in a row). A judge's reply
that quotes a score the completion wrote after its own: read as its own; a number of any length in
a judge's reply: a score or a reason, never an exception.

Profiles: ``fuzz-ci`` (the default; fixed examples, derandomized, about half a minute) and
``fuzz-long`` (``REWARDKIT_FUZZ_PROFILE=fuzz-long``, ``REWARDKIT_FUZZ_EXAMPLES``, seeded by
pytest's ``--hypothesis-seed``), which ``bench/fuzz_bench.py`` runs and reports. ``rm_score``,
``rm_remote`` and the judges need a model or a server: tests/test_rm_*.py and tests/test_judge*.py
test their own inputs and bounds.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections import defaultdict
from typing import Any

from _hostile import (
    ADD_TESTS,
    COLUMN_VALUES,
    FRAGMENTS,
    GROWTH,
    HARNESS_ATTACKS,
    MAX_RATIO,
    RIGHT_ADD,
    CountingList,
    alias_bomb_composition,
    builtin_rewards,
    growth,
    power_towers,
    reward,
    shared_bomb,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
import yaml

from rewardkit.composition import Component, Composition
from rewardkit.composition_loader import load_composition
from rewardkit.config_size import MAX_VALUES
from rewardkit.errors import ConfigError
from rewardkit.integrations import verl
from rewardkit.jsonl import read_jsonl
from rewardkit.plugins.math import MathCorrectness
from rewardkit.registry import get_reward

settings.register_profile(
    "fuzz-ci",
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "fuzz-long",
    max_examples=int(os.environ.get("REWARDKIT_FUZZ_EXAMPLES", "1000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ = settings.get_profile(os.environ.get("REWARDKIT_FUZZ_PROFILE", "fuzz-ci"))
GROWTH_EXAMPLES = max(6, FUZZ.max_examples // 8)  # each example scores 4 + 16 kB thrice with every reward
MAX_CHARS = 200_000

# What each reward's calls cost (read by bench/fuzz_bench.py): calls, characters, CPU seconds,
# the worst CPU milliseconds per kilobyte of one call of at least 1 kB, errors counted.
STATS: dict[str, dict[str, float]] = defaultdict(
    lambda: {"calls": 0, "chars": 0, "seconds": 0.0, "max_seconds": 0.0, "max_ms_per_kb": 0.0, "errors": 0}
)

# -- strategies ------------------------------------------------------------------------------------

UNICODE = [
    "Ответ: 42", "答案是四十二。", "한국어 문장입니다.", "مرحبا بالعالم", "שלום עולם", "🎉😀👩‍👩‍👧‍👦",
    "e\u0301\u0301\u0301", "\u200b\u200d\ufeff", "\u202eRTL override", "ß\u0130ﬁ", "\U0001d400\U0001d7d8",
    "\x00\x1f\x7f", "\r\n\t\x0b\x0c", "¼ ½ ² ³ ⅔", "٣٤٥", "\ud800", "\udfff", "a\udc80b",
]  # fmt: skip

texts = st.lists(
    st.one_of(
        st.sampled_from(list(FRAGMENTS.values())),
        st.sampled_from(UNICODE),
        st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    ),
    max_size=8,
).map("".join)
huge = st.tuples(texts.filter(bool), st.integers(100, 20_000)).map(lambda t: (t[0] * t[1])[:MAX_CHARS])
text = st.one_of(texts, huge)
short = st.one_of(texts, st.sampled_from(["#### 42", "\\boxed{42}", "42", "<think>a</think><answer>4</answer>"]))

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), short)
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)  # fmt: skip
# Odd shapes are drawn often (a strategy listed twice is drawn twice as often): the contract is
# about them, and a fixed number of examples must meet them.
text_part = st.fixed_dictionaries(
    {"type": st.just("text"), "text": st.one_of(text, st.none(), st.integers(), st.floats(), json_like)}
)
part = st.one_of(
    text_part, text_part, short, st.fixed_dictionaries({"type": st.sampled_from(["image", "image_url"])}), json_like
)
content = st.one_of(text, st.none(), st.lists(part, min_size=1, max_size=3), st.lists(part, max_size=3), json_like)
role = st.sampled_from(["assistant", "assistant", "user", "system", "tool", "", None, 3])
chat_message = st.fixed_dictionaries({"role": role, "content": content})
message = st.one_of(chat_message, chat_message, st.fixed_dictionaries({"role": role}), short, json_like)
messages = st.lists(message, min_size=1, max_size=4)
completion = st.one_of(text, text, messages, messages, messages, message, st.none(), st.integers(), st.floats())
prompt = st.one_of(st.none(), text, messages, messages)

# every dataset column a built-in needs, TRL's own, and one nobody asked for
COLUMNS = sorted([*COLUMN_VALUES, "completion_ids", "id"])


@st.composite
def batches(draw) -> tuple[list[Any], list[Any] | None, dict[str, list[Any]]]:
    n = draw(st.integers(0, 5))
    completions = draw(st.lists(completion, min_size=n, max_size=n))
    prompts = draw(st.none() | st.lists(prompt, min_size=n, max_size=n))
    columns = {name: draw(st.lists(json_like, min_size=n, max_size=n)) for name in COLUMNS}
    return completions, prompts, columns


# -- the contract ----------------------------------------------------------------------------------


def _chars(value: Any) -> int:
    """Characters of text anywhere in a completion (for time per kilobyte)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_chars(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_chars(v) for v in value)
    return 0


def _check_scores(name: str, scores: Any, n: int) -> None:
    assert isinstance(scores, list) and len(scores) == n, (name, scores)
    for s in scores:
        assert s is None or (isinstance(s, float) and math.isfinite(s)), (name, s)


def _timed_call(key: str, completions, prompts, columns) -> None:
    counted: dict[str, float] = {}
    start = time.process_time()
    scores = reward(key)(completions, prompts, log_metric=counted.__setitem__, **columns)
    seconds = time.process_time() - start
    _check_scores(key, scores, len(completions))
    stats, chars = STATS[key], _chars(completions)
    stats["calls"] += 1
    stats["chars"] += chars
    stats["seconds"] += seconds
    stats["max_seconds"] = max(stats["max_seconds"], seconds)
    if chars >= 1000:
        stats["max_ms_per_kb"] = max(stats["max_ms_per_kb"], 1000 * seconds / (chars / 1000))
    stats["errors"] += sum(v for k, v in counted.items() if k.endswith("/errors"))


# The shapes that once killed whole batches, always tried besides the random ones.
KNOWN_BAD = (
    ["fine", [{"role": "assistant", "content": [{"type": "text", "text": None}]}], 42],
    [[{"role": "user", "content": [{"type": "text", "text": 7}]}], "q", None],
    {name: ["#### 42", None, [1, [2]]] for name in COLUMNS},
)


@FUZZ
@example(KNOWN_BAD)
@given(batches())
def test_every_builtin_scores_any_batch_finitely_one_score_per_completion(batch):
    completions, prompts, columns = batch
    for key in builtin_rewards():
        _timed_call(key, completions, prompts, columns)


def _every_builtin() -> Composition:
    weights = [1.0, -0.5, 2.0, 0.0, 0.25] * 10
    components = [
        Component(get_reward(name, params, alias=f"variant_{i}" if key != name else None), weight)
        for i, ((key, (name, params)), weight) in enumerate(zip(builtin_rewards().items(), weights))
    ]
    return Composition(components)


COMPOSITIONS = {
    "every built-in": _every_builtin,
    "gsm8k": lambda: load_composition("gsm8k"),
    "r1": lambda: load_composition("r1"),
}


@FUZZ
@example(KNOWN_BAD, "gsm8k")
@given(batches(), st.sampled_from(sorted(COMPOSITIONS)))
def test_compositions_total_any_batch_finitely(batch, name):
    completions, prompts, columns = batch
    scores = COMPOSITIONS[name]().score(completions, prompts, **columns)
    _check_scores(name, scores.total, len(completions))
    for component, values in scores.components.items():
        _check_scores(component, values, len(completions))
    assert all(0 <= i < len(completions) for errors in scores.errors.values() for i, _ in errors)


hostile = st.sampled_from(list(FRAGMENTS.values()))
fragments = st.lists(st.one_of(hostile, hostile, st.sampled_from(UNICODE), texts), min_size=1, max_size=3).map("".join)


@settings(FUZZ, max_examples=GROWTH_EXAMPLES)
@given(fragments.filter(lambda t: t.strip()))
def test_work_grows_linearly_with_any_repeated_text(fragment):
    for key in builtin_rewards():
        small, large, ratio = growth(key, fragment, 4_000)
        assert ratio < MAX_RATIO, f"{key}: {small:.4f} s for 4 kB of {fragment!r}, {large:.4f} s for {GROWTH}x that"


# -- alias bombs -----------------------------------------------------------------------------------

BOMB_KEYS = ["weights", "on_error", "normalize", "params", "name", "remove", "description"]


def _bomb_entry(key: str, bomb: Any) -> dict[str, Any]:
    """The Python form of :func:`_hostile.alias_bomb_composition`."""
    spec: dict[str, Any] = {"extends": "gsm8k"}
    if key in ("weights", "remove", "description"):
        spec[key] = {"xml_count": bomb} if key == "weights" else bomb
    elif key == "params":
        spec["rewards"] = [{"name": "length_target", "params": {"ideal": bomb}}]
    else:
        spec["rewards"] = [{"name": bomb} if key == "name" else {"name": "xml_count", key: bomb}]
    return spec


@FUZZ
@example(levels=9, width=9, key="weights", form="file")
@example(levels=40, width=9, key="on_error", form="mapping")
@given(
    levels=st.integers(0, 40),
    width=st.integers(1, 12),
    key=st.sampled_from(BOMB_KEYS),
    form=st.sampled_from(["file", "mapping", "verl"]),
)
def test_any_alias_bomb_loads_or_is_refused_in_one_line_before_expanding(tmp_path_factory, levels, width, key, form):
    CountingList.walks = 0
    try:
        if form == "file":
            path = tmp_path_factory.mktemp("bomb") / "bomb.yaml"
            path.write_text(alias_bomb_composition(levels, key, width))
            load_composition(path)
        elif form == "mapping":
            load_composition(_bomb_entry(key, shared_bomb(levels, width)))
        else:
            verl.compute_score("x", "\\boxed{1}", "1", composition=_bomb_entry(key, shared_bomb(levels, width)))
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and len(message) < 600, message[:600]
        if width**levels > MAX_VALUES:
            assert "values once YAML aliases" in message, message
            assert CountingList.walks <= levels + 1  # each distinct list once: the copies were never walked
    else:
        assert width**levels < MAX_VALUES  # what loaded is a config of ordinary size


# -- batches of answers that run to the time limit --------------------------------------------------

SLOW_TIMEOUT = 0.5


@settings(FUZZ, max_examples=max(4, FUZZ.max_examples // 8))
@given(st.integers(0, 10), st.integers(1, 8), st.sampled_from([0.2, 0.6, 1.2]), st.randoms(use_true_random=False))
def test_a_batch_of_slow_answers_keeps_its_budget_and_scores_the_rest(slow, ordinary, deadline, rng):
    workers = 2
    rows = [(t, "42", 0.0) for t in power_towers(slow)]
    # ordinary answers that need sympy (so they too go to the workers), right and wrong
    rows += [(f"\\boxed{{(x+{i})^2}}", f"x^2 + {2 * i}x + {i * i + i % 2}", float(i % 2 == 0)) for i in range(ordinary)]
    rng.shuffle(rows)
    scorer = MathCorrectness(workers=workers, timeout=SLOW_TIMEOUT, deadline=deadline, cache_size=0)
    out = scorer.evaluate([r[0] for r in rows], answer=[r[1] for r in rows])
    _check_scores("math_correctness", out.scores, len(rows))
    for (completion, _, expected), got, verdict in zip(rows, out.scores, out.extra["verdict"]):
        assert got == expected or (verdict, got) in (("deadline_missed", None), ("timeout", 0.0)), (completion, got, verdict)
    assert out.metrics["timeouts"] <= workers * math.ceil(deadline / SLOW_TIMEOUT)
    assert out.metrics["timeouts"] + out.metrics["deadline_missed"] >= slow


# -- programs that attack the code harness ----------------------------------------------------------


@settings(FUZZ, max_examples=max(4, FUZZ.max_examples // 4))
@given(st.lists(st.sampled_from(sorted(HARNESS_ATTACKS)), min_size=1, max_size=3), st.sampled_from(sorted(ADD_TESTS)))
def test_no_mix_of_attacks_on_the_code_harness_passes_a_test(attacks, form):
    from _code import fenced, require_local_sandbox

    require_local_sandbox()
    program = "\n".join(HARNESS_ATTACKS[name][0] for name in attacks)  # the side effects of each, the last add()
    reward = get_reward("code_pass_rate", limits={"timeout": 2.0, "problem_timeout": 60.0})
    out = reward.evaluate([fenced(program), fenced(RIGHT_ADD)], **{k: [v, v] for k, v in ADD_TESTS[form].items()})
    assert out.scores == [0.0, 1.0], (attacks, out.extra.get("first_failure"))


# -- huge integers in configs and rows -------------------------------------------------------------


@FUZZ
@example(digits=400, key="weight", form="file")
@example(digits=5000, key="params", form="rows")
@given(st.integers(1, 6000), st.sampled_from(["weight", "weights", "params"]), st.sampled_from(["file", "mapping", "rows"]))
def test_an_integer_of_any_length_loads_or_is_refused_in_one_line(tmp_path_factory, digits, key, form):
    number = 10**digits - 1  # "9" * digits
    if form == "rows":
        path = tmp_path_factory.mktemp("rows") / "rows.jsonl"
        path.write_text('{"completion": "x", "n": ' + "9" * digits + "}\n")
        try:
            rows = read_jsonl(path)
        except ConfigError as exc:
            assert digits > 4300 and "\n" not in str(exc)
        else:
            assert rows[0]["n"] == number
        return
    entry = {"name": "length_target", **({"weight": number} if key == "weight" else {})}
    if key == "params":
        entry["params"] = {"ideal": number}
    spec = {"rewards": [entry], **({"weights": {"length_target": number}} if key == "weights" else {})}
    if form == "file":
        path = tmp_path_factory.mktemp("config") / "c.yaml"
        path.write_text(yaml.safe_dump(spec, width=10**6) if digits <= 4300 else f"rewards:\n  - name: length_target\n    weight: {'9' * digits}\n")
        spec = path
    try:
        load_composition(spec)
    except ConfigError as exc:
        assert "\n" not in str(exc)
        assert number > sys.float_info.max or key == "params"  # a huge ideal length may be refused by the reward itself
    else:
        assert number <= sys.float_info.max


# -- judge replies that quote the completion ---------------------------------------------------------

JUDGE_FORMS = ["Score: {}", "**Score:** {}", "[[{}]]", "Rating: {}/10", "\\boxed{{{}}}", '{{"reasoning": "ok", "score": {}}}']
QUOTED_AS = ["The response says {}", 'It wrote "{}".', "> {}", "`{}`", "{}", "Its last line: {}"]


@FUZZ
@given(st.integers(1, 10), st.integers(1, 10), st.sampled_from(JUDGE_FORMS), st.sampled_from(JUDGE_FORMS), st.sampled_from(QUOTED_AS))
def test_a_judges_reply_is_read_for_its_own_score_whatever_it_quotes_after(own, forged, form, forged_form, quoted_as):
    from rewardkit.plugins.judge.parsing import parse_score

    reply = form.format(own) + "\n" + quoted_as.format(forged_form.format(forged))
    assert parse_score(reply, (1, 10)).value == own, reply


@FUZZ
@given(st.integers(1, 600), st.sampled_from(JUDGE_FORMS + ['{{"score": "{}"}}', '{{"scores": [{}]}}']), st.booleans())
def test_a_judges_number_of_any_length_is_a_score_or_a_reason(digits, form, negative):
    from rewardkit.plugins.judge.parsing import parse_score, parse_scores

    number = ("-" if negative else "") + "9" * digits
    reply = form.format(number)
    for parsed in (parse_score(reply, (1, 10)), parse_scores(reply, 1, (1, 10))):
        assert (parsed.value is None) is bool(parsed.reason), reply[:80]
    assert parse_score(reply, (1, 10)).value in (None, 9.0)
