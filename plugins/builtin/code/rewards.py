"""The code rewards: ``code_pass_rate``, ``code_passed`` (programs run against tests) and ``code_format``."""

from __future__ import annotations

import asyncio
import os
from typing import Any, Literal

from pydantic import Field

from rewardkit.errors import MissingColumnError, ParamsError, RewardkitError
from rewardkit.registry import registry_of
from rewardkit.reward import Batch, Reward, RewardParams, Sample, SlowRewardParams

from .blocks import extract_code, has_code_format
from .problems import TEST_COLUMNS, BadTests, Tests, read_tests
from .runner import PASSED, TIMEOUT
from .runs import shared_run
from .sandbox import DETAIL_CHARS, CodeRequest, CodeResult, Limits, SandboxError

PROBLEM_SLACK = 10.0  # seconds past problem_timeout before a backend that has not answered counts as failed


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


class CodeTestsParams(SlowRewardParams):
    concurrency: int = Field(
        default_factory=_cores, ge=1, description="problems run at once (default: the CPUs this process may use)"
    )
    language: Literal["python", "cpp"] = Field(
        "python", description="language of the programs (a row's verification_info language wins)"
    )
    block: Literal["last", "first"] = Field("last", description="which fenced block of the language is the program")
    untagged: bool = Field(False, description="a fenced block without a language tag counts as the language")
    tests_column: str | list[str] = Field(
        list(TEST_COLUMNS), min_length=1, description="column holding the tests; a list: the first of them the row has"
    )
    compare: Literal["lines", "tokens", "exact"] = Field(
        "lines", description="how stdout is compared with the expected output"
    )
    float_tolerance: float = Field(
        0.0, ge=0, description="numbers within this (absolute or relative) are equal; 0: exact"
    )
    limits: Limits = Field(default_factory=Limits, description="time, memory, process, file and output limits")
    sandbox: str = Field(
        "local", description="registered sandbox backend (local, unsafe_local, sandbox_fusion, piston)"
    )
    sandbox_options: dict[str, Any] = Field({}, description="the backend's options")
    no_code_score: float = Field(0.0, description="score of a completion without a fenced block of the language")


class CodeTests(Reward):
    """Base of the rewards that run the completion's program against the row's tests.

    The program is the ``block`` (last by default) fenced block tagged with the language. No
    such block: ``no_code_score`` (0.0), counted as ``no_code``. Tests that cannot be read (no
    test column, an unknown shape, a language or test kind the backend cannot run): None,
    counted as ``no_tests``. A backend that fails (a service down, a sandbox that cannot start):
    None, counted as ``sandbox_error``, never 0. Per sample the detail holds ``passed``,
    ``failed`` and ``timed_out`` (test counts), ``first_failure`` (the first failing test's
    input, expected and actual output, truncated), ``compile_error``, ``error`` (why a sample
    was not run), ``unchecked`` (tests whose verdict came from the program's own process, see
    :mod:`.checker`) and ``harness_attack`` (what the program tried against the harness).
    """

    Params = CodeTestsParams
    error_score = 0.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        p = self.params
        backend = registry_of(self).get("sandbox", p.sandbox)
        try:
            self.sandbox = backend(p.sandbox_options)
        except ParamsError as exc:
            raise ParamsError(f"reward '{self.__name__}': {exc}") from None

    def required_columns(self) -> tuple[str, ...]:
        column = self.params.tests_column
        return (column,) if isinstance(column, str) else ()  # a list: rows may use any one of them

    def secrets(self) -> tuple[str, ...]:
        """The key of a service backend (its ``api_key_env``), never shown in a sample's detail."""
        env = getattr(self.sandbox.options, "api_key_env", None)
        return (os.environ[env],) if env and os.environ.get(env) else ()

    def value(self, result: CodeResult) -> float:
        raise NotImplementedError

    async def score_batch(self, batch: Batch) -> list[float | None]:
        p = self.params
        columns = p.tests_column
        if batch.samples and not isinstance(columns, str) and not any(
            c in s.row for s in batch.samples for c in columns
        ):
            raise MissingColumnError(
                f"reward '{self.__name__}' needs the tests in one of the dataset columns {', '.join(columns)} "
                "(or name the column with tests_column)",
                column=columns[0],
            )
        for metric in ("no_code", "no_tests", "sandbox_error", "harness_attacks", "unchecked_tests"):
            batch.count(metric, 0)  # always reported, so a dashboard shows 0 rather than nothing
        async with self.sandbox.session(p.concurrency) as run:
            return await self.gather_scores(batch, lambda rows: self._score_sample(batch, rows, run))

    async def _score_sample(self, batch: Batch, rows: list[int], run) -> list[float | None]:
        (i,) = rows
        return [await self._score_one(batch, i, batch.samples[i], run)]

    async def _score_one(self, batch: Batch, i: int, sample: Sample, run) -> float | None:
        p = self.params
        try:
            tests = read_tests(sample.row, p.tests_column)
        except BadTests as exc:
            return self._unscored(batch, i, "no_tests", str(exc))
        language = tests.language or p.language
        code = extract_code(sample.completion, language, p.block, p.untagged)
        if code is None:
            batch.count("no_code")
            batch.note("error", i, f"no fenced {language} block")
            return p.no_code_score
        if not tests.cases:
            return self._unscored(batch, i, "no_tests", "the row has no test cases")
        if tests.kind != "stdio" and language != "python":
            return self._unscored(batch, i, "no_tests", f"{tests.kind} tests need Python programs, not {language}")
        request = self._request(code, language, tests)
        try:
            shared_result = shared_run(self.sandbox, request, run)
            result, shared = await asyncio.wait_for(shared_result, p.limits.problem_timeout + PROBLEM_SLACK)
        except (SandboxError, asyncio.TimeoutError) as exc:
            why = str(exc) or f"no answer within problem_timeout + {PROBLEM_SLACK:g} s"
            return self._unscored(batch, i, "sandbox_error", f"sandbox '{p.sandbox}': {why}")
        except RewardkitError:  # a configuration the sandbox cannot run with: one line that names the fix
            raise
        except Exception as exc:  # noqa: BLE001 - the backend failed, not the program: unscored, never 0
            return self._unscored(batch, i, "sandbox_error", f"sandbox '{p.sandbox}': {type(exc).__name__}: {exc}")
        batch.count("shared_runs", int(shared))
        self._report(batch, i, request, result)
        return self.value(result)

    def _request(self, code: str, language: str, tests: Tests) -> CodeRequest:
        p = self.params
        program = f"{tests.setup}\n{code}" if tests.setup else code
        return CodeRequest(
            code=program, language=language, kind=tests.kind, tests=tests.cases, fn_name=tests.fn_name,
            limits=p.limits, compare=p.compare, float_tolerance=p.float_tolerance, setup=tests.setup,
        )  # fmt: skip

    @staticmethod
    def _unscored(batch: Batch, i: int, metric: str, why: str) -> None:
        batch.count(metric)
        batch.note("error", i, why)
        return None

    @staticmethod
    def _report(batch: Batch, i: int, request: CodeRequest, result: CodeResult) -> None:
        passed, timed_out = result.count(PASSED), result.count(TIMEOUT)
        failed = len(result.outcomes) - passed
        batch.note("passed", i, passed)
        batch.note("failed", i, failed)
        batch.note("timed_out", i, timed_out)
        batch.count("tests_run", len(result.outcomes))
        batch.count("tests_passed", passed)
        batch.count("tests_timed_out", timed_out)
        unchecked = sum(1 for o in result.outcomes if o.unchecked)
        batch.count("unchecked_tests", unchecked)
        if unchecked:
            batch.note("unchecked", i, unchecked)
        attacks = sorted({a for o in result.outcomes for a in o.attacks})
        if attacks:
            batch.count("harness_attacks")
            batch.note("harness_attack", i, "; ".join(attacks))
        if result.compile_error is not None:
            batch.count("compile_error")
            batch.note("compile_error", i, result.compile_error[: DETAIL_CHARS * 4])
        first = next((k for k, o in enumerate(result.outcomes) if o.status != PASSED), None)
        if first is not None and result.compile_error is None:
            batch.note("first_failure", i, describe_failure(request, first, result))


