"""The web app: the built TypeScript client (web/ → jarvis/web_static) served at `/`."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from jarvis.i18n import t

WEB_DIR = Path(__file__).resolve().parents[1] / "web_static"
router = APIRouter(include_in_schema=False)


def security_headers(request: Request) -> dict[str, str]:
    host = request.headers.get("host", "")
    return {
        # The sign-in link carries a one-time token: never leak the address, never cache the shell.
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; "
            f"connect-src 'self' ws://{host} wss://{host}; object-src 'none'; base-uri 'none'; "
            "frame-ancestors 'none'; form-action 'self'"
        ),
        "Permissions-Policy": "microphone=(self)",
    }


@router.get("/")
async def index(request: Request) -> Response:
    page = WEB_DIR / "index.html"
    if not page.is_file():
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><p>{t('web-not-built')}</p>", status_code=503)
    return FileResponse(page, media_type="text/html", headers=security_headers(request))


@router.get("/favicon.svg")
async def favicon() -> Response:
    icon = WEB_DIR / "favicon.svg"
    if not icon.is_file():
        return Response(status_code=404)
    return FileResponse(icon, media_type="image/svg+xml")


def install(app: FastAPI) -> None:
    app.include_router(router)
    # Hashed file names: the assets can be cached for good.
    app.mount("/assets", StaticFiles(directory=WEB_DIR / "assets", check_dir=False), name="assets")
