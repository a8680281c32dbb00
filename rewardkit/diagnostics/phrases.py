"""A run whose completions take up one phrase: what a policy says more and more because a reward pays it.

A policy optimised against a reward model finds the words the model likes ("happy to help", "I'm
sorry for any confusion", "as a responsible AI") and puts them in more and more completions,
whatever the prompt: the reward rises while the answers need not get better, and neither length
nor refusals show it. This module compares the first and the last quarter of a run's steps: for
every phrase of two or three words or tags (lower-cased, at least one of them not a function word), the
share of the logged completions containing it in each quarter; and, for the phrase that rose
most, each weighted component's mean on the completions containing it vs the others (in the
component's std), which names the component paying for it.

The flag ``rising_phrase``: a phrase is in at least :data:`SHARED` of the last quarter's
completions and in :data:`RISE` (absolute) more of them than of the first quarter's, with at least
:data:`MIN_ROWS` completions logged in each quarter. The longest of the phrases that rose the most
is shown (its two-word part rises with it).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from rewardkit.stats import marked_gap

from .table import ScoredTable

SHARED = 0.25  # share of the last quarter's completions containing the phrase
RISE = 0.15  # its rise over the first quarter's share
MIN_ROWS = 8  # logged completions each quarter needs
GAP = 0.5  # a component paying the phrase this many of its std more is named as the cause
# a word, or an XML-like tag kept whole (a format a policy learns reads "</reasoning> <answer>")
_WORD = re.compile(r"</?[A-Za-z][\w-]*>|[^\W_]+(?:['’][^\W_]+)*")
# words that make no phrase on their own: "of the", "it is", "and a" rise and fall with any text
FUNCTION_WORDS = frozenset(
    "a an the and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there here i you he she we they me him her us them my your his our their not no so do does did "
    "have has had can could will would should may might must than then".split()
)


def phrases(text: str) -> set[str]:
    """The completion's two- and three-word phrases (lower-cased), each with a content word."""
    words = _WORD.findall(text.lower().replace("’", "'"))
    found = set()
    for n in (2, 3):
        for i in range(len(words) - n + 1):
            gram = words[i : i + n]
            if any(w not in FUNCTION_WORDS for w in gram):
                found.add(" ".join(gram))
    return found


def rising_phrase(table: ScoredTable) -> dict[str, Any] | None:
    """The flag (kind, components, message, phrase and its shares) when a phrase spread through the run."""
    steps = sorted({r.step for r in table.rows if r.step is not None})
    if len(steps) < 4:
        return None
    k = max(1, round(len(steps) / 4))
    first_steps, last_steps = set(steps[:k]), set(steps[-k:])
    found = [phrases(r.completion) for r in table.rows]
    first = [f for f, r in zip(found, table.rows) if r.step in first_steps]
    last = [f for f, r in zip(found, table.rows) if r.step in last_steps]
    if len(first) < MIN_ROWS or len(last) < MIN_ROWS:
        return None
    in_first, in_last = Counter(p for f in first for p in f), Counter(p for f in last for p in f)
    rise = {p: n / len(last) - in_first[p] / len(first) for p, n in in_last.items() if n / len(last) >= SHARED}
    if not rise or max(rise.values()) < RISE:
        return None
    top = max(rise, key=lambda p: (round(rise[p], 9), len(p.split()), p))
    marked = [top in f for f in found]
    gaps = {name: marked_gap(table.scores(name), marked, MIN_ROWS)["gap_std"] for name in table.names}
    payers = {n: g for n, g in gaps.items() if g is not None and table.weights.get(n, 0) * g >= GAP * abs(table.weights[n])}
    cause = "".join(f"; {n} pays it more ({g:+.1f} std)" for n, g in payers.items())
    share_first, share_last = in_first[top] / len(first), in_last[top] / len(last)
    return {
        "kind": "rising_phrase",
        "components": list(payers),
        "phrase": top,
        "share_first": share_first,
        "share_last": share_last,
        "message": f"the phrase '{top}' spread: in {share_last:.0%} of the completions of the last quarter of steps "
                   f"(from {share_first:.0%} in the first){cause}",
    }
