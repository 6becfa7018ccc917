"""The database: async engine (SQLite in WAL mode by default), Alembic migrations, health checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from jarvis.errors import StoreError
from jarvis.store.crypto import Cipher, install_cipher

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run during writes; synchronous=FULL makes every acknowledged commit survive power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def upgrade_schema(connection: Connection, revision: str = "head") -> None:
    """Run the Alembic migrations on `connection` up to `revision`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


class Database:
    """Owns the engine and the session factory; created by the app, never at import time."""

    def __init__(self, url: str, cipher: Cipher | None = None) -> None:
        self.url = url
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        # The SQLite file, None for other engines and in-memory databases.
        self.path = Path(parsed.database) if self.is_sqlite and parsed.database not in (None, "", ":memory:") else None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, class_=AsyncSession)
        self.cipher: Cipher | None = None
        self.use_cipher(cipher)

    def use_cipher(self, cipher: Cipher | None) -> None:
        """Encrypt EncryptedText columns with `cipher` from now on (None: store them as they are)."""
        self.cipher = cipher
        install_cipher(self.engine.sync_engine.dialect, cipher)

    async def compact(self) -> None:
        """SQLite: fold the WAL into the file, rebuild it without free pages, empty the WAL (removes old values)."""
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            await auto.exec_driver_sql("VACUUM")
            await auto.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def migrate(self) -> None:
        try:
            async with self.engine.begin() as conn:
                await conn.run_sync(upgrade_schema)
        except (SQLAlchemyError, OSError) as exc:
            raise StoreError(f"Impossible d'ouvrir la base de données {self.url} : {exc}") from exc

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except (SQLAlchemyError, OSError):
            return False
        return True

    async def integrity_check(self) -> str:
        """SQLite's own integrity check ("ok" when sound); other engines answer "ok" when reachable."""
        async with self.engine.connect() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT 1"))
                return "ok"
            result = await conn.execute(text("PRAGMA integrity_check"))
            return str(result.scalar_one())

    async def close(self) -> None:
        await self.engine.dispose()
