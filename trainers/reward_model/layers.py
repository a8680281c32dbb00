"""Which decoder layers a reward model keeps (``num_layers``) and which it trains (``trainable_layers``).

Keeping the first N layers makes a shallower model that is cheaper to train and to score with (it
is saved that way, and ``rm_score`` loads it like any other); middle layers of a small language
model often carry a preference as well as the last ones do (bench/rm_probe.py measures it per
layer). Training only the last k layers and the head leaves the rest frozen, so the backward pass
stops at layer N − k.
"""

from __future__ import annotations

from typing import Any

from rewardkit.errors import ConfigError


def decoder_layers(model: Any):
    """The model's list of decoder layers (``model.base_model.layers``: Llama, Mistral, Qwen, SmolLM, …)."""
    layers = getattr(model.base_model, "layers", None)
    if layers is None:
        raise ConfigError(
            f"num_layers/trainable_layers need a model whose base has a .layers list (Llama, Mistral, Qwen, "
            f"SmolLM…); {type(model.base_model).__name__} has none: leave both unset"
        )
    return layers


def keep_first_layers(model: Any, n: int) -> None:
    """Drop every decoder layer after the first ``n`` (the final norm and the head stay)."""
    layers = decoder_layers(model)
    if n > len(layers):
        raise ConfigError(f"num_layers: {n}, but the base model has {len(layers)} layers")
    del layers[n:]
    model.config.num_hidden_layers = n
    if isinstance(getattr(model.config, "layer_types", None), list):
        model.config.layer_types = model.config.layer_types[:n]


def train_last_layers(model: Any, k: int) -> None:
    """Freeze everything but the last ``k`` decoder layers, the final norm and the score head."""
    layers = decoder_layers(model)
    if k > len(layers):
        raise ConfigError(f"trainable_layers: {k}, but the model has {len(layers)} layers")
    for param in model.parameters():
        param.requires_grad_(False)
    trainable = list(layers[len(layers) - k :]) + [model.score, getattr(model.base_model, "norm", None)]
    for module in filter(None, trainable):
        for param in module.parameters():
            param.requires_grad_(True)
