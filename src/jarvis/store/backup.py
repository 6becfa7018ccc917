"""Backups of the SQLite database with SQLite's online backup API (consistent while the server writes), checks
of a backup file before it is restored, the restore itself, and the server's scheduled backups with retention."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from alembic.config import Config
from alembic.script import ScriptDirectory

from jarvis.errors import StoreError
from jarvis.i18n import t

log = structlog.get_logger(__name__)

# (pages copied, total pages)
Progress = Callable[[int, int], None]
SQLITE_HEADER = b"SQLite format 3\x00"
# Tables every Jarvis database has had since the first migration.
REQUIRED_TABLES = frozenset({"alembic_version", "conversations", "messages", "api_tokens"})
AUTO_PREFIX = "jarvis-auto-"
PAGES_PER_STEP = 256


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size_bytes: int
    pages: int
    seconds: float


class _Restarted(Exception):
    """The source changed under a step-by-step copy: SQLite restarts it, so copy in one step instead."""


def _copy(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> int:
    """Copy every page; returns the page count. Steps of PAGES_PER_STEP pages show progress, but SQLite restarts a
    stepped copy whenever another connection writes, so after a few restarts the rest is copied in one step (one
    read transaction: a consistent snapshot, writers carry on thanks to WAL)."""
    seen: list[int] = []

    def step(_status: int, remaining: int, total: int) -> None:
        if seen and remaining >= seen[-1]:
            raise _Restarted
        seen.append(remaining)
        if progress is not None:
            progress(total - remaining, total)

    try:
        source.backup(target, pages=PAGES_PER_STEP, progress=step)
    except _Restarted:
        source.backup(target, pages=-1)
    total = int(target.execute("PRAGMA page_count").fetchone()[0])
    if progress is not None:
        progress(total, total)
    return total


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_file(source: Path, target: Path, progress: Progress | None = None) -> BackupResult:
    """Copy the live database `source` into the new file `target` (0600, self-contained: no WAL), atomically."""
    if not source.is_file():
        raise StoreError(t("backup-failed", detail=f"{source} n'existe pas"), code="backup-failed")
    started = time.perf_counter()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.part")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # personal data: owner only
    try:
        src = sqlite3.connect(source, timeout=30)
        dst = sqlite3.connect(partial)
        try:
            src.execute("PRAGMA busy_timeout=30000")
            pages = _copy(src, dst, progress)
            dst.execute("PRAGMA journal_mode=DELETE")  # one file, readable without its -wal
            check = dst.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise StoreError(t("backup-failed", detail=check), code="backup-failed")
        finally:
            dst.close()
            src.close()
        with partial.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(partial, target)
        _fsync_dir(target.parent)
    except sqlite3.Error as exc:
        raise StoreError(t("backup-failed", detail=exc), code="backup-failed") from exc
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(target, target.stat().st_size, pages, time.perf_counter() - started)


def backup_name(now: datetime | None = None, prefix: str = "jarvis-") -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S-%f")[:-3]
    return f"{prefix}{stamp}.db"


# --- restore -------------------------------------------------------------------------------------------------------


def known_revisions() -> tuple[set[str], set[str]]:
    """(every migration revision, the head revisions) of this version of Jarvis."""
    from jarvis.store.db import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    return {rev.revision for rev in script.walk_revisions()}, set(script.get_heads())


def check_backup(path: Path) -> str:
    """Refuse a file that is not a sound Jarvis database of a known schema; returns its migration revision."""

    def refuse(detail: str) -> StoreError:
        return StoreError(t("restore-invalid", path=path, detail=detail), code="restore-invalid", status=422)

    if not path.is_file():
        raise refuse("fichier introuvable")
    with path.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise refuse("ce n'est pas une base SQLite")
    try:
        # immutable: nothing is written next to the backup (no -wal, no -shm), the file is only read.
        conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        try:
            check = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if check != ["ok"]:
                raise refuse(f"contrôle d'intégrité en échec ({'; '.join(check[:3])})")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            missing = REQUIRED_TABLES - tables
            if missing:
                raise refuse(f"tables absentes : {', '.join(sorted(missing))}")
            versions = [row[0] for row in conn.execute("SELECT version_num FROM alembic_version")]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise refuse(str(exc)) from exc
    revisions, _ = known_revisions()
    if len(versions) != 1 or versions[0] not in revisions:
        raise refuse(f"version de schéma inconnue {versions} (sauvegarde d'une autre version de Jarvis ?)")
    return str(versions[0])


def restore_file(backup: Path, live: Path, progress: Progress | None = None) -> int:
    """Replace the content of `live` by `backup` through the backup API: one write transaction on `live`, so a
    failure leaves it as it was. The caller holds the database lock (no server) and has checked `backup`."""
    try:
        src = sqlite3.connect(f"file:{backup}?mode=ro&immutable=1", uri=True)
        dst = sqlite3.connect(live, timeout=30)
        try:
            pages = _copy(src, dst, progress)
            dst.execute("PRAGMA journal_mode=WAL")
            dst.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise StoreError(t("backup-failed", detail=exc), code="restore-failed") from exc
    return pages


# --- scheduled backups ---------------------------------------------------------------------------------------


def scheduled_backups(directory: Path) -> list[Path]:
    """The server's scheduled backups, oldest first (names carry the UTC time, so they sort by age)."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f"{AUTO_PREFIX}*.db") if p.is_file())


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest scheduled backups (manual ones are never touched); returns the deleted."""
    backups = scheduled_backups(directory)
    doomed = backups[: max(0, len(backups) - keep)]
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed


class BackupScheduler:
    """Backs the database up every `interval_seconds` (the first one when the newest backup is that old)."""

    def __init__(self, database: Path, directory: Path, interval_seconds: float, keep: int) -> None:
        self.database = database
        self.directory = directory
        self.interval_seconds = interval_seconds
        self.keep = keep
        self.last: BackupResult | None = None

    def seconds_until_due(self, now: float | None = None) -> float:
        backups = scheduled_backups(self.directory)
        if not backups:
            return 0.0
        age = (now or time.time()) - backups[-1].stat().st_mtime
        return max(0.0, self.interval_seconds - age)

    async def run_once(self) -> BackupResult:
        target = self.directory / backup_name(prefix=AUTO_PREFIX)
        result = await asyncio.to_thread(backup_file, self.database, target)
        deleted = await asyncio.to_thread(prune, self.directory, self.keep)
        self.last = result
        log.info(
            "backup-done",
            path=str(result.path),
            size_bytes=result.size_bytes,
            seconds=round(result.seconds, 3),
            pruned=[p.name for p in deleted],
        )
        return result

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.seconds_until_due())
            try:
                await self.run_once()
            except (StoreError, OSError) as exc:
                log.error("backup-failed", error=str(exc))
                await asyncio.sleep(min(self.interval_seconds, 300))
