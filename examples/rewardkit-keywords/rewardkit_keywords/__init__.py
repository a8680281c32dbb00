"""An example third-party rewardkit plugin, installable on its own."""

from typing import Literal

from pydantic import Field

from rewardkit import Reward, RewardParams, Sample, hookimpl


class KeywordParams(RewardParams):
    keywords: list[str] = Field(min_length=1, description="words the completion should mention")
    mode: Literal["share", "all", "any"] = Field("share", description="share found, all found, or any found")
    case_sensitive: bool = False


class KeywordPresence(Reward):
    """Score by the keywords a completion mentions: their share, or 1.0 when all/any are found."""

    name = "keyword_presence"
    description = "share of required keywords the completion mentions (or all/any of them)"
    Params = KeywordParams

    def score(self, sample: Sample) -> float:
        p = self.params
        text = sample.completion if p.case_sensitive else sample.completion.lower()
        found = [(k if p.case_sensitive else k.lower()) in text for k in p.keywords]
        if p.mode == "all":
            return float(all(found))
        if p.mode == "any":
            return float(any(found))
        return sum(found) / len(found)


@hookimpl
def register_rewards(register):
    register(KeywordPresence)
