"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ComponentStatus, ReadyResponse
from jarvis.tts.base import Synthesizer

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready", response_model=ReadyResponse, summary="Models loaded and database reachable")
async def ready(services: ServicesDep) -> JSONResponse:
    engine = await services.engine.health()
    database = await services.db.ping()
    stt, tts = services.speech.stt, services.speech.tts
    components = {
        "llm": ComponentStatus(
            ready=engine.ready and services.prompt_warmed,
            detail=engine.detail if services.prompt_warmed or not engine.ready else "préparation du prompt",
        ),
        "stt": ComponentStatus(ready=stt.ready, detail=f"{stt.name} {'prêt' if stt.ready else 'non chargé'}"),
        "tts": tts_status(tts),
        "database": ComponentStatus(ready=database, detail="joignable" if database else "injoignable"),
    }
    home = services.home.client
    if home is not None:
        home_ready, home_detail = await home.ping()
        components["home_assistant"] = ComponentStatus(ready=home_ready, detail=home_detail, required=False)
    body = ReadyResponse(ready=all(c.ready for c in components.values() if c.required), components=components)
    return JSONResponse(body.model_dump(), status_code=200 if body.ready else 503)


def tts_status(tts: Synthesizer) -> ComponentStatus:
    degraded = getattr(tts, "degraded", None)  # set by the espeak-ng fallback while it stands in
    if degraded:
        return ComponentStatus(ready=tts.ready, detail=f"dégradé : {degraded}", degraded=True)
    return ComponentStatus(ready=tts.ready, detail=f"{tts.name} {'prêt' if tts.ready else 'non chargé'}")


@router.get("/metrics", summary="Prometheus metrics")
async def metrics(services: ServicesDep) -> Response:
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)
