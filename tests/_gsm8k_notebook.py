"""The GSM8K GRPO notebook's five reward functions, and GSM8K completions to compare them on.

``NOTEBOOK_FUNCTIONS`` are the five functions of willccbb's GSM8K GRPO notebook, written as the
notebook writes them (its ``print`` of one sample per call left out: logging, not scoring); the
``gsm8k_strict`` preset must score exactly as they do. ``gsm8k_completions`` builds 512
completions for 64 GSM8K test problems, 8 per problem (a GRPO group, so each gold answer comes 8
times) deterministically from the problems' gold solutions: right, wrong, prose, commas,
currency and malformed, in the chat format TRL hands conversational rewards. Used by
tests/test_format_rewards.py and bench/speed_bench.py.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

GROUP = 8  # completions per problem, as a GRPO group
XML = "<reasoning>\n{r}\n</reasoning>\n<answer>\n{a}\n</answer>\n"


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


def add_group(out: dict[str, list[Any]], kinds: dict[str, str], prompt: Any, gold: str) -> None:
    """One problem's completions (kind -> text) into the columns, each with the prompt and gold."""
    for kind, text in kinds.items():
        out["completions"].append(chat(text))
        out["prompts"].append(prompt)
        out["answer"].append(gold)
        out["kind"].append(kind)


def solution_parts(gold: str) -> tuple[int, str]:
    """A GSM8K solution's final number and its reasoning without the calculator annotations."""
    value = int(gold.rsplit("####", 1)[1].strip().replace(",", ""))
    return value, re.sub(r"<<[^>]*>>", "", gold.rsplit("####", 1)[0]).strip()


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
    for row in picked:
        gold = row["answer"]
        value, reasoning = solution_parts(gold)
        one_line = reasoning.replace("\n", " ")
        wrong = value + rng.choice([1, -1, 10, 2]) if value else 3
        commas = f"{value:,}" if abs(value) >= 1000 else f"{value}.00"
        kinds = {
            "right": XML.format(r=reasoning, a=value),
            "right_one_line": XML.format(r=one_line, a=value),  # what the notebook's strict pattern accepts
            "commas": XML.format(r=reasoning, a=commas),
            "currency": XML.format(r=one_line, a=f"${value}"),
            "wrong": XML.format(r=reasoning, a=wrong),
            "prose": f"{reasoning}\nSo the answer is {value}.",
            "malformed_cut": f"<reasoning>\n{reasoning}\n</reasoning>\n<answer>\n{value}",
            "malformed_tags": rng.choice([
                f"<answer>\n\n</answer>\n<reasoning>\n{reasoning}\n</reasoning>",
                f"<reasoning>{one_line}</reasoning><answer>{value}</answer> and more text",
                f"<answer>\n{value}\n</answer>\n<answer>\n{wrong}\n</answer>",
            ]),
        }
        prompt = [{"role": "system", "content": "Respond in the XML format."}, {"role": "user", "content": row["question"]}]
        add_group(out, kinds, prompt, gold)
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
