"""Encryption at rest: Fernet keys (a 0600 file or the environment), the EncryptedText column type, the start-up
key check and the re-encryption of every encrypted column (encrypt, decrypt, rotate)."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Table, Text, TypeDecorator, create_engine, func, inspect, select, type_coerce, update
from sqlalchemy.engine import Connection, Dialect

from jarvis.errors import ConfigError, StoreError
from jarvis.i18n import t

if TYPE_CHECKING:
    from jarvis.config import Settings
    from jarvis.store.db import Database

# Marks an encrypted value: a stored text is either clear or PREFIX + a Fernet token, never ambiguous.
PREFIX = "fernet:"
KEY_FILE_NAME = "jarvis.key"
_DIALECT_ATTRIBUTE = "jarvis_cipher"


class Cipher:
    """Fernet over one or more keys: the first encrypts, any of them decrypts (MultiFernet)."""

    def __init__(self, keys: list[bytes], source: str) -> None:
        if not keys:
            raise ValueError("at least one key is needed")
        self.keys = keys
        self.source = source  # which setting the keys came from, for error messages
        self._fernet = MultiFernet([Fernet(key) for key in keys])

    def encrypt(self, text: str) -> str:
        # An empty text stays empty: it reveals nothing and keeps `title == ""` comparisons working.
        if text == "":
            return ""
        return PREFIX + self._fernet.encrypt(text.encode()).decode("ascii")

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption was turned on (`jarvis keys encrypt` converts those)
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode()
        except InvalidToken as exc:
            raise StoreError(t("encryption-wrong-key", source=self.source), code="encryption-wrong-key") from exc

    def rotate(self, stored: str) -> str:
        """The same text encrypted with the first key (MultiFernet.rotate: the timestamp is kept)."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        return PREFIX + self._fernet.rotate(stored[len(PREFIX) :].encode("ascii")).decode("ascii")


def cipher_of(dialect: Dialect) -> Cipher | None:
    cipher = getattr(dialect, _DIALECT_ATTRIBUTE, None)
    return cipher if isinstance(cipher, Cipher) else None


def install_cipher(dialect: Dialect, cipher: Cipher | None) -> None:
    """Attach the cipher to one engine's dialect: each engine (database) has its own, nothing global."""
    setattr(dialect, _DIALECT_ATTRIBUTE, cipher)


