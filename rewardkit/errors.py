"""Exceptions rewardkit raises; each message names the reward, entry, file or key at fault."""


class RewardkitError(Exception):
    """Base class for every error rewardkit raises on purpose."""


class ParamsError(RewardkitError, ValueError):
    """A reward was given an unknown parameter or a value of the wrong type."""


class MissingColumnError(RewardkitError, KeyError):
    """A reward needs a dataset column that the batch does not carry; ``column`` names it."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ContractError(RewardkitError, RuntimeError):
    """A reward broke the batch contract (for example returned the wrong number of scores)."""


class UnknownRewardError(RewardkitError, LookupError):
    """No registered reward has this name."""


class DuplicateNameError(RewardkitError, ValueError):
    """Two plugins registered the same name."""


class ConfigError(RewardkitError, ValueError):
    """A YAML or mapping composition is invalid."""


class MissingDependencyError(RewardkitError, ImportError):
    """A package that an optional part of rewardkit needs is not installed (the message names the extra)."""


def import_optional(module: str, extra: str, needed_for: str, hint: str = ""):
    """Import ``module``, or raise MissingDependencyError naming the pip command of ``extra``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{needed_for} requires {module.split('.')[0]}, which is not installed: "
            f"pip install 'rewardkit[{extra}]'{hint}"
        ) from None
