"""The sympy and math-verify side of verification. Runs only inside the verification worker processes.

Answer strings arrive here already extracted and tidied (``\\frac{\\pi}{2}``, ``(3, 4]``,
``x = 5``). Each side becomes what ``math_verify.parse`` would return: plain numerals are built
directly (an ``Integer``, a ``Float`` from its digits, a ``Rational``, a percentage as math-verify
writes it), everything else goes through math-verify's **LaTeX** extraction. Then
``math_verify.verify(gold, prediction)`` decides, gold first.

The floor (:func:`floor`): where the caller's own extraction could not be sure of the answer,
math-verify's default extraction (LaTeX and plain expressions) runs over the whole completion,
so that no answer math-verify finds is lost.

Safety: sympy's ``parse_expr`` (which ``sympify`` uses for strings, and math-verify's expression
extraction for ``1/2``-like text) turns text into Python code and ``eval``s it. In the workers
:func:`install_parse_guard` replaces it: a number literal, a bare name, or arithmetic on number
literals (digits, ``.``, ``+ - * / **``, parentheses: no name, so nothing can be looked up or
called) is turned into sympy's code as ``parse_expr`` does, and that code is then *interpreted*
node by node (numbers, sympy's number constructors and ``Add``/``Mul``/``Pow``, arithmetic
operators, name lookup) instead of ``eval``'d; anything else raises. So no model text reaches
``eval``, even through a path not known today. Module code that sympy imports lazily
(``simplify`` imports ``sympy.physics.units``, whose import sympifies unit names) is not model
text and passes to the original.

math-verify's own timeouts use ``signal.alarm``; they are switched off here (``parsing_timeout``
and ``timeout_seconds`` are None) because the pool enforces the limit by killing the worker.

Speed, with math-verify's verdicts unchanged:

- identical answers, and answers that math-verify's own LaTeX normalisation makes identical
  (``\\dfrac`` and ``\\frac``, ``\\left(`` and ``(``), are equal without parsing either: parsing
  is a function of the normalised text, so math-verify would build equal objects (and a gold is
  readable exactly when its normalised text is not empty);
- :func:`use_two_stage_parsing` makes latex2sympy's ANTLR parser try SLL prediction first and
  fall back to full LL only on a syntax error (the standard two-stage strategy: ANTLR guarantees
  that an SLL parse without errors is the LL parse tree); parsing gets 2-5x faster;
- parsed answers are cached per worker, and :func:`warm_up` runs one comparison of each kind in
  the fork server so that every worker starts with sympy's and ANTLR's caches warm.
"""

from __future__ import annotations

import ast
import dataclasses
import logging
import operator
import re
import sys
from typing import Any, Callable

import sympy
import sympy.physics.units  # noqa: F401 - simplify() imports it lazily; load it in the fork server
from latex2sympy2_extended.math_normalization import normalize_latex
from math_verify import LatexExtractionConfig, parse, verify

from rewardkit.cache import LRUCache

from .numerals import Numeral, parse_numeral

_LATEX_ONLY = [LatexExtractionConfig(boxed_match_priority=0)]
# How math-verify normalises the content of a \boxed{} it extracted (see its extract_latex).
_BOXED_NORMALIZATION = dataclasses.replace(_LATEX_ONLY[0].normalization_config, boxed="last")
# Text with these may be matched by math-verify's other patterns than the plain \boxed{} one.
_OTHER_ENVIRONMENTS = ("$", "\\(", "\\[", "\\boxed", "\\fbox")
# A number literal, a name without underscores, or arithmetic on number literals: no name can
# be looked up or called in the last, and the first two are single tokens.
_SAFE_TEXT = re.compile(
    r"\s*(?:[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[A-Za-z][A-Za-z0-9]*)\s*|(?=[^A-Za-z_]*\d)[\d.\s+\-*/()]+"
)
MAX_LITERAL_CHARS = 4000
PARSE_CACHE_SIZE = 4096


class UnsafeParseError(ValueError):
    """Text other than a number literal, a bare name or plain arithmetic reached sympy's parse_expr."""


def _importing() -> bool:
    """Whether this call comes from a module's top-level code being imported (trusted code)."""
    frame = sys._getframe(2)
    for _ in range(64):
        if frame is None:
            return False
        if frame.f_code.co_filename.startswith("<frozen importlib._bootstrap"):
            return True
        frame = frame.f_back
    return False


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.BitXor: operator.xor,
}  # fmt: skip
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: operator.neg, ast.UAdd: operator.pos}
# The callables sympy's transformations write into the code (numbers, symbols, unevaluated ops).
_CONSTRUCTORS = frozenset({"Integer", "Float", "Rational", "Symbol", "Add", "Mul", "Pow"})


