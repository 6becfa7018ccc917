"""The house as Jarvis sees it (Home Assistant entities, names, areas, states)."""

from __future__ import annotations

from typing import Literal, cast

from fastapi import APIRouter
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import HomeEntities, HomeEntityOut
from jarvis.services import Services

router = APIRouter(prefix="/api/home", tags=["home"])


@router.get("/entities", response_model=HomeEntities, summary="Entities Jarvis can name and act on")
async def entities(services: ServicesDep) -> HomeEntities:
    home = services.home
    client = home.client
    return HomeEntities(
        configured=client is not None,
        status=client.status if client is not None else "not-configured",
        detail=client.unavailable_message() if client is not None and not client.connected else "",
        entities=[HomeEntityOut(**entity) for entity in home.describe()],
    )


HomeState = Literal["not-configured", "connecting", "connected", "unauthorized", "unreachable"]


class HomeStatus(BaseModel):
    """The Home Assistant connection, for the web app's status area (cheap: read from memory, never asks HA)."""

    configured: bool = Field(description="A Home Assistant URL is set (home_assistant.url).")
    status: HomeState
    detail: str = Field(description="Why it is not connected (for people), empty when connected.")
    version: str | None = Field(None, description="Home Assistant's version, once connected.")
    entities: int = Field(description="Entities Jarvis can name and act on (GET /api/home/entities lists them).")


@router.get("/status", response_model=HomeStatus, summary="Home Assistant connection and entity count")
async def status(services: ServicesDep) -> HomeStatus:
    return home_status(services)


def home_status(services: Services) -> HomeStatus:
    home = services.home
    client = home.client
    if client is None:
        return HomeStatus(configured=False, status="not-configured", detail="", entities=0)
    return HomeStatus(
        configured=True,
        status=cast(HomeState, client.status),
        detail="" if client.connected else client.unavailable_message(),
        version=client.version if client.connected else None,
        entities=len(home.exposed()),
    )
