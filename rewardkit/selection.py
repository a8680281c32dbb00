"""Choosing scored rows: a keep rule on the scores (rejection sampling), the best k per group
(best-of-n) and each group's pass rate, computed per piece and merged in input order.

The keep rule is an expression over ``total`` and the component names: numbers, ``+ - * /``,
comparisons (``== != < <= > >=``, chained), ``and``/``or``/``not``, parentheses, ``is None`` and
``is not None``. It is parsed with Python's parser and run by the small interpreter here, which
knows only those forms: user text is never evaluated as Python. A missing score (None) makes
arithmetic None and every comparison but ``is None`` false, so ``math_correctness == 2`` never
keeps a row whose correctness could not be scored. Dividing by zero gives None.

Best-of-n ranks a group's rows (those passing the keep rule, with a total) by total, highest
first; ties go to the row that comes first in the input. Rows without the group column form
one group (``null``).
"""

from __future__ import annotations

import ast
import heapq
import json
import operator
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import ConfigError, shown

MAX_RULE_CHARS = 2_000

Scores = Mapping[str, Any]  # a row's record: {"components": {...}, "total": ...}
Evaluator = Callable[[Scores], Any]

_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt,
    ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
}  # fmt: skip
_ARITHMETIC = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


class KeepRule:
    """A parsed keep rule; ``rule(record)`` says whether a scored row is kept."""

    def __init__(self, text: str, names: Sequence[str]) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ConfigError("--keep needs a rule, e.g. 'total >= 2' or 'math_correctness == 2'")
        if len(text) > MAX_RULE_CHARS:
            raise ConfigError(f"--keep: the rule is longer than {MAX_RULE_CHARS} characters")
        self.text = text
        self.names = ["total", *names]
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            raise ConfigError(f"--keep {shown(text)}: not a rule ({exc.msg}, at character {exc.offset})") from None
        except (RecursionError, MemoryError, ValueError):
            raise ConfigError(f"--keep {shown(text)}: nested too deeply") from None
        try:
            self._test = self._condition(tree.body)
        except RecursionError:
            raise ConfigError(f"--keep {shown(text)}: nested too deeply") from None

    def __call__(self, record: Scores) -> bool:
        return self._test(record) is True

    # -- compiling: each node becomes a function of the record -------------------------------------

    def _condition(self, node: ast.AST) -> Evaluator:
        """A node that gives True or False."""
        if isinstance(node, ast.BoolOp):
            parts = [self._condition(v) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda r: all(p(r) for p in parts)
            return lambda r: any(p(r) for p in parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self._condition(node.operand)
            return lambda r: not inner(r)
        if isinstance(node, ast.Compare):
            return self._compare(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, bool):
            value = node.value
            return lambda r: value
        raise ConfigError(
            f"--keep {shown(self.text)}: {shown(ast.unparse(node))} is not a condition; compare it, e.g. 'total >= 1'"
        )

    def _compare(self, node: ast.Compare) -> Evaluator:
        if len(node.ops) == 1 and isinstance(node.ops[0], (ast.Is, ast.IsNot)):
            if not (isinstance(node.comparators[0], ast.Constant) and node.comparators[0].value is None):
                raise ConfigError(f"--keep {shown(self.text)}: 'is' and 'is not' compare with None only")
            left = self._number(node.left)
            wanted = isinstance(node.ops[0], ast.Is)
            return lambda r: (left(r) is None) is wanted
        terms = [self._number(node.left), *(self._number(c) for c in node.comparators)]
        tests = []
        for op in node.ops:
            if type(op) not in _COMPARE:
                raise ConfigError(f"--keep {shown(self.text)}: unsupported comparison {type(op).__name__}")
            tests.append(_COMPARE[type(op)])

        def compare(record: Scores) -> bool:
            values = [t(record) for t in terms]
            if any(v is None for v in values):
                return False
            return all(test(a, b) for test, a, b in zip(tests, values, values[1:]))

        return compare

    def _number(self, node: ast.AST) -> Evaluator:
        """A node that gives a number, or None where a score is missing."""
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = node.value
            return lambda r: value
        if isinstance(node, ast.Name):
            return self._score(node.id)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self._number(node.operand)
            sign = -1 if isinstance(node.op, ast.USub) else 1
            return lambda r: None if (v := inner(r)) is None else sign * v
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
            left, right, op = self._number(node.left), self._number(node.right), _ARITHMETIC[type(node.op)]

            def arithmetic(record: Scores) -> float | None:
                a, b = left(record), right(record)
                if a is None or b is None:
                    return None
                try:
                    return op(a, b)
                except (ZeroDivisionError, OverflowError):
                    return None

            return arithmetic
        raise ConfigError(
            f"--keep {shown(self.text)}: {shown(ast.unparse(node))} is not allowed here "
            f"(scores: {', '.join(self.names)}; numbers, + - * /, comparisons, and/or/not, is None)"
        )

    def _score(self, name: str) -> Evaluator:
        if name == "total":
            return lambda r: r["total"]
        if name not in self.names:
            raise ConfigError(f"--keep {shown(self.text)}: no score named {shown(name)} (scores: {', '.join(self.names)})")
        return lambda r: r["components"][name]


def group_id(row: Mapping[str, Any], key: str) -> str:
    """The group a row belongs to, as canonical JSON (any JSON value can name a group)."""
    return json.dumps(row.get(key), sort_keys=True, ensure_ascii=False, default=str)


class Groups:
    """Per group, in order of first appearance: completions seen, completions passing, and the
    best ``best_of`` passing rows as ``(total, position)``, position being ``(piece, index)``."""

    def __init__(self, best_of: int | None = None) -> None:
        self.best_of = best_of
        self.counts: dict[str, list[int]] = {}
        self._best: dict[str, list[tuple[float, tuple[int, int]]]] = {}  # a min-heap of (total, -position)

    def add(self, group: str, passed: bool, total: float | None, position: tuple[int, int]) -> None:
        counts = self.counts.setdefault(group, [0, 0])
        counts[0] += 1
        counts[1] += passed
        if passed and total is not None and self.best_of is not None:
            self._offer(group, total, position)

    def _offer(self, group: str, total: float, position: tuple[int, int]) -> None:
        heap = self._best.setdefault(group, [])
        item = (total, (-position[0], -position[1]))
        if len(heap) < self.best_of:  # type: ignore[operator]
            heapq.heappush(heap, item)
        elif item > heap[0]:
            heapq.heapreplace(heap, item)

    def merge(self, other: Groups) -> None:
        for group, (seen, passed) in other.counts.items():
            counts = self.counts.setdefault(group, [0, 0])
            counts[0] += seen
            counts[1] += passed
        for group, heap in other._best.items():
            for total, (piece, index) in heap:
                self._offer(group, total, (-piece, -index))

    def selected(self) -> dict[int, set[int]]:
        """The chosen rows: per piece, the indices of its kept rows that are among their group's best."""
        chosen: dict[int, set[int]] = {}
        for heap in self._best.values():
            for _, (piece, index) in heap:
                chosen.setdefault(-piece, set()).add(-index)
        return chosen

    def pass_rates(self) -> Iterable[dict[str, Any]]:
        for group, (seen, passed) in self.counts.items():
            yield {"group": json.loads(group), "completions": seen, "passed": passed, "pass_rate": passed / seen}

    def as_json(self) -> dict[str, Any]:
        best = {g: [[t, -p, -i] for t, (p, i) in heap] for g, heap in self._best.items()}
        return {"best_of": self.best_of, "counts": self.counts, "best": best}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Groups:
        groups = cls(data["best_of"])
        groups.counts = {g: list(c) for g, c in data["counts"].items()}
        groups._best = {g: [(t, (-p, -i)) for t, p, i in items] for g, items in data["best"].items()}
        for heap in groups._best.values():
            heapq.heapify(heap)
        return groups
