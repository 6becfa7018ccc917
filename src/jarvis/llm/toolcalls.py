"""Incremental parsing of Qwen/Hermes-style `<tool_call>{json}</tool_call>` blocks out of streamed text."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field

import structlog

from jarvis.llm.base import ToolCall

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"
# The start of a call's JSON once its name is written: « {"name": "lock_door" » (doubled braces: see below).
_NAMED = re.compile(r'\s*\{+\s*"name"\s*:\s*"([^"\\]+)"')
# The same at the start of a bare reply, followed by the arguments' key: only then is it a call, not JSON asked for.
_BARE_NAMED = re.compile(_NAMED.pattern + r'\s*,\s*"arguments"')
log = structlog.get_logger(__name__)


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def _leading_object(body: str) -> tuple[object, str]:
    """The JSON value at the start of `body` and the text after it. Accepts the doubled braces Qwen copies from the
    example in its own chat template, and the unbalanced ones it sometimes writes: « {{"name": …, "arguments": {}}}} »
    (the closing braces left over are not part of the rest)."""
    try:
        return json.loads(body), ""
    except json.JSONDecodeError:
        start = len(body) - len(body.lstrip("{")) - 1  # the innermost of the leading braces
        data, end = json.JSONDecoder().raw_decode(body, max(start, 0))
        return data, body[end:].lstrip().lstrip("}").strip()


def _loads_object(body: str) -> object:
    """json.loads, with the brace slips of _leading_object, and nothing else after the value."""
    data, rest = _leading_object(body)
    if rest:
        raise json.JSONDecodeError("text after the JSON value", body, len(body) - len(rest))
    return data


def _parse_call(body: str) -> ToolCall | None:
    try:
        data = _loads_object(body)
    except json.JSONDecodeError:
        log.warning("tool-call-invalid-json", body=body[:200])
        return None
    return _call_from(data, body)


def _call_from(data: object, body: str) -> ToolCall | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        log.warning("tool-call-invalid-shape", body=body[:200])
        return None
    arguments = data.get("arguments", {})
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except json.JSONDecodeError:
            arguments = {}
    if not isinstance(arguments, dict):
        arguments = {}
    return ToolCall(id=new_call_id(), name=data["name"], arguments=arguments)


def new_call_id() -> str:
    return "call_" + uuid.uuid4().hex[:24]


@dataclass
class ToolCallParser:
    """Feed text pieces; get back the text that is safe to show and the tool calls completed so far."""

    _pending: str = ""
    _in_call: bool = False
    calls: list[ToolCall] = field(default_factory=list)

    def feed(self, piece: str) -> tuple[str, list[ToolCall]]:
        self._pending += piece
        visible: list[str] = []
        finished: list[ToolCall] = []
        while True:
            if self._in_call:
                end = self._pending.find(CLOSE_TAG)
                if end < 0:
                    break
                call = _parse_call(self._pending[:end].strip())
                if call is not None:
                    finished.append(call)
                self._pending = self._pending[end + len(CLOSE_TAG) :]
                self._in_call = False
                continue
            start = self._pending.find(OPEN_TAG)
            if start >= 0:
                visible.append(self._pending[:start])
                self._pending = self._pending[start + len(OPEN_TAG) :]
                self._in_call = True
                continue
            keep = _partial_tag_suffix(self._pending, OPEN_TAG)
            visible.append(self._pending[: len(self._pending) - keep])
            self._pending = self._pending[len(self._pending) - keep :]
            break
        self.calls.extend(finished)
        return "".join(visible), finished

    def naming(self) -> str | None:
        """The tool named by the call being written, once its name is complete; None outside a call."""
        match = _NAMED.match(self._pending) if self._in_call else None
        return match.group(1) if match else None

    def finish(self) -> tuple[str, list[ToolCall]]:
        """Flush at the end of the stream: an unclosed call is parsed if it is complete JSON."""
        rest, self._pending = self._pending, ""
        if self._in_call:
            self._in_call = False
            call = _parse_call(rest.strip())
            if call is None:
                return "", []
            self.calls.append(call)
            return "", [call]
        return rest, []


# Small models sometimes wrap a call in the <tools> tag of the tool list instead of <tool_call>.
WRAPPER_TAGS = ("<tools>", "</tools>")


def _strip_fence(text: str) -> str:
    text = text.strip()
    if text.startswith(WRAPPER_TAGS[0]):
        text = text.removeprefix(WRAPPER_TAGS[0]).removesuffix(WRAPPER_TAGS[1]).strip()
    if text.startswith("```"):
        text = text[3:]
        text = text[text.find("\n") + 1 :] if "\n" in text else ""
        text = text.removesuffix("```").strip()
    return text


def parse_bare_call(text: str, tool_names: set[str]) -> ToolCall | None:
    """A reply that starts with a JSON object (maybe in a code fence) naming one of the tools: small models often
    answer a tool call that way instead of with <tool_call> tags. A call to a tool that does not exist
    (« {"name": "close_doors", "arguments": {}} ») is a call too: the tool loop tells the model there is no such
    tool, rather than the JSON being said to the user. Text after the call (« Le minuteur est lancé. ») is dropped:
    it claims a result before the tool ran; the reply comes after the tool's result."""
    body = _strip_fence(text)
    if not body.startswith("{"):
        return None
    try:
        data, rest = _leading_object(body)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("name"), str):
        return None
    if data["name"] not in tool_names and set(data) != {"name", "arguments"}:
        return None  # some other JSON the user asked for
    if rest:
        log.info("tool-call-text-dropped", text=rest.removesuffix("```").strip()[:200])
    return _call_from(data, body)


def bare_call_naming(text: str) -> str | None:
    """The tool a reply being written as a bare JSON call names, once the name and the arguments' key are written."""
    match = _BARE_NAMED.match(_strip_fence(text))
    return match.group(1) if match else None


def could_be_bare_call(text: str) -> bool:
    """Whether the start of a reply may still turn out to be a bare JSON tool call (so it must be held back)."""
    head = text.lstrip()
    if head.startswith(("{", "```", WRAPPER_TAGS[0])):
        return True
    return 0 < len(head) < len(WRAPPER_TAGS[0]) and ("```".startswith(head) or WRAPPER_TAGS[0].startswith(head))
