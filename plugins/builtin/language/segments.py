"""Text cleaning and segmenting before language detection.

:func:`segments` removes what is not natural-language prose (code blocks, inline code, LaTeX and
math, URLs, e-mail addresses, XML/HTML tags, numbers), splits the rest into sentences, splits a
sentence where its writing system changes (Latin, Cyrillic, Hangul, CJK, ...), joins short
neighbours in the same writing system into chunks, and drops segments shorter than a minimum
length. Lengths count either characters (letters and other non-space, non-punctuation
characters) or words (runs of letters; each CJK ideograph or kana counts as one word, since
Chinese and Japanese do not separate words with spaces).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

Unit = Literal["chars", "words"]


# -- cleaning ------------------------------------------------------------------------------------

# Every pattern runs in time linear in the text: a construct left open runs to the end of the text
# (an opening that could fail would be rescanned from each of its repeats, which is quadratic),
# and an e-mail address is looked for only where a run of its characters starts.
_FENCED = re.compile(r"(```|~~~)[^\n]*(?:\n.*?(?:\1|\Z)|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_INDENTED_CODE = re.compile(r"(?m)^(?: {4}|\t)\S.*$")
_LATEX_ENV = re.compile(r"\\begin\{([a-zA-Z*]+)\}.*?(?:\\end\{\1\}|\Z)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?(?:\$\$|\Z)|\\\[.*?(?:\\\]|\Z)", re.DOTALL)
_INLINE_MATH = re.compile(r"\\\(.*?(?:\\\)|\Z)|(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d)", re.DOTALL)
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\*?(?:\{[^{}\n]*\})*")
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_XML_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
# identifiers that only occur in code: snake_case, dotted.names, calls(), camelCase
_CODE_TOKEN = re.compile(r"\b\w+(?:_\w+)+\b|\b\w+(?:\.\w+)+\(?|\b[a-z]+[A-Z]\w*\b|\b\w+\(\)")
_NUMBER = re.compile(r"[+-]?\d[\d,._]*(?:[eE][+-]?\d+)?%?")


# Removed in this order: block constructs leave a newline, inline ones a space. The third element
# lists strings one of which every match contains: a text with none of them is not searched.
_REMOVED = (
    (_FENCED, "\n", ("```", "~~~")),
    (_INDENTED_CODE, "\n", ("    ", "\t")),
    (_INLINE_CODE, " ", ("`",)),
    (_LATEX_ENV, "\n", ("\\begin",)),
    (_DISPLAY_MATH, "\n", ("$$", "\\[")),
    (_INLINE_MATH, " ", ("\\(", "$")),
    (_LATEX_CMD, " ", ("\\",)),
    (_URL, " ", None),
    (_EMAIL, " ", ("@",)),
    (_XML_TAG, "\n", ("<",)),
    (_CODE_TOKEN, " ", None),
    (_NUMBER, " ", None),
)


def clean(text: str) -> str:
    """``text`` without code, LaTeX/math, URLs, e-mail addresses, XML tags and numbers.

    Removed spans become a newline (block constructs) or a space (inline ones), so the words on
    either side never fuse.
    """
    text = unicodedata.normalize("NFC", text)
    for pattern, replacement, needs in _REMOVED:
        if needs is None or any(n in text for n in needs):
            text = pattern.sub(replacement, text)
    return text


# -- segmenting ----------------------------------------------------------------------------------

# Sentence ends: ., !, ?, ;, … followed by a space, and the CJK full-width marks without one.
_SENTENCE_END = re.compile(r"(?<=[.!?;…])\s+|(?<=[。！？；])|\n+")


def script_of(ch: str) -> str | None:
    """The writing system of a letter (``latin``, ``cyrillic``, ``cjk``, ...); None for others.

    Han, kana and Hangul share one group (``cjk``) so that Japanese (kanji + kana) stays one run.
    """
    if not (ch.isalpha() or unicodedata.category(ch) == "Mn"):
        return None
    code = ord(ch)
    if 0x300 <= code <= 0x36F or 0x1AB0 <= code <= 0x1AFF or 0x20D0 <= code <= 0x20FF:
        return None  # combining diacritics belong to the letter before them
    if code < 0x250 or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    if 0x370 <= code < 0x400 or 0x1F00 <= code <= 0x1FFF:
        return "greek"
    if 0x400 <= code < 0x530 or 0x1C80 <= code <= 0x1C8F or 0x2DE0 <= code <= 0x2DFF or 0xA640 <= code <= 0xA69F:
        return "cyrillic"
    if 0x530 <= code < 0x590:
        return "armenian"
    if 0x590 <= code < 0x600 or 0xFB1D <= code <= 0xFB4F:
        return "hebrew"
    if 0x600 <= code < 0x780 or 0x8A0 <= code <= 0x8FF or 0xFB50 <= code <= 0xFEFF:
        return "arabic"
    if 0x900 <= code < 0xE00:
        return "indic"
    if 0xE00 <= code < 0xE80:
        return "thai"
    if 0x10A0 <= code < 0x1100:
        return "georgian"
    if (
        0x1100 <= code <= 0x11FF  # Hangul jamo
        or 0x2E80 <= code <= 0x2FDF  # CJK radicals
        or 0x3040 <= code <= 0x30FF  # kana
        or 0x3100 <= code <= 0x31FF  # bopomofo, Hangul compatibility jamo, kana ext.
        or 0x3400 <= code <= 0x4DBF  # CJK ext. A
        or 0x4E00 <= code <= 0x9FFF  # CJK unified
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xF900 <= code <= 0xFAFF  # CJK compatibility
        or 0xFF66 <= code <= 0xFF9F  # half-width kana
        or 0x20000 <= code <= 0x3FFFF  # CJK ext. B+
    ):
        return "cjk"
    return "other"


_UNSPACED = re.compile(
    r"[\u2E80-\u2FDF\u3040-\u30FF\u31F0-\u31FF\u3400-\u4DBF\u4E00-\u9FFF\uF900-\uFAFF\U00020000-\U0003FFFF]"
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def measure(text: str, unit: Unit) -> int:
    """Length of ``text`` in ``unit``.

    chars: letters and other characters that are neither space nor punctuation nor symbols.
    words: runs of letters, where each CJK ideograph or kana is one word (Hangul words are
    space-separated and count as runs).
    """
    if unit == "chars":
        if text.isascii():  # no combining mark: the letters, counted without a Python step per character
            return sum(map(str.isalpha, text))
        return sum(1 for ch in text if ch.isalpha() or unicodedata.category(ch) == "Mn")
    unspaced = len(_UNSPACED.findall(text))
    return unspaced + len(_WORD.findall(_UNSPACED.sub(" ", text)))


@dataclass(frozen=True)
class Segment:
    """A piece of prose to detect, its length in the chosen unit, and its writing system."""

    text: str
    length: int
    script: str


def split_scripts(sentence: str) -> list[tuple[str, str]]:
    """Split a sentence where its writing system changes; spaces and punctuation stay with the run."""
    if sentence.isascii():  # one writing system, Latin, when it has a letter at all
        return [(sentence, "latin")] if _ASCII_LETTER.search(sentence) else []
    runs: list[tuple[str, str]] = []
    current: list[str] = []
    script: str | None = None
    for ch in sentence:
        s = script_of(ch)
        if s is not None and script is not None and s != script:
            runs.append(("".join(current), script))
            current = []
        if s is not None:
            script = s
        current.append(ch)
    if current and script is not None:
        runs.append(("".join(current), script))
    return runs


def segments(
    text: str,
    *,
    min_length: int = 10,
    unit: Unit = "chars",
    split_on_script: bool = True,
    chunk_length: int = 0,
    max_segments: int | None = None,
) -> tuple[list[Segment], int]:
    """Clean ``text`` and cut it into segments for detection.

    Sentences (split where the writing system changes, with ``split_on_script``) are the pieces.
    With ``chunk_length``, consecutive pieces in the same writing system are joined until a chunk
    reaches that length: detectors are unreliable on a few words ("Решим задачу." alone reads as
    Macedonian), and a chunk never joins two writing systems, so a switch from Chinese to English
    stays visible. Segments still shorter than ``min_length`` are dropped. With ``max_segments``,
    same-script neighbours are merged further until there are at most about that many (bounds the
    detection time of very long texts).

    Returns the kept segments and the total length (in ``unit``) left out as too short.
    """
    pieces: list[Segment] = []
    for sentence in _SENTENCE_END.split(clean(text)):
        if not sentence or not sentence.strip():
            continue
        if split_on_script:
            runs = split_scripts(sentence)
        else:
            script = next((s for s in map(script_of, sentence) if s), None)
            runs = [(sentence, script)] if script is not None else []
        for piece, script in runs:
            piece = " ".join(piece.split())
            length = measure(piece, unit)
            if length:
                pieces.append(Segment(piece, length, script))
    if chunk_length > 0:
        pieces = _merge(pieces, chunk_length)
    kept = [s for s in pieces if s.length >= min_length]
    dropped = sum(s.length for s in pieces if s.length < min_length)
    if max_segments is not None and len(kept) > max_segments:
        kept = _merge(kept, -(-sum(s.length for s in kept) // max_segments))
    return kept, dropped


def _merge(pieces: list[Segment], target: int) -> list[Segment]:
    """Join consecutive same-script segments while the running one is shorter than ``target``;
    then a short chunk that ends a same-script run joins the chunk before it."""
    merged = _join(pieces, lambda last, length: last < target)
    return _join(merged, lambda last, length: length < target)


def _join(pieces: list[Segment], joins) -> list[Segment]:
    """Each segment joined to the one before it when both share a script and
    ``joins(length so far, its length)``; texts are joined once per group (linear time)."""
    groups: list[list[Segment]] = []
    lengths: list[int] = []
    for seg in pieces:
        if groups and groups[-1][-1].script == seg.script and joins(lengths[-1], seg.length):
            groups[-1].append(seg)
            lengths[-1] += seg.length
        else:
            groups.append([seg])
            lengths.append(seg.length)
    return [Segment(" ".join(s.text for s in group), n, group[0].script) for group, n in zip(groups, lengths)]


def extract_tagged(text: str, tag: str, opened_in_prompt: bool = False) -> str | None:
    """The text inside ``<tag>…</tag>`` (every block, joined by newlines), or None without the tag.

    An opening tag with no closing one (a truncated generation) gives everything after it; a
    closing tag with no opening one (the chat template opened it in the prompt) gives everything
    before it. ``opened_in_prompt`` makes a completion with no tags at all count as one open block.
    One left-to-right pass with ``str.find``: a repeated unclosed tag is never rescanned.
    """
    opening, closing = f"<{tag}>", f"</{tag}>"
    blocks: list[str] = []
    pos = 0
    while (start := text.find(opening, pos)) >= 0:
        end = text.find(closing, start + len(opening))
        if end < 0:  # unclosed: no later opening tag has a closing one either
            blocks.append(text[start + len(opening) :])
            break
        blocks.append(text[start + len(opening) : end])
        pos = end + len(closing)
    else:
        if not blocks and closing in text:
            blocks.append(text.split(closing, 1)[0])
    if not blocks:
        return text if opened_in_prompt else None
    return "\n".join(blocks)
