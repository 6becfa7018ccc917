"""Authentication for HTTP and WebSocket: bearer tokens for programs, the session cookie for the web app (with CSRF
and Origin checks), and a per-client limit on failed attempts."""

from __future__ import annotations

import math
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from jarvis.api.errors import error_response
from jarvis.i18n import t
from jarvis.store.tokens import TokenRepository
from jarvis.store.web_sessions import WebSessionRepository

# The web app's shell and assets hold no data: anyone may load them, the data behind them needs a session.
PUBLIC_PATHS = frozenset({"/health", "/ready", "/", "/favicon.svg"})
PUBLIC_PREFIXES = ("/assets/",)
SIGNIN_PATH = "/api/session"  # POST exchanges a one-time sign-in link for a session
SESSION_COOKIE = "jarvis_session"
CSRF_HEADER = b"x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
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


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(bytes(value).decode("latin-1"))
    return None


def session_cookie(scope: Scope) -> str | None:
    raw = header(scope, b"cookie")
    return cookie_parser(raw).get(SESSION_COOKIE) or None if raw else None


def same_origin(scope: Scope) -> bool:
    """The request's Origin names the host it was sent to (what a browser sends for the page's own requests)."""
    origin, host = header(scope, b"origin"), header(scope, b"host")
    if not origin or not host:
        return False
    return urlsplit(origin).netloc.lower() == host.lower()


def is_public(scope: Scope) -> bool:
    path: str = scope["path"]
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return True
    return path == SIGNIN_PATH and scope["type"] == "http" and scope.get("method") == "POST"


def is_session_probe(scope: Scope) -> bool:
    """GET /api/session: the web app asks whether it is signed in (no data in the answer)."""
    return scope["path"] == SIGNIN_PATH and scope["type"] == "http" and scope.get("method") == "GET"


def bearer_token(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, token = bytes(value).decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return str(token.strip())
    return None


class AuthMiddleware:
    """Refuses every request without a valid bearer token or web session, except the public paths.

    The session cookie (httpOnly, SameSite=Strict) is only accepted with proof that the page itself sent the request:
    a state-changing HTTP request must carry the session's CSRF token in X-CSRF-Token (and a same-origin Origin when
    there is one); a WebSocket handshake must come from the same origin."""

    def __init__(self, app: ASGIApp, *, enabled: bool, limiter: FailureLimiter) -> None:
        self.app = app
        self.enabled = enabled
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.enabled or is_public(scope):
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
        cookie = session_cookie(scope) if secret is None else None
        if cookie is not None:
            await self._with_session(scope, receive, send, client, cookie)
            return
        if secret is None and is_session_probe(scope):
            await self.app(scope, receive, send)  # "am I signed in?" answers "no" without an error
            return
        tokens: TokenRepository = scope["app"].state.services.tokens
        token = await tokens.verify(secret) if secret else None
        if token is None:
            self.limiter.fail(client)
            code = "auth-invalid" if secret else "auth-required"
            await self._deny(scope, receive, send, 401, code, t(code), {"WWW-Authenticate": "Bearer"})
            return
        scope.setdefault("state", {})["token_name"] = token.name
        await self.app(scope, receive, send)

    async def _with_session(self, scope: Scope, receive: Receive, send: Send, client: str, cookie: str) -> None:
        session = await WebSessionRepository(scope["app"].state.services.db).verify(cookie)
        if session is None:
            if is_session_probe(scope):
                await self.app(scope, receive, send)
                return
            self.limiter.fail(client)
            await self._deny(scope, receive, send, 401, "session-expired", t("session-expired"), {})
            return
        if scope["type"] == "websocket":
            if not same_origin(scope):
                await self._deny(scope, receive, send, 403, "origin-refused", t("origin-refused"), {})
                return
        elif scope["method"] not in SAFE_METHODS:
            proof = header(scope, CSRF_HEADER) or ""
            origin_ok = header(scope, b"origin") is None or same_origin(scope)
            if not origin_ok or not secrets.compare_digest(proof.encode(), session.csrf_token.encode()):
                await self._deny(scope, receive, send, 403, "csrf-refused", t("csrf-refused"), {})
                return
        state = scope.setdefault("state", {})
        state["token_name"] = "web"
        state["web_session"] = session
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
