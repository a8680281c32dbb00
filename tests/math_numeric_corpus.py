"""A generated corpus of (gold, answer) pairs for checking the paths that decide without sympy
against the sympy path: random expressions written the ways answers are written, each against
an equal respelling and against near misses (a term added, a factor, a sign flipped in a
fraction, a root left unsimplified, a variable renamed, a bound moved, a digit changed, a tiny
difference at the edge of math-verify's tolerances), MATH-500's gold answers against theirs,
and the spellings the reader refuses on purpose (units, function calls, upper case, E and e).

Used by tests/test_math_numeric.py (a sample) and bench/math_conformance.py (the large run).
"""

from __future__ import annotations

import json
import random
from pathlib import Path

LETTERS = "abcfghknpqrstuvwxyz"  # d and e are not variables; t, s, ... test the unit rule too
GREEK = [r"\alpha", r"\beta", r"\theta", r"\lambda", r"\mu", r"\omega", r"\phi"]


class _Writer:
    """Random expressions as LaTeX, each in one of the spellings answers use."""

    def __init__(self, rng: random.Random, names: list[str]) -> None:
        self.rng = rng
        self.names = names

    def space(self) -> str:
        return self.rng.choice(["", "", " "])

    def number(self) -> str:
        r = self.rng.random()
        if r < 0.7:
            return str(self.rng.randint(1, 12))
        if r < 0.85:
            return str(self.rng.randint(13, 999))
        return f"{self.rng.randint(0, 9)}.{self.rng.randint(1, 99)}"

    def atom(self) -> str:
        r = self.rng.random()
        if r < 0.45:
            return self.number()
        if r < 0.85:
            return self.rng.choice(self.names)
        return self.rng.choice([r"\pi", "e"])

    def group(self, text: str) -> str:
        return self.rng.choice([f"({text})", rf"\left({text}\right)", f"({self.space()}{text}{self.space()})"])

    def term(self, depth: int) -> str:
        if depth <= 0:
            return self.atom()
        r = self.rng.random()
        s = self.space
        if r < 0.2:
            return f"{self.number()}{self.rng.choice(self.names)}"
        if r < 0.35:
            a, b = self.expr(depth - 1), self.expr(depth - 1)
            frac = self.rng.choice([r"\frac", r"\dfrac", r"\tfrac"])
            return f"{frac}{{{a}}}{{{b}}}"
        if r < 0.45:
            return rf"\sqrt{{{self.expr(depth - 1)}}}"
        if r < 0.5:
            return rf"\sqrt[{self.rng.choice([3, 4])}]{{{self.expr(depth - 1)}}}"
        if r < 0.62:
            base = self.rng.choice([self.rng.choice(self.names), self.group(self.expr(depth - 1)), str(self.rng.randint(2, 9))])
            exponent = self.rng.choice([str(self.rng.randint(2, 5)), f"{{{self.rng.randint(2, 12)}}}", "{-1}", "{-2}",
                                        f"{{{self.expr(depth - 1)}}}", r"{\frac{1}{2}}"])
            return f"{base}^{exponent}"
        if r < 0.72:
            fn = self.rng.choice([r"\sin", r"\cos", r"\tan", r"\ln", r"\log", r"\exp", r"\cot", r"\sec"])
            power = self.rng.choice(["", "", "^2", "^{2}"])
            argument = self.rng.choice([self.group(self.expr(depth - 1)), " " + self.rng.choice(self.names)])
            return f"{fn}{power}{argument}"
        if r < 0.85:
            a, b = self.term(depth - 1), self.term(depth - 1)
            return self.rng.choice([f"{a}{s()}\\cdot{s()}{b}", f"{a}{s()}\\times{s()}{b}", f"{a}*{b}",
                                    f"{self.group(a)}{self.group(b)}", f"{a}{s()}/{s()}{b}"])
        return self.group(self.expr(depth - 1))

    def expr(self, depth: int) -> str:
        parts = [self.term(depth)]
        for _ in range(self.rng.choice([0, 0, 1, 1, 2])):
            parts.append(self.rng.choice(["+", "-"]) + self.space() + self.term(depth - 1))
        sign = self.rng.choice(["", "", "", "-"])
        return sign + self.space().join(parts)


