"""Bearer-token authentication for HTTP and WebSocket, with a per-client limit on failed attempts."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from jarvis.api.errors import error_response
from jarvis.i18n import t
from jarvis.store.tokens import TokenRepository

PUBLIC_PATHS = frozenset({"/health", "/ready"})
MAX_TRACKED_CLIENTS = 10_000


class FailureLimiter:
    """Counts failed authentications per client over a sliding window."""

    def __init__(self, max_failures: int, window_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_seconds = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        horizon = self.clock() - self.window_seconds
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def retry_after(self, client: str) -> int | None:
        """Seconds until `client` may try again, or None when it is not blocked."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return None
        # Blocked until enough failures age out for the count to drop below the maximum.
        return max(1, math.ceil(failures[-self.max_failures] + self.window_seconds - self.clock()))

    def fail(self, client: str) -> None:
        if len(self._failures) >= MAX_TRACKED_CLIENTS and client not in self._failures:
            for known in list(self._failures)[: MAX_TRACKED_CLIENTS // 10]:
                self._recent(known)
            if len(self._failures) >= MAX_TRACKED_CLIENTS:
                self._failures.pop(next(iter(self._failures)))
        self._failures.setdefault(client, deque()).append(self.clock())


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return str(token.strip())
    return None


class AuthMiddleware:
    """Refuses every request without a valid token, except the public health probes."""

    def __init__(self, app: ASGIApp, *, enabled: bool, limiter: FailureLimiter) -> None:
        self.app = app
        self.enabled = enabled
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.enabled or scope["path"] in PUBLIC_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "unknown"
        wait = self.limiter.retry_after(client)
        if wait is not None:
            await self._deny(
                scope,
                receive,
                send,
                429,
                "auth-rate-limited",
                t("auth-rate-limited", seconds=wait),
                {"Retry-After": str(wait)},
            )
            return
        secret = bearer_token(scope)
        tokens: TokenRepository = scope["app"].state.services.tokens
        token = await tokens.verify(secret) if secret else None
        if token is None:
            self.limiter.fail(client)
            code = "auth-invalid" if secret else "auth-required"
            await self._deny(scope, receive, send, 401, code, t(code), {"WWW-Authenticate": "Bearer"})
            return
        scope.setdefault("state", {})["token_name"] = token.name
        await self.app(scope, receive, send)

    async def _deny(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str],
    ) -> None:
        if scope["type"] == "http":
            await error_response(code, message, status, headers)(scope, receive, send)
            return
        # WebSocket: answer the handshake with an HTTP error (ASGI denial response) when the server allows it.
        extensions: dict[str, Any] = scope.get("extensions") or {}
        if "websocket.http.response" in extensions:
            await error_response(code, message, status, headers)(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1008, "reason": code})
