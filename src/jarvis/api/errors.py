"""One error shape for every failure: {"error": {"code", "message"}} with a fitting HTTP status."""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from jarvis.errors import JarvisError, LlmBusyError
from jarvis.i18n import t

log = structlog.get_logger(__name__)
HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 413: "body-too-large"}


def error_body(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message}}


def error_response(code: str, message: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def jarvis_error_response(exc: JarvisError, **extra: Any) -> JSONResponse:
    """The error as a response; `extra` fields go beside "error" (e.g. the conversation a failed turn is in)."""
    headers = None
    if isinstance(exc, LlmBusyError):
        headers = {"Retry-After": str(exc.retry_after_seconds)}
    return JSONResponse({**error_body(exc.code, exc.message), **extra}, status_code=exc.status, headers=headers)


def _describe(errors: list[Any]) -> str:
    parts = []
    for error in errors[:5]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
        parts.append(f"{where or 'corps'} : {error.get('msg', '')}")
    return " ; ".join(parts)


def install(app: FastAPI) -> None:
    @app.exception_handler(JarvisError)
    async def _jarvis(_: Request, exc: JarvisError) -> JSONResponse:
        return jarvis_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            detail = next(e for e in errors if e.get("type") == "json_invalid").get("ctx", {}).get("error", "")
            return error_response("invalid-json", t("invalid-json", detail=detail), 400)
        return error_response("invalid-request", t("invalid-request", detail=_describe(errors)), 422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http-error")
        message = t(code) if code in ("not-found", "method-not-allowed") else str(exc.detail)
        return error_response(code, message, exc.status_code, dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled-error", error=str(exc))
        return error_response("internal-error", t("internal-error", detail=type(exc).__name__), 500)

    @app.exception_handler(json.JSONDecodeError)
    async def _json(_: Request, exc: json.JSONDecodeError) -> JSONResponse:
        return error_response("invalid-json", t("invalid-json", detail=exc.msg), 400)
