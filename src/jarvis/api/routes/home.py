"""The house as Jarvis sees it (Home Assistant entities, names, areas, states)."""

from __future__ import annotations

from fastapi import APIRouter

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import HomeEntities, HomeEntityOut

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
