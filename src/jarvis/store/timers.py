"""Timers and reminders in the database: state changes are single guarded UPDATEs, so a timer fires once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from jarvis.store.db import Database
from jarvis.store.tables import TimerRow


class TimerRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, kind: str, label: str, duration_seconds: float, created_at: datetime, due_at: datetime
    ) -> TimerRow:
        row = TimerRow(
            kind=kind,
            label=label,
            duration_seconds=duration_seconds,
            created_at=created_at,
            due_at=due_at,
            status="active",
            late_seconds=0.0,
        )
        async with self.db.sessions() as session, session.begin():
            session.add(row)
        return row

    async def active(self) -> list[TimerRow]:
        async with self.db.sessions() as session:
            query = select(TimerRow).where(TimerRow.status == "active").order_by(TimerRow.due_at)
            return list((await session.execute(query)).scalars())

    async def recent(self, limit: int) -> list[TimerRow]:
        async with self.db.sessions() as session:
            query = select(TimerRow).order_by(TimerRow.created_at.desc()).limit(limit)
            return list((await session.execute(query)).scalars())

    async def get(self, timer_id: str) -> TimerRow | None:
        async with self.db.sessions() as session:
            return await session.get(TimerRow, timer_id)

    async def finish(self, timer_id: str, finished_at: datetime, late_seconds: float) -> TimerRow | None:
        """Mark an active timer finished; None if it was not active any more (cancelled, or already fired)."""
        return await self._transition(timer_id, "finished", finished_at=finished_at, late_seconds=late_seconds)

    async def cancel(self, timer_id: str, at: datetime) -> TimerRow | None:
        return await self._transition(timer_id, "cancelled", finished_at=at)

    async def _transition(self, timer_id: str, status: str, **values: object) -> TimerRow | None:
        async with self.db.sessions() as session, session.begin():
            changed = await session.execute(
                update(TimerRow)
                .where(TimerRow.id == timer_id, TimerRow.status == "active")
                .values(status=status, **values)
            )
            if getattr(changed, "rowcount", 0) == 0:
                return None
            return await session.get(TimerRow, timer_id)

    async def mark_announced(self, timer_id: str, at: datetime) -> None:
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(TimerRow).where(TimerRow.id == timer_id).values(announced_at=at))

    async def unannounced(self, since: datetime) -> list[TimerRow]:
        """Finished timers nobody heard (Jarvis was stopped, or no session was open), newest last."""
        async with self.db.sessions() as session:
            query = (
                select(TimerRow)
                .where(TimerRow.status == "finished", TimerRow.announced_at.is_(None), TimerRow.finished_at >= since)
                .order_by(TimerRow.finished_at)
            )
            return list((await session.execute(query)).scalars())
