"""Pipeline events: one vocabulary for the WebSocket protocol, server-sent events, logs, metrics and tests."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Timings(BaseModel):
    """Where the time of one run went, in seconds (None: the stage did not run)."""

    queue_seconds: float | None = None
    llm_first_token_seconds: float | None = None
    llm_seconds: float | None = None
    total_seconds: float | None = None
    prompt_tokens: int | None = None
    prompt_cached_tokens: int | None = None
    completion_tokens: int | None = None
    tokens_per_second: float | None = None


class RunStart(BaseModel):
    type: Literal["run-start"] = "run-start"
    run_id: str
    conversation_id: str | None = None
    user_message_id: str | None = None


class LlmDelta(BaseModel):
    type: Literal["llm-delta"] = "llm-delta"
    run_id: str
    text: str


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    run_id: str | None = None
    code: str
    message: str


class RunEnd(BaseModel):
    type: Literal["run-end"] = "run-end"
    run_id: str
    conversation_id: str | None = None
    message_id: str | None = None
    reply: str = ""
    status: Literal["complete", "cancelled", "failed"] = "complete"
    timings: Timings = Field(default_factory=Timings)


# Every event a run emits; `type` tells them apart on the wire.
Event = RunStart | LlmDelta | ErrorEvent | RunEnd
