"""Home Assistant client: a WebSocket kept open for the live entity cache (states, registries, events; reconnects
with backoff) and REST for service calls, each bounded by a timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import httpx
import structlog
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from jarvis.errors import HomeError
from jarvis.home.cache import EntityCache
from jarvis.i18n import t

log = structlog.get_logger(__name__)
REGISTRY_EVENTS = ("entity_registry_updated", "area_registry_updated", "device_registry_updated")


class AuthRejected(Exception):
    """Home Assistant refused the token."""


class HomeAssistantClient:
    def __init__(
        self,
        url: str,
        token: str,
        cache: EntityCache,
        *,
        timeout_seconds: float = 5.0,
        reconnect_min_seconds: float = 0.5,
        reconnect_max_seconds: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.cache = cache
        self.timeout_seconds = timeout_seconds
        self.reconnect_min_seconds = reconnect_min_seconds
        self.reconnect_max_seconds = reconnect_max_seconds
        # connecting | connected | unauthorized | unreachable
        self.status = "connecting"
        self.detail = ""
        self.connected_once = asyncio.Event()
        self.version: str | None = None
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(timeout_seconds),
        )
        self._ws: ClientConnection | None = None
        self._next_id = 0
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._task: asyncio.Task[None] | None = None
        self._refresh: asyncio.Task[None] | None = None

    @property
    def ws_url(self) -> str:
        base = self.url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
        return f"{base}/api/websocket"

    @property
    def connected(self) -> bool:
        return self.status == "connected"

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def close(self) -> None:
        for task in (self._task, self._refresh):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        await self._http.aclose()

    async def _run(self) -> None:
        delay = self.reconnect_min_seconds
        while True:
            started = time.monotonic()
            try:
                await self._session()
            except AuthRejected as exc:
                self._set_status("unauthorized", str(exc))
            except (OSError, TimeoutError, WebSocketException, HomeError) as exc:
                self._set_status("unreachable", f"{type(exc).__name__}: {exc}")
            except Exception as exc:  # an unexpected answer must not stop the reconnection loop
                log.exception("home-assistant-session-failed")
                self._set_status("unreachable", f"{type(exc).__name__}: {exc}")
            finally:
                self._ws = None
                self._fail_pending()
            if time.monotonic() - started > 30:  # the connection had held: start the backoff again
                delay = self.reconnect_min_seconds
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_max_seconds)

    def _set_status(self, status: str, detail: str) -> None:
        if status != self.status or detail != self.detail:
            log.info("home-assistant-status", status=status, detail=detail)
        self.status, self.detail = status, detail

    async def _session(self) -> None:
        async with connect(self.ws_url, open_timeout=self.timeout_seconds, max_size=None) as ws:
            async with asyncio.timeout(self.timeout_seconds):
                hello = json.loads(await ws.recv())
            self.version = hello.get("ha_version")
            await ws.send(json.dumps({"type": "auth", "access_token": self.token}))
            async with asyncio.timeout(self.timeout_seconds):
                answer = json.loads(await ws.recv())
            if answer.get("type") != "auth_ok":
                raise AuthRejected(answer.get("message") or "auth_invalid")
            self._ws = ws
            reader = asyncio.create_task(self._read(ws))
            try:
                await self._command({"type": "subscribe_events", "event_type": "state_changed"})
                for event_type in REGISTRY_EVENTS:
                    await self._command({"type": "subscribe_events", "event_type": event_type})
                await self._load_registries()
                self.cache.load(await self._command({"type": "get_states"}))
                self._set_status("connected", self.version or "")
                self.connected_once.set()
                await reader
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message.get("type") == "event":
                await self._event(message["event"])
            elif message.get("type") == "result":
                future = self._pending.pop(message.get("id", -1), None)
                if future is not None and not future.done():
                    if message.get("success"):
                        future.set_result(message.get("result"))
                    else:
                        error = message.get("error") or {}
                        future.set_exception(HomeError(t("home-failed", detail=error.get("message", "?"))))

    async def _event(self, event: dict[str, Any]) -> None:
        kind = event.get("event_type")
        if kind == "state_changed":
            await self.cache.state_changed(event["data"])
        elif kind in REGISTRY_EVENTS and (self._refresh is None or self._refresh.done()):
            # Not awaited here: the refresh needs this reader to receive its answers.
            self._refresh = asyncio.create_task(self._refresh_registries())

    async def _refresh_registries(self) -> None:
        await asyncio.sleep(0.05)  # one refresh for a burst of registry events
        try:
            await self._load_registries()
        except (HomeError, TimeoutError) as exc:
            log.warning("home-assistant-registry-refresh-failed", error=str(exc))

    async def _load_registries(self) -> None:
        entities = await self._command({"type": "config/entity_registry/list"})
        ids = [entry["entity_id"] for entry in entities]
        # Aliases only come with the extended entries.
        extended = await self._command({"type": "config/entity_registry/get_entries", "entity_ids": ids}) if ids else {}
        for entry in entities:
            entry["aliases"] = (extended.get(entry["entity_id"]) or {}).get("aliases") or []
        areas = await self._command({"type": "config/area_registry/list"})
        devices = await self._command({"type": "config/device_registry/list"})
        self.cache.load_registries(entities, areas, devices)

    async def _command(self, message: dict[str, Any]) -> Any:
        ws = self._ws
        if ws is None:
            raise HomeError(self.unavailable_message())
        self._next_id += 1
        number = self._next_id
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[number] = future
        try:
            await ws.send(json.dumps({"id": number, **message}))
            async with asyncio.timeout(self.timeout_seconds):
                return await future
        except TimeoutError as exc:
            raise HomeError(t("home-timeout", seconds=self.timeout_seconds)) from exc
        finally:
            self._pending.pop(number, None)

    def _fail_pending(self) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(HomeError(self.unavailable_message()))
        self._pending.clear()

    def unavailable_message(self, language: str | None = None) -> str:
        if self.status == "unauthorized":
            return t("home-unauthorized", language)
        return t("home-unreachable", language, url=self.url)

    async def call_service(self, domain: str, service: str, data: dict[str, Any]) -> None:
        """POST /api/services/<domain>/<service>; coded errors for 401, timeouts and unreachable servers."""
        try:
            response = await self._http.post(f"/api/services/{domain}/{service}", json=data)
        except httpx.TimeoutException as exc:
            raise HomeError(t("home-timeout", seconds=self.timeout_seconds)) from exc
        except httpx.HTTPError as exc:
            raise HomeError(t("home-unreachable", url=self.url)) from exc
        if response.status_code == 401:
            raise HomeError(t("home-unauthorized"))
        if response.status_code >= 400:
            raise HomeError(t("home-failed", detail=f"HTTP {response.status_code} {response.text[:200]}"))

    async def ping(self) -> tuple[bool, str]:
        """For /ready: is the event stream up (and if not, why)."""
        if self.connected:
            return True, f"connecté (Home Assistant {self.version})"
        return False, self.unavailable_message() if self.status != "connecting" else "connexion en cours"
