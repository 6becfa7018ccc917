"""ASGI middleware: request body limit and HTTP metrics."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from jarvis.api.errors import error_response
from jarvis.i18n import t
from jarvis.metrics import Metrics

# Uploads that may be larger than other requests: audio, and memory imports.
LARGE_UPLOAD_PREFIXES = ("/api/voice/", "/v1/audio/", "/api/memories/import")


class BodyLimitMiddleware:
    """413 for bodies above the limit (larger for audio uploads), whether declared by Content-Length or streamed
    in chunks."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_audio_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_audio_bytes = max_audio_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_audio_bytes if scope["path"].startswith(LARGE_UPLOAD_PREFIXES) else self.max_body_bytes
        too_large = error_response("body-too-large", t("body-too-large", limit=limit), 413)
        declared = dict(scope.get("headers", ())).get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > limit:
                await too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No length given (chunked): read the body up to the limit, then hand it over as one message.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await too_large(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class MetricsMiddleware:
    """Counts requests and measures latency per route template (never per raw path: ids would explode)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                route = scope.get("route")
                path = getattr(route, "path", "unmatched")
                self.metrics.http_latency.labels(scope["method"], path).observe(time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            self.metrics.http_requests.labels(scope["method"], path, str(status)).inc()
