"""The wheel users pip-install carries the built-in plugins, trainers, presets and bundled data."""

import subprocess
import sys
import zipfile


def test_wheel_ships_plugins_trainers_presets_and_data(repo, tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path), str(repo)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    (wheel,) = tmp_path.glob("rewardkit-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "rewardkit/plugins/format.py",
        "rewardkit/plugins/math/verifier.py",
        "rewardkit/plugins/code/runner.py",
        "rewardkit/plugins/code/harness.py",
        "rewardkit/diagnostics/report.py",
        "rewardkit/trainers/policy/trl_rewards.py",
        "rewardkit/trainers/reward_model/training.py",
        "rewardkit/trainers/commands/train.py",
        "rewardkit/presets/gsm8k.yaml",
        "rewardkit/presets/r1.yaml",
        "rewardkit/data/gsm8k/train.jsonl",
        "rewardkit/data/gsm8k/LICENSE",
        "rewardkit/data/scitldr/NOTICE",
    ):
        assert name in names, name
    assert not any(n.startswith(("plugins/", "trainers/", "tests/")) for n in names)


def test_the_all_extra_installs_every_optional_feature(repo):
    import pytest

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    extras = tomllib.loads((repo / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (all_,) = extras["all"]
    features = set(extras) - {"all", "test"}
    assert all_ == f"rewardkit[{','.join(sorted(features, key=list(extras).index))}]"
    assert {"train", "tracking"} <= features
    tracking = {req.split(">")[0] for req in extras["tracking"]}
    assert tracking == {"tensorboard", "wandb", "trackio"}


# Modules of the plain install that only an extra makes importable (the command that needs them says so).
EXTRA_MODULES = {
    "rewardkit.integrations.server": "serve",
    "rewardkit.plugins.reasoning_gym.worker_preload": "reasoning-gym",  # the reasoning_gym reward's workers
}


def _distributions(requirements, extras=()) -> set[str]:
    """The distributions ``requirements`` bring, with everything they require in turn (as installed here)."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found: set[str] = set()
    todo = [(Requirement(r), extras) for r in requirements]
    while todo:
        req, wanted = todo.pop()
        if req.marker and not any(req.marker.evaluate({"extra": e}) for e in (*wanted, "")):
            continue
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found.add(name)
        try:
            todo += [(Requirement(r), tuple(req.extras)) for r in metadata.requires(req.name) or []]
        except metadata.PackageNotFoundError:
            pass
    return found


def test_a_plain_install_brings_every_package_its_modules_import_when_loaded(repo):
    """`pip install rewardkit` promises the rewards, `list`/`check`/`score`/`diagnose` and the pytest helpers:
    what their modules import at the top comes with the install (directly or through a dependency)."""
    import ast
    from importlib import metadata

    import pytest
    from packaging.utils import canonicalize_name

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((repo / "pyproject.toml").read_text())["project"]
    providers = metadata.packages_distributions()
    missing = []
    for prefix, folder in {"rewardkit": "rewardkit", "rewardkit.plugins": "plugins/builtin"}.items():
        for path in (repo / folder).rglob("*.py"):
            module = ".".join([prefix, *path.relative_to(repo / folder).with_suffix("").parts]).removesuffix(".__init__")
            extra = EXTRA_MODULES.get(module)
            allowed = _distributions(project["dependencies"] + (project["optional-dependencies"][extra] if extra else []))
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and not node.level else [])  # fmt: skip
                for top in {n.split(".")[0] for n in names} - set(sys.stdlib_module_names) - {"rewardkit", "__future__"}:
                    if not {canonicalize_name(d) for d in providers.get(top, [top])} & allowed:
                        missing.append(f"{module} imports {top}")
    assert not missing, missing
