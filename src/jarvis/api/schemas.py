"""Request and response bodies of the Jarvis API (separate from storage rows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from jarvis.events import Timings


class ErrorDetail(BaseModel):
    code: str = Field(examples=["conversation-not-found"])
    message: str


class ErrorBody(BaseModel):
    error: ErrorDetail


class ChatRequest(BaseModel):
    message: str = Field(description="What the user says (the length limit is a server setting).")
    conversation_id: str | None = Field(None, description="Continue this conversation; null starts a new one.")
    stream: bool = Field(False, description="Answer with a text/event-stream of pipeline events.")


class ChatResponse(BaseModel):
    conversation_id: str
    message_id: str | None
    reply: str
    status: str
    timings: Timings


class ConversationOut(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    message_count: int


class MessageOut(BaseModel):
    id: str
    role: str
    content: str
    status: str
    created_at: datetime
    timings: dict[str, Any] | None = None


class ConversationDetail(BaseModel):
    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    summary: str = Field("", description="Summary of the older messages, which the prompt carries instead of them.")
    messages: list[MessageOut]


class ConversationList(BaseModel):
    conversations: list[ConversationOut]


class ComponentStatus(BaseModel):
    ready: bool
    detail: str
    # Optional components (Home Assistant) are reported but do not make Jarvis unready.
    required: bool = True
    # Working, but not as configured (e.g. the voice fell back to espeak-ng).
    degraded: bool = False
    # Not ready because it failed (model missing, server unreachable), not because it is still loading.
    failed: bool = False


class HomeEntityOut(BaseModel):
    entity_id: str
    name: str
    aliases: list[str]
    area: str | None
    domain: str
    state: str
    unit: str | None
    device_class: str | None
    sensitive: bool


class HomeEntities(BaseModel):
    """What Jarvis sees of the house: the entities the fast path can name."""

    configured: bool
    status: str
    detail: str
    entities: list[HomeEntityOut]


class ReadyResponse(BaseModel):
    ready: bool
    components: dict[str, ComponentStatus]
