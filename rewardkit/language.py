"""Language detection for rewards: a small detector interface, and text cleaning and segmenting.

A detector backend is a class registered through the ``register_language_detectors`` hook::

    class MyDetector(LanguageDetector):
        name = "mine"
        def detect(self, text: str) -> list[tuple[str, float]]:
            return [("en", 0.9), ("de", 0.1)]   # candidates, most probable first

    @hookimpl
    def register_language_detectors(register):
        register("mine", MyDetector)

Detectors must be deterministic: the same text gives the same answer in every run and process.
:func:`get_detector` builds one instance per (backend, seed) per process and reuses it.

Before detection, :func:`segments` removes what is not natural-language prose (code blocks, inline
code, LaTeX and math, URLs, e-mail addresses, XML/HTML tags, numbers), splits the rest into
sentences, splits a sentence where its writing system changes (Latin, Cyrillic, Hangul, CJK, ...),
joins short neighbours in the same writing system into chunks, and drops segments shorter than a
minimum length. Lengths count either characters (letters and
other non-space, non-punctuation characters) or words (runs of letters; each CJK ideograph or kana
counts as one word, since Chinese and Japanese do not separate words with spaces).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from typing import ClassVar, Literal, Sequence

Unit = Literal["chars", "words"]


class LanguageDetector:
    """Base class of language detector backends.

    Subclasses set ``name`` and implement :meth:`detect`; they may override :meth:`detect_many`
    when the backend is faster on batches. ``seed`` must make the backend deterministic.
    """

    name: ClassVar[str] = ""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def detect(self, text: str) -> list[tuple[str, float]]:
        """Candidate languages of ``text`` as ``(code, probability)``, most probable first.

        Codes are ISO 639-1 (``en``, ``ko``), optionally with a region (``zh-cn``). An empty list
        means the backend could not tell.
        """
        raise NotImplementedError

    def detect_many(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """:meth:`detect` for each text."""
        return [self.detect(t) for t in texts]

    @classmethod
    def supported(cls) -> frozenset[str] | None:
        """Codes this backend can return (checked against a reward's target), or None if unknown."""
        return None


_detectors: dict[tuple[str, int], LanguageDetector] = {}
_detectors_lock = threading.Lock()


def get_detector(name: str = "langdetect", seed: int = 0) -> LanguageDetector:
    """The process-wide instance of the detector backend ``name`` (looked up in the registry)."""
    key = (name, seed)
    detector = _detectors.get(key)
    if detector is None:
        from .registry import default_registry

        cls = default_registry().get("language_detector", name)
        with _detectors_lock:
            detector = _detectors.get(key)
            if detector is None:
                detector = _detectors[key] = cls(seed=seed)
    return detector


# -- language codes ------------------------------------------------------------------------------


def normalize_code(code: str) -> str:
    """``zh_CN`` -> ``zh-cn``; ``EN`` -> ``en``."""
    return code.strip().lower().replace("_", "-")


def code_matches(detected: str, target: str) -> bool:
    """Whether a detected code counts as the target.

    A target with a region (``zh-tw``) needs that exact code; a bare target (``zh``) matches every
    region of its language (``zh-cn``, ``zh-tw``).
    """
    detected, target = normalize_code(detected), normalize_code(target)
    if "-" in target:
        return detected == target
    return detected.split("-", 1)[0] == target


def primary_code(code: str) -> str:
    """``zh-cn`` -> ``zh``."""
    return normalize_code(code).split("-", 1)[0]


# -- cleaning ------------------------------------------------------------------------------------

_FENCED = re.compile(r"(```|~~~)[^\n]*\n.*?(?:\1|\Z)", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_INDENTED_CODE = re.compile(r"(?m)^(?: {4}|\t)\S.*$")
_LATEX_ENV = re.compile(r"\\begin\{([a-zA-Z*]+)\}.*?(?:\\end\{\1\}|\Z)", re.DOTALL)
_DISPLAY_MATH = re.compile(r"\$\$.*?(?:\$\$|\Z)|\\\[.*?(?:\\\]|\Z)", re.DOTALL)
_INLINE_MATH = re.compile(r"\\\(.*?\\\)|(?<![\\$])\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d)", re.DOTALL)
_LATEX_CMD = re.compile(r"\\[a-zA-Z]+\*?(?:\{[^{}\n]*\})*")
_URL = re.compile(r"(?:https?|ftp)://\S+|www\.\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_XML_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
# identifiers that only occur in code: snake_case, dotted.names, calls(), camelCase
_CODE_TOKEN = re.compile(r"\b\w+(?:_\w+)+\b|\b\w+(?:\.\w+)+\(?|\b[a-z]+[A-Z]\w*\b|\b\w+\(\)")
_NUMBER = re.compile(r"[+-]?\d[\d,._]*(?:[eE][+-]?\d+)?%?")


# Removed in this order: block constructs leave a newline, inline ones a space.
_REMOVED = (
    (_FENCED, "\n"),
    (_INDENTED_CODE, "\n"),
    (_INLINE_CODE, " "),
    (_LATEX_ENV, "\n"),
    (_DISPLAY_MATH, "\n"),
    (_INLINE_MATH, " "),
    (_LATEX_CMD, " "),
    (_URL, " "),
    (_EMAIL, " "),
    (_XML_TAG, "\n"),
    (_CODE_TOKEN, " "),
    (_NUMBER, " "),
)


def clean(text: str) -> str:
    """``text`` without code, LaTeX/math, URLs, e-mail addresses, XML tags and numbers.

    Removed spans become a newline (block constructs) or a space (inline ones), so the words on
    either side never fuse.
    """
    text = unicodedata.normalize("NFC", text)
    for pattern, replacement in _REMOVED:
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


def measure(text: str, unit: Unit) -> int:
    """Length of ``text`` in ``unit``.

    chars: letters and other characters that are neither space nor punctuation nor symbols.
    words: runs of letters, where each CJK ideograph or kana is one word (Hangul words are
    space-separated and count as runs).
    """
    if unit == "chars":
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
    """Join consecutive same-script segments while the running one is shorter than ``target``."""
    merged: list[Segment] = []
    for seg in pieces:
        last = merged[-1] if merged else None
        if last is not None and last.script == seg.script and last.length < target:
            merged[-1] = Segment(f"{last.text} {seg.text}", last.length + seg.length, seg.script)
        else:
            merged.append(seg)
    # a short chunk ending a same-script run joins the chunk before it
    out: list[Segment] = []
    for seg in merged:
        last = out[-1] if out else None
        if last is not None and last.script == seg.script and seg.length < target:
            out[-1] = Segment(f"{last.text} {seg.text}", last.length + seg.length, seg.script)
        else:
            out.append(seg)
    return out


def extract_tagged(text: str, tag: str, opened_in_prompt: bool = False) -> str | None:
    """The text inside ``<tag>…</tag>`` (every block, joined by newlines), or None without the tag.

    An opening tag with no closing one (a truncated generation) gives everything after it; a
    closing tag with no opening one (the chat template opened it in the prompt) gives everything
    before it. ``opened_in_prompt`` makes a completion with no tags at all count as one open block.
    """
    t = re.escape(tag)
    blocks = re.findall(rf"<{t}>(.*?)</{t}>", text, re.DOTALL)
    rest = re.sub(rf"<{t}>.*?</{t}>", "", text, flags=re.DOTALL)
    if f"<{tag}>" in rest:
        blocks.append(rest.split(f"<{tag}>", 1)[1])
    elif not blocks and f"</{tag}>" in rest:
        blocks.append(rest.split(f"</{tag}>", 1)[0])
    if not blocks:
        return text if opened_in_prompt else None
    return "\n".join(blocks)


DETECT_CHARS = 400


class LRU(OrderedDict):
    """A small bounded mapping that forgets the least recently used entries."""

    def __init__(self, size: int = 50_000) -> None:
        super().__init__()
        self.size = size
        self.lock = threading.Lock()

    def get_lang(self, key: str) -> str | None:
        with self.lock:
            value = self.get(key)
            if value is not None:
                self.move_to_end(key)
            return value

    def put(self, key: str, value: str) -> None:
        with self.lock:
            self[key] = value
            self.move_to_end(key)
            while len(self) > self.size:
                self.popitem(last=False)


def language_shares(
    detector: LanguageDetector, segs: Sequence[Segment], cache: LRU | None = None
) -> tuple[list[str], dict[str, int]]:
    """Detected top language of each segment, and the total length per language.

    A segment the detector cannot tell is counted under ``"unknown"``. Segments longer than
    ``DETECT_CHARS`` (merged same-script chunks) are detected on their first ``DETECT_CHARS``
    characters but weigh their full length.
    """
    known = {s.text: cache.get_lang(s.text) for s in segs} if cache is not None else {}
    todo = list(dict.fromkeys(s.text for s in segs if known.get(s.text) is None))
    # a long same-script chunk is detected on its first DETECT_CHARS characters (bounds the cost)
    samples = [text[:DETECT_CHARS] for text in todo]
    for text, candidates in zip(todo, detector.detect_many(samples) if todo else []):
        lang = normalize_code(candidates[0][0]) if candidates else "unknown"
        known[text] = lang
        if cache is not None:
            cache.put(text, lang)
    langs = [known[s.text] for s in segs]
    totals: dict[str, int] = {}
    for s, lang in zip(segs, langs):
        totals[lang] = totals.get(lang, 0) + s.length
    return langs, totals