def describe_failure(request: CodeRequest, index: int, result: CodeResult) -> str:
    """One line on the test at ``index``: its status, input, expected and actual output (truncated)."""
    outcome, test = result.outcomes[index], request.tests[index]
    parts = [f"test {index} {outcome.status}", f"input {_short(test.input)}"]
    if request.kind != "assert":
        parts += [f"expected {_short(test.output)}", f"got {_short(outcome.actual)}"]
    if outcome.error:
        parts.append(f"error {_short(outcome.error, DETAIL_CHARS, tail=True)}")
    return "; ".join(parts)


def _short(value: Any, width: int = DETAIL_CHARS // 3, tail: bool = False) -> str:
    """``value`` quoted, cut to ``width`` characters: its start, or its end (a traceback's last line)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) > width:
        text = "..." + text[3 - width :] if tail else text[: width - 3] + "..."
    return repr(text)


class CodePassRate(CodeTests):
    """The fraction of the row's tests the completion's program passes (DeepCoder, open-r1's code_reward)."""

    name = "code_pass_rate"
    description = "fraction of the row's tests the completion's fenced program passes, run in a sandbox"

    def value(self, result: CodeResult) -> float:
        return result.count(PASSED) / len(result.outcomes)


class CodePassed(CodeTests):
    """1.0 when the completion's program passes every test of the row, else 0.0."""

    name = "code_passed"
    description = "1.0 when the completion's fenced program passes all of the row's tests, else 0.0"

    def value(self, result: CodeResult) -> float:
        return float(result.count(PASSED) == len(result.outcomes))


class CodeFormatParams(RewardParams):
    language: str = Field("python", description="the fence tag required (a row's 'language' column wins)")


class CodeFormat(Reward):
    """open-r1's ``code_format_reward``: 1.0 when the completion is
    ``<think>\\n...\\n</think>\\n<answer>\\n...</answer>`` with a fenced block tagged ``language``
    inside the answer, else 0.0.

    >>> CodeFormat()(["<think>\\nsum it\\n</think>\\n<answer>\\n```python\\nprint(1)\\n```\\n</answer>"])
    [1.0]
    """

    name = "code_format"
    description = "1.0 for <think>…</think><answer>…</answer> with a ```language block in the answer (open-r1)"
    Params = CodeFormatParams
    pure = True

    def score(self, sample: Sample) -> float:
        language = sample.row.get("language")
        language = language if isinstance(language, str) else self.params.language
        return float(has_code_format(sample.completion, language))
