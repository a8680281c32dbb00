"""Turn TRL's two data formats (plain strings, or lists of chat messages) into text.

Only text becomes text: a content part whose text is None or a number, a message that is neither
a string nor a mapping, or a completion that is a number raises :class:`MalformedText` instead of
being stringified (``str(42)`` could score as a correct answer). A message without content (an
assistant turn that only calls a tool) and non-text parts (an image) contribute nothing. A
completion that is an agent's whole conversation (tool or user turns, calls) is read for its final
answer (:func:`final_answer`).
"""

from __future__ import annotations

from typing import Any


class MalformedText(ValueError):
    """A completion or prompt that is neither text nor chat messages with text content."""


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _part_text(part: Any, where: str) -> str:
    if isinstance(part, str):
        return part
    if not isinstance(part, dict):
        raise MalformedText(f"{where} is {_kind(part)}, not a mapping or a string")
    if "text" not in part and part.get("type") != "text":
        return ""  # an image or another non-text part
    text = part.get("text")
    if not isinstance(text, str):
        raise MalformedText(f"{where} has text {_kind(text)}, not a string")
    return text


def message_content(message: Any, where: str = "message") -> str:
    """Text of one chat message; multimodal content parts contribute their text parts."""
    if isinstance(message, str):
        return message
    if not isinstance(message, dict):
        raise MalformedText(f"{where} is {_kind(message)}, not a mapping or a string")
    content = message.get("content")
    if content is None or isinstance(content, str):
        return content or ""
    if isinstance(content, list):
        return "".join(_part_text(part, f"{where}, content part {j}") for j, part in enumerate(content))
    raise MalformedText(f"{where} has content {_kind(content)}, not a string or a list of parts")


def completion_text(completion: Any) -> str:
    """Text of a completion: the string itself, or the content of its assistant messages.

    A conversational completion (a list of messages) contributes the assistant turns joined in
    order; a list without roles contributes every message. A trajectory (:func:`is_trajectory`:
    tool or user turns, or calls, among the messages) contributes its final answer
    (:func:`final_answer`), so every reward scores what the agent ended with. ``None`` is the
    empty string.
    """
    if completion is None:
        return ""
    if isinstance(completion, str):
        return completion
    if type(completion) is list and len(completion) == 1:  # the common chat completion: one assistant turn
        only = completion[0]
        if type(only) is dict and type(only.get("content")) is str and only.get("role") == "assistant":
            return only["content"]
    if isinstance(completion, dict):
        return message_content(completion, "completion")
    if isinstance(completion, (list, tuple)):
        if is_trajectory(completion):
            return final_answer(completion)
        numbered = list(enumerate(completion))
        assistant = [(j, m) for j, m in numbered if isinstance(m, dict) and m.get("role") == "assistant"]
        return "".join(message_content(m, f"completion message {j}") for j, m in (assistant or numbered))
    raise MalformedText(f"completion is {_kind(completion)}, not a string or chat messages")


# Responses-API items of a tool round trip; chat roles of turns that are not the agent's.
CALL_ITEMS = ("function_call", "function_call_output")
OTHER_TURNS = ("tool", "function", "user", "ipython")


def makes_call(message: Any) -> bool:
    """Whether a message or Responses item calls a tool (chat ``tool_calls``/``function_call``, or a ``function_call`` item)."""
    if not isinstance(message, dict):
        return False
    if message.get("type") == "function_call":
        return True
    return message.get("role") == "assistant" and bool(message.get("tool_calls") or message.get("function_call"))


def is_trajectory(messages: Any) -> bool:
    """Whether a completion is a whole agent conversation: it holds a tool or user turn, or a call."""
    return isinstance(messages, (list, tuple)) and any(
        isinstance(m, dict) and (m.get("role") in OTHER_TURNS or m.get("type") in CALL_ITEMS or makes_call(m))
        for m in messages
    )


def final_answer(messages: Any) -> str:
    """The text a trajectory ends with: its last assistant turn's content, or "" when a call comes
    after (or in) that turn (the conversation stopped before the agent answered)."""
    for j in range(len(messages) - 1, -1, -1):
        message = messages[j]
        if makes_call(message):
            return ""
        if isinstance(message, dict) and message.get("role") == "assistant":
            return message_content(message, f"completion message {j}")
    return ""


def split_conversation(messages: Any) -> tuple[list[Any], list[Any]] | None:
    """A whole conversation (one that opens with a system or user turn) as (prompt turns, the
    agent's part from its first turn on); None when ``messages`` is not one."""
    if not (isinstance(messages, (list, tuple)) and messages and isinstance(messages[0], dict)):
        return None
    if messages[0].get("role") not in ("system", "developer", "user"):
        return None
    for j, message in enumerate(messages):
        if isinstance(message, dict) and (message.get("role") == "assistant" or message.get("type") in ("function_call", "reasoning")):
            return list(messages[:j]), list(messages[j:])
    return list(messages), []


def prompt_text(prompt: Any) -> str | None:
    """Text of a prompt: the string itself, or its messages' contents joined by newlines."""
    if prompt is None:
        return None
    if isinstance(prompt, str):
        return prompt
    if isinstance(prompt, dict):
        return message_content(prompt, "prompt")
    if isinstance(prompt, (list, tuple)):
        contents = [m.get("content") if type(m) is dict else None for m in prompt]
        if all(type(c) is str for c in contents):  # the common chat prompt: text content only
            return "\n".join(contents)  # type: ignore[arg-type]
        return "\n".join(message_content(m, f"prompt message {j}") for j, m in enumerate(prompt))
    raise MalformedText(f"prompt is {_kind(prompt)}, not a string or chat messages")


def last_user_text(prompt: Any) -> str | None:
    """The last user turn of a conversational prompt, or the whole text of a plain prompt."""
    if isinstance(prompt, (list, tuple)):
        users = [m for m in prompt if isinstance(m, dict) and m.get("role") == "user"]
        if users:
            return message_content(users[-1], "prompt's last user message")
    return prompt_text(prompt)
