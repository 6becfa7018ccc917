"""What the assistant can call: the tools of every source, and the plugins that bring some."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.errors import NotFoundError
from jarvis.i18n import t
from jarvis.llm.base import ToolCall

router = APIRouter(prefix="/api", tags=["tools"])


class ToolOut(BaseModel):
    name: str
    description: str
    source: str
    parameters: dict[str, Any]


class ToolList(BaseModel):
    enabled: bool
    tools: list[ToolOut]


@router.get("/tools", response_model=ToolList, summary="Tools the model may call")
async def list_tools(services: ServicesDep) -> ToolList:
    tools = [ToolOut(**vars(info)) for info in services.tools.infos()]
    return ToolList(enabled=services.settings.tools.enabled, tools=tools)


class PluginOut(BaseModel):
    name: str
    origin: str
    state: str
    error: str | None = None
    tools: list[str]
    path: str | None = None


class PluginList(BaseModel):
    enabled: bool
    folder: str | None
    plugins: list[PluginOut]


@router.get("/plugins", response_model=PluginList, summary="Plugins: loaded, failed (with the error) or disabled")
async def list_plugins(services: ServicesDep) -> PluginList:
    manager = services.plugins
    if manager is None:
        return PluginList(enabled=False, folder=None, plugins=[])
    plugins = [
        PluginOut(name=s.name, origin=s.origin, state=s.state, error=s.error, tools=s.tools, path=s.path)
        for s in sorted(manager.status.values(), key=lambda s: s.name)
    ]
    return PluginList(enabled=True, folder=str(manager.folder) if manager.folder else None, plugins=plugins)


class ToolCallOut(BaseModel):
    name: str
    ok: bool
    content: str
    error_code: str | None = None
    seconds: float


@router.post(
    "/tools/{name}/call",
    response_model=ToolCallOut,
    responses={404: {"model": ErrorBody, "description": "Unknown tool"}},
    summary="Run one tool directly (as the model would), with its time limit",
)
async def call_tool(name: str, services: ServicesDep, arguments: dict[str, Any] | None = Body(None)) -> ToolCallOut:
    if services.tools.get(name) is None:
        names = ", ".join(i.name for i in services.tools.infos())
        raise NotFoundError(t("tool-unknown", name=name, names=names), code="tool-unknown")
    outcome = await services.tools.execute(ToolCall(id="api", name=name, arguments=arguments or {}))
    return ToolCallOut(
        name=name,
        ok=outcome.ok,
        content=outcome.content,
        error_code=outcome.error_code,
        seconds=round(outcome.seconds, 4),
    )


class McpServerOut(BaseModel):
    name: str
    transport: str
    state: str
    error: str | None = None
    tools: list[str]


class McpServerList(BaseModel):
    servers: list[McpServerOut]


@router.get("/mcp", response_model=McpServerList, summary="Configured MCP servers: connected, or why not")
async def list_mcp_servers(services: ServicesDep) -> McpServerList:
    statuses = services.mcp.statuses() if services.mcp is not None else []
    return McpServerList(
        servers=[
            McpServerOut(name=s.name, transport=s.transport, state=s.state, error=s.error, tools=s.tools)
            for s in statuses
        ]
    )
