"""Stored conversations: list, read, rename, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import (
    ConversationDetail,
    ConversationList,
    ConversationOut,
    ErrorBody,
    MessageOut,
)
from jarvis.errors import InvalidInputError
from jarvis.i18n import t

router = APIRouter(prefix="/api/conversations", tags=["conversations"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "Unknown conversation"}}


@router.get("", response_model=ConversationList)
async def list_conversations(
    services: ServicesDep,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> ConversationList:
    rows = await services.conversations.list_recent(limit=limit, offset=offset)
    return ConversationList(
        conversations=[
            ConversationOut(
                id=r.id,
                title=r.title,
                created_at=r.created_at,
                updated_at=r.updated_at,
                message_count=r.message_count,
            )
            for r in rows
        ]
    )


@router.get("/{conversation_id}", response_model=ConversationDetail, responses=NOT_FOUND)
async def get_conversation(conversation_id: str, services: ServicesDep) -> ConversationDetail:
    conversation = await services.conversations.get(conversation_id)
    messages = await services.conversations.messages(conversation_id)
    return ConversationDetail(
        id=conversation.id,
        title=conversation.title,
        created_at=conversation.created_at,
        updated_at=conversation.updated_at,
        summary=conversation.summary,
        messages=[
            MessageOut(
                id=m.id,
                role=m.role,
                content=m.content,
                status=m.status,
                created_at=m.created_at,
                timings=m.timings,
            )
            for m in messages
        ],
    )


class ConversationPatch(BaseModel):
    title: str = Field(description="The new title (1 to 200 characters; spaces at the ends are dropped).")


TITLE_LIMIT = 200


@router.patch("/{conversation_id}", response_model=ConversationOut, responses=NOT_FOUND)
async def rename_conversation(conversation_id: str, body: ConversationPatch, services: ServicesDep) -> ConversationOut:
    title = " ".join(body.title.split())
    if not title or len(title) > TITLE_LIMIT:
        raise InvalidInputError(t("invalid-title", limit=TITLE_LIMIT), code="invalid-title")
    row = await services.conversations.rename(conversation_id, title)
    return ConversationOut(
        id=row.id,
        title=row.title,
        created_at=row.created_at,
        updated_at=row.updated_at,
        message_count=row.message_count,
    )


@router.delete("/{conversation_id}", status_code=204, responses=NOT_FOUND)
async def delete_conversation(conversation_id: str, services: ServicesDep) -> Response:
    await services.conversations.delete(conversation_id)
    return Response(status_code=204)
