"""Timers and reminders: list, start, cancel (the same service the voice tools use)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.events import TimerOut

router = APIRouter(prefix="/api/timers", tags=["timers"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such active timer"},
    422: {"model": ErrorBody, "description": "Invalid duration"},
}


class TimerList(BaseModel):
    timers: list[TimerOut]


class TimerCreate(BaseModel):
    duration_seconds: float = Field(description="Durée en secondes (au moins timers.min_seconds)")
    label: str = Field("", max_length=200)
    kind: Literal["timer", "reminder"] = "timer"


@router.get("", response_model=TimerList, summary="Active timers (all=true: the recent ones too)")
async def list_timers(services: ServicesDep, all: bool = Query(False)) -> TimerList:
    timers = await (services.timers.recent() if all else services.timers.list())
    return TimerList(timers=timers)


@router.post("", response_model=TimerOut, status_code=201, responses=ERRORS, summary="Start a timer")
async def start_timer(body: TimerCreate, services: ServicesDep) -> TimerOut:
    return await services.timers.start(body.duration_seconds, body.label, kind=body.kind)


@router.delete("/{timer_id}", response_model=TimerOut, responses=ERRORS, summary="Cancel an active timer")
async def cancel_timer(timer_id: str, services: ServicesDep) -> TimerOut:
    return await services.timers.cancel_id(timer_id)
