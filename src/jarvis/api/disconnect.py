"""Runs a turn for a plain (non-streaming) HTTP request, and cancels it when the client goes away, so that an
abandoned request does not keep the model busy."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import Request, Response

from jarvis.pipeline.turn import RunResult

log = structlog.get_logger(__name__)
# nginx's convention for "the client closed the request"; nobody receives it, but the metrics count it.
CLIENT_CLOSED = 499


async def _client_left(request: Request) -> None:
    """Returns when the client disconnects. Only valid once the request body has been read."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def run_while_connected(request: Request, run: asyncio.Task[RunResult]) -> RunResult | None:
    """The run's result, or None when the client left first (the run is then cancelled: it stores what was
    said with status `cancelled` and frees the model)."""
    watcher = asyncio.create_task(_client_left(request))
    try:
        await asyncio.wait({run, watcher}, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the server is shutting down
        run.cancel()
        raise
    finally:
        watcher.cancel()
    if run.done():
        return run.result()
    run.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await run
    log.info("client-left", path=request.url.path)
    return None


def client_closed() -> Response:
    return Response(status_code=CLIENT_CLOSED)
