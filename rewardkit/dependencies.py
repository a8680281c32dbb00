"""Is everything rewardkit's rewards import installed here? ``python -m rewardkit.dependencies``.

An environment built by hand (verl's, a cluster image) can miss a package that only the math
verifier's worker processes import; there it would surface as a worker's traceback in the middle
of a run. This check names every missing package with the pip command that installs it, before
anything starts.
"""

from __future__ import annotations

import importlib
import re
import sys
from importlib import metadata

# Modules whose import chain covers every third-party package a built-in reward or worker imports.
REWARD_MODULES = (
    "rewardkit.plugins.math.symbolic",
    "rewardkit.plugins.math.verifier",
    "rewardkit.plugins.language.langdetect_backend",
)


def missing_packages() -> list[str]:
    """One line per missing piece: a required distribution, or a module an import could not find."""
    problems: list[str] = []
    for requirement in metadata.requires("rewardkit") or []:
        if "extra ==" in requirement:
            continue
        name = re.match(r"[A-Za-z0-9._-]+", requirement).group(0)
        try:
            metadata.version(name)
        except metadata.PackageNotFoundError:
            problems.append(f"{name} is not installed (pip install '{requirement.split(';')[0].strip()}')")
    if problems:
        return problems
    for module in REWARD_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            problems.append(f"{module} cannot import {exc.name!r} (pip install {exc.name})")
    return problems


def main() -> int:
    problems = missing_packages()
    for line in problems:
        print(f"rewardkit: {line}", file=sys.stderr)
    if not problems:
        print(f"rewardkit {metadata.version('rewardkit')}: every dependency is installed ({sys.prefix})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
