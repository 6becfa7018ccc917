"""`jarvis bench store`: message write latency with and without encryption at rest, online backup and restore
time, on real SQLite files in a temporary directory (the settings' data is never touched)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from jarvis.store.backup import backup_file, restore_file
from jarvis.store.conversations import ConversationRepository
from jarvis.store.crypto import Cipher
from jarvis.store.db import Database
from jarvis.store.tables import Conversation, Message

TEXT = (
    "Rappelle-moi d'acheter du pain, du beurre et des tomates en rentrant, et de rappeler Marie avant dix-neuf "
    "heures pour l'anniversaire de Paul samedi."
)


def _summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 3),
    }


async def _bulk(db: Database, messages: int) -> None:
    """Fill with `messages` messages (10 per conversation) in large transactions, through the ORM (so encrypted)."""
    batch = 5000
    for first in range(0, messages, batch):
        async with db.sessions() as session, session.begin():
            for n in range(first, min(first + batch, messages)):
                if n % 10 == 0:
                    conversation = Conversation(title=f"{TEXT[:60]} ({n})")
                    session.add(conversation)
                    await session.flush()
                session.add(
                    Message(conversation_id=conversation.id, seq=n % 10 + 1, role="user", content=f"{TEXT} ({n})")
                )


async def _timed_writes(databases: list[Database], timed: int) -> list[list[float]]:
    """Durable single-message writes (what a chat turn does), alternating between the databases so that disk
    noise falls on each alike."""
    repos = [ConversationRepository(db) for db in databases]
    conversations = [(await repo.create()).id for repo in repos]
    durations: list[list[float]] = [[] for _ in databases]
    for n in range(timed):
        order = range(len(repos)) if n % 2 == 0 else reversed(range(len(repos)))
        for i in order:
            began = time.perf_counter()
            await repos[i].add_message(conversations[i], "user", f"{TEXT} ({n})")
            durations[i].append(time.perf_counter() - began)
    return durations


async def _database(path: Path, cipher: Cipher | None) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}", cipher)
    await db.migrate()
    return db


async def run_store_bench(messages: int, timed: int, step: Callable[[str], None]) -> dict[str, Any]:
    results: dict[str, Any] = {"messages": messages, "timed_writes": timed}
    cipher = Cipher([Fernet.generate_key()], "bench")
    with tempfile.TemporaryDirectory(prefix="jarvis-bench-store-") as tmp:
        directory = Path(tmp)
        step(f"remplissage de {messages} messages, en clair et chiffrés")
        clear = await _database(directory / "clear.db", None)
        encrypted = await _database(directory / "encrypted.db", cipher)
        try:
            await _bulk(clear, messages)
            await _bulk(encrypted, messages)
            step(f"{timed} écritures mesurées")
            clear_times, encrypted_times = await _timed_writes([clear, encrypted], timed)
        finally:
            await clear.close()
            await encrypted.close()
        results["write_clear"] = _summary(clear_times)
        results["write_encrypted"] = _summary(encrypted_times)
        clear_ms = results["write_clear"]["median_ms"]
        results["encryption_overhead_ms"] = round(results["write_encrypted"]["median_ms"] - clear_ms, 3)
        started = time.perf_counter()
        for _ in range(timed):
            cipher.decrypt(cipher.encrypt(TEXT))
        results["fernet_round_trip_us"] = round((time.perf_counter() - started) / timed * 1e6, 1)

        step("sauvegarde en ligne")
        source = directory / "encrypted.db"
        backup = await asyncio.to_thread(backup_file, source, directory / "backup.db")
        results["database_bytes"] = source.stat().st_size
        results["backup_seconds"] = round(backup.seconds, 3)
        step("restauration")
        began = time.perf_counter()
        await asyncio.to_thread(restore_file, backup.path, directory / "restored.db")
        results["restore_seconds"] = round(time.perf_counter() - began, 3)
    return results
