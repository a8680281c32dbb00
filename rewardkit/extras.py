"""What an optional part of rewardkit needs installed, known before it works.

A reward, language detector or sandbox class that needs more than a plain ``pip install rewardkit``
says so with a class attribute, ``needs = Needs(modules=("openai",), extra="judge")``. The registry
checks it when the class is looked up, so a composition that cannot run here fails when it is
built, in one line naming the extra, rather than after minutes of scoring; ``rewardkit list``
marks what a plain install cannot use. Only whether each module can be found is checked (nothing
is imported), so looking costs next to nothing.
"""

from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass
from typing import Any

from .errors import MissingDependencyError


@dataclass(frozen=True)
class Needs:
    """Modules (top-level import names) and programs (on PATH) a part needs, and how to get them."""

    modules: tuple[str, ...] = ()
    extra: str | None = None  # the rewardkit extra that installs the modules
    programs: tuple[str, ...] = ()
    install: str | None = None  # how to get what no extra brings (a system package)

    def missing(self) -> list[str]:
        """What is not installed here, modules first."""
        return [m for m in self.modules if not _importable(m)] + [p for p in self.programs if shutil.which(p) is None]

    def how(self) -> str:
        """The command that installs everything this needs."""
        steps = [f"pip install 'rewardkit[{self.extra}]'"] if self.extra else []
        return " and ".join(steps + ([self.install] if self.install else []))

    def problem(self, what: str) -> str | None:
        """One line saying what ``what`` lacks here and how to get it, or None when nothing is missing."""
        missing = self.missing()
        if not missing:
            return None
        verb = "is" if len(missing) == 1 else "are"
        return f"{' and '.join(missing)} {verb} not installed (needed for {what}): {self.how()}"


def needs_of(item: Any) -> Needs | None:
    """The ``needs`` a class (or an instance of one) declares, if any."""
    needs = getattr(item, "needs", None)
    return needs if isinstance(needs, Needs) else None


def check_needs(item: Any, what: str) -> None:
    """Raise MissingDependencyError, in one line naming the extra, when ``item`` needs what is missing."""
    needs = needs_of(item)
    problem = needs.problem(what) if needs is not None else None
    if problem:
        raise MissingDependencyError(problem)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that fails to import, or a module set to None
        return False