def _interpret(node: ast.AST, names: dict[str, Any]) -> Any:
    """What ``eval`` of sympy's generated code would give, for the few node kinds it writes."""
    if isinstance(node, ast.Expression):
        return _interpret(node.body, names)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float, str, bool)):
        return node.value
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_interpret(node.operand, names))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_interpret(node.left, names), _interpret(node.right, names))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _CONSTRUCTORS:
        args = [_interpret(a, names) for a in node.args]
        kwargs = {k.arg: _interpret(k.value, names) for k in node.keywords if k.arg is not None}
        return names[node.func.id](*args, **kwargs)
    raise UnsafeParseError(f"refusing to evaluate {type(node).__name__} in parsed text")


_sympy_names: dict[str, Any] = {}


def _parse_expr_globals() -> dict[str, Any]:
    """The namespace ``parse_expr`` builds when given none: sympy's names, builtin functions, max/min."""
    if not _sympy_names:
        import builtins
        import types

        names: dict[str, Any] = {}
        exec("from sympy import *", names)  # a fixed import statement, not model text
        names.update({k: v for k, v in vars(builtins).items() if isinstance(v, types.BuiltinFunctionType)})
        names.update(max=sympy.Max, min=sympy.Min)
        _sympy_names.update(names)
    return _sympy_names


def _safe_parse_expr(
    s: str,
    local_dict: dict[str, Any] | None = None,
    transformations: Any = None,
    global_dict: dict[str, Any] | None = None,
    evaluate: bool = True,
) -> Any:
    """``parse_expr`` for guarded text, with the generated code interpreted rather than eval'd."""
    import sympy.parsing.sympy_parser as sympy_parser

    local_dict = {} if local_dict is None else local_dict
    global_dict = _parse_expr_globals() if global_dict is None else global_dict
    if transformations is None:
        transformations = sympy_parser.standard_transformations
    elif isinstance(transformations, str):
        raise UnsafeParseError("named transformation groups are not supported in the workers")
    code = sympy_parser.stringify_expr(s, local_dict, global_dict, transformations)
    tree = sympy_parser.evaluateFalse(code) if not evaluate else ast.parse(code, mode="eval")
    return _interpret(tree, {**global_dict, **local_dict})


def _guarded_parse_expr(s: Any, *args: Any, **kwargs: Any) -> Any:
    safe = isinstance(s, str) and len(s) <= MAX_LITERAL_CHARS and _SAFE_TEXT.fullmatch(s)
    if safe:
        return _safe_parse_expr(s, *args, **kwargs)
    if _importing():
        return _original_parse_expr(s, *args, **kwargs)
    raise UnsafeParseError(f"refusing to parse_expr {str(s)[:80]!r}: not a number literal, a name or arithmetic")


_original_parse_expr = None


def install_parse_guard() -> None:
    """Route every ``parse_expr`` (and so every ``sympify`` of a string) through the guard."""
    global _original_parse_expr
    import latex2sympy2_extended.latex2sympy2 as l2s
    import math_verify.parser as mv_parser
    import sympy.parsing.sympy_parser as sympy_parser

    if _original_parse_expr is None:
        _original_parse_expr = sympy_parser.parse_expr
    for module in (sympy_parser, mv_parser, l2s):
        module.parse_expr = _guarded_parse_expr


_original_create_parser = None


def use_two_stage_parsing() -> None:
    """Make latex2sympy parse in SLL mode first, and in full LL mode only after a syntax error."""
    global _original_create_parser
    try:
        from antlr4.atn.PredictionMode import PredictionMode
        from latex2sympy2_extended.latex2sympy2 import _Latex2Sympy

        original = _Latex2Sympy.create_parser
    except (ImportError, AttributeError):  # another latex2sympy2_extended: parse as it does
        logging.getLogger(__name__).warning("rewardkit: latex2sympy2_extended has no create_parser; SLL parsing off")
        return
    if _original_create_parser is not None:
        return
    _original_create_parser = original

    def create_parser(self: Any, latex_str: str) -> Any:
        parser = original(self, latex_str)
        parser._interp.predictionMode = PredictionMode.SLL
        sll_math = parser.math

        def two_stage_math() -> Any:
            try:
                return sll_math()
            except Exception:  # a syntax error in SLL mode: the full LL parse decides
                return original(self, latex_str).math()

        parser.math = two_stage_math
        return parser

    _Latex2Sympy.create_parser = create_parser


