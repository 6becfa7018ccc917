"""WebSocket session: translates client frames to pipeline runs and pipeline events to JSON frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from jarvis.errors import JarvisError
from jarvis.events import ErrorEvent, Event
from jarvis.i18n import t
from jarvis.services import Services

router = APIRouter()
log = structlog.get_logger(__name__)


class Session:
    def __init__(self, websocket: WebSocket, services: Services) -> None:
        self.websocket = websocket
        self.services = services
        self.run: asyncio.Task[Any] | None = None
        self._send_lock = asyncio.Lock()

    async def send(self, event: Event) -> None:
        async with self._send_lock:
            await self.websocket.send_text(event.model_dump_json())

    async def error(self, code: str, message: str, run_id: str | None = None) -> None:
        await self.send(ErrorEvent(code=code, message=message, run_id=run_id))

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "chat":
            await self.start_chat(frame)
        elif kind == "cancel":
            if self.run is not None and not self.run.done():
                self.run.cancel()
        else:
            await self.error("unknown-message-type", t("unknown-message-type", type=kind))

    async def start_chat(self, frame: dict[str, Any]) -> None:
        if self.run is not None and not self.run.done():
            await self.error("run-in-progress", t("run-in-progress"))
            return
        text, conversation_id = frame.get("text"), frame.get("conversation_id")
        if not isinstance(text, str) or not (conversation_id is None or isinstance(conversation_id, str)):
            await self.error("invalid-message", t("invalid-request", detail="text (chaîne) requis"))
            return
        pipeline = self.services.pipeline
        try:
            self.services.llm.check_capacity()
            prepared = await pipeline.prepare(text, conversation_id)
        except JarvisError as exc:
            await self.error(exc.code, exc.message)
            return
        self.run = pipeline.start(prepared, self.send)

    def close(self) -> None:
        if self.run is not None:
            self.run.cancel()  # the run reports the cancel and keeps the partial reply on its own


@router.websocket("/ws")
async def websocket_session(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    session = Session(websocket, services)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                await session.error("unexpected-binary", t("unexpected-binary"))
                continue
            try:
                frame = json.loads(raw)
            except json.JSONDecodeError as exc:
                await session.error("invalid-json", t("invalid-json", detail=exc.msg))
                continue
            if not isinstance(frame, dict):
                await session.error("invalid-message", t("invalid-request", detail="objet JSON attendu"))
                continue
            await session.handle(frame)
    except WebSocketDisconnect:
        pass
    finally:
        session.close()
