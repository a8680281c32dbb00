"""LaTeX answers read into small expression trees without sympy: the one parse that the exact and
the numeric paths share.

:func:`read_form` reads an answer into a :data:`Form`: an expression, a bracket form
(``(a, b)``, ``[a, b)``, ``(a, b, c)``), a set (``\\{a, b\\}``, a bare list ``a, b``, an
element ``a \\pm b``) or a matrix (pmatrix, bmatrix, array). Expressions are sums, products,
quotients and powers of integers, decimals, one-letter variables (``x``, ``\\theta``), ``\\pi``,
``e``, ``\\frac``, ``\\sqrt``, ``\\sqrt[n]`` and ``\\ln``, ``\\log``, ``\\exp``, ``\\sin``,
``\\cos``, ``\\tan``, ``\\sec``, ``\\csc``, ``\\cot``, and words (``\\text{inches}``,
``\\mbox{ cm}``: one symbol each, named as latex2sympy names it, see :func:`word`) inside an
expression (``864 \\mbox{ inches}^2 + 37``). Trees are nested tuples:
``("int", 3)``, ``("dec", "0.5")``, ``("var", "x")``, ``("pi",)``, ``("e",)``, ``("neg", t)``,
``("+", (t, ...))``, ``("*", (t, ...))``, ``("inv", t)`` (1/t), ``("^", base, exponent)``,
``("root", t, n)``, ``("fn", name, t)``, ``("log", t, base)``.

The reading is latex2sympy's, after math-verify's normalisation (what the workers parse), and
where either could read the text another way the text is not read at all (None; the worker
decides). So none of these is read:

- a letter run (``xy``, ``sin``: function names and words to the lexer, ``and``/``or``/``inf``
  to the normalisation), an upper-case letter (``E`` and ``I`` are constants, ``T`` a
  transpose), ``d`` (a differential ``dx``), ``i`` (the imaginary unit), and a last letter that
  the normalisation strips as a unit (``2m``, ``x + 5t``);
- a number after the first factor of a product (``x2``, ``\\frac{1}{2}3``: the normalisation
  regroups digits after a ``}``), two numbers apart (``1 2``), a product of rational literals
  other than a mixed number ``2\\frac{3}{4}`` (latex2sympy adds ``2(3)`` up to 5);
- a letter before ``(``/``{`` around one atom (``f(x)``, ``x(2)`` are function calls);
- a power tower without braces (``2^3^2``), an unbraced exponent of more than one digit
  (``2^10``), ``^(``, ``\\sqrt12``, ``\\frac123``, a function argument followed by anything
  but the end of a term (``\\sin x/2`` is ``sin(x/2)``);
- ``\\infty`` outside an interval, ``\\pm`` inside a bracket form, ``\\cup`` but between
  intervals, ``~`` (no token to latex2sympy), and anything else (``=``, ``|``, ``!``, ``%``,
  ``_``, ``\\operatorname``, ...);
- a word alone (a symbol compared by name: :mod:`.structure` decides those), of one letter, one
  the normalisation rewrites (``and``, ``percent``, ``inf``...), a constant's name (``pi``), a
  word that makes the workers read the answer as complex (``Re``, ``i``), and any word in an
  answer that ends with ``}`` (the normalisation cuts it there as a unit: ``2 + \\text{cm}``).

Runs in the caller's process on model text: one linear pass to tokenize, a recursive-descent
parse whose depth is bounded by the nesting (at most MAX_DEPTH), nothing is evaluated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Generic, Iterator, TypeVar, Union

MAX_DEPTH = 100  # nested groups, fractions and roots (the verifier refuses more than 50 brackets)
MAX_DIGITS = 300

GREEK = frozenset(
    """alpha beta delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho sigma
    tau upsilon phi varphi chi psi omega""".split()
)  # \gamma is latex2sympy's gamma function; \pi is the constant
GREEK_COMMANDS = frozenset("\\" + name for name in GREEK)
FUNCTIONS = frozenset("ln log exp sin cos tan sec csc cot".split())
# Letters math-verify's normalisation strips as units at the end of an answer (2m, 5t, x + 3s).
UNIT_LETTERS = frozenset("othclsgmd")
# Its units "a .", ..., "h .", "q .", "s .", "rs .", "sq . m": the dot matches any character, so
# "( e )" and "\frac{1}{ a }" lose their ending ("(3)( e )" is "(3)(" to the workers).
_DOTTED_UNIT = re.compile(r"(?:\d|\}|\s)\s*(?:[a-hqs]|rs) .\s*$")

# Words: \text{...} and the commands math-verify's normalisation turns into \text, and \mbox.
WORD_COMMAND = r"\\(?:text|textbf|textit|textrm|textnormal|mathrm|mathit|mathbf|mbox)\s*"
_WORD_TOKEN = re.compile(WORD_COMMAND + r"\{")
_WORD = re.compile(WORD_COMMAND + r"\{\s*(\(\s*)?([A-Za-z](?:[A-Za-z ]*[A-Za-z])?)\s*(?(1)\))\s*\}")
# Words math-verify's normalisation rewrites before parsing (connectives, percent, infinity, units
# after \mathrm, square roots): these are not read as words here.
_REWRITTEN = frozenset({"and", "or", "percent", "percentage", "pct", "th", "sqrt"})
# Names latex2sympy makes constants of, and words that make the workers read an answer as complex.
_NOT_SYMBOLS = frozenset({"pi", "gamma", "re", "im", "rank", "i"})
# math-verify's normalisation drops a trailing \text{...}/\mbox{...} as a unit: from the first one on.
_ENDS_LIKE_A_UNIT = re.compile(r"\}\s*(?:\^\d|\{\^\d\})?\s*$")

_COMMANDS = "|".join(sorted(GREEK | FUNCTIONS | {"frac", "dfrac", "tfrac", "cfrac", "sqrt", "pi", "infty", "cdot",
                                                  "times", "div", "pm", "cup", "lbrace", "rbrace"}, key=len, reverse=True))
_TOKEN = re.compile(
    rf"""
    (?P<skip>\s+|\\[,;:!\ ]|\\left(?=[(\[.]|\\\{{)|\\right(?=[)\].]|\\\}})|\\displaystyle(?![a-zA-Z]))
  | (?P<number>\d+(?:\.\d+)?)
  | (?P<command>\\(?:{_COMMANDS})(?![a-zA-Z])|\\[{{}}])
  | (?P<word>{WORD_COMMAND}\{{[^{{}}]*\}})
  | (?P<matrix>\\begin\{{(?:[pb]matrix|array)\}}(?:\{{[lcr]*\}})?|\\end\{{(?:[pb]matrix|array)\}}|\\\\(?![a-zA-Z]))
  | (?P<letters>[a-zA-Z]+)
  | (?P<symbol>[-+*/^()\[\]{{}},&])
    """,
    re.VERBOSE,
)
_ALIASES = {"\\dfrac": "\\frac", "\\tfrac": "\\frac", "\\cfrac": "\\frac", "\\cdot": "*", "\\times": "*",
            "\\div": "/", "\\lbrace": "\\{", "\\rbrace": "\\}"}  # fmt: skip
# 1,234 reads as thousands or as a pair depending on the parser (inside brackets, (1,234), as a
# pair: latex2sympy reads thousands only in an answer that is one number).
_THOUSANDS_LIKE = re.compile(r",(?:\s|\\[!,])*\d{3}(?!\d)")
# What ends a term: anything else after a function's argument would join the argument.
_TERM_ENDS = frozenset({None, "+", "-", ")", "}", "]", ",", "&", "\\\\", "\\}", "\\pm"})
# What latex2sympy reads as an atom (a number, a letter, \pi, \infty): f(atom) is a call.
_ATOM_TOKEN = re.compile(r"\d|[a-zA-Z]|\\(?:pi|infty)$|" + "|".join(re.escape(g) + "$" for g in sorted(GREEK_COMMANDS)))

Tree = tuple
INFINITY = "oo"
T = TypeVar("T")


@dataclass(frozen=True)
class Interval(Generic[T]):
    """An interval; an infinite end is ``"-oo"`` or ``"oo"`` and always open (as in sympy)."""

    left: T | str
    right: T | str
    left_open: bool
    right_open: bool


@dataclass(frozen=True)
class Collection(Generic[T]):
    """A tuple (order matters) or a set (order and repeats do not)."""

    kind: str  # "tuple" or "set"
    items: tuple[T, ...]

    def key(self) -> tuple[T, ...] | frozenset[T]:
        return self.items if self.kind == "tuple" else frozenset(self.items)


@dataclass(frozen=True)
class Matrix(Generic[T]):
    """A matrix or vector (pmatrix, bmatrix and array read alike), row by row."""

    rows: tuple[tuple[T, ...], ...]


@dataclass(frozen=True)
class Bracket(Generic[T]):
    """``(a, b)``, ``[a, b]``, ``(a, b]``, ``[a, b)``: an interval when a < b, else a tuple
    (latex2sympy's reading), which only the values can tell (:meth:`resolve`)."""

    opener: str
    closer: str
    left: T | str
    right: T | str

    def resolve(self, below: Callable[[Any, Any], bool | None]) -> Interval[T] | Collection[T] | None:
        """The interval or tuple, given ``below(a, b)`` on finite ends: a < b, or None when too
        close to tell. None when the reading is not certain ((2, 2), [2, 1), ∞ in a tuple)."""
        a, b = self.left, self.right
        if a == b:
            return None  # (2, 2) is a tuple, [2, 2] the set {2}
        if a == "-" + INFINITY or b == INFINITY:
            ordered: bool | None = True
        elif a == INFINITY or b == "-" + INFINITY:
            ordered = False
        else:
            ordered = below(a, b)
        if ordered is None:
            return None
        if ordered:
            left_open = self.opener == "(" or a == "-" + INFINITY
            return Interval(a, b, left_open, self.closer == ")" or b == INFINITY)
        if self.opener + self.closer in ("()", "[]") and not isinstance(a, str) and not isinstance(b, str):
            return Collection("tuple", (a, b))  # (5, 2) and [5, 2] are tuples
        return None  # (2, 1] is empty to sympy


@dataclass(frozen=True)
class IntervalUnion(Generic[T]):
    """``(0, 9) \\cup (9, 36)``: intervals joined (each part an interval once resolved)."""

    parts: tuple[Any, ...]


Form = Union[Tree, Bracket, Interval, Collection, Matrix, IntervalUnion]


def evaluate_form(
    form: Form,
    value: Callable[[Tree], T],
    end: Callable[[Tree], T],
    below: Callable[[T, T], bool | None],
) -> T | Interval[T] | Collection[T] | Matrix[T] | IntervalUnion[T] | None:
    """``form`` with every tree replaced by ``value(tree)`` (an interval's ends by ``end(tree)``),
    bracket forms resolved with ``below``; None when a union holds something but intervals."""

    def resolved(bracket: Bracket[Tree]) -> Interval[T] | Collection[T] | None:
        ends = [e if isinstance(e, str) else end(e) for e in (bracket.left, bracket.right)]
        return Bracket(bracket.opener, bracket.closer, *ends).resolve(below)

    if isinstance(form, tuple):
        return value(form)
    if isinstance(form, Bracket):
        return resolved(form)
    if isinstance(form, IntervalUnion):
        parts = tuple(resolved(part) for part in form.parts)
        return IntervalUnion(parts) if all(isinstance(p, Interval) for p in parts) else None
    if isinstance(form, Collection):
        return Collection(form.kind, tuple(value(item) for item in form.items))
    if isinstance(form, Matrix):
        return Matrix(tuple(tuple(value(x) for x in row) for row in form.rows))
    return None


def word(text: str) -> str | None:
    """The symbol name latex2sympy gives a word (``\\text{Eve lyn}``: ``evelyn``; ``\\text{(C)}``:
    ``c``), or None where the text is not one word or math-verify's normalisation rewrites it."""
    found = _WORD.fullmatch(text.strip())
    if found is None:
        return None
    letters = found.group(2)
    if rewritten(letters):
        return None
    if text.lstrip().startswith("\\mathrm") and len(letters) == 1:
        return None  # \mathrm{T}, \mathrm{d} are rewritten to other symbols
    return "".join(letters.lower().split())


def rewritten(text: str) -> bool:
    """Words in ``text`` that math-verify's normalisation rewrites (``percent`` is ``%``, ...)."""
    lowered = text.lower()
    return "inf" in lowered or any(w in _REWRITTEN for w in re.findall(r"[a-z]+", lowered))


def cut_as_unit(answer: str) -> bool:
    """Whether math-verify's normalisation cuts ``answer`` at its first word, taking what follows
    for a unit: it has a word and ends with ``}`` (``2 + \\text{cm}``, ``x + \\text{ab} y = \\frac{1}{2}``)."""
    return _WORD_TOKEN.search(answer) is not None and _ENDS_LIKE_A_UNIT.search(answer) is not None


def _word_symbol(token: str) -> Tree:
    """A word inside an expression: a variable named as latex2sympy names it."""
    name = word(token)
    brace = token.index("{")
    if name is None or len(name) < 2 or name in _NOT_SYMBOLS or token[brace - 1].isspace():
        raise Unreadable  # \text {cm}: not the form math-verify's unit rule looks for
    if "i" in re.findall(r"[A-Za-z]+", token[brace:]):
        raise Unreadable  # \text{a i}: the workers read an answer with a lone i as complex
    return ("var", name)


class Unreadable(Exception):
    """The text is not one of the forms read here (the caller gets None)."""


def tokens(text: str) -> list[str] | None:
    """The answer's tokens, or None at the first character outside the grammar."""
    out: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(text):
        if m.start() != pos:
            return None
        pos = m.end()
        kind = m.lastgroup
        if kind == "skip":
            if out and out[-1][0].isdigit():
                out.append(" ")  # a space after a number: "1 2" must not read as 12
            continue
        token = m.group()
        if kind == "number" and len(token) > MAX_DIGITS:
            return None
        out.append(_ALIASES.get(token, token))
    if pos != len(text):
        return None
    return [t for i, t in enumerate(out) if t != " " or (i + 1 < len(out) and out[i + 1][0].isdigit())]


def nodes(tree: Tree) -> Iterator[Tree]:
    """Every node of a tree, visited without recursion."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        if node[0] in ("+", "*"):
            stack.extend(node[1])
        else:
            stack.extend(part for part in node[1:] if isinstance(part, tuple))


def variables(tree: Tree) -> frozenset[str]:
    """The variable names in a tree."""
    return frozenset(node[1] for node in nodes(tree) if node[0] == "var")


def is_integer_literal(tree: Tree) -> bool:
    """An integer as written (``3``, ``-3``, ``{3}``): what latex2sympy makes a sympy Integer."""
    return tree[0] == "int" or (tree[0] == "neg" and tree[1][0] == "int")


def _letter(token: str) -> bool:
    """A variable letter: lower case, not e (Euler's number), i (the imaginary unit to the
    workers) or d (a differential to the lexer)."""
    return len(token) == 1 and "a" <= token <= "z" and token not in "dei"


def _callable(tree: Tree) -> bool:
    """A letter, Greek letter or \\pi, maybe with an exponent: what ``(atom)`` after it calls."""
    if tree[0] == "^":
        tree = tree[1]
    return tree[0] in ("var", "pi")


def _positive_fraction(tree: Tree) -> bool:
    """``\\frac{p}{q}`` (or ``(p/q)``) with p, q > 0: a Rational that latex2sympy adds to an integer before it."""
    if tree[0] != "*" or len(tree[1]) != 2:
        return False
    a, b = tree[1]
    return a[0] == "int" and b[0] == "inv" and b[1][0] == "int" and a[1] > 0 and b[1][1] > 0


def _mixed_number(tree: Tree) -> bool:
    """An integer plus a positive fraction: what a mixed number ``1\\frac{4}{5}`` reads as (and ``1 + \\frac{4}{5}``)."""
    return tree[0] == "+" and len(tree[1]) == 2 and tree[1][0][0] == "int" and _positive_fraction(tree[1][1])


def _rational_literal(tree: Tree) -> bool:
    """An integer or a quotient of integers as written: a sympy Rational to latex2sympy."""
    if tree[0] == "neg":
        tree = tree[1]
    if tree[0] == "*" and len(tree[1]) == 2:
        a, b = tree[1]
        return a[0] == "int" and b[0] == "inv" and b[1][0] == "int"
    return tree[0] == "int"


class _Parser:
    """Recursive descent over the tokens (the grammar in the module docstring)."""

    def __init__(self, toks: list[str]) -> None:
        self.tokens = toks
        self.i = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> str | None:
        i = self.i + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise Unreadable
        self.i += 1
        return token

    def nested(self, read: Callable[[], T]) -> T:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unreadable
        try:
            return read()
        finally:
            self.depth -= 1

    # -- expressions: additive > multiplicative > signs > implicit products > powers > atoms -----------

    def expression(self) -> Tree:
        return self.chain(self.multiplicative, "+", {"+": None, "-": "neg"})

    def multiplicative(self) -> Tree:
        return self.chain(self.signed, "*", {"*": None, "/": "inv"})

    def chain(self, operand: Callable[[], Tree], op: str, operators: dict[str, str | None]) -> Tree:
        """Operands joined by ``operators`` into one ``op`` node (a - b is a + neg(b), a / b is
        a * inv(b)), left to right as latex2sympy joins them."""
        items = [operand()]
        while self.peek() in operators:
            wrap = operators[self.take()]
            item = operand()
            items.append((wrap, item) if wrap else item)
        return items[0] if len(items) == 1 else (op, tuple(items))

    def signed(self) -> Tree:
        negative = False
        while self.peek() in ("+", "-"):
            negative ^= self.take() == "-"
        product = self.product()
        return ("neg", product) if negative else product

    def ends_term(self) -> bool:
        token = self.peek()
        return token in _TERM_ENDS or token in ("*", "/") or token.startswith("\\end")  # type: ignore[union-attr]

    def product(self) -> Tree:
        """Factors written side by side (``2x``, ``3\\sqrt{2}``, ``(x+1)(x-1)``)."""
        factors = [self.power()]
        while not self.ends_term():
            if self.peek()[0].isdigit():  # type: ignore[index]
                raise Unreadable  # a number after a factor: "x2", "\frac{1}{2}3", "\pi 2"
            if _callable(factors[-1]) and (self.peek() == "{" or self._call_ahead()):
                raise Unreadable  # x(2), x^2(y), \pi(3): latex2sympy calls a function
            factors.append(self.power())
        if len(factors) == 1:
            return factors[0]
        if len(factors) == 2 and factors[0][0] == "int" and _positive_fraction(factors[1]):
            return ("+", tuple(factors))  # a mixed number: 2\frac{3}{4} is 11/4, as latex2sympy reads it
        for k in range(len(factors) - 1):
            if _rational_literal(factors[k]) and all(_rational_literal(f) for f in factors[k + 1 :]):
                raise Unreadable  # "2(3)" is 5 to latex2sympy, "\frac{1}{2}(3)" 3/2, "2\frac{1}{2}\frac{1}{3}" 1/3
            following = factors[k + 1][1] if factors[k + 1][0] == "neg" else factors[k + 1]
            if _rational_literal(factors[k]) and _mixed_number(following):
                raise Unreadable  # "1(1\frac{4}{5})" is 14/5 to latex2sympy (a mixed number is a Rational there)
        if factors[0][0] == "int" and len(factors) > 2 and _rational_literal(factors[1]):
            raise Unreadable  # 2\frac{1}{2}\pi: a mixed number or a product, depending on the reader
        return ("*", tuple(factors))

    def _call_ahead(self) -> bool:
        """``(`` and an atom and ``)`` or ``^`` next: an argument list to latex2sympy."""
        after = self.peek(1)
        return self.peek() == "(" and after is not None and bool(_ATOM_TOKEN.match(after)) and self.peek(2) in (")", "^")

    def power(self) -> Tree:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take()
        exponent = self.exponent()
        if self.peek() == "^":
            raise Unreadable  # 2^3^2 and x^2^3 group differently
        return ("^", base, exponent)

    def exponent(self) -> Tree:
        token = self.take()
        if token == "{":
            value = self.nested(self.expression)
            self.take("}")
            return value
        if token.isdigit() and len(token) == 1:
            return ("int", int(token))  # 2^10 is 2^1·0 to TeX and 1024 to latex2sympy: not read
        if token == "\\pi":
            return ("pi",)
        if token in GREEK_COMMANDS or _letter(token):
            return ("var", token.lstrip("\\"))
        raise Unreadable  # ^(, ^-1, ^e, ^\sqrt{}: other readings or none

    def atom(self) -> Tree:
        token = self.take()
        if token[0].isdigit():
            return ("dec", token) if "." in token else ("int", int(token))
        if token == "(" or token == "{":
            value = self.nested(self.expression)
            self.take(")" if token == "(" else "}")
            return value
        if token == "\\frac":
            return self.fraction()
        if token == "\\sqrt":
            return self.root()
        if token == "\\pi":
            return ("pi",)
        if token in GREEK_COMMANDS:
            return ("var", token[1:])
        if token[0] == "\\" and token[1:] in FUNCTIONS:
            return self.function(token[1:])
        if token == "e":
            return ("e",)
        if _WORD_TOKEN.match(token):
            return _word_symbol(token)
        if _letter(token):
            return ("var", token)
        raise Unreadable

    def fraction(self) -> Tree:
        token = self.peek()
        if token is not None and token.isdigit() and len(token) == 2:
            self.take()  # \frac12 is \frac{1}{2} after math-verify's normalisation
            numerator, denominator = ("int", int(token[0])), ("int", int(token[1]))
        else:
            numerator, denominator = self.braced(), self.braced()
        return ("*", (numerator, ("inv", denominator)))

    def braced(self) -> Tree:
        self.take("{")
        value = self.nested(self.expression)
        self.take("}")
        return value

    def root(self) -> Tree:
        degree = 2
        if self.peek() == "[":
            self.take()
            token = self.take()
            if not token.isdigit() or not 2 <= int(token) <= 100:
                raise Unreadable
            degree = int(token)
            self.take("]")
        token = self.peek()
        if token == "{":
            radicand = self.braced()
        elif degree == 2 and token is not None and (len(token) == 1 and token.isdigit() or _letter(token)):
            radicand = self.atom()  # \sqrt3, \sqrt x: \sqrt{3}, \sqrt{x} after the normalisation
        else:
            raise Unreadable  # \sqrt12 is \sqrt{1}2, \sqrt\pi breaks the normalisation
        return ("root", radicand, degree)

    def function(self, name: str) -> Tree:
        power = base = None
        if self.peek() == "^":
            self.take()
            power = self.exponent()
            if power[0] != "int" or power[1] < 1:
                raise Unreadable  # \sin^{-1} is arcsin
        if self.peek() == "(" or self.peek() == "{":
            opener = self.take()
            argument = self.nested(self.expression)
            self.take(")" if opener == "(" else "}")
        else:
            argument = self.atom()
            if argument[0] in ("fn", "log", "^") or argument == ("e",):
                raise Unreadable
            if self.peek() == "^":
                self.take()
                argument = ("^", argument, self.exponent())
        if self.peek() not in _TERM_ENDS:
            raise Unreadable  # \sin x y is sin(xy), \sin(x)/2 and \sin x/2 differ
        if name == "log":
            base = ("int", 10)
        elif name == "ln":
            base = ("e",)
        tree: Tree = ("log", argument, base) if base is not None else ("fn", name, argument)
        return ("^", tree, power) if power is not None else tree

    # -- answers ------------------------------------------------------------------------------------

    def endpoint(self) -> Tree | str:
        """An interval's endpoint: a value or ±∞."""
        start = self.i
        sign = self.take() if self.peek() in ("+", "-") else "+"
        if self.peek() == "\\infty":
            self.take()
            return "-" + INFINITY if sign == "-" else INFINITY
        self.i = start
        return self.expression()

    def elements(self, closers: tuple[str | None, ...], plus_minus: bool) -> list[Tree | str]:
        """Comma-separated items up to one of ``closers``; ``a \\pm b`` gives two (when allowed)."""
        found: list[Tree | str] = []
        while True:
            if self.peek() == "\\pm":
                left = None
            else:
                left = self.endpoint()
            if self.peek() == "\\pm":
                if not plus_minus or isinstance(left, str):
                    raise Unreadable
                self.take()
                right = self.expression()
                if left is None:
                    found += [("neg", right), right]
                else:
                    found += [("+", (left, right)), ("+", (left, ("neg", right)))]
            elif left is None:
                raise Unreadable
            else:
                found.append(left)
            if self.peek() != ",":
                break
            self.take()
        if self.peek() not in closers:
            raise Unreadable
        return found


def _values(items: list[Tree | str]) -> tuple[Tree, ...]:
    if any(isinstance(item, str) for item in items):
        raise Unreadable  # ∞ outside an interval
    return tuple(items)  # type: ignore[arg-type]


def _matrix(parser: _Parser) -> Matrix[Tree]:
    """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (or bmatrix, or array with its column spec)."""
    parser.take()
    rows: list[tuple[Tree, ...]] = []
    row = [parser.expression()]
    while True:
        token = parser.take()
        if token == "&":
            row.append(parser.expression())
        elif token == "\\\\":
            rows.append(tuple(row))
            if parser.peek() is not None and parser.peek().startswith("\\end"):
                parser.take()
                break
            row = [parser.expression()]
        elif token.startswith("\\end"):
            rows.append(tuple(row))
            break
        else:
            raise Unreadable
    if len({len(r) for r in rows}) != 1:
        raise Unreadable
    return Matrix(tuple(rows))


class _Parenthesised(Unreadable):
    """The whole answer is one value in brackets: (5) and [5] have readings of their own."""


def _bracketed(parser: _Parser) -> Bracket[Tree] | Collection[Tree]:
    opener = parser.take()
    items = parser.elements((")", "]"), plus_minus=False)
    closer = parser.take()
    if parser.peek() is not None:
        raise Unreadable  # (x+1)(x-1): an expression
    if len(items) == 1:
        raise _Parenthesised
    if len(items) > 2:
        if opener != "(" or closer != ")":
            raise Unreadable
        return Collection("tuple", _values(items))
    return Bracket(opener, closer, items[0], items[1])


def read_form(text: str) -> Form | None:
    """The answer as a :data:`Form` of expression trees, or None when it is not read here.

    >>> read_form("2x + 1")
    ('+', (('*', (('int', 2), ('var', 'x'))), ('int', 1)))
    >>> read_form("x = 5") is None, read_form("2m") is None  # an equation; a unit
    (True, True)
    """
    if "," in text and any(_depth(text, m.start()) == 0 for m in _THOUSANDS_LIKE.finditer(text)):
        return None
    if text.rstrip()[-1:] in UNIT_LETTERS or _DOTTED_UNIT.search(text):
        return None
    toks = tokens(text)
    if not toks:
        return None
    if cut_as_unit(text) or (len(toks) == 1 and _WORD_TOKEN.match(toks[0])):
        return None  # cut at a word by the normalisation; a word alone is compared by name
    try:
        if len(toks) > 2 and toks[0] in ("(", "[") and toks[1].startswith("\\begin"):
            if toks[-1] != {"(": ")", "[": "]"}[toks[0]]:
                return None
            toks = toks[1:-1]  # \left[\begin{array}…\end{array}\right]
        first = toks[0]
        if "\\cup" in toks:
            return _union(toks)
        if first in ("(", "[") and toks[-1] in (")", "]"):
            bracket = _bracket_form(toks)
            if bracket is not None:
                return bracket
        if first == "[":
            return None  # [x + 1] is a group to latex2sympy
        parser = _Parser(toks)
        result: Form
        if first.startswith("\\begin"):
            result = _matrix(parser)
        elif first == "\\{":
            parser.take()
            items = parser.elements(("\\}",), plus_minus=True)
            parser.take("\\}")
            result = Collection("set", _values(items))
        else:
            items = parser.elements((None,), plus_minus=True)
            if len(items) == 1 and isinstance(items[0], str):
                return None
            result = items[0] if len(items) == 1 else Collection("set", _values(items))  # type: ignore[assignment]
        if parser.peek() is not None:
            return None
        return result
    except (Unreadable, RecursionError):
        return None


def _depth(text: str, end: int) -> int:
    """How many brackets are open at ``end`` in ``text``."""
    head = text[:end]
    return sum(head.count(c) for c in "([{") - sum(head.count(c) for c in ")]}")


def _union(toks: list[str]) -> IntervalUnion[Tree] | None:
    """Bracket forms of two ends joined by ``\\cup`` (anything else in a union is not read)."""
    parts: list[Bracket[Tree]] = []
    start = 0
    for end in [i for i, t in enumerate(toks) if t == "\\cup"] + [len(toks)]:
        part = _bracket_form(toks[start:end]) if end > start else None
        if not isinstance(part, Bracket):
            return None
        parts.append(part)
        start = end + 1
    return IntervalUnion(tuple(parts))


def _bracket_form(toks: list[str]) -> Form | None:
    """The bracket form the tokens are, or None when they are an expression ((x+1)(x-1)).

    Raises :class:`_Parenthesised` for one value in brackets."""
    try:
        return _bracketed(_Parser(toks))
    except _Parenthesised:
        raise
    except Unreadable:
        return None

