"""Encryption at rest through the real server: nothing readable on disk (WAL included), a wrong key refused at
start with nothing changed, `jarvis keys rotate` and `jarvis keys encrypt` on real data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow

SENTENCE = "Le code secret du portail est quatre-vingt-dix-sept, ne le dis à personne."
ENCRYPTED = {"JARVIS_STORE__ENCRYPTION": "true", "JARVIS_AUTH__MAX_FAILURES": "1000"}


def db_files(data_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(data_dir.glob("jarvis.db*")) if p.suffix != ".lock"}


def digest(data_dir: Path) -> str:
    return hashlib.sha256(b"".join(db_files(data_dir).values())).hexdigest()


def flat(text: str) -> str:
    return " ".join(text.split())


def modelless(data_dir: Path, token: str, **extra: str) -> JarvisServer:
    """A server that needs no model: reading stored data is all these checks ask of it."""
    env = {**ENCRYPTED, "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"), **extra}
    return JarvisServer(data_dir, extra_env=env, token=token)


def test_encrypted_store_end_to_end(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = JarvisServer(data_dir, extra_env=ENCRYPTED)
    try:
        server.start()
        with server.client() as client:
            response = client.post("/api/chat", json={"message": SENTENCE})
            assert response.status_code == 200, response.text
            body = response.json()
            reply = body["reply"]
            assert len(reply) > 10
            conversation = client.get(f"/api/conversations/{body['conversation_id']}").json()
            assert [m["content"] for m in conversation["messages"]] == [SENTENCE, reply]
            assert conversation["title"] == SENTENCE
            # While the server runs, the latest writes sit in the WAL: it must be ciphertext too.
            files = db_files(data_dir)
            assert {"jarvis.db", "jarvis.db-wal", "jarvis.db-shm"} <= set(files)
            assert len(files["jarvis.db-wal"]) > 0
            for name, data in files.items():
                for secret in (SENTENCE, "quatre-vingt-dix-sept", reply[:20].strip()):
                    assert secret.encode() not in data, f"{secret!r} in clear in {name}"
    finally:
        server.stop()
    key_file = data_dir / "jarvis.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    for data in db_files(data_dir).values():
        assert SENTENCE.encode() not in data

    # A wrong key: a clear error naming the setting, exit code 2, the database untouched.
    before = digest(data_dir)
    wrong = run_cli(
        "serve", env={**server.env, "JARVIS_STORE__ENCRYPTION_KEY": Fernet.generate_key().decode()}, timeout=60
    )
    assert wrong.returncode == 2
    assert "JARVIS_STORE__ENCRYPTION_KEY" in flat(wrong.stderr) and "Rien n'a été modifié" in flat(wrong.stderr)
    off = run_cli("serve", env={**server.env, "JARVIS_STORE__ENCRYPTION": "false"}, timeout=60)
    assert off.returncode == 2 and "JARVIS_STORE__ENCRYPTION=true" in flat(off.stderr)
    assert digest(data_dir) == before

    # Rotation: every row re-encrypted with a new key; the old key alone no longer opens the data.
    old_key = key_file.read_text().strip()
    rotated = run_cli("keys", "rotate", env=server.env, timeout=120)
    assert rotated.returncode == 0, rotated.stderr
    new_key = key_file.read_text().strip()
    assert new_key != old_key and "\n" not in new_key
    stale = run_cli("serve", env={**server.env, "JARVIS_STORE__ENCRYPTION_KEY": old_key}, timeout=60)
    assert stale.returncode == 2 and "ne déchiffre pas" in flat(stale.stderr)

    reader = modelless(data_dir, server.token)
    try:
        reader.start(wait_ready=False)
        with reader.client() as client:
            conversation = client.get(f"/api/conversations/{body['conversation_id']}").json()
            assert [m["content"] for m in conversation["messages"]] == [SENTENCE, reply]
            # The server holds the database: rotation needs it stopped.
            busy = run_cli("keys", "rotate", env=reader.env, timeout=60)
            assert busy.returncode == 1 and "arrêtez-le" in flat(busy.stderr)
            assert key_file.read_text().strip() == new_key
    finally:
        reader.stop()


def test_turning_encryption_on_over_clear_data(tmp_path: Path) -> None:
    """A clear database is refused with encryption on until `jarvis keys encrypt` converts it."""
    data_dir = tmp_path / "data"
    clear = JarvisServer(data_dir, extra_env={"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf")})
    try:
        clear.start(wait_ready=False)
        with clear.client() as client:
            response = client.post("/api/chat", json={"message": SENTENCE})  # stored, then the model is missing
            assert response.status_code == 503, response.text
            conversation_id = response.json()["conversation_id"]
    finally:
        clear.stop()
    assert any(SENTENCE.encode() in data for data in db_files(data_dir).values())

    env = {**clear.env, **ENCRYPTED}
    refused = run_cli("serve", env=env, timeout=60)
    assert refused.returncode == 2 and "jarvis keys encrypt" in flat(refused.stderr)
    converted = run_cli("keys", "encrypt", env=env, timeout=120)
    assert converted.returncode == 0, converted.stderr
    for data in db_files(data_dir).values():
        assert SENTENCE.encode() not in data

    reader = modelless(data_dir, clear.token)
    try:
        reader.start(wait_ready=False)
        with reader.client() as client:
            conversation = client.get(f"/api/conversations/{conversation_id}").json()
            assert conversation["messages"][0]["content"] == SENTENCE
    finally:
        reader.stop()
