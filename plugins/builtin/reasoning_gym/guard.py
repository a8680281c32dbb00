"""What reasoning-gym's verifiers may evaluate in rewardkit's workers: data and sympy arithmetic, never code.

Several verifiers hand the model's answer to Python's ``eval`` (``binary_matrix``, ``n_queens``,
``spiral_matrix`` and ``string_insertion`` read a Python list that way) or to sympy's
``parse_expr``, which turns text into Python code and ``eval``s it (``countdown``, ``puzzle24``,
``simple_integration``, ``intermediate_integration``, ``polynomial_multiplication``); called as
reasoning-gym ships them, ``__import__('os').system(...)`` as an answer runs. In the scoring
workers :func:`install` replaces both:

- ``eval`` (and ``exec``) in every ``reasoning_gym`` module's namespace: :func:`restricted_eval`
  reads literals, containers and arithmetic (``[[1, 0], [0, 1]]``, ``(0x3a << 0x2) - 0x1``)
  exactly as ``eval`` does and refuses anything else (a name, a call, an attribute, a
  comprehension); ``exec`` always refuses;
- sympy's ``eval_expr`` (the ``eval`` at the end of every ``parse_expr``, so also ``sympify``
  of a string, wherever it is called from): the code sympy's transformations generate is
  *interpreted* node by node, calling only sympy's own classes and functions
  (``Symbol('x')``, ``Integer(2)``, ``sin``, ``sqrt``, ``factorial``, ``Function('f')``) and
  a few pure builtins; a name that is not sympy's (``__import__``, ``open``), an attribute
  (``x.diff``), a subscript or a lambda refuses.

A refusal raises :class:`RefusedEvaluation` (a ``ValueError``), which the verifiers' own
``except`` clauses turn into their score for an unreadable answer. An answer a verifier reads as
data or arithmetic gets the verdict ``eval`` would give; only answers that are Python code
score differently (as unreadable). Each refusal and each interpretation is counted per family
(:data:`USES`) so the bench can list which families' verifiers evaluate answers.

The interpreter adds no limit of its own on size (``9**9**9``): the pool's time and memory limits
end such a task.
"""

from __future__ import annotations

import ast
import builtins
import collections
import operator
import sys
import types
from typing import Any, Callable

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.BitXor: operator.xor,
    ast.BitAnd: operator.and_, ast.BitOr: operator.or_, ast.LShift: operator.lshift, ast.RShift: operator.rshift,
}  # fmt: skip
_UNARY: dict[type, Callable[[Any], Any]] = {
    ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert, ast.Not: operator.not_,
}
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Lt: operator.lt, ast.LtE: operator.le, ast.Gt: operator.gt, ast.GtE: operator.ge,
    ast.Eq: operator.eq, ast.NotEq: operator.ne,
}  # fmt: skip
# Builtins sympy's parse_expr namespace holds that compute on values and touch nothing else.
PURE_BUILTINS = frozenset({abs, pow, round, divmod, sum, len, int, float, complex, bool})

# family -> {"interpreted": n, "refused": n}: what the guard did while that family scored
USES: collections.defaultdict[str, collections.Counter] = collections.defaultdict(collections.Counter)
_family: list[str] = ["?"]  # the family being scored (set by the scoring worker)


class RefusedEvaluation(ValueError):
    """Text handed to eval or parse_expr was code, not data or arithmetic: it is not run."""


def scoring(family: str) -> None:
    """Name the family whose verifier runs next (for :data:`USES`)."""
    _family[0] = family


def _refuse(what: str) -> RefusedEvaluation:
    USES[_family[0]]["refused"] += 1
    return RefusedEvaluation(f"rewardkit refuses to evaluate {what} in a model's answer")


