"""A run with tools: TRL's ``tools=`` from the config's import paths, and a chat template that can call them.

``tools: ["package.module:function", ...]`` names plain Python functions (type hints and a
Google-style docstring, from which TRL writes each tool's schema into the prompt); GRPO calls
them during generation and appends their results to the conversation (TRL's tool loop), so the
completions the rewards see are trajectories. ``chat_template:`` gives the model a template that
renders tools and tool turns: a template TRL ships, by name (``qwen2_5``, ``qwen3``,
``llama3_2``, ...; TRL also knows how to parse calls out of these), or a ``.jinja`` file. The
bundled SmolLM2 speaks ChatML, as Qwen's templates do, but its own template has no tool support.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable

from rewardkit.errors import ConfigError


def resolve_tools(paths: list[str]) -> list[Callable[..., Any]]:
    """The functions the config names (``module:function``), with a clear error for each that is not one."""
    tools = []
    for path in paths:
        module_name, _, name = path.partition(":")
        if not module_name or not name:
            raise ConfigError(f"tools: '{path}' is not 'package.module:function'")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise ConfigError(f"tools: cannot import '{module_name}' ({exc})") from None
        tool = getattr(module, name, None)
        if not callable(tool):
            raise ConfigError(f"tools: '{module_name}' has no function '{name}'")
        tools.append(tool)
    return tools


def chat_template_text(spec: str, base_dir: Path) -> str:
    """A chat template: one TRL ships, by name, or a ``.jinja`` file (relative to the config)."""
    if spec.endswith(".jinja"):
        path = Path(spec) if Path(spec).is_absolute() else base_dir / spec
        if not path.is_file():
            raise ConfigError(f"chat_template: no such file {path}")
        return path.read_text(encoding="utf-8")
    import trl

    shipped = Path(trl.__file__).parent / "chat_templates"
    path = shipped / f"{spec}.jinja"
    if not path.is_file():
        names = sorted(p.stem for p in shipped.glob("*.jinja") if not p.stem.endswith("_training"))
        raise ConfigError(f"chat_template: TRL ships no template '{spec}' (known: {', '.join(names)}), nor is it a .jinja file")
    return path.read_text(encoding="utf-8")


def tool_trainer_kwargs(config: Any, model_path: Path) -> dict[str, Any]:
    """``tools=`` and the ``processing_class`` with the configured chat template, for a run with tools."""
    if not config.tools:
        return {}
    if config.algorithm != "grpo":
        raise ConfigError(f"tools: only GRPO runs call tools during generation (algorithm: {config.algorithm})")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path))
    if config.chat_template:
        tokenizer.chat_template = chat_template_text(config.chat_template, config.base_dir)
    tokenizer.padding_side = "left"
    return {"tools": resolve_tools(config.tools), "processing_class": tokenizer}
