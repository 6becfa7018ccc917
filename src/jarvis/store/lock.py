"""An advisory lock on the database: the server holds it while it runs; restore and key changes need it."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from jarvis.errors import StoreError
from jarvis.i18n import t


class DatabaseLock:
    """An exclusive flock on `<database>.lock`; the kernel releases it when the process ends, even by kill -9."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self) -> None:
        """Take the lock or fail with a clear message (the server is running)."""
        if not self.try_acquire():
            raise StoreError(t("server-running", path=self.database), code="server-running", status=409)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
