"""Tools from Model Context Protocol servers (stdio or streamable HTTP), through the official `mcp` SDK.

Each configured server has one task that opens the session, registers the server's tools, and keeps the session
open; a server that is down, hangs while connecting, or drops is reported (/api/mcp) and retried later, without
ever blocking a turn (its calls are bounded by the tool timeout)."""

from __future__ import annotations

import asyncio
import json
import time
from contextlib import AsyncExitStack, suppress
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog

from jarvis.config import McpServerSettings
from jarvis.i18n import t
from jarvis.tools.base import Tool, ToolError
from jarvis.tools.registry import ToolRegistry

log = structlog.get_logger(__name__)


@dataclass
class McpStatus:
    name: str
    transport: str
    state: Literal["connecting", "connected", "failed", "stopped"] = "connecting"
    error: str | None = None
    tools: list[str] = field(default_factory=list)
    since: float = field(default_factory=time.time)


class McpTool:
    """One tool of an MCP server, called through its live session."""

    direct = False

    def __init__(self, connection: McpConnection, remote: Any) -> None:
        self.connection = connection
        self.remote_name: str = remote.name
        self.name: str = connection.settings.tool_prefix + remote.name
        self.description: str = " ".join((remote.description or remote.name).split())[:500]
        schema = dict(remote.input_schema or {})
        schema.setdefault("type", "object")
        schema.setdefault("properties", {})
        self.parameters: dict[str, Any] = schema
        self.source = f"mcp:{connection.settings.name}"

    async def run(self, arguments: dict[str, Any]) -> str:
        return await self.connection.call(self.remote_name, arguments)


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_error_text(e) for e in exc.exceptions)
    if isinstance(exc, TimeoutError):
        return "pas de réponse à temps"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _result_text(result: Any) -> str:
    parts = []
    for block in result.content:
        text = getattr(block, "text", None)
        parts.append(text if isinstance(text, str) else f"[{getattr(block, 'type', 'contenu')}]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False, default=str))
    return "\n".join(parts)


class McpConnection:
    def __init__(self, settings: McpServerSettings, registry: ToolRegistry, call_timeout_seconds: float) -> None:
        self.settings = settings
        self.registry = registry
        self.call_timeout_seconds = call_timeout_seconds
        self.status = McpStatus(settings.name, settings.transport)
        self._client: Any = None
        self._broken = asyncio.Event()

    @property
    def source(self) -> str:
        return f"mcp:{self.settings.name}"

    def _target(self) -> Any:
        from mcp import StdioServerParameters

        if self.settings.transport == "http":
            return self.settings.url
        assert self.settings.command is not None
        return StdioServerParameters(
            command=self.settings.command, args=self.settings.args, env=self.settings.env or None
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Connect, serve, and reconnect after a failure, until `stop` is set."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # the SDK raises exception groups from its task groups
                if isinstance(exc, KeyboardInterrupt | SystemExit):
                    raise
                self._failed(_error_text(exc))
            if stop.is_set():
                break
            with suppress(TimeoutError):
                async with asyncio.timeout(self.settings.retry_seconds):
                    await stop.wait()
        self.status.state = "stopped"

    async def _session(self, stop: asyncio.Event) -> None:
        from mcp import Client

        self.status = McpStatus(self.settings.name, self.settings.transport)
        self._broken.clear()
        async with AsyncExitStack() as stack:
            async with asyncio.timeout(self.settings.connect_timeout_seconds):
                client = await stack.enter_async_context(
                    Client(self._target(), read_timeout_seconds=self.settings.connect_timeout_seconds, mode="legacy")
                )
                listed = await client.list_tools()
            self._client = client
            tools: list[Tool] = [McpTool(self, remote) for remote in listed.tools]
            refused = self.registry.set_source(self.source, tools)
            self.status.state = "connected"
            self.status.tools = [tool.name for tool in tools if tool.name not in refused]
            self.status.error = f"noms d'outils déjà pris, ignorés : {', '.join(refused)}" if refused else None
            log.info("mcp-connected", server=self.settings.name, tools=self.status.tools)
            try:
                waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._broken.wait())]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
            finally:
                self._client = None
                self.registry.remove_source(self.source)
        if self._broken.is_set() and not stop.is_set():
            raise ConnectionError(self.status.error or "connexion perdue")

    def _failed(self, detail: str) -> None:
        self._client = None
        self.registry.remove_source(self.source)
        self.status.state, self.status.error, self.status.tools = "failed", detail, []
        log.warning("mcp-unavailable", server=self.settings.name, error=detail)

    async def call(self, name: str, arguments: dict[str, Any]) -> str:
        client = self._client
        if client is None:
            detail = self.status.error or self.status.state
            raise ToolError(t("mcp-unavailable", name=self.settings.name, detail=detail), code="mcp-unavailable")
        try:
            result = await client.call_tool(name, arguments, read_timeout_seconds=self.call_timeout_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            detail = _error_text(exc)
            if isinstance(exc, ConnectionError | OSError | EOFError) or "closed" in detail.lower():
                self.status.error = detail
                self._broken.set()  # reconnect in the background
            raise ToolError(f"Le serveur MCP {self.settings.name} a échoué : {detail}", code="mcp-failed") from exc
        text = _result_text(result)
        if result.is_error:
            raise ToolError(f"L'outil {name} du serveur MCP {self.settings.name} a échoué : {text}")
        return text


class McpManager:
    def __init__(self, servers: list[McpServerSettings], registry: ToolRegistry, call_timeout_seconds: float) -> None:
        self.connections = [McpConnection(s, registry, call_timeout_seconds) for s in servers]

    def statuses(self) -> list[McpStatus]:
        return [connection.status for connection in self.connections]

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(connection.run(stop) for connection in self.connections))
