"""The plugin registry: built-in and third-party plugins, registered through the same hooks.

Third-party plugins load from the ``rewardkit`` entry-point group. ``REWARDKIT_DISABLE_PLUGIN_AUTOLOAD=1``
turns that off; ``REWARDKIT_PLUGINS=a,b`` loads only the named entry points (or distributions);
``REWARDKIT_TRACE=1`` prints every registration to stderr, for plugin authors.
A plugin that fails to import or to register (an exception, ``sys.exit()``, anything but Ctrl-C)
is reported in one line on stderr and skipped. Two plugins that register the same name fail at
load time, naming both providers; a reward class without a ``name`` is refused, naming the class
and the plugin.
"""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from . import hookspecs
from .errors import DuplicateNameError, UnknownRewardError, shown
from .extras import check_needs
from .reward import Reward

ENTRY_POINT_GROUP = "rewardkit"
DISABLE_AUTOLOAD_ENV = "REWARDKIT_DISABLE_PLUGIN_AUTOLOAD"
ALLOWLIST_ENV = "REWARDKIT_PLUGINS"
TRACE_ENV = "REWARDKIT_TRACE"

# Modules under rewardkit.plugins that are registered as the built-in plugins.
# (The one place the core names them: plugin discovery, like the entry points below.)
BUILTIN_PLUGINS = (
    "format", "length", "math", "language", "ifeval", "open_r1", "reward_model", "code", "judge", "reasoning_gym",
    "tools",
)

KINDS = {
    "reward": "register_rewards",
    "extractor": "register_extractors",
    "language_detector": "register_language_detectors",
    "second_opinion": "register_second_opinions",
    "sandbox": "register_sandboxes",
}


@dataclass(frozen=True)
class Entry:
    """One registered item and the plugin that provided it."""

    name: str
    value: Any
    provider: str


