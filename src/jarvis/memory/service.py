"""The memory service: add, edit, forget, search and recall memories; the profile; retention; export/import."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from jarvis.errors import InvalidInputError
from jarvis.i18n import t
from jarvis.memory.commands import Command
from jarvis.memory.embedder import Embedder
from jarvis.memory.index import Entry, Hit, HybridIndex
from jarvis.memory.items import (
    KINDS,
    PROFILE_KEYS,
    RETENTIONS,
    MemoryRepository,
    NewMemory,
    check_kind,
    check_retention,
    clean_text,
    expiry,
)
from jarvis.memory.person import third_person
from jarvis.store.tables import Memory, new_id

log = structlog.get_logger(__name__)
Clock = Callable[[], datetime]
# Two texts this similar say the same thing: the newer one refreshes the older instead of duplicating it.
DUPLICATE_COSINE = 0.95
MAX_IMPORT_LINES = 200_000
RELATIVE_CUTOFF = 0.8


def as_statement(text: str, language: str) -> str:
    """What the user said about themselves, stored as a fact about the user ending with a full stop."""
    text = third_person(text.strip(), language)
    return text if text.endswith((".", "!", "?", "…")) else text + "."


def utc_clock() -> datetime:
    return datetime.now(UTC)


class ExportedMemory(BaseModel):
    """One line of a JSONL export (also the import format)."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = Field(None, max_length=32)
    text: str
    kind: str = "fact"
    subject: str = Field("", max_length=100)
    retention: str = "normal"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    last_used_at: datetime | None = None


@dataclass(frozen=True)
class Found:
    memory: Memory
    hit: Hit


def _vector(blob: bytes | None) -> np.ndarray | None:
    if blob is None or len(blob) != 384 * 4:
        return None
    return np.frombuffer(blob, dtype=np.float32)


