"""kill -9 while the model generates: every acknowledged message survives and the database stays sound."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import JarvisServer

pytestmark = pytest.mark.slow

EXTRA_ENV = {"JARVIS_LLM__MAX_TOKENS": "24", "JARVIS_AUTH__MAX_FAILURES": "1000"}


def integrity(db_path: Path) -> str:
    connection = sqlite3.connect(db_path, timeout=10)
    try:
        return str(connection.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        connection.close()


def snapshot(client: httpx.Client, conversation_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each conversation's messages as (id, role, content, status)."""
    out = {}
    for conversation_id in conversation_ids:
        response = client.get(f"/api/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        out[conversation_id] = [
            {k: m[k] for k in ("id", "role", "content", "status")} for m in response.json()["messages"]
        ]
    return out


def test_acknowledged_messages_survive_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = JarvisServer(data_dir, extra_env=EXTRA_ENV)
    second: JarvisServer | None = None
    try:
        first.start()
        acknowledged: list[tuple[str, str, str, str]] = []  # conversation_id, user text, assistant id, reply
        turns = [
            ("Bonjour, je m'appelle Léa.", None),
            ("Quel est mon prénom ?", 0),
            ("Donne-moi un fruit rouge.", None),
            ("Et un fruit jaune ?", 2),
        ]
        with first.client() as client:
            for text, same_as in turns:
                conversation_id = None if same_as is None else acknowledged[same_as][0]
                response = client.post("/api/chat", json={"message": text, "conversation_id": conversation_id})
                assert response.status_code == 200, response.text
                body = response.json()
                assert body["status"] == "complete"
                assert body["message_id"]
                acknowledged.append((body["conversation_id"], text, body["message_id"], body["reply"]))
            conversations = {a[0] for a in acknowledged}
            assert len(conversations) == 2
            before = snapshot(client, conversations)

            stream_text = "Raconte-moi une longue histoire sur un phare au bord de la mer."
            run_start: dict[str, Any] | None = None
            with client.stream("POST", "/api/chat", json={"message": stream_text, "stream": True}) as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    if not line.startswith("data: "):
                        continue
                    event = json.loads(line[6:])
                    if event["type"] == "run-start":
                        run_start = event
                    elif event["type"] == "llm-delta":
                        assert run_start is not None
                        first.kill()  # SIGKILL in the middle of the generation
                        break
                    else:
                        pytest.fail(f"unexpected event before the first delta: {event}")
        assert run_start is not None
        assert first.process is not None and first.process.returncode == -9

        # The same data directory, the same token, a new process.
        second = JarvisServer(data_dir, extra_env=EXTRA_ENV, token=first.token).start()
        with second.client() as client:
            after = snapshot(client, conversations)
            assert after == before
            for conversation_id, text, message_id, reply in acknowledged:
                messages = after[conversation_id]
                assert {"role": "assistant", "id": message_id, "content": reply, "status": "complete"} in messages
                assert any(m["role"] == "user" and m["content"] == text for m in messages)
            assert [m["role"] for m in after[acknowledged[0][0]]] == ["user", "assistant"] * 2

            streamed = client.get(f"/api/conversations/{run_start['conversation_id']}")
            assert streamed.status_code == 200, streamed.text
            user_message = streamed.json()["messages"][0]
            assert user_message["id"] == run_start["user_message_id"]
            assert user_message["role"] == "user"
            assert user_message["content"] == stream_text

            assert integrity(data_dir / "jarvis.db") == "ok"

            again = client.post("/api/chat", json={"message": "Je suis de retour. Réponds juste « oui »."})
            assert again.status_code == 200, again.text
            assert again.json()["status"] == "complete"
            assert again.json()["reply"].strip()
        second.stop()
        assert integrity(data_dir / "jarvis.db") == "ok"
    finally:
        first.stop()
        if second is not None:
            second.stop()