class Registry:
    """A pluggy plugin manager plus name-indexed catalogues of what the plugins register."""

    def __init__(self, *, autoload: bool | None = None, builtins: bool = True) -> None:
        self.pm = pluggy.PluginManager("rewardkit")
        self.pm.add_hookspecs(hookspecs)
        self.load_errors: list[str] = []
        self._catalogues: dict[str, dict[str, Entry]] = {k: {} for k in KINDS}
        if builtins:
            for module in BUILTIN_PLUGINS:
                self.register(importlib.import_module(f"rewardkit.plugins.{module}"), f"rewardkit.plugins.{module}")
        if autoload is None:
            autoload = os.environ.get(DISABLE_AUTOLOAD_ENV, "").lower() not in ("1", "true", "yes")
        if autoload:
            self.load_entrypoints()

    # -- plugins -----------------------------------------------------------------------------

    def register(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin object (module or object with hookimpls); returns its name.

        Only the new plugin's hook implementations are called, once each, and what they register
        is added to the catalogues. Fails, leaving the registry unchanged, when the plugin
        registers a name another plugin has.
        """
        registered = self.pm.register(plugin, name=name)
        try:
            self.pm.check_pending()
            added = {k: self._collect(k, plugin) for k in KINDS}
            for kind, items in added.items():
                for item in items.values():
                    if item.name in self._catalogues[kind]:
                        raise DuplicateNameError(_duplicate(kind, self._catalogues[kind][item.name], item))
        except BaseException:  # a hook that calls sys.exit() too: the registry stays as it was
            self.pm.unregister(plugin)
            raise
        for kind, items in added.items():
            self._catalogues[kind].update(items)
            self._trace(kind, items)
        return registered

    def _trace(self, kind: str, items: dict[str, Entry]) -> None:
        if os.environ.get(TRACE_ENV):
            for item in items.values():
                print(f"rewardkit trace: plugin '{item.provider}' registered {kind} '{item.name}'", file=sys.stderr)

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._catalogues = {k: self._collect(k) for k in KINDS}

    def load_entrypoints(self) -> None:
        """Load third-party plugins from the entry-point group, honouring the allowlist."""
        allow = {a.strip() for a in os.environ.get(ALLOWLIST_ENV, "").split(",") if a.strip()}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.name if ep.dist is not None else ""
            if allow and ep.name not in allow and dist not in allow:
                continue
            if self.pm.has_plugin(ep.name):
                continue
            try:
                self.register(ep.load(), ep.name)
            except (DuplicateNameError, KeyboardInterrupt):
                raise
            except BaseException as exc:  # noqa: BLE001 - one broken plugin (even sys.exit()) must not stop the rest
                line = f"rewardkit: plugin '{ep.name}' ({ep.value}) failed to load: {one_line(exc)}"
                self.load_errors.append(line)
                print(line, file=sys.stderr)

    def plugins(self) -> list[str]:
        """Names of the registered plugins."""
        return [name for name, _ in self.pm.list_name_plugin()]

    # -- catalogues --------------------------------------------------------------------------

    def catalogue(self, kind: str) -> dict[str, Entry]:
        """Everything of ``kind`` (reward, extractor, language_detector, second_opinion, sandbox) by name."""
        return self._catalogues[kind]

    def _collect(self, kind: str, plugin: Any = None) -> dict[str, Entry]:
        """What the plugins (or only ``plugin``) register of ``kind``: each implementation is called once."""
        found: dict[str, Entry] = {}
        hook = getattr(self.pm.hook, KINDS[kind])
        for impl in hook.get_hookimpls():
            if plugin is not None and impl.plugin is not plugin:
                continue
            provider = impl.plugin_name

            def register(*args: Any, _provider: str = provider) -> None:
                name, value = _named(kind, args, _provider)
                entry = Entry(name, value, _provider)
                if name in found:
                    raise DuplicateNameError(_duplicate(kind, found[name], entry))
                found[name] = entry

            impl.function(register=register)
        return found

    def reward_class(self, name: str) -> type[Reward]:
        """The reward class ``name``; MissingDependencyError, naming the extra, when it cannot run here."""
        rewards = self.catalogue("reward")
        if name not in rewards:
            known = ", ".join(sorted(rewards)) or "none"
            raise UnknownRewardError(f"unknown reward {shown(name)}; known rewards: {known}")
        check_needs(rewards[name].value, f"reward '{name}'")
        return rewards[name].value

    def reward(self, name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Reward:
        """An instance of the reward ``name``, bound to this registry (its extractors and detectors
        come from here); ``kwargs`` may carry ``alias`` and ``on_error``."""
        return self.reward_class(name)(params, registry=self, **kwargs)

    def get(self, kind: str, name: str) -> Any:
        """The item ``name`` of ``kind``; MissingDependencyError, naming the extra, when it cannot run here."""
        items = self.catalogue(kind)
        if name not in items:
            known = ", ".join(sorted(items)) or "none"
            raise UnknownRewardError(f"unknown {kind.replace('_', ' ')} {shown(name)}; known: {known}")
        check_needs(items[name].value, f"{kind.replace('_', ' ')} '{name}'")
        return items[name].value


def _duplicate(kind: str, first: Entry, second: Entry) -> str:
    return f"{kind} '{second.name}' is registered by both '{first.provider}' and '{second.provider}'"


def one_line(exc: BaseException) -> str:
    """``Type: message`` of an exception with its message's lines and spaces folded into one line."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def _named(kind: str, args: tuple[Any, ...], provider: str) -> tuple[str, Any]:
    if kind == "reward":
        (cls,) = args
        if not (isinstance(cls, type) and issubclass(cls, Reward)):
            raise TypeError(f"plugin '{provider}': register_rewards expected a Reward subclass, got {cls!r}")
        if not isinstance(cls.name, str) or not cls.name.strip():
            raise TypeError(
                f"plugin '{provider}': reward class {cls.__module__}.{cls.__qualname__} has no 'name' "
                "(set the class attribute name = \"...\")"
            )
        return cls.name, cls
    name, value = args
    return name, value


_default: Registry | None = None


def default_registry() -> Registry:
    """The process-wide registry, created on first use."""
    global _default
    if _default is None:
        _default = Registry()
    return _default


def registry_of(reward: Reward) -> Registry:
    """The registry that built ``reward``, else (a reward constructed directly) the process-wide one."""
    return reward.registry if reward.registry is not None else default_registry()


def set_default_registry(registry: Registry | None) -> Registry | None:
    """Install ``registry`` as the process-wide one (tests use this); returns the previous one."""
    global _default
    previous, _default = _default, registry
    return previous


def get_reward(name: str, params: dict[str, Any] | None = None, **kwargs: Any) -> Reward:
    """A reward instance by registry name, e.g. ``get_reward("length_target", ideal=200)``.

    ``alias`` and ``on_error`` are taken as instance options; every other keyword is a parameter.
    """
    options = {k: kwargs.pop(k) for k in ("alias", "on_error") if k in kwargs}
    return default_registry().reward(name, {**(params or {}), **kwargs}, **options)