class EncryptedText(TypeDecorator[str]):
    """Text encrypted with the engine's cipher when encryption is on, stored as is otherwise.

    Use it for any column holding personal text: `text: Mapped[str] = mapped_column(EncryptedText())`. Encrypted
    values cannot be compared, sorted or indexed by full-text search in SQL (Fernet is randomised)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = cipher_of(dialect)
        if value is None or cipher is None:
            return value
        return cipher.encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        cipher = cipher_of(dialect)
        if cipher is None:
            if value.startswith(PREFIX):
                raise StoreError(t("encryption-needed"), code="encryption-needed")
            return value
        return cipher.decrypt(value)


# --- keys ---------------------------------------------------------------------------------------------------------


def key_file_path(settings: Settings) -> Path:
    return settings.store.encryption_key_file or settings.data_dir / KEY_FILE_NAME


def _parse_keys(text: str, source: str) -> list[bytes]:
    keys = [part.strip().encode("ascii") for part in text.replace(",", "\n").splitlines() if part.strip()]
    if not keys:
        raise ConfigError(t("encryption-key-invalid", source=source))
    for key in keys:
        try:
            Fernet(key)
        except ValueError as exc:
            raise ConfigError(t("encryption-key-invalid", source=source)) from exc
    return keys


def read_key_file(path: Path) -> list[bytes]:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(t("encryption-key-permissions", path=path, mode=f"{mode:o}"))
    return _parse_keys(path.read_text(encoding="ascii"), f"store.encryption_key_file={path}")


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Write the keys atomically (a 0600 temporary file renamed over the old one): a crash leaves one or the other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write("".join(key.decode("ascii") + "\n" for key in keys))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def env_keys_source() -> str:
    return "JARVIS_STORE__ENCRYPTION_KEY"


def load_keys(settings: Settings) -> tuple[list[bytes], str] | None:
    """The configured keys and where they come from; None when no key exists yet (file not created)."""
    secret = settings.store.encryption_key
    if secret is not None:
        source = f"store.encryption_key ({env_keys_source()})"
        return _parse_keys(secret.get_secret_value(), source), source
    path = key_file_path(settings)
    if not path.exists():
        return None
    return read_key_file(path), f"store.encryption_key_file={path}"


# --- what is encrypted in a database --------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncryptedColumn:
    table: Table
    column: str


def encrypted_columns() -> list[EncryptedColumn]:
    """Every EncryptedText column of the schema (new tables using the type are included automatically)."""
    from jarvis.store.tables import Base

    return [
        EncryptedColumn(table, column.name)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]


@dataclass(frozen=True)
class Census:
    clear: int = 0
    encrypted: int = 0
    sample: str | None = None  # one encrypted value, to try the key on


def _census(connection: Connection) -> Census:
    """Counts over the schema the file has: the census runs before migrations, and a database made by an older
    Jarvis lacks the tables and columns added since (they hold nothing yet)."""
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    clear = encrypted = 0
    sample: str | None = None
    for item in encrypted_columns():
        if item.table.name not in tables:
            continue
        if item.column not in {c["name"] for c in inspector.get_columns(item.table.name)}:
            continue
        column = type_coerce(item.table.c[item.column], Text)
        marked = func.substr(column, 1, len(PREFIX)) == PREFIX
        encrypted += connection.execute(select(func.count()).where(marked)).scalar_one()
        clear += connection.execute(select(func.count()).where(column != "", ~marked)).scalar_one()
        sample = sample or connection.execute(select(column).where(marked).limit(1)).scalar()
    return Census(clear, encrypted, sample)


async def census(db: Database) -> Census:
    async with db.engine.connect() as conn:
        return await conn.run_sync(_census)


def choose_cipher(settings: Settings, found: Census) -> Cipher | None:
    """The cipher for data whose census is `found`; raises a clear error when the settings do not fit the data, and
    changes nothing (a key file is created only when there is no encrypted text yet)."""
    if not settings.store.encryption:
        if found.encrypted:
            raise StoreError(t("encryption-needed"), code="encryption-needed")
        return None
    loaded = load_keys(settings)
    if loaded is None:
        path = key_file_path(settings)
        if found.encrypted:
            raise StoreError(t("encryption-key-missing", path=path), code="encryption-key-missing")
        write_key_file(path, [Fernet.generate_key()])
        loaded = (read_key_file(path), f"store.encryption_key_file={path}")
    cipher = Cipher(*loaded)
    if found.sample is not None:
        cipher.decrypt(found.sample)  # raises encryption-wrong-key
    return cipher


async def open_cipher(settings: Settings, db: Database) -> Cipher | None:
    """The cipher the server must use: as choose_cipher, and encryption on over clear text is refused (the text
    would stay clear; `jarvis keys encrypt` converts it)."""
    found = await census(db)
    cipher = choose_cipher(settings, found)
    if cipher is not None and found.clear:
        raise StoreError(t("encryption-clear-data", count=found.clear), code="encryption-clear-data")
    return cipher


def census_of_file(path: Path) -> Census:
    """The census of a SQLite file opened read-only (a backup): nothing is written beside it."""
    engine = create_engine("sqlite://", creator=lambda: sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True))
    try:
        with engine.connect() as conn:
            return _census(conn)
    finally:
        engine.dispose()


# --- re-encryption ---------------------------------------------------------------------------------------------------

Convert = Callable[[str], str]


def _rewrite(connection: Connection, convert: Convert, progress: Callable[[int], None] | None) -> int:
    existing = set(inspect(connection).get_table_names())
    changed = 0
    for item in encrypted_columns():
        if item.table.name not in existing:
            continue
        keys = list(item.table.primary_key.columns)
        column = type_coerce(item.table.c[item.column], Text)
        rows = connection.execute(select(*keys, column).where(column != "")).all()
        for row in rows:
            *ids, value = row
            new = convert(value)
            if new != value:
                where = [key == ident for key, ident in zip(keys, ids, strict=True)]
                connection.execute(update(item.table).where(*where).values({item.column: type_coerce(new, Text)}))
                changed += 1
            if progress is not None:
                progress(1)
    return changed


async def count_values(db: Database) -> int:
    found = await census(db)
    return found.clear + found.encrypted


async def rewrite_all(db: Database, convert: Convert, progress: Callable[[int], None] | None = None) -> int:
    """Convert every encrypted-column value in one transaction (all or nothing), then purge the old values from
    the file: SQLite keeps deleted pages and the WAL until a checkpoint and a VACUUM."""
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            await conn.exec_driver_sql("PRAGMA secure_delete=ON")
        changed = await conn.run_sync(_rewrite, convert, progress)
    if db.is_sqlite:
        await db.compact()
    return changed


def clear_text(cipher: Cipher) -> Convert:
    def convert(value: str) -> str:
        return cipher.decrypt(value)

    return convert