class _Interpreter:
    """Evaluates the node kinds of data, arithmetic and (with ``names``) calls of allowed callables."""

    def __init__(self, names: dict[str, Any] | None = None) -> None:
        self.names = names  # None: no name lookups and no calls at all

    def run(self, node: ast.AST) -> Any:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _refuse(type(node).__name__)
        return method(node)

    def _Expression(self, node: ast.Expression) -> Any:
        return self.run(node.body)

    def _Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _Tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.run(e) for e in node.elts)

    def _List(self, node: ast.List) -> Any:
        return [self.run(e) for e in node.elts]

    def _Set(self, node: ast.Set) -> Any:
        return {self.run(e) for e in node.elts}

    def _Dict(self, node: ast.Dict) -> Any:
        if any(k is None for k in node.keys):
            raise _refuse("a ** mapping")
        return {self.run(k): self.run(v) for k, v in zip(node.keys, node.values)}  # type: ignore[arg-type]

    def _UnaryOp(self, node: ast.UnaryOp) -> Any:
        return _UNARY[type(node.op)](self.run(node.operand))

    def _BinOp(self, node: ast.BinOp) -> Any:
        op = _BINARY.get(type(node.op))
        if op is None:
            raise _refuse(type(node.op).__name__)
        return op(self.run(node.left), self.run(node.right))

    def _BoolOp(self, node: ast.BoolOp) -> Any:
        value = None
        for operand in node.values:
            value = self.run(operand)
            if (not value) if isinstance(node.op, ast.And) else value:
                return value
        return value

    def _Compare(self, node: ast.Compare) -> Any:
        left = self.run(node.left)
        result: Any = True
        for op, comparator in zip(node.ops, node.comparators):
            compare = _COMPARE.get(type(op))
            if compare is None:
                raise _refuse(type(op).__name__)
            right = self.run(comparator)
            result = compare(left, right)
            if not result:
                return result
            left = right
        return result

    def _Name(self, node: ast.Name) -> Any:
        if self.names is None:
            raise _refuse(f"the name {node.id!r}")
        if node.id.startswith("_") or node.id not in self.names:
            raise _refuse(f"the name {node.id!r}")
        return self.names[node.id]

    def _Call(self, node: ast.Call) -> Any:
        if self.names is None:
            raise _refuse("a call")
        function = self.run(node.func)
        if not _allowed_callable(function):
            raise _refuse(f"a call of {getattr(function, '__name__', type(function).__name__)!r}")
        if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
            raise _refuse("* or ** arguments")
        args = [self.run(a) for a in node.args]
        kwargs = {k.arg: self.run(k.value) for k in node.keywords}
        return function(*args, **kwargs)


def _allowed_callable(function: Any) -> bool:
    """sympy's classes and objects (numbers, symbols, functions, Function('f'), Lambda), the
    functions of ``sympy.functions`` (sqrt, root, ...), and :data:`PURE_BUILTINS`."""
    import sympy

    if isinstance(function, type):
        return issubclass(function, sympy.Basic) or function in PURE_BUILTINS
    if isinstance(function, sympy.Basic):
        return callable(function)
    if isinstance(function, (types.FunctionType, types.BuiltinFunctionType)):
        return function in PURE_BUILTINS or getattr(function, "__module__", "").startswith("sympy.functions.")
    return False


def restricted_eval(source: Any, globals: Any = None, locals: Any = None) -> Any:
    """``eval`` for data: literals, containers and arithmetic on them; anything else refuses."""
    if not isinstance(source, str):
        raise _refuse(f"a {type(source).__name__}")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        raise SyntaxError(f"invalid syntax: {exc}") from None
    USES[_family[0]]["interpreted"] += 1
    return _Interpreter().run(tree)


def refused_exec(*_: Any, **__: Any) -> None:
    """``exec`` in a scoring worker: never."""
    raise _refuse("exec")


def interpreted_eval_expr(code: Any, local_dict: dict[str, Any], global_dict: dict[str, Any]) -> Any:
    """sympy's ``eval_expr`` with the generated code interpreted (see the module docstring)."""
    if isinstance(code, str):
        tree = ast.parse(code, mode="eval")
    elif isinstance(code, ast.Expression):  # parse_expr(evaluate=False): see _keep_tree
        tree = code
    else:
        raise _refuse(f"a {type(code).__name__}")
    USES[_family[0]]["interpreted"] += 1
    return _Interpreter({**global_dict, **local_dict}).run(tree)


def _keep_tree(source: Any, filename: str, mode: str, *args: Any, **kwargs: Any) -> Any:
    """``compile`` as sympy_parser calls it for ``evaluate=False``: the tree itself, for
    :func:`interpreted_eval_expr` (a code object could only be ``eval``'d)."""
    if isinstance(source, ast.Expression) and mode == "eval":
        return source
    return builtins.compile(source, filename, mode, *args, **kwargs)


_installed = False


def install() -> None:
    """Put the guards in place in this process (a scoring worker; never the trainer's process)."""
    global _installed
    if _installed:
        return
    import reasoning_gym  # noqa: F401 - imports every family's module, so each gets the guard
    import sympy.parsing.sympy_parser as sympy_parser

    sympy_parser.eval_expr = interpreted_eval_expr
    sympy_parser.compile = _keep_tree  # type: ignore[attr-defined]
    for name, module in list(sys.modules.items()):
        if (name == "reasoning_gym" or name.startswith("reasoning_gym.")) and isinstance(module, types.ModuleType):
            module.eval = restricted_eval  # type: ignore[attr-defined]
            module.exec = refused_exec  # type: ignore[attr-defined]
    _installed = True
