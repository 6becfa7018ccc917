"""Structured logs (structlog): readable on a terminal, JSON lines otherwise."""

from __future__ import annotations

import logging
import sys

import structlog

from jarvis.config import LogSettings


def configure_logging(settings: LogSettings) -> None:
    level = getattr(logging, settings.level.upper())
    as_json = settings.json_format if settings.json_format is not None else not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    shared: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Chatty at INFO: uvicorn's access log duplicates our request metrics; alembic, httpx and faster-whisper
    # (« Processing audio with duration … » per clip) narrate routine work.
    for name in ("uvicorn.access", "alembic", "httpx", "faster_whisper"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
