"""Fenced code blocks in completions, and code_format (open-r1's code_format_reward)."""

import pytest

from rewardkit import get_reward
from rewardkit.plugins.code.blocks import code_blocks, extract_code, has_code_format, language_of
from rewardkit.testing import assert_scores


def test_the_last_block_of_the_language_is_the_program():
    text = "Try:\n```python\nprint(1)\n```\nBetter:\n```cpp\nint main(){}\n```\nBest:\n```py\nprint(2)\n```\n"
    assert extract_code(text, "python") == "print(2)\n"
    assert extract_code(text, "python", which="first") == "print(1)\n"
    assert extract_code(text, "cpp") == "int main(){}\n"


def test_an_untagged_block_counts_only_when_asked():
    text = "```\nprint(1)\n```"
    assert extract_code(text, "python") is None
    assert extract_code(text, "python", untagged=True) == "print(1)\n"


def test_an_unclosed_block_is_not_a_program():
    assert extract_code("```python\nprint(1)\n", "python") is None
    assert code_blocks("```python\nx = 1\n``` trailing words\n") == []


def test_longer_fences_indentation_and_inner_backticks():
    text = "1. Code:\n   ````python\n   s = '```'\n   ````\n"
    assert extract_code(text, "python") == "   s = '```'\n"
    assert code_blocks("```Python3 title\nx\n```") == [("python3", "x\n")]


def test_language_names_of_datasets_and_fences():
    assert language_of("Python3") == "python"
    assert language_of("C++") == "cpp"
    assert language_of("javascript") is None


# open-r1's pattern: ^<think>\n.*?\n</think>\n<answer>\n.*?```{lang}.*?```.*?\n</answer>$ (DOTALL, MULTILINE)
FORMAT_CASES = [
    ("<think>\nplan\n</think>\n<answer>\n```python\nprint(1)\n```\n</answer>", 1.0),
    ("<think>\nplan\n</think>\n<answer>\nHere:\n```python\nprint(1)\n```\ndone\n</answer>", 1.0),
    ("<think>\n\n</think>\n<answer>\n```python\nx\n```\n</answer>", 1.0),  # empty thought: two newlines
    ("<think>\n</think>\n<answer>\n```python\nx\n```\n</answer>", 0.0),  # one newline is not enough
    ("<think>\nplan\n</think>\n<answer>\n```cpp\nint main(){}\n```\n</answer>", 0.0),  # wrong language
    ("<think>\nplan\n</think>\n<answer>\nprint(1)\n</answer>", 0.0),  # no fence
    ("<think>\nplan\n</think>\n<answer>\n```python\nprint(1)\n</answer>", 0.0),  # unclosed fence
    ("Sure! <think>\nplan\n</think>\n<answer>\n```python\nx\n```\n</answer>", 0.0),  # text before <think>
    ("<think>\nplan\n</think>\n<answer>\n```python\nx\n```\n</answer>\nthanks", 1.0),  # MULTILINE: $ at a line end
    ("<think>\nplan\n</think>\n<answer>\n```python\nx\n```\n</answer> thanks", 0.0),
    ("<think>\nplan\n</think>\n<answer>\n```python3\nx\n```\n</answer>", 1.0),  # the tag only has to start so
]


def test_code_format_matches_open_r1s_pattern():
    assert_scores(get_reward("code_format"), FORMAT_CASES)


def test_code_format_language_parameter_and_column():
    cpp = "<think>\nplan\n</think>\n<answer>\n```cpp\nint main(){}\n```\n</answer>"
    assert get_reward("code_format", language="cpp")([cpp]) == [1.0]
    assert get_reward("code_format")([cpp, cpp], language=["cpp", "python"]) == [1.0, 0.0]


def test_a_megabyte_of_fences_is_read_in_one_pass():
    text = "```python\nx = 1\n```\n" * 50_000 + "```python\nlast\n```"
    assert extract_code(text, "python") == "last\n"
    assert len(code_blocks("```" * 300_000)) == 0


@pytest.mark.parametrize("text", ["<think>\n" + "a\n" * 100_000, "<think>\n" + "\n</think>\n<answer>\n```python" * 20_000])
def test_code_format_is_linear_on_long_completions(text):
    assert has_code_format(text, "python") is False
