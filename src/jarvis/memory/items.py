"""Memory items and the household profile in the database; every write is committed before it returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, get_args

from sqlalchemy import delete, select, update

from jarvis.errors import InvalidInputError, NotFoundError
from jarvis.i18n import t
from jarvis.store.db import Database
from jarvis.store.tables import Memory, ProfileEntry, new_id

Kind = Literal["fact", "preference", "event", "note"]
Retention = Literal["permanent", "important", "normal", "temporary", "auto_delete"]
KINDS: tuple[str, ...] = get_args(Kind)
RETENTIONS: tuple[str, ...] = get_args(Retention)
# How long an item lives after it was last written (created, edited or confirmed); None: forever.
RETENTION_PERIODS: dict[str, timedelta | None] = {
    "permanent": None,
    "important": timedelta(days=730),
    "normal": timedelta(days=365),
    "temporary": timedelta(days=30),
    "auto_delete": timedelta(days=7),
}
PROFILE_KEYS = ("name", "city", "household", "preferences", "notes")
MAX_TEXT_CHARS = 1000
MAX_PROFILE_CHARS = 1000


@dataclass(frozen=True)
class NewMemory:
    text: str
    kind: str = "fact"
    subject: str = ""
    retention: str = "normal"
    source_conversation_id: str | None = None
    source_message_id: str | None = None


def clean_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """Collapse whitespace; refuse empty and oversized text with a coded error."""
    text = " ".join(text.split())
    if not text:
        raise InvalidInputError(t("memory-empty"), code="memory-empty")
    if len(text) > limit:
        raise InvalidInputError(t("memory-too-long", limit=limit), code="memory-too-long")
    return text


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidInputError(t("memory-bad-kind", kind=kind, kinds=", ".join(KINDS)), code="memory-bad-kind")
    return kind


def check_retention(retention: str) -> str:
    if retention not in RETENTIONS:
        raise InvalidInputError(
            t("memory-bad-retention", retention=retention, retentions=", ".join(RETENTIONS)),
            code="memory-bad-retention",
        )
    return retention


def expiry(retention: str, written_at: datetime) -> datetime | None:
    period = RETENTION_PERIODS[retention]
    return None if period is None else written_at + period


class MemoryRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(self, item: NewMemory, embedding: bytes | None, model: str, now: datetime) -> Memory:
        row = Memory(
            id=new_id(),
            text=item.text,
            kind=item.kind,
            subject=item.subject,
            retention=item.retention,
            created_at=now,
            updated_at=now,
            expires_at=expiry(item.retention, now),
            source_conversation_id=item.source_conversation_id,
            source_message_id=item.source_message_id,
            embedding=embedding,
            embedding_model=model,
        )
        async with self.db.sessions() as session, session.begin():
            session.add(row)
        return row

    async def add_many(self, rows: Sequence[Memory]) -> None:
        async with self.db.sessions() as session, session.begin():
            session.add_all(rows)

    async def get(self, memory_id: str) -> Memory:
        async with self.db.sessions() as session:
            row = await session.get(Memory, memory_id)
        if row is None:
            raise NotFoundError(t("memory-not-found", id=memory_id), code="memory-not-found")
        return row

    async def all(self) -> list[Memory]:
        async with self.db.sessions() as session:
            return list((await session.scalars(select(Memory).order_by(Memory.created_at, Memory.id))).all())

    async def save(self, row: Memory) -> Memory:
        async with self.db.sessions() as session, session.begin():
            merged = await session.merge(row)
        return merged

    async def delete(self, memory_id: str) -> None:
        async with self.db.sessions() as session, session.begin():
            result = await session.execute(delete(Memory).where(Memory.id == memory_id))
        if result.rowcount == 0:  # type: ignore[attr-defined]
            raise NotFoundError(t("memory-not-found", id=memory_id), code="memory-not-found")

    async def delete_expired(self, now: datetime) -> list[str]:
        async with self.db.sessions() as session, session.begin():
            ids = list((await session.scalars(select(Memory.id).where(Memory.expires_at <= now))).all())
            if ids:
                await session.execute(delete(Memory).where(Memory.id.in_(ids)))
        return ids

    async def mark_used(self, ids: Sequence[str], now: datetime) -> None:
        if not ids:
            return
        async with self.db.sessions() as session, session.begin():
            await session.execute(update(Memory).where(Memory.id.in_(list(ids))).values(last_used_at=now))

    async def profile(self) -> dict[str, str]:
        async with self.db.sessions() as session:
            rows = (await session.scalars(select(ProfileEntry))).all()
        return {row.key: row.value for row in rows}

    async def set_profile(self, values: dict[str, str | None], now: datetime) -> dict[str, str]:
        """Set (or with None / "" clear) profile fields; unknown keys are refused before anything is written."""
        for key in values:
            if key not in PROFILE_KEYS:
                raise InvalidInputError(
                    t("profile-bad-key", field=key, keys=", ".join(PROFILE_KEYS)), code="profile-bad-key"
                )
        cleaned = {k: " ".join(v.split()) if v else "" for k, v in values.items()}
        for value in cleaned.values():
            if len(value) > MAX_PROFILE_CHARS:
                raise InvalidInputError(t("memory-too-long", limit=MAX_PROFILE_CHARS), code="memory-too-long")
        async with self.db.sessions() as session, session.begin():
            for key, value in cleaned.items():
                if value:
                    await session.merge(ProfileEntry(key=key, value=value, updated_at=now))
                else:
                    await session.execute(delete(ProfileEntry).where(ProfileEntry.key == key))
        return await self.profile()
