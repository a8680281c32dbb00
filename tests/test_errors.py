"""Error messages quote values shortened: a megabyte of text or a huge structure gives one short line."""

from __future__ import annotations

import pytest

from rewardkit import ConfigError, load_composition
from rewardkit.errors import SHOWN_CHARS, RewardkitError, shown
from rewardkit.integrations import verl
from rewardkit.registry import get_reward

HUGE = "x" * 1_000_000
NESTED = [[["y" * 1000] * 100] * 100] * 10  # 10 MB as a repr, 10,000 distinct-looking leaves


def test_shown_is_short_and_says_what_it_shows():
    assert shown(HUGE).startswith("'xxx") and len(shown(HUGE)) <= SHOWN_CHARS
    assert shown(NESTED).startswith("[[['yyy") and len(shown(NESTED)) <= SHOWN_CHARS
    assert shown(10**5000) == "<int>"  # over Python's digit limit: no repr at all
    assert shown(1.5) == "1.5" and shown("gsm8k") == "'gsm8k'" and shown("gsm8k", quoted=False) == "gsm8k"


@pytest.mark.parametrize(
    "spec",
    [
        {"extends": "gsm8k", "weights": {"xml_count": HUGE}},
        {"extends": "gsm8k", "weights": {"xml_count": NESTED}},
        {"extends": "gsm8k", "weights": {HUGE: 1}},
        {"extends": "gsm8k", "remove": [HUGE]},
        {"rewards": [{"name": "xml_count", "on_error": HUGE}]},
        {"rewards": [{"name": "xml_count", "normalize": NESTED}]},
        {"rewards": [{"name": "xml_count", "weight": NESTED}]},
        {"rewards": [{"name": HUGE}]},
        {"rewards": [{"name": "xml_count", HUGE: 1}]},
        {"rewards": ["xml_count", {"name": "xml_count", "alias": None}], HUGE: 1},
        {"rewards": [{"name": "xml_count", "alias": HUGE}, {"name": "xml_count", "alias": HUGE}]},
        HUGE,
    ],
)
def test_a_composition_error_quotes_values_shortened(spec):
    with pytest.raises(ConfigError) as refused:
        load_composition(spec)
    message = str(refused.value)
    # The list of known rewards grows with every family; what must stay short is the quoted spec.
    quoted = message.split("; known rewards: ")[0]
    assert "\n" not in message and len(quoted) < 600, message[:1000]


def test_reward_and_adapter_errors_quote_values_shortened():
    for call in (
        lambda: get_reward("xml_count", on_error=NESTED),
        lambda: verl.compute_score("x", "y", "1", composition="gsm8k", none_score=HUGE),
    ):
        with pytest.raises(RewardkitError) as refused:
            call()
        assert len(str(refused.value)) < 600
