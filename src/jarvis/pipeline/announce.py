"""Announcements outside of a turn (a timer that rings): one event to every open session, spoken in voice sessions."""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog

from jarvis.events import Event

log = structlog.get_logger(__name__)


class AnnouncementTarget(Protocol):
    async def announce(self, event: Event, speech: str | None) -> bool:
        """Deliver the event (and say `speech` if this session speaks); False if the client is gone."""
        ...


class SessionHub:
    """The open sessions (WebSocket clients); the timer service broadcasts through it."""

    def __init__(self) -> None:
        self._targets: set[AnnouncementTarget] = set()

    def add(self, target: AnnouncementTarget) -> None:
        self._targets.add(target)

    def discard(self, target: AnnouncementTarget) -> None:
        self._targets.discard(target)

    @property
    def targets(self) -> list[AnnouncementTarget]:
        """The open sessions (a copy: sessions come and go while the caller looks through them)."""
        return list(self._targets)

    @property
    def count(self) -> int:
        return len(self._targets)

    async def broadcast(self, event: Event, speech: str | None = None) -> int:
        targets = list(self._targets)
        results = await asyncio.gather(*(target.announce(event, speech) for target in targets), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                log.warning("announce-failed", error=repr(result))
        return sum(1 for result in results if result is True)