def _equal_respellings(rng: random.Random, a: str, b: str) -> list[tuple[str, str]]:
    """Pairs of different spellings of one value (built from two expressions a and b)."""
    return [
        (f"{a} + {b}", f"{b} + {a}"),
        (f"({a})({b})", f"({b})({a})"),
        (f"({a})({b})", f"({b}) \\cdot ({a})"),
        (rf"\frac{{{a}}}{{{b}}}", rf"({a}) \cdot \frac{{1}}{{{b}}}"),
        (f"({a})^2", f"({a})({a})"),
        (f"({a} + {b})^2", f"({a})^2 + 2({a})({b}) + ({b})^2"),
        (f"{a} - ({b})", f"-({b}) + {a}"),
        (rf"\frac{{{a}}}{{2}}", rf"\frac{{1}}{{2}}({a})"),
        (rf"\sin^2({a}) + \cos^2({a})", "1"),
        (rf"e^{{\ln({a})}}", f"{a}"),
        (rf"\sqrt{{({a})^2}}", f"{a}"),
        (rf"2\sqrt{{{a}}}", rf"\sqrt{{4({a})}}"),
        (f"{a}", f"{a} + 10^{{-{rng.choice([7, 12, 20, 40])}}}"),
        (f"{a}", f"{a} + 10^{{-{rng.choice([5, 6])}}}"),
    ]


def _near_misses(rng: random.Random, gold: str, names: list[str]) -> list[str]:
    """Wrong answers of the kinds the mixed workload holds (see bench/math_bench.py)."""
    term = rng.choice(["1", "2", "x", r"\sqrt{2}", r"\pi", "n", r"\frac{1}{2}"])
    out = [f"{gold} + {term}", f"{term}({gold})" if not gold.startswith("-") else f"{term} \\cdot ({gold})"]
    if r"\frac{" in gold:
        i = gold.index(r"\frac{") + len(r"\frac{")
        out.append(gold[:i] + "-" + gold[i:])  # a sign flipped inside the fraction
    if r"\sqrt{" in gold:
        out.append(gold.replace(r"\sqrt{", r"\sqrt{2", 1))
    out.append(rf"\sqrt{{{gold}}}")  # left under a root
    present = [n for n in names if n in gold]
    if present:
        out.append(gold.replace(present[0], rng.choice([n for n in LETTERS if n not in gold] or ["z"])))
    digits = [i for i, c in enumerate(gold) if c.isdigit()]
    if digits:
        i = rng.choice(digits)
        out.append(gold[:i] + str((int(gold[i]) + 1) % 10) + gold[i + 1 :])
    return out


