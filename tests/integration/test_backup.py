"""Backups through the real server and CLI: a consistent copy while writes go on, a faithful restore, refused
restores that leave the data as it was, scheduled backups with retention."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from jarvis.store.backup import check_backup
from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow


def modelless(data_dir: Path, token: str = "", **extra: str) -> JarvisServer:
    """The real server without its model: POST /api/chat still stores the user's message (then answers 503)."""
    env = {"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"), "JARVIS_AUTH__MAX_FAILURES": "1000", **extra}
    return JarvisServer(data_dir, extra_env=env, token=token)


def flat(text: str) -> str:
    return " ".join(text.split())


def stored(db: Path) -> dict[str, list[tuple[int, str, str]]]:
    """Each conversation's messages (seq, role, content), read straight from a database file."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT conversation_id, seq, role, content FROM messages ORDER BY conversation_id, seq")
        out: dict[str, list[tuple[int, str, str]]] = {}
        for conversation_id, seq, role, content in rows:
            out.setdefault(conversation_id, []).append((seq, role, content))
        return out
    finally:
        conn.close()


def through_api(server: JarvisServer) -> dict[str, list[tuple[int, str, str]]]:
    out: dict[str, list[tuple[int, str, str]]] = {}
    with server.client() as client:
        listing = client.get("/api/conversations", params={"limit": 500}).json()
        assert len(listing["conversations"]) < 500
        for item in listing["conversations"]:
            detail = client.get(f"/api/conversations/{item['id']}").json()
            out[item["id"]] = [(i + 1, m["role"], m["content"]) for i, m in enumerate(detail["messages"])]
    return out


class Writer(threading.Thread):
    """Writes through the server without pause: new conversations and follow-ups in the same ones."""

    def __init__(self, server: JarvisServer) -> None:
        super().__init__(daemon=True)
        self.server = server
        self.stop = threading.Event()
        self.attempted: set[str] = set()
        self.acknowledged: list[str] = []
        self.errors: list[str] = []

    def run(self) -> None:
        conversation_id = None
        with self.server.client(timeout=30) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                text = f"Message numéro {n} pour la sauvegarde"
                self.attempted.add(text)
                response = client.post("/api/chat", json={"message": text, "conversation_id": conversation_id})
                if response.status_code != 503 or response.json().get("conversation_id") is None:
                    self.errors.append(response.text)
                    return
                self.acknowledged.append(text)
                conversation_id = None if n % 5 == 0 else response.json()["conversation_id"]


def test_backup_under_writes_then_restore_round_trip(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    backup = tmp_path / "copy.db"
    server = modelless(data_dir)
    try:
        server.start(wait_ready=False)
        writer = Writer(server)
        writer.start()
        while len(writer.acknowledged) < 50 and not writer.errors:
            time.sleep(0.05)
        before = list(writer.acknowledged)
        made = run_cli("backup", str(backup), env=server.env, timeout=120)
        after = list(writer.acknowledged)
        time.sleep(0.5)  # writes go on after the copy
        writer.stop.set()
        writer.join(timeout=30)
        assert made.returncode == 0, made.stderr
        assert not writer.errors, writer.errors[:1]
        assert len(writer.acknowledged) > len(after) > len(before) - 1

        # The copy is a sound Jarvis database holding every message acknowledged before it began.
        assert check_backup(backup)
        copied = stored(backup)
        texts = {content for messages in copied.values() for _, _, content in messages}
        assert set(before) <= texts <= writer.attempted
        assert set(writer.acknowledged) - texts, "writes after the backup are not in it"
        for messages in copied.values():  # consistent: no conversation has a hole
            assert [seq for seq, _, _ in messages] == list(range(1, len(messages) + 1))

        # Restoring while the server runs is refused.
        busy = run_cli("restore", str(backup), env=server.env, timeout=60)
        assert busy.returncode == 1 and "arrêtez-le" in flat(busy.stderr)
    finally:
        server.stop()

    restored = run_cli("restore", str(backup), env=server.env, timeout=120)
    assert restored.returncode == 0, restored.stderr
    assert list((data_dir / "backups").glob("jarvis-before-restore-*.db")), "the replaced data was kept"
    again = modelless(data_dir, token=server.token)
    try:
        again.start(wait_ready=False)
        assert through_api(again) == copied
    finally:
        again.stop()


def test_corrupt_or_foreign_backups_are_refused(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = modelless(data_dir)
    try:
        server.start(wait_ready=False)
        with server.client() as client:
            client.post("/api/chat", json={"message": "Une donnée qui doit survivre."})
        original = through_api(server)
        good = tmp_path / "good.db"
        assert run_cli("backup", str(good), env=server.env, timeout=120).returncode == 0
    finally:
        server.stop()
    assert original

    random_bytes = tmp_path / "random.db"
    random_bytes.write_bytes(bytes(range(256)) * 64)
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    damaged = tmp_path / "damaged.db"
    damaged.write_bytes(good.read_bytes())
    conn = sqlite3.connect(damaged)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'messages'").fetchone()[0]
    conn.close()
    content = bytearray(damaged.read_bytes())
    start = (root - 1) * page_size
    content[start : start + 64] = b"\xff" * 64  # the messages table's b-tree page header
    damaged.write_bytes(bytes(content))
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.commit()
    conn.close()
    future = tmp_path / "future.db"
    future.write_bytes(good.read_bytes())
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()

    live = data_dir / "jarvis.db"
    for bad in (random_bytes, truncated, damaged, foreign, future, tmp_path / "absent.db"):
        before = live.read_bytes()
        refused = run_cli("restore", str(bad), env=server.env, timeout=60)
        assert refused.returncode == 1, (bad.name, refused.stdout)
        assert "Restauration refusée" in flat(refused.stderr) and "intactes" in flat(refused.stderr), bad.name
        assert live.read_bytes() == before, bad.name

    again = modelless(data_dir, token=server.token)
    try:
        again.start(wait_ready=False)
        assert through_api(again) == original
    finally:
        again.stop()


def test_scheduled_backups_keep_the_newest(tmp_path: Path) -> None:
    """Backups every ~1 s with keep=2 (encryption on: the copies hold no clear text either)."""
    data_dir = tmp_path / "data"
    backups = tmp_path / "auto"
    server = modelless(
        data_dir,
        JARVIS_STORE__ENCRYPTION="true",
        JARVIS_BACKUP__ENABLED="true",
        JARVIS_BACKUP__INTERVAL_HOURS="0.0003",
        JARVIS_BACKUP__KEEP="2",
        JARVIS_BACKUP__DIR=str(backups),
    )
    secret = "Mon numéro de coffre est le 4471."
    try:
        server.start(wait_ready=False)
        with server.client() as client:
            client.post("/api/chat", json={"message": secret})
        assert server.log_path is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.log_path.read_text().count('"backup-done"') < 5:
            time.sleep(0.2)
        assert server.log_path.read_text().count('"backup-done"') >= 5
    finally:
        server.stop()
    kept = sorted(backups.glob("jarvis-auto-*.db"))
    assert len(kept) == 2
    for path in kept:
        check_backup(path)
        assert secret.encode() not in path.read_bytes()
        assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert stored(kept[-1]), "the newest backup holds the message"


def test_encrypted_backup_needs_its_key_to_be_restored(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = modelless(data_dir, JARVIS_STORE__ENCRYPTION="true")
    secret = "La clé de la cave est sous le troisième pot de fleurs."
    try:
        server.start(wait_ready=False)
        with server.client() as client:
            conversation_id = client.post("/api/chat", json={"message": secret}).json()["conversation_id"]
    finally:
        server.stop()
    backup = tmp_path / "encrypted-backup.db"
    made = run_cli("backup", str(backup), env=server.env, timeout=120)
    assert made.returncode == 0, made.stderr
    assert secret.encode() not in backup.read_bytes()

    live = data_dir / "jarvis.db"
    before = live.read_bytes()
    other_key = run_cli("keys", "generate", env=server.env).stdout.strip()
    refused = run_cli("restore", str(backup), env={**server.env, "JARVIS_STORE__ENCRYPTION_KEY": other_key})
    assert refused.returncode == 1 and "ne déchiffre pas" in flat(refused.stderr)
    assert live.read_bytes() == before

    restored = run_cli("restore", str(backup), env=server.env, timeout=120)
    assert restored.returncode == 0, restored.stderr
    again = modelless(data_dir, token=server.token, JARVIS_STORE__ENCRYPTION="true")
    try:
        again.start(wait_ready=False)
        with again.client() as client:
            messages = client.get(f"/api/conversations/{conversation_id}").json()["messages"]
        assert messages[0]["content"] == secret
    finally:
        again.stop()


def test_backup_api(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    server = modelless(data_dir)
    try:
        server.start(wait_ready=False)
        with server.client() as client:
            client.post("/api/chat", json={"message": "Sauvegarde-moi."})
            assert client.get("/api/backups").json() == {"backups": []}
            created = client.post("/api/backups")
            assert created.status_code == 201, created.text
            body = created.json()
            path = Path(body["path"])
            assert path.parent == data_dir / "backups" and body["size_bytes"] == path.stat().st_size
            check_backup(path)
            assert "Sauvegarde-moi." in str(stored(path))
            listed = client.get("/api/backups").json()["backups"]
            assert [b["name"] for b in listed] == [path.name]
        with server.client() as client:
            client.headers.pop("Authorization")
            assert client.post("/api/backups").status_code == 401
    finally:
        server.stop()
