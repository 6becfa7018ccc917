"""create_app(settings) -> FastAPI: the lifespan builds the store, the engines and the pipeline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from jarvis import __version__
from jarvis.api import errors
from jarvis.api.auth import AuthMiddleware, FailureLimiter
from jarvis.api.middleware import BodyLimitMiddleware, MetricsMiddleware
from jarvis.api.openai import router as openai_router
from jarvis.api.openai_audio import router as openai_audio_router
from jarvis.api.routes.backups import router as backups_router
from jarvis.api.routes.chat import router as chat_router
from jarvis.api.routes.conversations import router as conversations_router
from jarvis.api.routes.health import router as health_router
from jarvis.api.routes.home import router as home_router
from jarvis.api.routes.memories import router as memories_router
from jarvis.api.routes.session import router as session_router
from jarvis.api.routes.timers import router as timers_router
from jarvis.api.routes.tools import router as tools_router
from jarvis.api.routes.voice import router as voice_router
from jarvis.api.web import install as install_web
from jarvis.api.ws import router as ws_router
from jarvis.config import Settings
from jarvis.metrics import Metrics
from jarvis.services import Services, build_services


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The whole server. `services` may be given (tests); otherwise they are built at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or await build_services(settings, metrics=metrics)
        app.state.services = built
        built.start_loading()
        try:
            yield
        finally:
            await built.close()

    metrics = services.metrics if services else Metrics()
    app = FastAPI(
        title="Jarvis",
        version=__version__,
        description="Assistant vocal privé et local. Toutes les routes sauf /health, /ready et l'application web "
        "demandent l'en-tête Authorization: Bearer <jeton> (créez-en un avec `jarvis token create --name NOM`) "
        "ou la session de l'application web (cookie, et X-CSRF-Token pour les modifications).",
        lifespan=lifespan,
    )
    errors.install(app)
    routers = (
        health_router,
        chat_router,
        conversations_router,
        memories_router,
        voice_router,
        openai_router,
        openai_audio_router,
    )
    for router in (*routers, backups_router, timers_router, tools_router, home_router, ws_router, session_router):
        app.include_router(router)
    install_web(app)
    # Added innermost first: metrics see everything, CORS answers preflights before auth is asked for, and no body
    # is read before the token is checked.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=settings.server.max_body_bytes,
        max_audio_bytes=settings.server.max_audio_bytes,
    )
    app.state.auth_limiter = FailureLimiter(settings.auth.max_failures, settings.auth.failure_window_seconds)
    app.add_middleware(AuthMiddleware, enabled=settings.auth.enabled, limiter=app.state.auth_limiter)
    if settings.server.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.server.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type"],
        )
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
