"""Long-term memory and the household profile: list, search, create, edit, delete, export, import."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.errors import InvalidInputError, JarvisError
from jarvis.i18n import t
from jarvis.memory.items import PROFILE_KEYS, NewMemory
from jarvis.memory.service import MemoryService
from jarvis.services import Services
from jarvis.store.tables import Memory

router = APIRouter(tags=["memory"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "Unknown memory"}}
BAD_INPUT: dict[int | str, dict[str, Any]] = {422: {"model": ErrorBody, "description": "Invalid memory"}}


class MemoryOut(BaseModel):
    id: str
    text: str
    kind: str
    subject: str
    retention: str
    created_at: datetime
    updated_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    source_conversation_id: str | None
    source_message_id: str | None
    score: float | None = Field(None, description="Relevance to the search query (searches only).")

    @classmethod
    def of(cls, row: Memory, score: float | None = None) -> MemoryOut:
        return cls(
            id=row.id,
            text=row.text,
            kind=row.kind,
            subject=row.subject,
            retention=row.retention,
            created_at=row.created_at,
            updated_at=row.updated_at,
            last_used_at=row.last_used_at,
            expires_at=row.expires_at,
            source_conversation_id=row.source_conversation_id,
            source_message_id=row.source_message_id,
            score=None if score is None else round(score, 4),
        )


class MemoryList(BaseModel):
    memories: list[MemoryOut]
    total: int


class MemoryCreate(BaseModel):
    text: str = Field(description="What to remember, e.g. « Ma fille s'appelle Léa. »")
    kind: str = Field("fact", description="fact | preference | event | note")
    subject: str = Field("", max_length=100, description="Who it is about; empty: the user.")
    retention: str = Field(
        "normal",
        description="permanent | important (2 years) | normal (1 year) | temporary (30 days) | auto_delete (7 days)",
    )


class MemoryPatch(BaseModel):
    text: str | None = None
    kind: str | None = None
    subject: str | None = Field(None, max_length=100)
    retention: str | None = None


class ImportResult(BaseModel):
    imported: int


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    city: str | None = None
    household: str | None = None
    preferences: str | None = None
    notes: str | None = None


def _memory(services: Services) -> MemoryService:
    if services.memory is None:
        raise JarvisError(t("memory-disabled"), code="memory-disabled", status=503)
    return services.memory


@router.get("/api/memories", response_model=MemoryList)
async def list_memories(
    services: ServicesDep,
    q: str | None = Query(None, description="Search (meaning and words); results best first, with a score."),
    kind: str | None = None,
    subject: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> MemoryList:
    memory = _memory(services)
    if q is not None:
        found = await memory.search(q, limit=limit)
        return MemoryList(memories=[MemoryOut.of(f.memory, f.hit.score) for f in found], total=len(found))
    rows = memory.items(kind=kind, subject=subject, limit=limit, offset=offset)
    return MemoryList(memories=[MemoryOut.of(r) for r in rows], total=len(memory))


@router.post("/api/memories", response_model=MemoryOut, status_code=201, responses=BAD_INPUT)
async def create_memory(body: MemoryCreate, services: ServicesDep, response: Response) -> MemoryOut:
    row, created = await _memory(services).add(NewMemory(body.text, body.kind, body.subject, body.retention))
    if not created:
        response.status_code = 200  # the same thing was already known: refreshed, not duplicated
    return MemoryOut.of(row)


@router.get("/api/memories/export", response_class=StreamingResponse)
async def export_memories(services: ServicesDep) -> StreamingResponse:
    """Every memory as JSON Lines (one object per line), the format `POST /api/memories/import` reads."""
    lines = list(_memory(services).export_lines())
    return StreamingResponse(
        (line + "\n" for line in lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="jarvis-memories.jsonl"'},
    )


@router.post("/api/memories/import", response_model=ImportResult, responses=BAD_INPUT)
async def import_memories(request: Request, services: ServicesDep) -> ImportResult:
    """Body: JSON Lines as written by the export. Checked whole first: one invalid line and nothing is imported."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInputError(t("memory-import-not-utf8"), code="memory-import-invalid") from exc
    return ImportResult(imported=await _memory(services).import_lines(text.splitlines()))


@router.get("/api/memories/{memory_id}", response_model=MemoryOut, responses=NOT_FOUND)
async def get_memory(memory_id: str, services: ServicesDep) -> MemoryOut:
    return MemoryOut.of(await _memory(services).repo.get(memory_id))


@router.patch("/api/memories/{memory_id}", response_model=MemoryOut, responses={**NOT_FOUND, **BAD_INPUT})
async def edit_memory(memory_id: str, body: MemoryPatch, services: ServicesDep) -> MemoryOut:
    row = await _memory(services).update(
        memory_id, text=body.text, kind=body.kind, subject=body.subject, retention=body.retention
    )
    return MemoryOut.of(row)


@router.delete("/api/memories/{memory_id}", status_code=204, responses=NOT_FOUND)
async def delete_memory(memory_id: str, services: ServicesDep) -> Response:
    await _memory(services).delete(memory_id)
    return Response(status_code=204)


@router.get("/api/profile", response_model=Profile)
async def get_profile(services: ServicesDep) -> Profile:
    return Profile(**_memory(services).profile)


@router.patch("/api/profile", response_model=Profile, responses=BAD_INPUT)
async def edit_profile(body: Profile, services: ServicesDep) -> Profile:
    """Set the given fields; an empty string clears a field; fields left out stay as they are."""
    values = body.model_dump(exclude_unset=True)
    assert set(values) <= set(PROFILE_KEYS)
    return Profile(**await _memory(services).set_profile(values))
