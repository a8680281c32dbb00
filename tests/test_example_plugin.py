"""The separately installable example plugin in examples/rewardkit-keywords, installed for real."""

import json
import os
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def installed(tmp_path_factory, request):
    repo = request.config.rootpath
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(repo / "examples" / "rewardkit-keywords")],
        check=True, capture_output=True, text=True, timeout=300,
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("REWARDKIT_DISABLE_PLUGIN_AUTOLOAD", None)
    return repo, env


def rewardkit(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "rewardkit.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_installed_plugin_shows_in_list_with_its_provider(installed):
    _, env = installed
    result = rewardkit(env, "list")
    assert result.returncode == 0, result.stderr
    assert "keyword_presence  [keywords]" in result.stdout


def test_installed_plugin_scores_from_yaml(installed, tmp_path):
    _, env = installed
    spec = tmp_path / "kw.yaml"
    spec.write_text("rewards:\n  - name: keyword_presence\n    weight: 2\n    params: {keywords: [Paris, France]}\n")
    data = tmp_path / "d.jsonl"
    data.write_text(json.dumps({"completion": "Paris is in France"}) + "\n" + json.dumps({"completion": "Paris"}) + "\n")
    out = tmp_path / "o.jsonl"
    result = rewardkit(env, "score", str(spec), str(data), "--out", str(out))
    assert result.returncode == 0, result.stderr
    totals = [json.loads(line)["rewardkit"]["total"] for line in out.read_text().splitlines()]
    assert totals == [2.0, 1.0]


def test_plugin_authors_tests_run_with_the_shipped_pytest_helpers(installed):
    repo, env = installed
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(repo / "examples" / "rewardkit-keywords" / "tests")],
        capture_output=True, text=True, env=env, timeout=300, cwd=repo / "examples" / "rewardkit-keywords",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
