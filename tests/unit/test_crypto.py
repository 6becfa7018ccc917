"""Encryption at rest on a real SQLite file: what lands on disk, key checks, encrypt / rotate / decrypt."""

from __future__ import annotations

import functools
import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from jarvis.config import Settings
from jarvis.errors import ConfigError, StoreError
from jarvis.services import open_database
from jarvis.store.conversations import ConversationRepository
from jarvis.store.crypto import (
    PREFIX,
    Cipher,
    census,
    choose_cipher,
    clear_text,
    key_file_path,
    open_cipher,
    read_key_file,
    rewrite_all,
    write_key_file,
)
from jarvis.store.db import Database, upgrade_schema

SENTENCE = "Ma tante Josiane cache ses bijoux dans la boîte à sucre"


def settings_for(data_dir: Path, **store: object) -> Settings:
    return Settings(data_dir=data_dir, store=store)


def disk_bytes(data_dir: Path) -> bytes:
    return b"".join(p.read_bytes() for p in data_dir.glob("jarvis.db*") if p.is_file())


async def open_db(settings: Settings) -> Database:
    db = Database(settings.database_url)
    db.use_cipher(await open_cipher(settings, db))
    await db.migrate()
    return db


async def write_conversation(db: Database, text: str = SENTENCE) -> str:
    repo = ConversationRepository(db)
    conversation = await repo.create()
    await repo.add_message(conversation.id, "user", text)
    await repo.add_message(conversation.id, "assistant", "Réponse : " + text)
    return conversation.id


def test_cipher_round_trip_and_marks() -> None:
    cipher = Cipher([Fernet.generate_key()], "test")
    stored = cipher.encrypt(SENTENCE)
    assert stored.startswith(PREFIX) and SENTENCE not in stored
    assert cipher.decrypt(stored) == SENTENCE
    assert cipher.encrypt("") == ""
    assert cipher.encrypt(SENTENCE) != stored  # randomised
    other = Cipher([Fernet.generate_key()], "other key")
    with pytest.raises(StoreError) as caught:
        other.decrypt(stored)
    assert caught.value.code == "encryption-wrong-key" and "other key" in caught.value.message


async def test_encrypted_database_holds_no_clear_text(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, encryption=True)
    db = await open_db(settings)
    try:
        conversation_id = await write_conversation(db)
        repo = ConversationRepository(db)
        messages = await repo.messages(conversation_id)
        assert [m.content for m in messages] == [SENTENCE, "Réponse : " + SENTENCE]
        summary = (await repo.list_recent())[0]
        assert summary.title == SENTENCE
        on_disk = disk_bytes(tmp_path)
        assert SENTENCE.encode() not in on_disk
        assert b"Josiane" not in on_disk
    finally:
        await db.close()
    key_file = key_file_path(settings)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


async def test_start_up_checks_refuse_mismatches_and_change_nothing(tmp_path: Path) -> None:
    encrypted = settings_for(tmp_path, encryption=True)
    db = await open_db(encrypted)
    await write_conversation(db)
    await db.close()
    before = (tmp_path / "jarvis.db").read_bytes()

    wrong = settings_for(tmp_path, encryption=True, encryption_key=Fernet.generate_key().decode())
    for settings, code in (
        (wrong, "encryption-wrong-key"),
        (settings_for(tmp_path), "encryption-needed"),
        (
            settings_for(tmp_path, encryption=True, encryption_key_file=tmp_path / "absent.key"),
            "encryption-key-missing",
        ),
    ):
        db = Database(settings.database_url)
        with pytest.raises(StoreError) as caught:
            await open_cipher(settings, db)
        await db.close()
        assert caught.value.code == code
        if settings is wrong:  # the message names the setting to fix
            assert "JARVIS_STORE__ENCRYPTION_KEY" in caught.value.message
    assert not (tmp_path / "absent.key").exists()
    assert (tmp_path / "jarvis.db").read_bytes() == before

    os.chmod(key_file_path(encrypted), 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_key_file(key_file_path(encrypted))


async def test_clear_database_is_refused_then_encrypted_rotated_and_decrypted(tmp_path: Path) -> None:
    clear = settings_for(tmp_path)
    db = await open_db(clear)
    conversation_id = await write_conversation(db)
    await db.close()
    assert SENTENCE.encode() in disk_bytes(tmp_path)

    encrypted = settings_for(tmp_path, encryption=True)
    db = Database(encrypted.database_url)
    with pytest.raises(StoreError) as caught:
        await open_cipher(encrypted, db)
    assert caught.value.code == "encryption-clear-data"

    # `jarvis keys encrypt`: every value encrypted, the old clear pages gone from the file and the WAL.
    cipher = choose_cipher(encrypted, await census(db))
    assert cipher is not None
    assert await rewrite_all(db, cipher.rotate) == 3  # two messages and the title
    await db.close()
    assert SENTENCE.encode() not in disk_bytes(tmp_path)

    # `jarvis keys rotate`: new key first; afterwards the old key alone no longer reads the data.
    old_keys = read_key_file(key_file_path(encrypted))
    new_key = Fernet.generate_key()
    write_key_file(key_file_path(encrypted), [new_key, *old_keys])
    db = Database(encrypted.database_url)
    rotating = Cipher([new_key, *old_keys], "rotation")
    assert await rewrite_all(db, rotating.rotate) == 3
    await db.close()
    write_key_file(key_file_path(encrypted), [new_key])
    only_old = settings_for(tmp_path, encryption=True, encryption_key=old_keys[0].decode())
    db = Database(only_old.database_url)
    with pytest.raises(StoreError, match="ne déchiffre pas"):
        await open_cipher(only_old, db)
    await db.close()

    db = await open_db(encrypted)
    assert (await ConversationRepository(db).messages(conversation_id))[0].content == SENTENCE
    # `jarvis keys decrypt`: back to clear text, readable with encryption off.
    assert db.cipher is not None
    db.use_cipher(None)
    assert await rewrite_all(db, clear_text(Cipher([new_key], "k"))) == 3
    await db.close()
    db = await open_db(clear)
    assert (await ConversationRepository(db).list_recent())[0].title == SENTENCE
    await db.close()


async def test_a_database_from_an_older_version_opens_and_is_migrated(tmp_path: Path) -> None:
    """The start-up census runs before the migrations: a file made before the conversation summary existed (0002)
    still opens, keeps its conversation, and gets the new columns."""
    settings = settings_for(tmp_path)
    old = Database(settings.database_url)
    async with old.engine.begin() as conn:
        await conn.run_sync(functools.partial(upgrade_schema, revision="0002"))
        await conn.execute(
            text(
                "INSERT INTO conversations (id, title, created_at, updated_at) "
                "VALUES ('c1', 'Ancienne', '2026-01-01 10:00:00', '2026-01-01 10:00:00')"
            )
        )
    await old.close()
    db, lock = await open_database(settings)
    try:
        conversation = await ConversationRepository(db).get("c1")
        assert conversation.title == "Ancienne" and conversation.summary == ""
    finally:
        await db.close()
        if lock is not None:
            lock.release()
