"""MQTT bridge: Jarvis's state (online/offline with a last will, readiness) and pipeline events go out under a topic
prefix; chat commands come in on `<prefix>/command` and their answers go out on `<prefix>/reply`.

Everything network-bound runs in the bridge's own task: events wait in a bounded outbox (the oldest are dropped
when the broker is away), so a broker that is down or slow never blocks a turn."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiomqtt
import structlog

from jarvis.config import MqttSettings
from jarvis.errors import InvalidInputError, JarvisError
from jarvis.events import Event
from jarvis.i18n import t

log = structlog.get_logger(__name__)

# Pipeline events worth sending (token deltas are not: too many, and the reply comes whole in run-end).
PUBLISHED_EVENTS = frozenset({"run-start", "stt-end", "run-end", "error"})
OUTBOX_SIZE = 1000
READY_POLL_SECONDS = 5.0
STOP_PUBLISH_SECONDS = 2.0

Readiness = Callable[[], Awaitable[dict[str, Any]]]
# (text, conversation id or None) -> (the run's end event as a dict, the error or None)
Converse = Callable[[str, str | None], Awaitable[tuple[dict[str, Any], JarvisError | None]]]


def parse_command(payload: bytes) -> tuple[str, str | None, str | None]:
    """(text, conversation_id, request id) from a JSON object {"text", "conversation_id"?, "id"?} or plain text."""
    try:
        raw = payload.decode()
    except UnicodeDecodeError as exc:
        raise InvalidInputError(t("invalid-request", detail="UTF-8 attendu")) from exc
    stripped = raw.strip()
    if not stripped.startswith("{"):
        return raw, None, None
    try:
        data = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(t("invalid-json", detail=exc.msg), code="invalid-json") from exc
    text, conversation_id, request_id = data.get("text"), data.get("conversation_id"), data.get("id")
    if not isinstance(text, str):
        raise InvalidInputError(t("invalid-request", detail="« text » (chaîne) est requis"))
    if conversation_id is not None and not isinstance(conversation_id, str):
        raise InvalidInputError(t("invalid-request", detail="« conversation_id » doit être une chaîne"))
    return text, conversation_id, None if request_id is None else str(request_id)


class MqttBridge:
    def __init__(self, settings: MqttSettings, converse: Converse, readiness: Readiness) -> None:
        self.settings = settings
        self.prefix = settings.topic_prefix.rstrip("/")
        self.converse = converse
        self.readiness = readiness
        self.connected = asyncio.Event()
        self._outbox: asyncio.Queue[tuple[str, bytes, bool]] = asyncio.Queue(OUTBOX_SIZE)
        self._client: aiomqtt.Client | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_ready: dict[str, Any] | None = None
        self.dropped = 0

    def topic(self, name: str) -> str:
        return f"{self.prefix}/{name}"

    # --- out ------------------------------------------------------------------------------------------------------

    def publish(self, name: str, payload: dict[str, Any] | str, *, retain: bool = False) -> None:
        """Queue a message; never waits. With the broker away for long, the oldest queued messages go first."""
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False).encode()
        while True:
            try:
                self._outbox.put_nowait((self.topic(name), data, retain))
                return
            except asyncio.QueueFull:
                self._outbox.get_nowait()
                self.dropped += 1

    def observe(self, event: Event) -> None:
        """A pipeline observer: every run's state changes, whoever started the run (voice, API, MQTT)."""
        if event.type in PUBLISHED_EVENTS:
            self.publish(f"event/{event.type}", event.model_dump(mode="json", exclude_none=True))

    # --- connection -------------------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Stay connected: reconnect with exponential backoff (1 s doubling up to reconnect_max_seconds)."""
        backoff = 1.0
        s = self.settings
        while True:
            try:
                async with aiomqtt.Client(
                    s.host,
                    s.port,
                    username=s.username,
                    password=s.password.get_secret_value() if s.password else None,
                    identifier=s.client_id or f"jarvis-{uuid.uuid4().hex[:8]}",
                    keepalive=s.keepalive_seconds,
                    timeout=10,
                    will=aiomqtt.Will(self.topic("status"), "offline", qos=1, retain=True),
                ) as client:
                    self._client = client
                    backoff = 1.0
                    await client.publish(self.topic("status"), "online", qos=1, retain=True)
                    self._last_ready = None
                    if s.commands:
                        await client.subscribe(self.topic("command"), qos=1)
                    self.connected.set()
                    log.info("mqtt-connected", host=s.host, port=s.port, prefix=self.prefix)
                    async with asyncio.TaskGroup() as group:
                        group.create_task(self._send(client))
                        group.create_task(self._watch_readiness())
                        group.create_task(self._receive(client))
            except* aiomqtt.MqttError as group_error:
                error = group_error.exceptions[0]
                log.warning("mqtt-unavailable", host=s.host, port=s.port, error=str(error), retry_seconds=backoff)
            except* Exception:  # a bug here must not end the bridge for good
                log.exception("mqtt-bridge-failed", retry_seconds=backoff)
            finally:
                self._client = None
                self.connected.clear()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, s.reconnect_max_seconds)

    async def _send(self, client: aiomqtt.Client) -> None:
        while True:
            topic, data, retain = await self._outbox.get()
            try:
                await client.publish(topic, data, qos=1, retain=retain)
            except aiomqtt.MqttError:
                self._put_back(topic, data, retain)
                raise

    def _put_back(self, topic: str, data: bytes, retain: bool) -> None:
        if not self._outbox.full():
            self._outbox.put_nowait((topic, data, retain))  # sent again (out of order) after reconnecting

    async def _watch_readiness(self) -> None:
        while True:
            try:
                state = await self.readiness()
            except Exception:  # a check that fails says "not ready", it must not stop the bridge
                log.exception("mqtt-readiness-failed")
                state = {"ready": False}
            if state != self._last_ready:
                self._last_ready = state
                self.publish("ready", state, retain=True)
            await asyncio.sleep(READY_POLL_SECONDS)

    # --- in ---------------------------------------------------------------------------------------------------------

    async def _receive(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if message.topic.matches(self.topic("command")) and isinstance(message.payload, bytes | bytearray):
                task = asyncio.create_task(self._command(bytes(message.payload)))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _command(self, payload: bytes) -> None:
        request_id: str | None = None
        try:
            text, conversation_id, request_id = parse_command(payload)
            end, error = await self.converse(text, conversation_id)
        except JarvisError as exc:
            end, error = {"status": "failed"}, exc
        except Exception as exc:
            log.exception("mqtt-command-failed")
            end, error = {"status": "failed"}, JarvisError(t("internal-error", detail=exc))
        reply: dict[str, Any] = {
            "id": request_id,
            "conversation_id": end.get("conversation_id"),
            "message_id": end.get("message_id"),
            "text": end.get("reply", ""),
            "status": end.get("status", "failed"),
        }
        if error is not None:
            reply["error"] = {"code": error.code, "message": error.message}
        self.publish("reply", reply)

    async def stop(self) -> None:
        """Say "offline" (a clean disconnect does not fire the last will), then stop."""
        client = self._client
        if client is not None:
            try:
                async with asyncio.timeout(STOP_PUBLISH_SECONDS):
                    await client.publish(self.topic("status"), "offline", qos=1, retain=True)
            except (aiomqtt.MqttError, TimeoutError):
                log.info("mqtt-offline-unsent")
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
