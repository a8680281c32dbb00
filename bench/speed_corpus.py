"""The completions ``speed_bench`` scores besides GSM8K's (tests/_gsm8k_notebook.py): the ``r1``
preset's (bundled GSM8K sample, ``<think>``/``<answer>``) and ``ifeval``'s (the bundled
IFEval-style prompts), built deterministically.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from _gsm8k_notebook import GROUP, add_group, chat, solution_parts

REPO = Path(__file__).resolve().parents[1]


def r1_completions(n: int = 512, seed: int = 0) -> dict[str, list[Any]]:
    """``n`` DeepSeek-R1-style completions for the bundled GSM8K sample's problems, 8 per problem:
    right, wrong, unclosed think, no answer tag, prose outside the tags, a line in another
    language, boxed inside the answer, an empty think block."""
    rows = [json.loads(line) for line in (REPO / "rewardkit" / "data" / "gsm8k" / "train.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {"completions": [], "prompts": [], "answer": [], "kind": []}
    for row in rng.sample(rows, n // GROUP):
        gold = row["answer"]
        value, reasoning = solution_parts(gold)
        r1 = "<think>\n{r}\n</think>\n<answer>\n{a}\n</answer>"
        kinds = {
            "right": r1.format(r=reasoning, a=value),
            "wrong": r1.format(r=reasoning, a=value + 1),
            "unclosed": f"<think>\n{reasoning}\n<answer>\n{value}\n</answer>",
            "no_answer_tag": f"<think>\n{reasoning}\n</think>\nThe answer is {value}.",
            "prose_outside": r1.format(r=reasoning, a=value) + "\nHope this helps!",
            "mixed_language": r1.format(r=reasoning + "\nDonc la réponse est évidente, je pense.", a=value),
            "boxed": r1.format(r=reasoning, a=f"$\\boxed{{{value}}}$"),
            "empty_think": r1.format(r="", a=value),
        }
        add_group(out, kinds, [{"role": "user", "content": row["question"]}], gold)
    return out


_SENTENCES = [
    "The river runs past the old mill and into the valley.",
    "We tested three options and the second one worked best.",
    "Water boils at 100 degrees at sea level.",
    "She read the report twice before signing it.",
    "A small cat sat on the warm mat, happy and quiet.",
    "The market opens early on Saturday mornings.",
]


def ifeval_completions(n: int = 480, seed: int = 0) -> dict[str, list[Any]]:
    """``n`` responses to the bundled IFEval-style prompts (48 training rows, 10 each, cycling):
    sentences from a pool, some with commas, upper or lower case, short and long, a title, a
    postscript, bullet points, JSON, and the prompt's keywords or not."""
    rows = [json.loads(line) for line in (REPO / "rewardkit" / "data" / "ifeval" / "train.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {"completions": [], "prompts": [], "instruction_id_list": [], "kwargs": [], "kind": []}
    variants = ("plain", "lower", "upper", "title", "postscript", "bullets", "json", "keywords", "long", "commas")
    k = 0
    while len(out["completions"]) < n:
        row = rows[k % len(rows)]
        variant = variants[(k // len(rows) + k) % len(variants)]
        k += 1
        text = " ".join(rng.choice(_SENTENCES) for _ in range(rng.randint(2, 6)))
        kwargs = json.loads(row["kwargs"]) if isinstance(row["kwargs"], str) else row["kwargs"]
        words = [w for kw in kwargs for w in (kw.get("keywords") or [])]
        text = {
            "plain": text.replace(",", ""),
            "lower": text.lower().replace(",", ""),
            "upper": text.upper(),
            "title": f"<<A note>>\n\n{text}",
            "postscript": f"{text}\n\nP.S. Thanks for reading.",
            "bullets": "\n".join(f"* {s}" for s in text.split(". ")),
            "json": json.dumps({"note": text}),
            "keywords": f"{text} {' '.join(words)}",
            "long": " ".join([text] * 12),
            "commas": text.replace(" and ", ", and "),
        }[variant]
        out["completions"].append(chat(text))
        out["prompts"].append([{"role": "user", "content": row["question"]}])
        out["instruction_id_list"].append(row["instruction_id_list"])
        out["kwargs"].append(row["kwargs"])
        out["kind"].append(variant)
    return out