def _structures(rng: random.Random, w: _Writer) -> list[tuple[str, str]]:
    """Intervals, tuples, sets and matrices against each other and their near misses."""
    a, b, c = sorted(rng.sample(range(-9, 10), 3))
    lo, hi = rng.choice([(str(a), str(b)), (rf"\frac{{{a}}}{{3}}", rf"\sqrt{{{abs(b) + 2}}}"), (r"-\infty", str(b)),
                         (str(a), r"\infty"), (rf"{a}\pi", rf"{b}\pi")])
    pairs = []
    for left in "([":
        for right in ")]":
            interval = f"{left}{lo}, {hi}{right}"
            pairs += [(interval, interval.replace(" ", "")), (interval, f"({lo}, {hi})"), (interval, f"[{lo}, {hi}]"),
                      (interval, f"{left}{lo}, {c + 5}{right}"), (interval, f"({hi}, {lo})"), (interval, f"{lo}, {hi}"),
                      (interval, str(a)), (interval, rf"\{{{lo}, {hi}\}}")]
    union = rf"({a}, {b}) \cup ({b}, {c + 3}]"
    pairs += [(union, union.replace(" ", "")), (union, f"({a}, {c + 3}]"), (union, str(b)), (union, f"{a}, {b}"),
              (union, rf"({a}, {b}) \cup [{b}, {c + 3}]"), (union, f"({a}, {b})")]
    x, y = w.expr(1), w.expr(1)
    pairs += [
        (f"({a}, {b}, {c})", f"({a},{b},{c})"), (f"({a}, {b}, {c})", f"({c}, {b}, {a})"), (f"({a}, {b}, {c})", f"({a}, {b})"),
        (rf"\{{{a}, {b}\}}", rf"\{{{b}, {a}\}}"), (rf"\{{{a}, {b}\}}", f"{b}, {a}"), (rf"\{{{a}, {b}\}}", f"{a}, {c}"),
        (f"{a}, {b}", f"({b}, {a})"), (f"{a}", rf"\{{{a}\}}"), (f"{a}", rf"\{{{a}, {a}\}}"), (f"{a}", f"({a}, {b})"),
        (rf"{a} \pm \sqrt{{{abs(b) + 1}}}", rf"{a} + \sqrt{{{abs(b) + 1}}}, {a} - \sqrt{{{abs(b) + 1}}}"),
        (rf"{a} \pm \sqrt{{{abs(b) + 1}}}", rf"{a} + \sqrt{{{abs(b) + 1}}}"), (rf"\pm {b}", f"{b}, {-b}"),
        (f"{x}, {y}", f"{y}, {x}"), (f"({x}, {y})", f"({y}, {x})"), (rf"\{{{x}, {y}\}}", f"{x}"),
        (rf"\begin{{pmatrix}} {a} \\ {b} \end{{pmatrix}}", rf"\begin{{pmatrix}} {a} \\ {c} \end{{pmatrix}}"),
        (rf"\begin{{pmatrix}} {a} \\ {b} \end{{pmatrix}}", rf"\begin{{pmatrix}} {a} & {b} \end{{pmatrix}}"),
        (rf"\begin{{pmatrix}} {x} & {a} \end{{pmatrix}}", rf"\begin{{bmatrix}} {x} & {a} \end{{bmatrix}}"),
        (rf"\begin{{pmatrix}} {x} & {a} \end{{pmatrix}}", rf"\begin{{pmatrix}} {y} & {a} \end{{pmatrix}}"),
    ]
    # A container plus a term (math-verify cannot read it), against itself, a number and the term.
    term = rng.choice(["37", "1", "x", r"\frac{1}{2}", r"\sqrt{2}", r"\pi", "2x+1", "(x+1)(x-1)", r"\frac{3}{4}"])
    for container in (f"({a}, {b}, {c})", f"({lo}, {hi})", f"[{lo}, {hi})", rf"\{{{a}, {b}\}}", union,
                      rf"\begin{{pmatrix}} {a} \\ {b} \end{{pmatrix}}", rf"\left( \frac{{{a}}}{{7}}, \frac{{{b}}}{{7}} \right)"):
        plus = f"{container}{rng.choice(['+', ' - ', ' + '])}{term}"
        pairs += [(container, plus), (str(a), plus), (term, plus), (f"({a}, {c})", plus)]
    return pairs


WORDS = ["Evelyn", "east", "even", "ellipse", "Navin", "(C)", "(A)", "Monday", "Eve lyn", "cm", "red", "T", "e"]
WORD_COMMANDS = [r"\text", r"\textbf", r"\textit", r"\textrm", r"\textnormal", r"\mathrm", r"\mathit", r"\mathbf", r"\mbox"]


