"""The package's architecture, checked: no import cycles, and no domain engine in the core.

Every ``import`` statement counts, at module level or inside a function; imports under
``if TYPE_CHECKING:`` (never executed) do not. Plugin discovery (the built-in plugin names in
``rewardkit.registry``, entry points), the command table in ``rewardkit.commands`` and the
package's public names in ``rewardkit/__init__.py`` look modules up by name at run time, like
entry points; they are lookups, not imports a module depends on.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# Where each part of the ``rewardkit`` namespace lives in the checkout (pyproject's package-dir).
SOURCES = {"rewardkit": "rewardkit", "rewardkit.plugins": "plugins/builtin", "rewardkit.trainers": "trainers"}
# Libraries that belong to a reward family or to training, never to the core.
DOMAIN_ENGINES = (
    "sympy", "math_verify", "latex2sympy2_extended", "antlr4", "langdetect",
    "torch", "transformers", "trl", "peft", "datasets", "accelerate",
)  # fmt: skip


def modules(repo: Path) -> dict[str, Path]:
    """Every module of the rewardkit namespace, by dotted name, with its file."""
    found: dict[str, Path] = {}
    for prefix, folder in SOURCES.items():
        root = repo / folder
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([prefix, *parts])] = path
    return found


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules ``name`` imports: rewardkit modules by their dotted name, others by top-level package."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom)) or _type_checking_only(node, parents):
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from package import module` imports the module; `from module import name` the module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for target in targets:
            found.add(target if target.startswith("rewardkit") else target.split(".")[0])
    return found


@pytest.fixture(scope="module")
def graph(repo) -> dict[str, set[str]]:
    found = modules(repo)
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def test_the_graph_covers_every_module(graph):
    for name in ("rewardkit.registry", "rewardkit.plugins.math.verifier", "rewardkit.trainers.policy.training"):
        assert name in graph
    unknown = {t for edges in graph.values() for t in edges if t.startswith("rewardkit") and t not in graph}
    assert not unknown, f"imports of modules that do not exist: {sorted(unknown)}"


def test_no_module_imports_one_that_imports_it_back(graph):
    internal = {name: {t for t in edges if t in graph} for name, edges in graph.items()}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(internal[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(internal):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_the_core_imports_no_domain_engine(graph):
    core = {name: edges for name, edges in graph.items() if not name.startswith(("rewardkit.plugins", "rewardkit.trainers"))}
    assert "rewardkit.registry" in core and "rewardkit.pool" in core
    offenders = {name: sorted(e for e in edges if e in DOMAIN_ENGINES) for name, edges in core.items()}
    assert not {n: e for n, e in offenders.items() if e}, offenders


def test_the_core_depends_on_no_reward_family_or_trainer(graph):
    reaching_out = {
        (name, target)
        for name, edges in graph.items()
        if not name.startswith(("rewardkit.plugins", "rewardkit.trainers"))
        for target in edges
        if target.startswith(("rewardkit.plugins", "rewardkit.trainers"))
    }
    assert not reaching_out, reaching_out


def trainer_part(name: str) -> str:
    """``policy``, ``reward_model`` or ``commands`` for a module of those sub-packages of
    ``rewardkit.trainers``; ``shared`` for a module of ``trainers/`` itself."""
    sub = name.split(".")[2:3]
    return sub[0] if sub and sub[0] in ("policy", "reward_model", "commands") else "shared"


def test_policy_and_reward_model_training_never_import_each_other(graph):
    """Each kind of training is one sub-package; what both need lives in ``trainers/`` itself,
    which imports neither of them (only the commands see both)."""
    trainers = {name: edges for name, edges in graph.items() if name.startswith("rewardkit.trainers")}
    assert {trainer_part(name) for name in trainers} == {"shared", "policy", "reward_model", "commands"}
    crossing = {
        (name, target)
        for name, edges in trainers.items()
        if trainer_part(name) != "commands"
        for target in edges
        if target.startswith("rewardkit.trainers") and trainer_part(target) not in (trainer_part(name), "shared")
    }
    assert not crossing, sorted(crossing)


def test_the_checker_sees_imports_inside_functions_and_skips_type_checking_blocks(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import torch\n"
        "def f():\n    import sympy\n    from . import sibling\n"
    )
    found = imports("rewardkit.probe", source, {"rewardkit.sibling"})
    assert found == {"typing", "sympy", "rewardkit.sibling"}


def test_importing_the_core_and_building_the_command_line_loads_no_engine():
    import subprocess
    import sys

    code = (
        "import sys, rewardkit, rewardkit.cli, rewardkit.testing; rewardkit.cli.build_parser(); "
        "from rewardkit.registry import default_registry; default_registry().catalogue('reward'); "
        f"print(sorted(m for m in {DOMAIN_ENGINES!r} if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_every_module_compiles_without_warnings():
    """An invalid escape in a docstring (``\\ s``) warns at every fresh import, and ends the test summary."""
    import warnings

    repo = Path(__file__).resolve().parents[1]
    for name, path in modules(repo).items():
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
