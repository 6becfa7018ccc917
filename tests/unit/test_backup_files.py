"""Backup files on real SQLite databases: copies under concurrent writes, retention, scheduling."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from jarvis.errors import StoreError
from jarvis.store.backup import AUTO_PREFIX, BackupScheduler, backup_file, check_backup, prune, scheduled_backups


def make_database(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO t (body) VALUES (?)", [("x" * 500,)] * rows)
    conn.commit()
    conn.close()


def test_copy_is_consistent_while_another_connection_writes(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    make_database(source, 20_000)
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        conn = sqlite3.connect(source, timeout=10)
        while not stop.is_set():
            conn.execute("INSERT INTO t (body) VALUES ('pendant')")
            conn.commit()
            written.append(1)
        conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    while not written:
        time.sleep(0.001)
    progress: list[tuple[int, int]] = []
    try:
        result = backup_file(source, tmp_path / "copy.db", lambda done, total: progress.append((done, total)))
    finally:
        stop.set()
        writer.join()
    copy = sqlite3.connect(tmp_path / "copy.db")
    count = copy.execute("SELECT count(*) FROM t").fetchone()[0]
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    copy.close()
    assert 20_000 < count <= 20_000 + len(written)
    assert progress[-1][0] == progress[-1][1] == result.pages
    assert oct(os.stat(result.path).st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".*.part"))


def test_check_refuses_a_database_that_is_not_jarvis(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    make_database(other, 1)
    with pytest.raises(StoreError, match="tables absentes") as caught:
        check_backup(other)
    assert caught.value.code == "restore-invalid"


def test_prune_keeps_the_newest_scheduled_backups_only(tmp_path: Path) -> None:
    names = [f"{AUTO_PREFIX}20261101-0{i}0000-000.db" for i in range(5)]
    for name in [*names, "jarvis-manual.db", "notes.txt"]:
        (tmp_path / name).write_bytes(b"x")
    deleted = prune(tmp_path, keep=2)
    assert [p.name for p in deleted] == names[:3]
    assert [p.name for p in scheduled_backups(tmp_path)] == names[3:]
    assert (tmp_path / "jarvis-manual.db").exists() and (tmp_path / "notes.txt").exists()


async def test_scheduler_is_due_by_the_age_of_the_newest_backup(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    make_database(source, 10)
    scheduler = BackupScheduler(source, tmp_path / "backups", interval_seconds=3600, keep=2)
    assert scheduler.seconds_until_due() == 0.0
    for _ in range(3):
        await scheduler.run_once()
    kept = scheduled_backups(tmp_path / "backups")
    assert len(kept) == 2
    now = kept[-1].stat().st_mtime
    assert scheduler.seconds_until_due(now + 600) == pytest.approx(3000)
    assert scheduler.seconds_until_due(now + 7200) == 0.0
