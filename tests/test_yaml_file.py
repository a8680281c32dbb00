"""YAML files: regular files only, bounded, safe tags only, and every error one line, ``path:line:column: problem``;
what is not a composition is refused without quoting it."""

from __future__ import annotations

import os
import threading

import pytest

from rewardkit import ConfigError, load_composition
from rewardkit.cli import main
from rewardkit.yaml_file import MAX_FILE_BYTES, read_yaml


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


# -- what is not a config file ----------------------------------------------------------------------


def test_a_device_is_refused_unread(tmp_path):
    # /dev/zero never ends: it once read 3.7 GB before a traceback
    (tmp_path / "c.yaml").write_text("extends: /dev/zero\n")
    with pytest.raises(ConfigError, match="^/dev/zero: cannot read: a device, not a file$"):
        load_composition(tmp_path / "c.yaml")


def test_a_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "c.yaml").write_text("extends: pipe.yaml\n")
    refused = []

    def load():
        try:
            load_composition(tmp_path / "c.yaml")
        except ConfigError as exc:
            refused.append(str(exc))

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(60)  # a guard against the hang this test is about, not a measurement
    assert not thread.is_alive(), "reading a FIFO waited for a writer"
    assert refused == [f"{tmp_path / 'pipe.yaml'}: cannot read: a pipe, not a file"]


def test_a_file_over_the_bound_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.yaml"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written, nothing would be read
    with pytest.raises(ConfigError, match=r"big.yaml: cannot read: 16,777,217 bytes, more than a config may have \(16 MB\)"):
        read_yaml(big)


SECRET = "root:$6$Zk3Qx9wPl$Bq0fX9hVh0u2Jd8m1Q:19000:0:99999:7:::"


@pytest.mark.parametrize(
    "content",
    [
        f"{SECRET}\ndaemon:*:19000:0:99999:7:::\n",  # /etc/shadow: YAML reads it as a mapping of one key
        f"{SECRET} is private\nand more text\n",  # /etc/passwd: not YAML (the error gives a line and column)
        "127.0.0.1 localhost Zk3Qx9wPl\nand more text\n",  # /etc/hosts: text
        f"- {SECRET}\n- x\n",  # a list
    ],
    ids=["mapping", "not-yaml", "text", "list"],
)
def test_extends_of_a_file_that_is_no_composition_never_quotes_it(tmp_path, content, capsys):
    (tmp_path / "private").write_text(content)
    (tmp_path / "c.yaml").write_text("extends: private\n")
    assert main(["check", str(tmp_path / "c.yaml")]) == 2
    error = capsys.readouterr().err
    assert f"{tmp_path / 'private'}" in error and len(error.strip().splitlines()) == 1
    assert "Zk3Qx9wPl" not in error and "daemon" not in error and "more text" not in error


def test_an_integer_beyond_float_range_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "c.yaml").write_text("rewards:\n  - name: xml_count\n    weight: " + "9" * 400 + "\n")
    assert main(["check", str(tmp_path / "c.yaml")]) == 2
    assert capsys.readouterr().err.strip() == f"rewardkit check: error: {tmp_path / 'c.yaml'}: an integer of 400 digits, beyond the range of a number"
    with pytest.raises(ConfigError, match="composition: an integer of 310 digits"):
        load_composition({"rewards": [{"name": "xml_count", "weight": 10**308 * 10}]})
