"""Warnings one library raises at another that no setting of the user's changes, filtered by
message and origin before a run starts (they would also break the progress bar in a terminal)."""

from __future__ import annotations

import warnings


def silence_uninformative_warnings() -> None:
    # TRL (before every generation, trl.models.utils.disable_gradient_checkpointing) and PEFT (when
    # it wraps a model, peft_model.PeftModel) read transformers' deprecated `is_gradient_checkpointing`,
    # and TRL turns checkpointing off and on around each generation with the deprecated
    # `gradient_checkpointing_disable`/`_enable`; the warnings are raised in modeling_utils.
    # rewardkit itself sets checkpointing under the new name.
    warnings.filterwarnings(
        "ignore", message="`(is_)?gradient_checkpointing(_enable|_disable)?` is deprecated", category=FutureWarning,
        module="transformers.modeling_utils",
    )