def _words_and_relations(rng: random.Random, w: _Writer) -> list[tuple[str, str]]:
    """Answers in words (in every wrapper, case and spacing), assignments, relations and numbers
    with units, against each other and their near misses."""
    word = rng.choice(WORDS)
    spelled = [rf"{rng.choice(WORD_COMMANDS)}{{{rng.choice([word, word.upper(), word.lower(), f' {word} '])}}}" for _ in range(3)]
    other = rf"\text{{{rng.choice(WORDS)}}}"
    n = rng.randint(1, 999)
    pairs = [(spelled[0], s) for s in spelled[1:]] + [
        (spelled[0], other), (spelled[0], str(n)), (spelled[0], f"{spelled[1]}+{n}"), (spelled[0], f"{spelled[1]} - {n}.5"),
        (spelled[0], f"{spelled[1]}+0"), (spelled[0], f"{n}+{spelled[1]}"), (spelled[0], word.replace(" ", "")),
        (spelled[0], f"{spelled[1]}^2"), (spelled[0], rf"\{{{spelled[1]}\}}"), (str(n), spelled[0]),
    ]
    v, u = rng.sample(list(LETTERS), 2)
    right, near = w.expr(1), w.expr(1)
    assigned = f"{v}{w.space()}={w.space()}{right}"
    pairs += [
        (assigned, right), (assigned, f"{v} = {right}"), (assigned, f"{v} = {near}"), (assigned, f"{u} = {right}"),
        (assigned, near), (right, assigned), (assigned, f"{v} = {right} + {n}"), (assigned, f"{right} = {v}"),
        (assigned, rf"{v} \le {right}"), (f"{right} = {near}", f"{right}={near}"), (f"{right} = {near}", f"{near} = {right}"),
        (rf"{v} \le {right}", rf"{v} \leq {right}"), (f"{v} = {n}, {u} = {n + 1}", f"{v} = {n}"),
    ]
    # Linear equations: shifted, scaled (a multiple), rearranged, a coefficient changed.
    a1, a2, k = rng.randint(1, 9), rng.randint(1, 9), rng.choice([2, 3, -1, -2])
    linear = f"{a1}{v} - {a2}{u} = {n}"
    pairs += [(linear, f"{a1}{v} - {a2}{u} = {n}+37"), (linear, f"{k * a1}{v} - {k * a2}{u} = {k * n}"),
              (linear, f"{a1}{v} - {a2}{u} - {n} = 0"), (linear, f"{a1 + 1}{v} - {a2}{u} = {n}"),
              (linear, f"{n} = {a1}{v} - {a2}{u}"), (linear, rf"\frac{{{a1}{v}}}{{2}} = \frac{{{a2}{u} + {n}}}{{2}}")]
    # Words inside expressions: one symbol each (its name lower-cased, spaces dropped).
    name = rng.choice(["inches", "cm", "Evelyn", "two words", "apples", "pi", "re", "and", "T", "a i"])
    cmd = rng.choice(WORD_COMMANDS + [r"\text "])
    inside = f"{n}{cmd}{{ {name}}}^2+{n}"
    pairs += [(str(n), inside), (inside, inside.replace(" ", "")), (f"{n}{cmd}{{{name}}}", f"{n}{cmd}{{{name}}} + 1"),
              (f"{cmd}{{{name}}} + {n}", rf"\text{{{name.upper()}}}+{n}"), (rf"2{cmd}{{{name}}} + x", rf"x + 2\text{{{name}}}"),
              (rf"2{cmd}{{{name}}} + x", rf"x + 3\mbox{{{name}}}"), (rf"\frac{{{cmd}{{{name}}}}}{{2}} + 1", rf"\frac{{1}}{{2}}\text{{{name}}} + 1"),
              (rf"3x + {cmd}{{{name}}} y = \frac{{1}}{{2}}", rf"3x + {cmd}{{{name}}} y = \frac{{3}}{{2}}"),
              (rf"3x + {cmd}{{{name}}} y = 1", rf"3x + {cmd}{{{name}}} y = 2")]
    unit = rng.choice([r"\text{ cm}", r"\mbox{ inches}^2", r"\text{ degrees}", r"\text{percent}", r"\text{ infinity}",
                       r"\textbf{ apples}", r"\mathrm{T}", r"\text{ m}", r"\text{ pct}"])
    pairs += [(f"{n}{unit}", str(n)), (f"{n}{unit}", str(n + 1)), (rf"\frac{{{n}}}7{unit}", rf"\frac{{{n}}}{{7}}"),
              (str(n), f"{n}{unit}"), (rf"\frac{{{n}}}7", rf"\frac{{{n}}}{{7}}"), (rf"\frac{{{n}}}7", str(n))]
    return pairs


