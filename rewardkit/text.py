"""Turn TRL's two data formats (plain strings, or lists of chat messages) into text."""

from __future__ import annotations

from typing import Any


def message_content(message: Any) -> str:
    """Text of one chat message; multimodal content parts contribute their text parts."""
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        return "" if message is None else str(message)
    content = message.get("content")
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "") if isinstance(part, dict) else str(part) for part in content
        )
    return str(content)


def completion_text(completion: Any) -> str:
    """Text of a completion: the string itself, or the content of its assistant messages.

    A conversational completion (a list of messages) contributes the assistant turns joined in
    order; a list without roles contributes every message. ``None`` is the empty string.
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, dict):
        return message_content(completion)
    if isinstance(completion, (list, tuple)):
        assistant = [m for m in completion if isinstance(m, dict) and m.get("role") == "assistant"]
        return "".join(message_content(m) for m in (assistant or completion))
    return str(completion)


def prompt_text(prompt: Any) -> str | None:
    """Text of a prompt: the string itself, or its messages' contents joined by newlines."""
    if prompt is None:
        return None
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, dict):
        return message_content(prompt)
    if isinstance(prompt, (list, tuple)):
        return "\n".join(message_content(m) for m in prompt)
    return str(prompt)


def last_user_text(prompt: Any) -> str | None:
    """The last user turn of a conversational prompt, or the whole text of a plain prompt."""
    if isinstance(prompt, (list, tuple)):
        users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return message_content(users[-1])
    return prompt_text(prompt)
