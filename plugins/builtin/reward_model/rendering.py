"""What a reward model reads: prompt + completion rendered to text and token ids.

The ``rm_score`` reward and ``rewardkit rm-train`` both render through :func:`render` and
:func:`encode`, so a model trained with rm-train sees the same text at training and scoring time.
"""

from __future__ import annotations

from typing import Any, Literal, Sequence

from rewardkit.errors import ParamsError
from rewardkit.text import completion_text, message_content, prompt_text

Template = Literal["auto", "chat", "plain"]


def _is_messages(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(m, dict) and "role" in m for m in value)


def _already_templated(tokenizer: Any, text: str) -> bool:
    """Whether a plain prompt already carries the tokenizer's chat markup (``<|im_start|>``...)."""
    specials = [t for t in getattr(tokenizer, "all_special_tokens", []) or [] if isinstance(t, str) and len(t) > 1]
    return any(t in text for t in specials)


def to_messages(prompt: Any, completion: Any) -> list[dict[str, Any]]:
    """A chat of the prompt (messages, or a plain string as one user turn) and the completion."""
    if prompt is None:
        messages: list[dict[str, Any]] = []
    elif _is_messages(prompt):
        messages = [dict(m) for m in prompt]
    else:
        messages = [{"role": "user", "content": prompt_text(prompt) or ""}]
    if _is_messages(completion):
        messages += [dict(m) for m in completion]
    else:
        messages.append({"role": "assistant", "content": completion_text(completion)})
    return messages


_PLAIN_ROLES = {"user": "Human", "assistant": "Assistant", "system": "System"}


def plain_text(value: Any) -> str:
    """Text of a chat prompt or completion for plain rendering.

    A string is kept as it is; chat messages become ``"\n\nHuman: …\n\nAssistant: …"`` (the
    Anthropic HH-RLHF layout), so HH data converted to messages renders back to its original text.
    """
    if value is None:
        return ""
    if _is_messages(value):
        return "".join(
            f"\n\n{_PLAIN_ROLES.get(m['role'], str(m['role']).title())}: {message_content(m)}" for m in value
        )
    return completion_text(value)


def render(tokenizer: Any, prompt: Any, completion: Any, template: Template = "auto") -> tuple[str, bool]:
    """The text a reward model reads for ``prompt`` + ``completion``, and whether to add special tokens.

    - ``chat``: the tokenizer's chat template over the prompt (chat messages, or a plain string as
      one user turn) followed by the completion as the assistant turn.
    - ``plain``: prompt text + completion text + the EOS token (what TRL's ``RewardTrainer`` does
      for standard-format data), tokenized with the tokenizer's special tokens (BOS). A chat prompt
      and its completion are written as ``"\n\nHuman: …\n\nAssistant: …"`` (:func:`plain_text`).
    - ``auto``: ``chat`` when the tokenizer has a chat template, except for a plain-string prompt
      that already contains the template's special tokens (it was rendered by the caller); else
      ``plain``.
    """
    has_template = bool(getattr(tokenizer, "chat_template", None))
    mode = template
    if mode == "auto":
        plain_prompt = isinstance(prompt, str)
        mode = "chat" if has_template and not (plain_prompt and _already_templated(tokenizer, prompt)) else "plain"
    if mode == "chat":
        if not has_template:
            raise ParamsError("template='chat' but the reward model's tokenizer has no chat template")
        text = tokenizer.apply_chat_template(to_messages(prompt, completion), tokenize=False)
        return text, False
    if _is_messages(prompt):
        if not _is_messages(completion):
            completion = [{"role": "assistant", "content": completion_text(completion)}]
        text = plain_text(prompt) + plain_text(completion)
    else:
        text = (prompt_text(prompt) or "") + completion_text(completion)
    eos = getattr(tokenizer, "eos_token", None)
    if eos and not text.endswith(eos):
        text += eos
    return text, True


def encode(
    tokenizer: Any,
    rendered: Sequence[tuple[str, bool]],
    max_length: int,
    truncation_side: Literal["left", "right"] = "left",
) -> tuple[list[list[int]], int]:
    """Token ids of rendered texts, truncated to ``max_length``; also how many were truncated.

    Left truncation keeps the end of the text (the completion, which is what is being judged)
    and drops the start of a long prompt.
    """
    ids_list: list[list[int]] = []
    truncated = 0
    for text, special in rendered:
        ids = list(tokenizer(text, add_special_tokens=special)["input_ids"])
        if len(ids) > max_length:
            truncated += 1
            ids = ids[-max_length:] if truncation_side == "left" else ids[:max_length]
        ids_list.append(ids)
    return ids_list, truncated
