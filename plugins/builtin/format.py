"""Format rewards: the GSM8K recipe's XML checks and DeepSeek-R1's think/answer format."""

from __future__ import annotations

import functools
import re
from typing import ClassVar, Literal, Sequence

from pydantic import Field

from rewardkit.hookspecs import hookimpl
from rewardkit.reward import Reward, RewardParams, Sample


class XmlTags(RewardParams):
    reasoning_tag: str = Field("reasoning", description="name of the reasoning tag")
    answer_tag: str = Field("answer", description="name of the answer tag")


class XmlCountParams(XmlTags):
    per_tag: float = Field(0.125, description="score for each tag line present exactly once")
    trailing_penalty: float = Field(0.001, description="penalty per character after the closing answer tag")
    trailing: Literal["after_answer", "notebook"] = Field(
        "after_answer",
        description="after_answer: the penalty per non-space character after the one </answer>; notebook: the "
        "GSM8K notebook's count_xml as written (a completion without a newline after </answer> is charged its "
        "whole length, one ending right after it gains 0.001)",
    )


class XmlCount(Reward):
    """The GSM8K recipe's tag-count reward.

    ``per_tag`` for each of ``<reasoning>\\n``, ``\\n</reasoning>\\n``, ``\\n<answer>\\n`` and
    ``\\n</answer>`` present exactly once, minus ``trailing_penalty`` per character after the closing
    answer tag (whitespace there is not counted). ``trailing: notebook`` charges what follows as the
    notebook's ``count_xml`` does, quirks included (``gsm8k_strict``).

    >>> XmlCount()(["<reasoning>\\nx\\n</reasoning>\\n<answer>\\n4\\n</answer>"])
    [0.5]
    """

    name = "xml_count"
    description = "0.125 per GSM8K-recipe tag line present once, minus 0.001 per character after </answer>"
    Params = XmlCountParams
    pure = True

    @functools.cached_property
    def tags(self) -> tuple[tuple[str, ...], str]:
        r, a = self.params.reasoning_tag, self.params.answer_tag
        return (f"<{r}>\n", f"\n</{r}>\n", f"\n<{a}>\n", f"\n</{a}>"), f"</{a}>"

    def score(self, sample: Sample) -> float:
        return self.score_samples([sample])[0]

    def score_samples(self, samples: list[Sample]) -> list[float]:
        p = self.params
        if p.trailing == "notebook":
            return [self.notebook_count(sample.completion) for sample in samples]
        (lines, closing), per_tag, penalty = self.tags, p.per_tag, p.trailing_penalty
        scores = []
        for sample in samples:
            text, total = sample.completion, 0.0
            for tag in lines:
                if text.count(tag) == 1:
                    total += per_tag
            if text.count(closing) == 1:
                total -= penalty * len(text.split(closing, 1)[1].strip())
            scores.append(total)
        return scores

    def notebook_count(self, text: str) -> float:
        """The notebook's ``count_xml``, operation for operation (so the floats are its floats)."""
        p = self.params
        (opening, reasoning_end, answer_start, answer_end), _ = self.tags
        count = 0.0
        if text.count(opening) == 1:
            count += p.per_tag
        if text.count(reasoning_end) == 1:
            count += p.per_tag
        if text.count(answer_start) == 1:
            count += p.per_tag
            count -= len(text.split(answer_end + "\n")[-1]) * p.trailing_penalty
        if text.count(answer_end) == 1:
            count += p.per_tag
            count -= (len(text.split(answer_end)[-1]) - 1) * p.trailing_penalty
        return count


def find_in_order(
    text: str, pieces: Sequence[re.Pattern[str]], anchored: bool = False, gaps: bool = True
) -> list[str] | None:
    """The text between consecutive ``pieces`` when they occur in ``text`` in order, else None.

    The recipes' patterns (``<r>.*?</r>\\s*<a>.*?</a>``) backtrack: on a completion that repeats
    its tags, each opening tag rescans the rest of the text, which is quadratic (cubic with two
    gaps) in its length. Here each piece is searched once, from where the previous one ended,
    and the earliest occurrence is taken (it leaves the most room for the pieces after it), so
    the verdict is the pattern's and the time is linear. Each piece must itself be linear (a
    literal, ``\\s*`` next to a literal). ``anchored``: the first piece must start the text and
    the last one must end it (give it a ``\\Z``). ``gaps`` false: an empty list when they occur
    (the text between them not copied).
    """
    between: list[str] = []
    found = pieces[0].match(text) if anchored else pieces[0].search(text)
    for piece in pieces[1:]:
        if found is None:
            return None
        pos = found.end()
        found = piece.search(text, pos)
        if gaps and found is not None:
            between.append(text[pos : found.start()])
    return None if found is None else between


class FormatScore(XmlTags):
    score: float = Field(0.5, description="score when the format matches (the GSM8K recipe's 0.5)")
    pattern: Literal["layout", "notebook"] = Field(
        "layout",
        description="layout: the tags in their order, any text inside them; notebook: the GSM8K notebook's regular "
        "expression as it behaves (re.match without re.DOTALL: reasoning and answer on one line each, soft_format "
        "from the first character, strict_format ending with one or two newlines), in linear time",
    )


