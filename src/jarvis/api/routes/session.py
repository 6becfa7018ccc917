"""Web app sign-in: a one-time link becomes an httpOnly, SameSite=Strict cookie session; sign-out ends it."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from jarvis.api.auth import SESSION_COOKIE, FailureLimiter, header, same_origin, session_cookie
from jarvis.api.deps import ServicesDep
from jarvis.api.errors import error_response
from jarvis.api.schemas import ErrorBody
from jarvis.api.ws import CLOSE_SIGNED_OUT, Session
from jarvis.i18n import t
from jarvis.services import Services
from jarvis.store.tables import WebSession
from jarvis.store.web_sessions import WebSessionRepository

router = APIRouter(prefix="/api/session", tags=["session"])
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorBody, "description": "Invalid, expired or used link; or no session"},
    403: {"model": ErrorBody, "description": "Cross-origin request"},
}


class SigninRequest(BaseModel):
    token: str = Field(min_length=1, max_length=200, description="The `token` of the sign-in link.")


class SessionOut(BaseModel):
    authenticated: bool = True
    method: str | None = Field(
        None, description="`cookie` (web session), `bearer` (API token), `none` (auth disabled), null (signed out)"
    )
    csrf_token: str | None = Field(None, description="Send it as X-CSRF-Token with every state-changing request.")
    expires_at: datetime | None = None


async def close_websockets(services: Services, web_session_id: str) -> int:
    """Close the WebSockets opened with this browser session; returns how many."""
    sockets = [s for s in services.hub.targets if isinstance(s, Session) and s.web_session_id == web_session_id]
    await asyncio.gather(*(s.end(CLOSE_SIGNED_OUT, "signed-out") for s in sockets))
    return len(sockets)


def secure_cookie(request: Request, services: Services) -> bool:
    """`Secure` when the browser reached Jarvis over https: TLS seen by the server, or X-Forwarded-Proto: https from a
    trusted proxy (server.trusted_proxies; uvicorn rewrites the scheme for those only); or always if configured."""
    return services.settings.auth.cookie_secure == "always" or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, services: Services, secret: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=secure_cookie(request, services),
    )


@router.post("", response_model=SessionOut, responses=ERRORS)
async def sign_in(body: SigninRequest, request: Request, response: Response, services: ServicesDep) -> Any:
    """Exchange the one-time `token` of a sign-in link for a session cookie (public route, rate-limited)."""
    if header(request.scope, b"origin") is not None and not same_origin(request.scope):
        return error_response("origin-refused", t("origin-refused"), 403)
    limiter: FailureLimiter = request.app.state.auth_limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.retry_after(client)
    if wait is not None:
        return error_response(
            "auth-rate-limited", t("auth-rate-limited", seconds=wait), 429, {"Retry-After": str(wait)}
        )
    ttl = timedelta(days=services.settings.auth.session_days)
    opened = await WebSessionRepository(services.db).redeem(body.token, ttl, request.headers.get("user-agent", ""))
    if opened is None:
        limiter.fail(client)
        return error_response("signin-invalid", t("signin-invalid"), 401)
    set_cookie(response, request, services, opened.secret, int(ttl.total_seconds()))
    response.headers["Cache-Control"] = "no-store"
    return SessionOut(method="cookie", csrf_token=opened.session.csrf_token, expires_at=opened.session.expires_at)


@router.get("", response_model=SessionOut, responses=ERRORS)
async def current(request: Request, response: Response, services: ServicesDep) -> SessionOut:
    """Whether the caller is signed in: the web session (with its CSRF token), an API token, auth turned off, or
    `authenticated: false` (no error, so that the sign-in page loads quietly; it carries no data)."""
    response.headers["Cache-Control"] = "no-store"
    session: WebSession | None = request.scope.get("state", {}).get("web_session")
    if session is not None:
        return SessionOut(method="cookie", csrf_token=session.csrf_token, expires_at=session.expires_at)
    if request.scope.get("state", {}).get("token_name") is not None:
        return SessionOut(method="bearer")
    if not services.settings.auth.enabled:
        return SessionOut(method="none")
    if session_cookie(request.scope) is not None:  # expired or signed out elsewhere: forget it
        response.delete_cookie(
            SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookie(request, services)
        )
    return SessionOut(authenticated=False)


@router.delete("", status_code=204, responses=ERRORS)
async def sign_out(request: Request, services: ServicesDep) -> Response:
    """Sign out: the session is deleted on the server, its WebSockets (every tab) are closed with code 4401, and the
    cookie is cleared."""
    cookie = session_cookie(request.scope)
    if cookie is not None:
        await WebSessionRepository(services.db).close(cookie)
    signed_out: WebSession | None = request.scope.get("state", {}).get("web_session")
    if signed_out is not None:
        await close_websockets(services, signed_out.id)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookie(request, services)
    )
    return response
