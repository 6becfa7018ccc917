"""Incremental parsing of Qwen/Hermes-style `<tool_call>{json}</tool_call>` blocks out of streamed text."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import structlog

from jarvis.llm.base import ToolCall

OPEN_TAG = "<tool_call>"
CLOSE_TAG = "</tool_call>"
log = structlog.get_logger(__name__)


def _partial_tag_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of `text` that is a proper prefix of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def _parse_call(body: str) -> ToolCall | None:
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        log.warning("tool-call-invalid-json", body=body[:200])
        return None
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
    return ToolCall(id="call_" + uuid.uuid4().hex[:24], name=data["name"], arguments=arguments)


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
