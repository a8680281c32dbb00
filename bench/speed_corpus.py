"""The completions ``speed_bench`` scores, and the GSM8K notebook's five reward functions.

``gsm8k_completions``: 512 completions for 64 GSM8K test problems, 8 per problem (a GRPO group, so
each gold answer comes 8 times), built deterministically from the problems' gold solutions:
right, wrong, prose, commas, currency and malformed, in the chat format TRL hands conversational
rewards. ``r1_completions`` and ``ifeval_completions`` do the same for the ``r1`` preset (bundled
GSM8K sample, ``<think>``/``<answer>``) and ``ifeval`` (the bundled IFEval-style prompts).

``NOTEBOOK_FUNCTIONS`` are the five functions of willccbb's GSM8K GRPO notebook, written as the
notebook writes them (its ``print`` of one sample per call left out: logging, not scoring).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GROUP = 8  # completions per problem, as a GRPO group


def _message(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def gsm8k_completions(data: Path, n: int = 512, seed: int = 0) -> dict[str, list[Any]]:
    """``n`` completions (``n / 8`` problems), each with its kind, prompt and gold solution.

    Per problem: the recipe's format with the right answer, the right answer with thousands commas
    (``1,234``; ``12.00`` below a thousand), as currency (``$750``), the wrong answer, the right
    answer in prose without tags, and three malformed ones (cut off inside the answer, the answer
    tag empty, tags in the wrong order)."""
    rows = [json.loads(line) for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    picked = rng.sample(rows, n // GROUP)
    out: dict[str, list[Any]] = {"completions": [], "prompts": [], "answer": [], "kind": []}
    xml = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>\n"
    for row in picked:
        gold = row["answer"]
        value = int(gold.rsplit("####", 1)[1].strip().replace(",", ""))
        reasoning = re.sub(r"<<[^>]*>>", "", gold.rsplit("####", 1)[0]).strip()
        one_line = reasoning.replace("\n", " ")
        wrong = value + rng.choice([1, -1, 10, 2]) if value else 3
        commas = f"{value:,}" if abs(value) >= 1000 else f"{value}.00"
        kinds = {
            "right": xml.format(r=reasoning, a=value),
            "right_one_line": xml.format(r=one_line, a=value),  # what the notebook's strict pattern accepts
            "commas": xml.format(r=reasoning, a=commas),
            "currency": xml.format(r=one_line, a=f"${value}"),
            "wrong": xml.format(r=reasoning, a=wrong),
            "prose": f"{reasoning}\nSo the answer is {value}.",
            "malformed_cut": f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n{value}",
            "malformed_tags": rng.choice([
                f"<answer>\n\n</answer>\n<reasoning>\n{reasoning}\n</reasoning>",
                f"<reasoning>{one_line}</reasoning><answer>{value}</answer> and more text",
                f"<answer>\n{value}\n</answer>\n<answer>\n{wrong}\n</answer>",
            ]),
        }
        prompt = [{"role": "system", "content": "Respond in the XML format."}, {"role": "user", "content": row["question"]}]
        for kind, text in kinds.items():
            out["completions"].append(_message(text))
            out["prompts"].append(prompt)
            out["answer"].append(gold)
            out["kind"].append(kind)
    return out


def r1_completions(n: int = 512, seed: int = 0) -> dict[str, list[Any]]:
    """``n`` DeepSeek-R1-style completions for the bundled GSM8K sample's problems, 8 per problem:
    right, wrong, unclosed think, no answer tag, prose outside the tags, a line in another
    language, boxed inside the answer, an empty think block."""
    rows = [json.loads(line) for line in (REPO / "rewardkit" / "data" / "gsm8k" / "train.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    out: dict[str, list[Any]] = {"completions": [], "prompts": [], "answer": [], "kind": []}
    for row in rng.sample(rows, n // GROUP):
        gold = row["answer"]
        value = int(gold.rsplit("####", 1)[1].strip().replace(",", ""))
        reasoning = re.sub(r"<<[^>]*>>", "", gold.rsplit("####", 1)[0]).strip()
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
        prompt = [{"role": "user", "content": row["question"]}]
        for kind, text in kinds.items():
            out["completions"].append(_message(text))
            out["prompts"].append(prompt)
            out["answer"].append(gold)
            out["kind"].append(kind)
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
        out["completions"].append(_message(text))
        out["prompts"].append([{"role": "user", "content": row["question"]}])
        out["instruction_id_list"].append(row["instruction_id_list"])
        out["kwargs"].append(row["kwargs"])
        out["kind"].append(variant)
    return out


# -- the GSM8K GRPO notebook's five reward functions, as it writes them ---------------------------


def extract_xml_answer(text: str) -> str:
    answer = text.split("<answer>")[-1]
    answer = answer.split("</answer>")[0]
    return answer.strip()


def extract_hash_answer(text: str) -> str | None:
    if "####" not in text:
        return None
    return text.split("####")[1].strip()


def correctness_reward_func(prompts, completions, answer, **kwargs) -> list[float]:
    responses = [completion[0]["content"] for completion in completions]
    extracted_responses = [extract_xml_answer(r) for r in responses]
    return [2.0 if r == a else 0.0 for r, a in zip(extracted_responses, answer)]


def int_reward_func(completions, **kwargs) -> list[float]:
    responses = [completion[0]["content"] for completion in completions]
    extracted_responses = [extract_xml_answer(r) for r in responses]
    return [0.5 if r.isdigit() else 0.0 for r in extracted_responses]


def strict_format_reward_func(completions, **kwargs) -> list[float]:
    """Reward function that checks if the completion has a specific format."""
    pattern = r"^<reasoning>\n.*?\n</reasoning>\n<answer>\n.*?\n</answer>\n$"
    responses = [completion[0]["content"] for completion in completions]
    matches = [re.match(pattern, r) for r in responses]
    return [0.5 if match else 0.0 for match in matches]


def soft_format_reward_func(completions, **kwargs) -> list[float]:
    """Reward function that checks if the completion has a specific format."""
    pattern = r"<reasoning>.*?</reasoning>\s*<answer>.*?</answer>"
    responses = [completion[0]["content"] for completion in completions]
    matches = [re.match(pattern, r) for r in responses]
    return [0.5 if match else 0.0 for match in matches]


def count_xml(text) -> float:
    count = 0.0
    if text.count("<reasoning>\n") == 1:
        count += 0.125
    if text.count("\n</reasoning>\n") == 1:
        count += 0.125
    if text.count("\n<answer>\n") == 1:
        count += 0.125
        count -= len(text.split("\n</answer>\n")[-1]) * 0.001
    if text.count("\n</answer>") == 1:
        count += 0.125
        count -= (len(text.split("\n</answer>")[-1]) - 1) * 0.001
    return count


def xmlcount_reward_func(completions, **kwargs) -> list[float]:
    contents = [completion[0]["content"] for completion in completions]
    return [count_xml(c) for c in contents]


# In the notebook's order; the dataset's answer column holds extract_hash_answer(solution).
NOTEBOOK_FUNCTIONS = {
    "xml_count": xmlcount_reward_func,
    "soft_format": soft_format_reward_func,
    "strict_format": strict_format_reward_func,
    "int_answer": int_reward_func,
    "math_correctness": correctness_reward_func,
}
