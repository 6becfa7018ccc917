"""The tools Jarvis can call right now, from every source, and their bounded execution."""

from __future__ import annotations

import asyncio
import difflib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from jarvis.errors import JarvisError
from jarvis.i18n import t
from jarvis.llm.base import ToolCall, ToolSpec
from jarvis.tools.base import Tool, ToolInfo, current_request, tool_spec
from jarvis.tools.functions import FunctionTool

log = structlog.get_logger(__name__)
# The model reads at most this much of a tool's answer (a prompt has a small context).
MAX_RESULT_CHARS = 2000
# A tool name at least this similar to one of Jarvis's (difflib's ratio) is taken for a misspelling of it.
MISNAMED_CUTOFF = 0.6


@dataclass(frozen=True)
class ToolOutcome:
    call: ToolCall
    ok: bool
    content: str  # what the model reads: the result, or a clear error
    seconds: float
    source: str | None = None
    error_code: str | None = None
    direct: bool = False

    @property
    def says_itself(self) -> bool:
        """The content is the reply: a direct tool's result or its own error, or « I cannot do that » for a tool
        nothing resembles. Bad arguments and a misspelt tool name go back to the model instead, so that it can
        correct its call."""
        return self.direct and self.error_code not in ("tool-invalid-arguments", "tool-unknown")

    def record(self) -> str:
        """The stored `tool` message: which tool, with what, and what came back (shown in the conversation's
        history, not put back in later prompts)."""
        record = {
            "name": self.call.name,
            "arguments": self.call.arguments,
            "ok": self.ok,
            "content": self.content,
            "source": self.source,
        }
        return json.dumps(record, ensure_ascii=False)


class ToolRegistry:
    def __init__(self, *, timeout_seconds: float = 10.0, language: str = "fr") -> None:
        self.timeout_seconds = timeout_seconds
        self.language = language  # of what the user is told
        self._by_source: dict[str, list[Tool]] = {}
        # Called with the tool's source when one of its tools hangs (plugins disable themselves then).
        self.on_timeout: Callable[[str], None] | None = None
        self.conflicts: list[str] = []

    def set_source(self, source: str, tools: list[Tool]) -> list[str]:
        """Replace every tool of `source`; returns the names refused because another source has them."""
        self._by_source.pop(source, None)
        taken = {tool.name for tool in self.tools()}
        kept: list[Tool] = []
        refused: list[str] = []
        for tool in tools:
            if tool.name in taken:
                refused.append(tool.name)
                log.warning("tool-name-taken", tool=tool.name, source=source)
                continue
            taken.add(tool.name)
            kept.append(tool)
        self._by_source[source] = kept
        return refused

    def remove_source(self, source: str) -> None:
        self._by_source.pop(source, None)

    def tools(self) -> list[Tool]:
        """Built-ins first, then the other sources in name order: a stable order keeps the prompt prefix cached."""
        ordered = sorted(self._by_source.items(), key=lambda item: (item[0] != "builtin", item[0]))
        return [tool for _, tools in ordered for tool in tools]

    def get(self, name: str) -> Tool | None:
        return next((tool for tool in self.tools() if tool.name == name), None)

    def specs(self) -> list[ToolSpec] | None:
        specs = [tool_spec(tool) for tool in self.tools()]
        return specs or None

    def infos(self) -> list[ToolInfo]:
        return [ToolInfo(tool.name, tool.description, tool.source, tool.parameters) for tool in self.tools()]

    def close_names(self, name: str) -> list[str]:
        """The tools whose names `name` may be a misspelling of (at most two)."""
        return difflib.get_close_matches(name, [tool.name for tool in self.tools()], n=2, cutoff=MISNAMED_CUTOFF)

    def settled_by_name(self, name: str) -> bool:
        """Whether a call to `name` gets the same outcome whatever its arguments: a tool nothing resembles, or one
        the user's request shows was not asked for. The model can stop writing the call at its name."""
        tool = self.get(name)
        if tool is None:
            return not self.close_names(name)
        return isinstance(tool, FunctionTool) and tool.refusal(current_request.get()) is not None

    async def execute(self, call: ToolCall) -> ToolOutcome:
        """Run one call within the time limit; never raises for the tool's own failures."""
        started = time.perf_counter()
        tool = self.get(call.name)
        if tool is None:
            close = self.close_names(call.name)
            if not close:
                # Nothing like it: what the user asked for is something Jarvis cannot do, and the reply says so
                # (told the list of tools, the model read it out: « l'outil send_message n'existe pas… »).
                seconds = time.perf_counter() - started
                return ToolOutcome(
                    call, False, t("tool-not-asked", self.language), seconds, None, "tool-unavailable", direct=True
                )
            message = t("tool-misnamed", name=call.name, names=", ".join(close))
            return self._outcome(call, started, None, message, "tool-unknown")
        try:
            async with asyncio.timeout(self.timeout_seconds):
                content = await tool.run(call.arguments)
        except asyncio.CancelledError:
            raise
        except TimeoutError:
            log.warning("tool-timeout", tool=call.name, source=tool.source, seconds=self.timeout_seconds)
            if self.on_timeout is not None:
                self.on_timeout(tool.source)
            message = t("tool-timeout", name=call.name, seconds=self.timeout_seconds)
            return self._outcome(call, started, tool, message, "tool-timeout")
        except JarvisError as exc:  # ToolError, or a coded error of the service behind the tool
            return self._outcome(call, started, tool, exc.message, exc.code)
        except Exception as exc:  # a tool's bug must not end the turn: the model tells the user
            log.warning("tool-raised", tool=call.name, source=tool.source, error=repr(exc))
            message = t("tool-raised", name=call.name, detail=f"{type(exc).__name__}: {exc}")
            return self._outcome(call, started, tool, message, "tool-failed")
        if len(content) > MAX_RESULT_CHARS:
            content = content[:MAX_RESULT_CHARS] + " […]"
        return ToolOutcome(call, True, content, time.perf_counter() - started, tool.source, direct=tool.direct)

    @staticmethod
    def _outcome(call: ToolCall, started: float, tool: Tool | None, message: str, code: str) -> ToolOutcome:
        seconds = time.perf_counter() - started
        if tool is None:
            return ToolOutcome(call, False, message, seconds, None, code)
        return ToolOutcome(call, False, message, seconds, tool.source, code, direct=tool.direct)


def describe_arguments(arguments: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in arguments.items())