def quiet() -> None:
    """Silence math-verify's warnings about disabled timeouts (we pass None on purpose: the pool
    kills overruns) and its per-failure logging."""
    import math_verify.grader as mv_grader
    import math_verify.parser as mv_parser

    mv_parser.TIMEOUT_WARNING_SHOWN = True
    mv_grader.TIMEOUT_WARNING_SHOWN = True
    logging.getLogger("math_verify").setLevel(logging.ERROR)
    logging.getLogger("latex2sympy2_extended").setLevel(logging.ERROR)


# One of each kind of comparison: the first of a kind costs 0.1-0.4 s (lazy imports inside sympy,
# its caches, ANTLR's parser tables), too close to a 1 s limit on a busy machine.
WARM_UP_PAIRS = (
    (r"\frac{\pi}{2}", r"\dfrac{\pi}{2}"),
    (r"\left( 3, \frac{\pi}{2} \right)", r"(3, \pi/2)"),
    ("[2, 5)", "(2, 5]"),
    (r"(-\infty, 3]", r"(-\infty,3]"),
    (r"\{1, 2\}", r"\{2, 1\}"),
    ("x^2+2x+1", "(x+1)^2"),
    ("1 < x < 2", "(1, 2)"),
    ("x = 5", "5"),
    (r"\sqrt{2}", "1.414214"),
    (r"3\sqrt{13}", r"\sqrt{117}"),
    ("50\\%", "0.5"),
    (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}"),
    (r"\text{(C)}", "C"),
    (r"2\sin x \cos x", r"\sin 2x"),
    (r"30^\circ", "30"),
    (r"\log_2 8", "3"),
    ("2x+4y-3=0", r"y=-\frac{1}{2}x+\frac{3}{4}"),
    ("V_{1}:V_{2}=11:21", "11:21"),
    (r"1\leq|z|\leq 2", r"z \in [-2, -1] \cup [1, 2]"),
    ("(p,q)=(3,2)", "(3,2)"),
    ("a = 2, b = 7", "2, 7"),
    (r"F_n = \sum_{k=0}^{n-1} F_k F_{n-k-1}", r"F_n = \sum_{k=0}^{n-1} F_{n-k-1} F_k"),
)
_warm = False


def warm_up() -> None:
    """Run one comparison of each kind so that workers start warm (done once, in the fork server)."""
    global _warm
    if _warm:
        return
    quiet()
    use_two_stage_parsing()
    for gold, prediction in WARM_UP_PAIRS:
        check(gold, prediction)
    floor(r"\frac{1}{2}", r"so it is (3 - 1)/4, that is $\frac{1}{2}$")
    _warm = True


def worker_setup() -> None:
    """Run in each worker before it takes tasks: the parse guard, quiet logs, a warm start."""
    install_parse_guard()
    quiet()
    use_two_stage_parsing()
    warm_up()  # a no-op when the worker was forked from a warmed fork server


def convert_to_pct(number: Any) -> Any:
    """A percentage the way latex2sympy writes it (math-verify's verify recognises this form)."""
    return sympy.Mul(number, sympy.UnevaluatedExpr(sympy.Rational(1, 100)), evaluate=False)


def numeral_to_sympy(numeral: Numeral) -> list[Any]:
    """What ``math_verify.parse`` returns for this numeral: the sympy number and its digits."""
    value = numeral.value
    if numeral.kind == "integer":
        number: Any = sympy.Integer(value.numerator)
    elif numeral.kind == "decimal":
        number = sympy.Float(numeral.written)
    else:
        number = sympy.Rational(value.numerator, value.denominator)
    if numeral.percent:
        number = convert_to_pct(number)
    return [number, numeral.written or numeral.text()]


_parsed = LRUCache(PARSE_CACHE_SIZE)  # answer -> what math-verify parses it to: each gold once
_normalized = LRUCache(PARSE_CACHE_SIZE)


def clear_caches() -> None:
    """Forget parsed and normalised answers (benchmarks: no system profits from another's work)."""
    _parsed.clear()
    _normalized.clear()