class MemoryService:
    def __init__(
        self,
        repo: MemoryRepository,
        embedder: Embedder,
        *,
        language: str = "fr",
        clock: Clock = utc_clock,
        recall_limit: int = 3,
        min_score: float = 0.25,
        default_retention: str = "normal",
    ) -> None:
        self.repo = repo
        self.embedder = embedder
        self.language = language
        self.clock = clock
        self.recall_limit = recall_limit
        self.min_score = min_score
        self.default_retention = default_retention
        self.index = HybridIndex(language=language)
        self._rows: dict[str, Memory] = {}
        self._lock = asyncio.Lock()  # one writer at a time keeps the index and the database in step
        self._profile: dict[str, str] = {}
        self._profile_listeners: list[Callable[[dict[str, str]], None]] = []

    # -- start-up -------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Load every stored item into the index (embedding the ones stored without a vector of this model)."""
        rows = await self.repo.all()
        missing = [r for r in rows if r.embedding_model != self.embedder.model_id or _vector(r.embedding) is None]
        if missing:
            vectors = await self.embedder.passages([r.text for r in missing])
            for row, vec in zip(missing, vectors, strict=True):
                row.embedding, row.embedding_model = vec.astype(np.float32).tobytes(), self.embedder.model_id
                await self.repo.save(row)
        for row in rows:
            self._index(row)
        self._set_profile_cache(await self.repo.profile())
        log.info("memory-loaded", items=len(rows), embedded=len(missing))

    def _index(self, row: Memory) -> None:
        vector = _vector(row.embedding)
        assert vector is not None
        self._rows[row.id] = row
        self.index.put(Entry(row.id, row.text, vector, row.retention, row.updated_at))

    def _unindex(self, memory_id: str) -> None:
        self._rows.pop(memory_id, None)
        self.index.remove(memory_id)

    # -- items ----------------------------------------------------------------------------------------------
    def _check(self, item: NewMemory) -> NewMemory:
        return NewMemory(
            text=clean_text(item.text),
            kind=check_kind(item.kind),
            subject=" ".join(item.subject.split())[:100],
            retention=check_retention(item.retention),
            source_conversation_id=item.source_conversation_id,
            source_message_id=item.source_message_id,
        )

    async def add(self, item: NewMemory) -> tuple[Memory, bool]:
        """Store a memory; returns (row, created). A near-identical existing memory is refreshed instead."""
        item = self._check(item)
        vector = (await self.embedder.passages([item.text]))[0]
        async with self._lock:
            now = self.clock()
            duplicate = self._duplicate_of(item.text, vector, now)
            if duplicate is not None:
                duplicate.updated_at = now
                duplicate.expires_at = expiry(duplicate.retention, now)
                row = await self.repo.save(duplicate)
                self._index(row)
                return row, False
            row = await self.repo.add(item, vector.astype(np.float32).tobytes(), self.embedder.model_id, now)
            self._index(row)
            return row, True

    def _duplicate_of(self, text: str, vector: np.ndarray, now: datetime) -> Memory | None:
        for hit in self.index.search(text, vector, now, limit=1):
            if hit.cosine >= DUPLICATE_COSINE:
                return self._rows.get(hit.id)
        return None

    async def update(
        self,
        memory_id: str,
        *,
        text: str | None = None,
        kind: str | None = None,
        subject: str | None = None,
        retention: str | None = None,
    ) -> Memory:
        async with self._lock:
            row = await self.repo.get(memory_id)
            if text is not None:
                row.text = clean_text(text)
                row.embedding = (await self.embedder.passages([row.text]))[0].astype(np.float32).tobytes()
                row.embedding_model = self.embedder.model_id
            if kind is not None:
                row.kind = check_kind(kind)
            if subject is not None:
                row.subject = " ".join(subject.split())[:100]
            if retention is not None:
                row.retention = check_retention(retention)
            row.updated_at = self.clock()
            row.expires_at = expiry(row.retention, row.updated_at)
            row = await self.repo.save(row)
            self._index(row)
            return row

    async def replace(self, memory_id: str, item: NewMemory) -> Memory:
        """A contradiction: the new statement takes the place of the old one (same id, new text and source)."""
        item = self._check(item)
        async with self._lock:
            row = await self.repo.get(memory_id)
            row.text, row.kind = item.text, item.kind
            row.subject = item.subject or row.subject
            row.source_conversation_id = item.source_conversation_id
            row.source_message_id = item.source_message_id
            row.embedding = (await self.embedder.passages([row.text]))[0].astype(np.float32).tobytes()
            row.embedding_model = self.embedder.model_id
            row.updated_at = self.clock()
            row.expires_at = expiry(row.retention, row.updated_at)
            row = await self.repo.save(row)
            self._index(row)
            return row

    async def delete(self, memory_id: str) -> None:
        async with self._lock:
            await self.repo.delete(memory_id)
            self._unindex(memory_id)

    def get(self, memory_id: str) -> Memory | None:
        return self._rows.get(memory_id)

    def items(
        self, *, kind: str | None = None, subject: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[Memory]:
        """Newest first."""
        rows = sorted(self._rows.values(), key=lambda r: (r.updated_at, r.id), reverse=True)
        if kind is not None:
            rows = [r for r in rows if r.kind == kind]
        if subject is not None:
            rows = [r for r in rows if r.subject.casefold() == subject.casefold()]
        return rows[offset : offset + limit]

    def __len__(self) -> int:
        return len(self._rows)

    async def search(self, query: str, limit: int = 10) -> list[Found]:
        query = " ".join(query.split())
        if not query:
            raise InvalidInputError(t("memory-empty-query"), code="memory-empty-query")
        # Memories are written in the third person: so is the query ("où j'habite" -> "où l'utilisateur habite").
        query = third_person(query, self.language)
        vector = await self.embedder.query(query)
        now = self.clock()
        # Expired items wait for the next purge pass in the index, but are never returned.
        hits = self.index.search(query, vector, now, limit=limit + 5)
        rows = [(self._rows.get(h.id), h) for h in hits]
        return [Found(row, h) for row, h in rows if row is not None and not _expired(row, now)][:limit]

    async def recall(self, text: str, *, mark_used: bool = True) -> list[Memory]:
        """The few memories worth putting in the prompt for this message (none when nothing is relevant);
        `mark_used=False` for a prompt prepared ahead that may never be used."""
        if not self._rows or not text.strip():
            return []
        found = [f for f in await self.search(text, self.recall_limit) if f.hit.score >= self.min_score]
        # Far behind the best match is noise that only costs prompt tokens.
        found = [f for f in found if f.hit.score >= RELATIVE_CUTOFF * found[0].hit.score]
        if not mark_used:
            return [f.memory for f in found]
        now = self.clock()
        for f in found:
            f.memory.last_used_at = now
        await self.repo.mark_used([f.memory.id for f in found], now)
        return [f.memory for f in found]

    # -- retention ------------------------------------------------------------------------------------------
    async def purge_expired(self) -> int:
        async with self._lock:
            ids = await self.repo.delete_expired(self.clock())
            for memory_id in ids:
                self._rows.pop(memory_id, None)
            self.index.remove_many(ids)  # one pass over each term's postings, however many expired
        if ids:
            log.info("memory-expired", deleted=len(ids))
        return len(ids)

    async def run_retention(self, interval_seconds: float) -> None:
        while True:
            try:
                await self.purge_expired()
            except Exception as exc:  # a failed pass is retried at the next one
                log.warning("memory-retention-failed", error=str(exc))
            await asyncio.sleep(interval_seconds)

    # -- profile --------------------------------------------------------------------------------------------
    @property
    def profile(self) -> dict[str, str]:
        return dict(self._profile)

    def on_profile_change(self, listener: Callable[[dict[str, str]], None]) -> None:
        self._profile_listeners.append(listener)
        listener(self.profile)

    async def set_profile(self, values: dict[str, str | None]) -> dict[str, str]:
        self._set_profile_cache(await self.repo.set_profile(values, self.clock()))
        return self.profile

    def _set_profile_cache(self, profile: dict[str, str]) -> None:
        self._profile = {k: profile[k] for k in PROFILE_KEYS if k in profile}
        for listener in self._profile_listeners:
            listener(self.profile)

    # -- export / import ------------------------------------------------------------------------------------
    def export_lines(self) -> Iterable[str]:
        for row in sorted(self._rows.values(), key=lambda r: (r.created_at, r.id)):
            yield json.dumps(
                {
                    "id": row.id,
                    "text": row.text,
                    "kind": row.kind,
                    "subject": row.subject,
                    "retention": row.retention,
                    "created_at": row.created_at.isoformat(),
                    "updated_at": row.updated_at.isoformat(),
                    "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
                    "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                },
                ensure_ascii=False,
            )

    async def import_lines(self, lines: Sequence[str]) -> int:
        """Import a JSONL export. Every line is checked first: one bad line and nothing is written."""
        if len(lines) > MAX_IMPORT_LINES:
            raise InvalidInputError(t("memory-import-too-big", limit=MAX_IMPORT_LINES), code="memory-import-invalid")
        items: list[ExportedMemory] = []
        ids: set[str] = set()
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                item = ExportedMemory.model_validate_json(line)
                item.text = clean_text(item.text)
                check_kind(item.kind)
                check_retention(item.retention)
            except (ValidationError, InvalidInputError) as exc:
                detail = exc.message if isinstance(exc, InvalidInputError) else exc.errors()[0]["msg"]
                raise InvalidInputError(
                    t("memory-import-bad-line", line=number, detail=detail), code="memory-import-invalid"
                ) from exc
            if item.id is not None:
                if item.id in ids:
                    raise InvalidInputError(
                        t("memory-import-bad-line", line=number, detail=t("memory-import-repeated-id", id=item.id)),
                        code="memory-import-invalid",
                    )
                ids.add(item.id)
            items.append(item)
        vectors = await self.embedder.passages([i.text for i in items])
        async with self._lock:
            now = self.clock()
            rows = []
            for item, vector in zip(items, vectors, strict=True):
                if item.id is not None and item.id in self._rows:
                    continue  # already here (re-importing an export is harmless)
                updated = (item.updated_at or now).astimezone(UTC)
                rows.append(
                    Memory(
                        id=item.id or new_id(),
                        text=item.text,
                        kind=item.kind,
                        subject=item.subject,
                        retention=item.retention,
                        created_at=(item.created_at or now).astimezone(UTC),
                        updated_at=updated,
                        last_used_at=item.last_used_at.astimezone(UTC) if item.last_used_at else None,
                        expires_at=expiry(item.retention, updated),
                        embedding=vector.astype(np.float32).tobytes(),
                        embedding_model=self.embedder.model_id,
                    )
                )
            await self.repo.add_many(rows)
            for row in rows:
                self._index(row)
        return len(rows)

    # -- spoken commands ------------------------------------------------------------------------------------
    async def handle(self, command: Command, conversation_id: str | None, message_id: str | None) -> str:
        """Carry out a direct memory command and say what was done."""
        lang = command.language
        if command.action == "remember":
            _, created = await self.add(
                NewMemory(
                    as_statement(command.text, lang),
                    kind="note",
                    retention=self.default_retention,
                    source_conversation_id=conversation_id,
                    source_message_id=message_id,
                )
            )
            return t("memory-remembered" if created else "memory-already-known", lang)
        if command.action == "forget":
            found = [f for f in await self.search(command.text, 3) if f.hit.score >= self.min_score]
            if not found:
                return t("memory-nothing-to-forget", lang)
            best = found[0]
            await self.delete(best.memory.id)
            return t("memory-forgotten", lang, text=best.memory.text)
        return self.describe(lang)

    def describe(self, lang: str, limit: int = 8) -> str:
        """What Jarvis knows about the household, as sentences to say."""
        parts = [t(f"profile-say-{key}", lang, value=value) for key, value in self._profile.items() if key != "notes"]
        items = self.items(limit=limit)
        if items:
            parts.append(t("memory-say-list", lang, items=" ; ".join(_lower_first(r.text.rstrip(".")) for r in items)))
        if not parts:
            return t("memory-know-nothing", lang)
        more = len(self._rows) - len(items)
        if more > 0:
            parts.append(t("memory-say-more", lang, count=more))
        return " ".join(parts)

    @staticmethod
    def kinds() -> tuple[str, ...]:
        return KINDS

    @staticmethod
    def retentions() -> tuple[str, ...]:
        return RETENTIONS


def _expired(row: Memory, now: datetime) -> bool:
    return row.expires_at is not None and row.expires_at <= now


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
