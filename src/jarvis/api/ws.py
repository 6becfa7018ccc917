"""WebSocket session: translates client frames to pipeline runs and pipeline events to JSON frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import numpy as np
import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from numpy.typing import NDArray

from jarvis.api.audio_input import AudioInput, speech_speed
from jarvis.audio.formats import SAMPLE_RATE
from jarvis.errors import JarvisError
from jarvis.events import ErrorEvent, Event, TimerFinished, VadEnd, VadStart, WakeWord
from jarvis.i18n import t
from jarvis.pipeline.completeness import end_silence
from jarvis.pipeline.endpointing import Boundary
from jarvis.pipeline.speaker import Speaker
from jarvis.pipeline.turn import VoiceOutput
from jarvis.services import Services
from jarvis.stt.base import Transcript

router = APIRouter()
log = structlog.get_logger(__name__)

# Close code sent to the WebSockets of a browser session when it signs out (from any tab): do not reconnect.
CLOSE_SIGNED_OUT = 4401


class Session:
    def __init__(self, websocket: WebSocket, services: Services) -> None:
        self.websocket = websocket
        self.services = services
        self.run: asyncio.Task[Any] | None = None
        self.audio: AudioInput | None = None
        self.early: asyncio.Task[Transcript] | None = None  # recognition started during the final silence
        self._early_judged: asyncio.Task[Transcript] | None = None  # looked at by end_on_early_result already
        self.closed = False
        self._send_lock = asyncio.Lock()
        # A session that asked for spoken replies also hears announcements (a timer that rings).
        self.speaks = False
        self.voice: str | None = None
        # The browser session (cookie) that opened this WebSocket; None for API tokens and with auth off.
        web_session = websocket.scope.get("state", {}).get("web_session")
        self.web_session_id: str | None = getattr(web_session, "id", None)

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.done()

    async def send(self, event: Event) -> None:
        await self._send(event.model_dump_json())

    async def send_audio(self, pcm: bytes) -> None:
        await self._send(pcm)

    async def _send(self, data: str | bytes) -> None:
        """Send unless the client is gone; then the receive loop sees the disconnect and cancels the run."""
        async with self._send_lock:
            if self.closed:
                return
            try:
                if isinstance(data, bytes):
                    await self.websocket.send_bytes(data)
                else:
                    await self.websocket.send_text(data)
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.closed = True

    async def announce(self, event: Event, speech: str | None) -> bool:
        """An event from outside any turn (timers). Spoken only between turns, so the audio of a reply and of an
        announcement never interleave."""
        if self.closed:
            return False
        await self.send(event)
        if speech and self.speaks and not self.running and isinstance(event, TimerFinished):
            speech_service = self.services.speech
            speaker = Speaker(
                speech_service.tts,
                self.send,
                self.send_audio,
                run_id=f"timer-{event.timer.id}",
                voice=self.voice or speech_service.voice,
                speed=speech_service.speed,
                started=time.perf_counter(),
                priority=speech_service.priority,
                timeout_seconds=speech_service.tts_timeout_seconds,
            )
            try:
                speaker.feed(speech)
                await speaker.finish()
            finally:
                await speaker.cancel()
        return not self.closed

    async def error(self, code: str, message: str, run_id: str | None = None) -> None:
        await self.send(ErrorEvent(code=code, message=message, run_id=run_id))

    async def handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "chat":
            await self.start_chat(frame)
        elif kind == "cancel":
            if self.run is not None and not self.run.done():
                self.run.cancel()
        elif kind == "audio-start":
            await self.start_audio(frame)
        elif kind == "audio-end":
            await self.end_audio()
        elif kind == "draft":
            await self.draft(frame)
        else:
            await self.error("unknown-message-type", t("unknown-message-type", type=kind))

    async def start_chat(self, frame: dict[str, Any]) -> None:
        if self.running:
            await self.error("run-in-progress", t("run-in-progress"))
            return
        message = await self._text_and_conversation(frame)
        if message is None:
            return
        text, conversation_id = message
        pipeline = self.services.pipeline
        try:
            pipeline.check_capacity(text, conversation_id)  # a full LLM queue refuses only what needs it
            prepared = await pipeline.prepare(text, conversation_id)
        except JarvisError as exc:
            await self.error(exc.code, exc.message)
            return
        chosen = frame.get("voice") if isinstance(frame.get("voice"), str) else None
        voice = (
            VoiceOutput(self.send_audio, chosen, speech_speed(frame), realtime=True)
            if frame.get("speak") is True
            else None
        )
        if voice is not None:
            self.speaks, self.voice = True, chosen
        self.run = pipeline.start(prepared, self.send, voice)

    async def _text_and_conversation(self, frame: dict[str, Any]) -> tuple[str, str | None] | None:
        """A `chat` or `draft` frame's text and conversation id; None (and an error event) when malformed."""
        text, conversation_id = frame.get("text"), frame.get("conversation_id")
        if not isinstance(text, str) or not (conversation_id is None or isinstance(conversation_id, str)):
            await self.error("invalid-message", t("invalid-request", detail="text (chaîne) requis"))
            return None
        return text, conversation_id

    async def draft(self, frame: dict[str, Any]) -> None:
        """The message being typed: its prompt is evaluated while the user finishes (no reply, no event), so that
        the answer starts at once when they send it."""
        message = await self._text_and_conversation(frame)
        if message is None:
            return
        text, conversation_id = message
        if not self.running and len(text) <= self.services.settings.chat.max_message_chars:
            self.services.pipeline.warmer.prefill(text, conversation_id)

    async def start_audio(self, frame: dict[str, Any]) -> None:
        self.drop_early()  # a new stream: what was heard on the old one is not its words
        try:
            settings = self.services.settings
            # Building the detector loads its ONNX model: keep it off the event loop.
            self.audio = await asyncio.to_thread(
                AudioInput.from_frame, frame, settings.stt.max_audio_seconds, settings.vad, settings.wake_word
            )
            if self.audio.speak:
                self.speaks, self.voice = True, self.audio.voice
        except JarvisError as exc:
            await self.error(exc.code, exc.message)

    async def receive_audio(self, data: bytes) -> None:
        if self.audio is None:
            await self.error("unexpected-binary", t("unexpected-binary"))
            return
        try:
            heard = await asyncio.to_thread(self.audio.feed, data)  # resampling and VAD are CPU work
        except JarvisError as exc:
            await self.error(exc.code, exc.message)
            return
        if self.audio.in_speech:
            # The user's turn is coming: background work (memory learning) leaves the CPU to the recognition.
            self.services.llm.note_user_activity()
        for item in heard:
            if item.boundary is Boundary.WAKE:
                model = self.audio.wake.detector.model if self.audio.wake else ""
                await self.send(WakeWord(model=model, score=round(item.score or 0.0, 3)))
                if self.running and self.run is not None:
                    self.run.cancel()  # "Hey Jarvis" over Jarvis: barge-in
            elif item.boundary is Boundary.START:
                self.drop_early()  # a new utterance: an early result from before is not its words
                await self.send(VadStart())
                if self.running and self.run is not None:
                    self.run.cancel()  # barge-in: the user speaks over Jarvis
            elif item.boundary is Boundary.PAUSE and item.audio is not None and not self.running:
                self.early = asyncio.create_task(self.services.speech.recognize(item.audio, heard=True))
                # A dropped early result may hold an error nobody awaits: mark it seen.
                self.early.add_done_callback(lambda task: task.cancelled() or task.exception())
            elif item.boundary is Boundary.RESUME:
                self.drop_early()
            elif item.boundary is Boundary.END and item.audio is not None:
                await self.send(VadEnd(seconds=round(len(item.audio) / SAMPLE_RATE, 3)))
                await self.start_voice_turn(item.audio, heard=True)
        await self.end_on_early_result()

    async def end_on_early_result(self) -> None:
        """The early transcript is ready: a whole command the fast path knows ends the utterance now, without
        waiting for the rest of the silence; anything else has its LLM prompt evaluated during that silence, which
        is shorter when the words sound finished. Checked between audio frames, so the listener is never fed
        meanwhile."""
        early = self.early
        if early is None or not early.done() or early is self._early_judged or self.running or self.audio is None:
            return
        self._early_judged = early
        if early.cancelled() or early.exception() is not None:
            return
        text = early.result().text
        pipeline = self.services.pipeline
        silence = end_silence(text, self.services.settings.vad, pipeline.completes_command)
        if silence != 0.0:
            pipeline.warmer.prefill(text, self.audio.conversation_id)
            if silence is not None:
                self.audio.end_after(silence)  # a sentence that sounds finished: a shorter silence ends it
            return
        heard = self.audio.end_now()
        if heard is not None and heard.audio is not None:
            await self.send(VadEnd(seconds=round(len(heard.audio) / SAMPLE_RATE, 3)))
            await self.start_voice_turn(heard.audio, heard=True)

    def drop_early(self) -> None:
        if self.early is not None:
            self.early.cancel()
            self.early = None

    async def end_audio(self) -> None:
        """Push-to-talk released (or the stream ends): what was heard is the utterance."""
        if self.audio is None:
            await self.error("invalid-message", t("invalid-request", detail="audio-end sans audio-start"))
            return
        if self.running:
            await self.error("run-in-progress", t("run-in-progress"))  # the recording stays until the reply ends
            return
        utterance = self.audio.take()
        if utterance is not None:
            await self.start_voice_turn(utterance, heard=False)

    async def start_voice_turn(self, audio: NDArray[np.int16], *, heard: bool) -> None:
        """A turn from an utterance; `heard`: the live listener found speech in it (push-to-talk audio was not
        listened to: it is checked for speech before recognition)."""
        assert self.audio is not None
        # Only silence came after the PAUSE: the early recognition heard the same words.
        early, self.early = self.early, None
        if self.running:
            if early is not None:
                early.cancel()
            await self.error("run-in-progress", t("run-in-progress"))
            return
        pipeline = self.services.pipeline
        try:
            # No early refusal when the LLM queue is full: a spoken home command needs no LLM (the run itself
            # refuses, after recognition, what does need it).
            prepared = await pipeline.prepare_audio(audio, self.audio.conversation_id, early, heard=heard)
        except JarvisError as exc:
            if early is not None:
                early.cancel()
            await self.error(exc.code, exc.message)
            return
        self.audio.conversation_id = prepared.conversation_id  # the next utterance continues it
        stream = self.audio
        voice = VoiceOutput(self.send_audio, stream.voice, stream.speed, realtime=True) if stream.speak else None
        if voice is not None:
            self.speaks, self.voice = True, stream.voice
        self.run = pipeline.start(prepared, self.send, voice)

    async def end(self, code: int, reason: str) -> None:
        """Close the WebSocket from the server (the session signed out); the receive loop then ends the run."""
        async with self._send_lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
                await self.websocket.close(code=code, reason=reason)

    def close(self) -> None:
        self.drop_early()
        if self.run is not None:
            self.run.cancel()  # the run reports the cancel and keeps the partial reply on its own


@router.websocket("/ws")
async def websocket_session(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    await websocket.accept()
    session = Session(websocket, services)
    services.hub.add(session)
    try:
        # Timers that rang while nobody listened (or while Jarvis was stopped) are announced to the first session.
        await services.timers.deliver_pending(session)
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                await session.receive_audio(message.get("bytes") or b"")
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
        services.hub.discard(session)
        session.close()
