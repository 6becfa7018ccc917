"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from jarvis.api.deps import ServicesDep
from jarvis.api.routes.home import HomeStatus, home_status
from jarvis.api.schemas import ComponentStatus, ReadyResponse
from jarvis.services import Services
from jarvis.tts.base import Synthesizer

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyResponse, summary="Models loaded and database reachable")
async def ready(services: ServicesDep) -> JSONResponse:
    body = await readiness(services)
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)


class StatusOut(ReadyResponse):
    home: HomeStatus


@router.get("/api/status", response_model=StatusOut, summary="Readiness and Home Assistant, for the web app")
async def status(services: ServicesDep) -> StatusOut:
    """What /ready says, always with 200 (a page polling it while the models load logs no failed request), and the
    Home Assistant connection with its entity count (so it needs a session or token)."""
    body = await readiness(services)
    return StatusOut(ready=body.ready, components=body.components, home=home_status(services))


async def readiness(services: Services) -> ReadyResponse:
    engine = await services.engine.health()
    database = await services.db.ping()
    stt, tts = services.speech.stt, services.speech.tts
    components = {
        "llm": ComponentStatus(
            ready=engine.ready and services.prompt_warmed,
            detail=engine.detail if services.prompt_warmed or not engine.ready else "préparation du prompt",
            failed=engine.failed,
        ),
        "stt": ComponentStatus(ready=stt.ready, detail=f"{stt.name} {'prêt' if stt.ready else 'non chargé'}"),
        "tts": tts_status(tts),
        "database": ComponentStatus(ready=database, detail="joignable" if database else "injoignable"),
    }
    home = services.home.client
    if home is not None:
        home_ready, home_detail = await home.ping()
        components["home_assistant"] = ComponentStatus(ready=home_ready, detail=home_detail, required=False)
    return ReadyResponse(ready=all(c.ready for c in components.values() if c.required), components=components)


def tts_status(tts: Synthesizer) -> ComponentStatus:
    degraded = getattr(tts, "degraded", None)  # set by the espeak-ng fallback while it stands in
    if degraded:
        return ComponentStatus(ready=tts.ready, detail=f"dégradé : {degraded}", degraded=True)
    return ComponentStatus(ready=tts.ready, detail=f"{tts.name} {'prêt' if tts.ready else 'non chargé'}")


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(services: ServicesDep) -> Response:
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