def parse_answer(answer: str) -> tuple[Any, ...]:
    """The parsed forms of an answer string (empty when nothing could be read), cached."""
    return _parsed.get_or_compute(answer, lambda: _parse_answer(answer))


def _parse_answer(answer: str) -> tuple[Any, ...]:
    numeral = parse_numeral(answer)
    if numeral is not None:
        return tuple(numeral_to_sympy(numeral))
    found = parse(
        "\\boxed{" + answer + "}",
        extraction_config=_LATEX_ONLY,
        fallback_mode="first_match",
        extraction_mode="any_match",
        parsing_timeout=None,
    )
    return tuple(sympy.nan if divides_by_zero(p) else p for p in map(imaginary_unit, found))


def imaginary_unit(expr: Any) -> Any:
    """``expr`` with ``i`` as the imaginary unit.

    latex2sympy reads the letter i as a variable named i (so ``e^{i\\pi}`` is not -1 and
    ``i^2`` not -1, while ``\\sqrt{-1}`` is ``I``); in an answer it is the imaginary unit. An
    object where it cannot stand (an interval's end) is left as it was."""
    symbols = getattr(expr, "free_symbols", None)
    if not symbols or isinstance(expr, str):
        return expr
    unit = {s: sympy.I for s in symbols if getattr(s, "name", None) == "i"}
    if not unit:
        return expr
    try:
        return expr.xreplace(unit)
    except (TypeError, ValueError):
        return expr


def divides_by_zero(expr: Any) -> bool:
    """Whether a parsed answer divides by a literal zero (``4 0/0`` reads as ``(4*0)/0``).

    Such an answer is read, but as no number: it becomes ``nan``, which equals nothing. Left
    unevaluated, its verdict depended on the state of sympy's caches (the same pair came out
    equal or not depending on what the worker had compared before)."""
    if not isinstance(expr, sympy.Basic):
        return False
    return expr.has(sympy.nan, sympy.zoo) or any(
        p.base.is_zero and p.exp.is_negative for p in expr.atoms(sympy.Pow)
    )


def normalized(answer: str) -> str | None:
    """math-verify's normalised text of ``\\boxed{answer}``; None when other patterns could apply."""
    return _normalized.get_or_compute(answer, lambda: _normalize(answer))


def _normalize(answer: str) -> str | None:
    if any(marker in answer for marker in _OTHER_ENVIRONMENTS) or parse_numeral(answer) is not None:
        return None
    return normalize_latex("\\boxed{" + answer + "}", _BOXED_NORMALIZATION)


def readable(answer: str) -> bool:
    """Whether ``math_verify.parse`` returns anything for the answer (without parsing, when it can tell).

    For ``\\boxed{answer}`` math-verify keeps the normalised text as a fallback even when sympy
    cannot parse it, so the answer is readable exactly when that text is not empty.
    """
    norm = normalized(answer)
    if norm is not None:
        return bool(norm)
    return bool(parse_answer(answer))


def check(gold: str, prediction: str) -> bool | None:
    """The verdict on two answer strings: None when the gold cannot be read, else equivalence.

    A gold math-verify reads only as its own text (``\\frac{``, ``(1, 2``: no mathematical object)
    cannot be read: every answer would be judged against a string. An empty prediction only
    asks whether the gold can be read (False if it can).
    """
    if not any(not isinstance(p, str) for p in parse_answer(gold)):
        return None
    if prediction and prediction.strip() == gold.strip():
        # verify() on equal parses: equal objects, or equal fallback strings
        return True if readable(gold) else None
    norm = normalized(gold)
    if prediction and norm is not None and norm == normalized(prediction):
        return True if norm else None  # the same normalised text parses to the same objects
    gold_parsed = parse_answer(gold)
    if not gold_parsed:
        return None
    if not prediction:
        return False
    pred_parsed = parse_answer(prediction)
    if not pred_parsed:
        return False
    return bool(verify(list(gold_parsed), list(pred_parsed), timeout_seconds=None))


def floor(gold: str, completion: str) -> bool:
    """math-verify's verdict with its own default extraction (LaTeX and expressions) over the whole
    completion, against the gold as the caller read it."""
    gold_parsed = parse_answer(gold)
    if not gold_parsed:
        return False
    found = [imaginary_unit(p) for p in parse(completion, parsing_timeout=None)]
    return bool(found) and bool(verify(list(gold_parsed), found, timeout_seconds=None))
