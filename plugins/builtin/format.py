"""Format rewards: the GSM8K recipe's XML checks and DeepSeek-R1's think/answer format."""

from __future__ import annotations

import functools
import re
from typing import ClassVar, Literal

from pydantic import Field

from rewardkit.hookspecs import hookimpl
from rewardkit.reward import Reward, RewardParams, Sample


class XmlTags(RewardParams):
    reasoning_tag: str = Field("reasoning", description="name of the reasoning tag")
    answer_tag: str = Field("answer", description="name of the answer tag")


class XmlCountParams(XmlTags):
    per_tag: float = Field(0.125, description="score for each tag line present exactly once")
    trailing_penalty: float = Field(0.001, description="penalty per character after the closing answer tag")


class XmlCount(Reward):
    """The GSM8K recipe's tag-count reward.

    ``per_tag`` for each of ``<reasoning>\\n``, ``\\n</reasoning>\\n``, ``\\n<answer>\\n`` and
    ``\\n</answer>`` present exactly once, minus ``trailing_penalty`` per character after the closing
    answer tag (whitespace there is not counted).

    >>> XmlCount()(["<reasoning>\\nx\\n</reasoning>\\n<answer>\\n4\\n</answer>"])
    [0.5]
    """

    name = "xml_count"
    description = "0.125 per GSM8K-recipe tag line present once, minus 0.001 per character after </answer>"
    Params = XmlCountParams

    def score(self, sample: Sample) -> float:
        p = self.params
        r, a = p.reasoning_tag, p.answer_tag
        text = sample.completion
        lines = (f"<{r}>\n", f"\n</{r}>\n", f"\n<{a}>\n", f"\n</{a}>")
        total = sum(p.per_tag for tag in lines if text.count(tag) == 1)
        closing = f"</{a}>"
        if text.count(closing) == 1:
            total -= p.trailing_penalty * len(text.split(closing, 1)[1].strip())
        return total


class FormatScore(XmlTags):
    score: float = Field(0.5, description="score when the format matches (the GSM8K recipe's 0.5)")


class TagLayout(Reward):
    """A format reward that scores ``params.score`` when its tag pattern matches."""

    Params = FormatScore
    anchored: ClassVar[bool] = False

    def layout(self, reasoning: str, answer: str) -> str:
        raise NotImplementedError

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        p = self.params
        return re.compile(self.layout(re.escape(p.reasoning_tag), re.escape(p.answer_tag)), re.DOTALL)

    def score(self, sample: Sample) -> float:
        match = (self.pattern.fullmatch if self.anchored else self.pattern.search)(sample.completion)
        return self.params.score if match else 0.0


class StrictFormat(TagLayout):
    """The whole completion is ``<reasoning>\\n…\\n</reasoning>\\n<answer>\\n…\\n</answer>``.

    One trailing newline is allowed but not required (generation usually stops at EOS).
    """

    name = "strict_format"
    description = "whole completion is <reasoning>\\n…\\n</reasoning>\\n<answer>\\n…\\n</answer>\\n"
    anchored = True

    def layout(self, r: str, a: str) -> str:
        return rf"<{r}>\n.*?\n</{r}>\n<{a}>\n.*?\n</{a}>\n?"


class SoftFormat(TagLayout):
    """``<reasoning>…</reasoning>`` followed by ``<answer>…</answer>`` anywhere, across newlines."""

    name = "soft_format"
    description = "<reasoning>…</reasoning>\\s*<answer>…</answer> anywhere in the completion"

    def layout(self, r: str, a: str) -> str:
        return rf"<{r}>.*?</{r}>\s*<{a}>.*?</{a}>"


class ThinkFormatParams(RewardParams):
    think_tag: str = Field("think", description="name of the reasoning tag")
    answer_tag: str = Field("answer", description="name of the answer tag")
    think_in_prompt: Literal["auto"] | bool = Field(
        "auto",
        description="the chat template already opened the think tag; auto: the prompt text ends with it",
    )
    min_think_chars: int = Field(0, ge=0, description="thinner reasoning gets the partial score")
    min_answer_chars: int = Field(0, ge=0, description="a thinner answer gets the partial score")
    score: float = Field(1.0, description="score for the format with enough content")
    partial: float = Field(0.5, description="score for the format with thin content")


class ThinkFormat(Reward):
    """DeepSeek-R1's format: ``<think>…</think>`` then ``<answer>…</answer>``, nothing around them.

    When the chat template put ``<think>`` at the end of the prompt (``think_in_prompt``), the
    completion starts inside the think block and is judged as if the tag were there.
    """

    name = "think_format"
    description = "DeepSeek-R1 <think>…</think><answer>…</answer>, aware of templates that open <think>"
    Params = ThinkFormatParams

    def opened_in_prompt(self, sample: Sample) -> bool:
        setting = self.params.think_in_prompt
        if setting != "auto":
            return setting
        return bool(sample.prompt) and sample.prompt.rstrip().endswith(f"<{self.params.think_tag}>")

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        t, a = re.escape(self.params.think_tag), re.escape(self.params.answer_tag)
        return re.compile(rf"\s*<{t}>(.*?)</{t}>\s*<{a}>(.*?)</{a}>\s*", re.DOTALL)

    def score(self, sample: Sample) -> float:
        p = self.params
        text = sample.completion
        if self.opened_in_prompt(sample) and not text.lstrip().startswith(f"<{p.think_tag}>"):
            text = f"<{p.think_tag}>" + text
        match = self.pattern.fullmatch(text)
        if not match or any(text.count(tag) != 1 for tag in (f"<{p.think_tag}>", f"<{p.answer_tag}>")):
            return 0.0
        think, answer = (g.strip() for g in match.groups())
        if len(think) < p.min_think_chars or len(answer) < p.min_answer_chars:
            return p.partial
        return p.score


class TagCountParams(RewardParams):
    tags: list[str] = Field(
        ["<think>", "</think>", "<answer>", "</answer>"], min_length=1, description="tags required exactly once"
    )
    score: float = Field(1.0, description="score when every tag appears exactly once")


class TagCount(Reward):
    """Share of the required tags that appear exactly once, times ``score``.

    A repeated block (two ``<answer>`` tags) loses that tag's share, so stacking answers
    cannot game a format reward.
    """

    name = "tag_count"
    description = "share of required tags present exactly once (guards against repeated blocks)"
    Params = TagCountParams

    def score(self, sample: Sample) -> float:
        tags = self.params.tags
        once = sum(1 for tag in tags if sample.completion.count(tag) == 1)
        return self.params.score * once / len(tags)


@hookimpl
def register_rewards(register):
    for reward in (XmlCount, StrictFormat, SoftFormat, ThinkFormat, TagCount):
        register(reward)
