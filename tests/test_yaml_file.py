"""YAML files: safe tags only, and every error one line, ``path:line:column: problem``."""

from __future__ import annotations

import pytest

from rewardkit import ConfigError
from rewardkit.cli import main
from rewardkit.yaml_file import read_yaml


@pytest.mark.parametrize(
    "text, where, problem",
    [
        ("rewards:\n  - name: xml_count\n    weight: [1, 2\n", "4:1", "did not find expected ',' or ']' "
         "(while parsing a flow sequence from line 3, column 13)"),
        ("rewards: !!python/object/apply:os.system ['touch pwned']\n", "1:10",
         "the tag '!!python/object/apply:os.system' is not allowed"),
        ("weights: {a: 1}\nrewards: !custom [a]\n", "2:10", "the tag '!custom' is not allowed"),
        ("a: b: c\n", "1:5", "mapping values are not allowed in this context"),
        ("x: 1\na: \"\x01\"\n", "2:5", "character #x0001: control characters are not allowed"),
    ],
)  # fmt: skip
def test_a_syntax_error_or_refused_tag_is_one_line_naming_path_line_and_column(tmp_path, text, where, problem):
    path = tmp_path / "rewards.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as refused:
        read_yaml(path)
    message = str(refused.value)
    assert message.startswith(f"{path}:{where}: invalid YAML: ") and problem in message
    assert "\n" not in message and "<unicode string>" not in message


def test_values_yaml_cannot_convert_are_one_line_too(tmp_path):
    for text in ("w: " + "9" * 5000, "when: 2020-13-45"):
        (tmp_path / "r.yaml").write_text(text)
        with pytest.raises(ConfigError, match="r.yaml: invalid YAML: ") as refused:
            read_yaml(tmp_path / "r.yaml")
        assert "\n" not in str(refused.value)


def test_rewardkit_check_names_the_file_once(tmp_path, capsys):
    path = tmp_path / "rewards.yaml"
    path.write_text("rewards:\n  - name: xml_count\n    weight: !!python/object:os.system 1\n")
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err == f"rewardkit check: error: {path}:3:13: invalid YAML: the tag '!!python/object:os.system' is not " \
                  "allowed: only plain data (mappings, lists, text, numbers)\n"
