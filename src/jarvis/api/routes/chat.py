"""POST /api/chat: one text turn, answered whole or as a stream of pipeline events (server-sent events)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse

from jarvis.api.deps import ServicesDep
from jarvis.api.disconnect import client_closed, run_while_connected
from jarvis.api.errors import jarvis_error_response
from jarvis.api.schemas import ChatRequest, ChatResponse, ErrorBody
from jarvis.events import Event

router = APIRouter(prefix="/api", tags=["chat"])
ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "Unknown conversation"},
    422: {"model": ErrorBody, "description": "Empty or too long message"},
    503: {"model": ErrorBody, "description": "Model busy (Retry-After) or unavailable"},
}


def sse(event: Event) -> bytes:
    return f"event: {event.type}\ndata: {event.model_dump_json()}\n\n".encode()


@router.post("/chat", response_model=ChatResponse, responses=ERRORS)
async def chat(body: ChatRequest, request: Request, services: ServicesDep) -> Response:
    pipeline = services.pipeline
    pipeline.check_capacity(body.message, body.conversation_id)  # a full LLM queue refuses only what needs it
    prepared = await pipeline.prepare(body.message, body.conversation_id)
    if not body.stream:

        async def ignore(_: Event) -> None:
            return None

        result = await run_while_connected(request, pipeline.start(prepared, ignore))
        if result is None:  # the client left: the generation was cancelled
            return client_closed()
        if result.error is not None:
            # The user's message was stored: say where, so a retry can continue the same conversation.
            return jarvis_error_response(result.error, conversation_id=prepared.conversation_id)
        end = result.end
        response = ChatResponse(
            conversation_id=prepared.conversation_id,
            message_id=end.message_id,
            reply=end.reply,
            status=end.status,
            timings=end.timings,
        )
        return JSONResponse(response.model_dump(mode="json"))

    async def events() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue()

        async def emit(event: Event) -> None:
            await queue.put(event)

        task = pipeline.start(prepared, emit)
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield sse(event)
        finally:
            # The client left: stop the generation; the run stores what was said on its own.
            task.cancel()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
