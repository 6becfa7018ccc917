"""What the assistant can call: the tools of every source."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from jarvis.api.deps import ServicesDep

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