class TagLayout(Reward):
    """A format reward that scores ``params.score`` when its tags occur in its layout."""

    Params = FormatScore
    pure = True
    anchored: ClassVar[bool] = False

    def layout(self, reasoning: str, answer: str) -> tuple[str, ...]:
        """The layout's pieces as regular expressions; anything may stand between two pieces."""
        raise NotImplementedError

    @functools.cached_property
    def pieces(self) -> list[re.Pattern[str]]:
        p = self.params
        return [re.compile(piece) for piece in self.layout(re.escape(p.reasoning_tag), re.escape(p.answer_tag))]

    def score(self, sample: Sample) -> float:
        return self.score_samples([sample])[0]

    def score_samples(self, samples: list[Sample]) -> list[float]:
        score = self.params.score
        if self.params.pattern == "notebook":
            match = self.notebook_match
            return [score if match(sample.completion) else 0.0 for sample in samples]
        pieces, anchored = self.pieces, self.anchored
        return [score if find_in_order(sample.completion, pieces, anchored, False) is not None else 0.0 for sample in samples]

    def notebook_match(self, text: str) -> bool:
        """Whether the notebook's pattern matches ``text`` (``re.match``, ``.`` not matching a newline)."""
        raise NotImplementedError


class StrictFormat(TagLayout):
    """The whole completion is ``<reasoning>\\n…\\n</reasoning>\\n<answer>\\n…\\n</answer>``.

    One trailing newline is allowed but not required (generation usually stops at EOS).
    """

    name = "strict_format"
    description = "whole completion is <reasoning>\\n…\\n</reasoning>\\n<answer>\\n…\\n</answer>\\n"
    anchored = True

    def layout(self, r: str, a: str) -> tuple[str, ...]:
        return rf"<{r}>\n", rf"\n</{r}>\n<{a}>\n", rf"\n</{a}>\n?\Z"

    def notebook_match(self, text: str) -> bool:
        # ^<r>\n.*?\n</r>\n<a>\n.*?\n</a>\n$: seven lines (the last empty), or eight with an empty one.
        r, a = self.params.reasoning_tag, self.params.answer_tag
        lines = text.split("\n", 8)
        return (
            len(lines) in (7, 8)
            and (lines[0], lines[2], lines[3], lines[5]) == (f"<{r}>", f"</{r}>", f"<{a}>", f"</{a}>")
            and all(line == "" for line in lines[6:])
        )


class SoftFormat(TagLayout):
    """``<reasoning>…</reasoning>`` followed by ``<answer>…</answer>`` anywhere, across newlines."""

    name = "soft_format"
    description = "<reasoning>…</reasoning>\\s*<answer>…</answer> anywhere in the completion"

    def layout(self, r: str, a: str) -> tuple[str, ...]:
        return rf"<{r}>", rf"</{r}>\s*<{a}>", rf"</{a}>"

    def notebook_match(self, text: str) -> bool:
        # re.match(<r>.*?</r>\s*<a>.*?</a>): from the first character, the reasoning on the first line,
        # then for some "</r>\s*<a>" on that line, "</a>" on the line where the answer starts.
        r, a = self.params.reasoning_tag, self.params.answer_tag
        if not text.startswith(f"<{r}>"):
            return False
        first_line_end = text.find("\n")
        closing = f"</{a}>"
        close = newline = -2  # the next closing tag and newline at or after a position (-1: none)
        for middle in self.pieces[1].finditer(text, len(r) + 2):
            if first_line_end >= 0 and middle.start() > first_line_end:
                return False
            start = middle.end()
            if close != -1 and close < start:  # each search starts past the last one: linear in all
                close = text.find(closing, start)
            if close == -1:
                return False
            if newline != -1 and newline < start:
                newline = text.find("\n", start)
            if newline == -1 or close < newline:
                return True
        return False


class ThinkFormatParams(RewardParams):
    think_tag: str = Field("think", description="name of the reasoning tag")
    answer_tag: str | None = Field(
        "answer", description="name of the answer tag; null: anything may follow </think> (TRL's think_format_reward)"
    )
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

    With ``answer_tag: null`` it is TRL's ``think_format_reward``: one ``<think>…</think>`` block at
    the start, then any text (the answer, judged by ``min_answer_chars``). When the chat template
    put ``<think>`` at the end of the prompt (``think_in_prompt``), the completion starts inside
    the think block and is judged as if the tag were there.
    """

    name = "think_format"
    description = "DeepSeek-R1 <think>…</think><answer>…</answer>, aware of templates that open <think>"
    Params = ThinkFormatParams
    pure = True

    def opened_in_prompt(self, sample: Sample) -> bool:
        setting = self.params.think_in_prompt
        if setting != "auto":
            return setting
        return bool(sample.prompt) and sample.prompt.rstrip().endswith(f"<{self.params.think_tag}>")

    @functools.cached_property
    def pieces(self) -> list[re.Pattern[str]]:
        t = re.escape(self.params.think_tag)
        if self.params.answer_tag is None:
            return [re.compile(rf"\s*<{t}>"), re.compile(rf"</{t}>"), re.compile(r"\Z")]
        a = re.escape(self.params.answer_tag)
        return [re.compile(piece) for piece in (rf"\s*<{t}>", rf"</{t}>\s*<{a}>", rf"</{a}>\s*\Z")]

    def score(self, sample: Sample) -> float:
        p = self.params
        text = sample.completion
        if self.opened_in_prompt(sample) and not text.lstrip().startswith(f"<{p.think_tag}>"):
            text = f"<{p.think_tag}>" + text
        once = [f"<{p.think_tag}>"] if p.answer_tag is None else [f"<{p.think_tag}>", f"<{p.answer_tag}>"]
        if any(text.count(tag) != 1 for tag in once):
            return 0.0
        found = find_in_order(text, self.pieces, anchored=True)
        if found is None:
            return 0.0
        think, answer = (g.strip() for g in found)
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
    pure = True

    def score(self, sample: Sample) -> float:
        tags = self.params.tags
        once = sum(1 for tag in tags if sample.completion.count(tag) == 1)
        return self.params.score * once / len(tags)


@hookimpl
def register_rewards(register):
    for reward in (XmlCount, StrictFormat, SoftFormat, ThinkFormat, TagCount):
        register(reward)