# Spellings the reader refuses or reads with care: each against a plain neighbour.
EDGE_CASES = [
    ("2m", "2"), ("5t", "5"), ("x + 3s", "x + 3"), ("2x", "2t"), ("E", "e"), ("e", "E"), ("2E", "2e"), ("A + 1", "a + 1"),
    ("x(2)", "2x"), ("x(x+1)", "x^2 + x"), ("x^2(3)", "3x^2"), (r"\pi(2)", r"2\pi"), ("2(3)", "5"), ("2(3)", "6"),
    (r"2\frac{1}{2}", r"\frac{5}{2}"), (r"2\frac{1}{2}", "1"), (r"(2)\frac{1}{2}", r"\frac{5}{2}"), (r"2\frac{0}{3}", "2"),
    (r"1/2\pi", r"\frac{\pi}{2}"), (r"1/2\pi", r"\frac{1}{2\pi}"), ("1/2x", r"\frac{x}{2}"), ("x/2y", r"\frac{x}{2y}"),
    (r"\sin x/2", r"\sin(x)/2"), (r"\sin x y", r"\sin(x)y"), (r"\sin(x)y", r"y\sin x"), ("2^10", "1024"), ("2^{10}", "1024"),
    ("x^2^3", "x^6"), ("x^2^3", "x^8"), (r"\sqrt12", r"2\sqrt{3}"), (r"\sqrt 12", "2"), (r"\frac123", r"\frac{1}{23}"),
    (r"\frac12", "0.5"), (r"\frac{1}{2}3", r"\frac{3}{2}"), ("xy", "yx"), ("2xy", "2yx"), ("dx", "d x"), ("1 2", "12"),
    (r"\pi", "3.14159265"), (r"\pi", "3.1415926"), (r"\pi", "3.14159"), (r"\pi", "3.1416"), (r"\frac{1}{3}", "0.333333"),
    (r"\frac{1}{3}", "0.3333"), (r"\sqrt{2}", "1.414214"), (r"\sqrt{2}", "1.4142"), ("0.5", r"\frac{1}{2} + 10^{-7}"),
    ("x + 0.5", "x + 0.5000001"), (r"\frac{1}{2}x", "0.5x"), ("i", "I"), ("2i + 1", "1 + 2i"), ("-1", r"e^{i\pi}"),
    ("x", "X"), (r"\Delta", r"\delta"), (r"\alpha + 1", r"\beta + 1"), (r"[-\infty, 3]", r"(-\infty, 3]"),
    (r"[2, \infty]", r"[2, \infty)"), ("[2, 2]", "2"), ("(2, 2)", "2"), ("(2, 1]", "(1, 2]"), ("(5)", "5"), ("[5]", "5"),
    (r"\sqrt[3]{-8}", "-2"), (r"(-8)^{\frac{1}{3}}", "-2"), ("(-2)^{2}", "4"), (r"(-2)^{\frac{4}{2}}", "4"), ("0^0", "1"),
    (r"\frac{1}{0}", "1"), ("9^{9^{9^9}}", "1"), ("10^{100}", "10^{100} + 1"), (r"\ln(0)", "1"), (r"\sqrt{-1}", "1"),
    (r"\log 100", "2"), (r"\ln e", "1"), (r"\log(x)", r"\ln(x)"), (r"\cot x", r"\frac{\cos x}{\sin x}"),
    (r"\cot x", r"\tan x"), (r"\sin^2 x", r"(\sin x)^2"), (r"\sin^{-1} x", r"\frac{1}{\sin x}"), (r"\exp(x)", "e^{x}"),
    (r"\begin{array}{c|c} 1 & 2 \end{array}", r"\begin{array}{cc} 1 & 2 \end{array}"), ("1,234", "1234"), ("1, 234", "1"),
    (r"\frac{11+9a}{20}", r"\frac{21+9a}{20}"), ("p - q", "q - p"), ("3R^2", "3r^2"), ("2k+2", "2(k+1)"),
    (r"f(x) = x^2", "x^2"), ("x = 5", "5"), (r"\frac{x}{2}", r"\frac{x}{2}\text{ cm}"), (r"x^{1/2}", r"\sqrt{x}"),
    (r"3~\sqrt{2}", r"3\sqrt{2}"), (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(1, 2)"), (r"\begin{pmatrix} 5 \end{pmatrix}", "5"),
    (r"\begin{pmatrix} 1 & 2 \end{pmatrix}", r"\{1, 2\}"), (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "(2, 1)"),
    (r"(0,9) \cup (9,36)", "(0,36)"), (r"(0,9] \cup (9,36)", "(0,36)"), (r"(0,9) \cup (9,36)", "9"),
    (r"(0,9) \cup (9,36)", "(0, 9), (9, 36)"), (r"(-\infty, 2) \cup (3, \infty)", r"(-\infty, 3) \cup (3, \infty)"),
    (r"(1, 2) \cup (2, 1)", "1, 2"), (r"[1, 1] \cup (2, 3)", "1"), (r"(2, 3) \cup \{1\}", "1"),
]


def generated_pairs(n: int, seed: int = 0, data: Path | None = None) -> list[tuple[str, str]]:
    """About ``n`` distinct (gold, answer) pairs: the edge cases, MATH-500's golds (when ``data``
    is given) against near misses and each other, random expressions and structures."""
    rng = random.Random(seed)
    pairs: dict[tuple[str, str], None] = dict.fromkeys(EDGE_CASES)
    golds: list[str] = []
    if data is not None:
        rows = [json.loads(line) for line in (data / "math500" / "test.jsonl").read_text().splitlines()]
        golds = [r["answer"] for r in rows]
    while len(pairs) < n:
        names = rng.sample(list(LETTERS), 3) + rng.sample(GREEK, 1)
        w = _Writer(rng, names)
        kind = rng.random()
        if kind < 0.25 and golds:
            gold = rng.choice(golds)
            answers = _near_misses(rng, gold, names) + [rng.choice(golds), gold.replace(" ", "")]
        elif kind < 0.6:
            gold = w.expr(rng.choice([1, 2, 2, 3]))
            answers = _near_misses(rng, gold, names) + [w.expr(2)]
            for a, b in _equal_respellings(rng, gold, w.expr(1)):
                pairs.setdefault((a, b), None)
                pairs.setdefault((b, a), None)
        elif kind < 0.7:
            for a, b in _words_and_relations(rng, w):
                pairs.setdefault((a, b), None)
                pairs.setdefault((b, a), None)
            continue
        else:
            for a, b in _structures(rng, w):
                pairs.setdefault((a, b), None)
                pairs.setdefault((b, a), None)
            continue
        for answer in answers:
            pairs.setdefault((gold, answer), None)
            pairs.setdefault((answer, gold), None)
    return list(pairs)[: max(n, len(EDGE_CASES))]


def against_sympy(pairs: list[tuple[str, str]]) -> tuple[dict[str, int], list[tuple[str, str, str, bool | None, bool | None]]]:
    """Decide every pair as the caller does (numerals, exact forms, values apart) and, where it
    decides, as the worker's sympy path does (``symbolic.check``). Returns the count of pairs by
    how they were decided (``worker``: left to sympy) and every disagreement (gold, answer, how,
    the caller's verdict, the sympy path's). Each answer is the whole completion ``$answer$``, its
    answer marked: where math-verify cannot read the answer, the floor (its own extraction over
    that completion) has the last word. A pair called wrong whose answer math-verify cannot read
    counts as a disagreement too (the floor would look at any other completion), but for a
    container plus a term (``(3, 4) + 37``), which the caller decides knowing the completion."""
    from rewardkit.plugins.math.structure import container_plus_term
    from rewardkit.plugins.math.symbolic import check, floor, parse_answer, warm_up
    from rewardkit.plugins.math.verifier import Verifier, refused

    warm_up()
    verifier = Verifier(cache_size=0)
    counts: dict[str, int] = {}
    disagreements = []
    for gold, answer in pairs:
        if refused(gold) or refused(answer):
            continue
        completion = f"${answer}$"
        verdict, _ = verifier._decide_locally(gold, answer, (completion, True))
        how = "worker" if verdict is None else verdict.how
        counts[how] = counts.get(how, 0) + 1
        if verdict is None:
            continue
        truth = check(gold, answer)
        readable = any(not isinstance(p, str) for p in parse_answer(answer))
        if truth is False and not readable and floor(gold, completion):
            truth = True
        if verdict.correct != truth or (verdict.correct is False and not readable and not container_plus_term(answer)):
            disagreements.append((gold, answer, how, verdict.correct, truth))
    return counts, disagreements
