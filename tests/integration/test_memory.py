"""Long-term memory through the real server, the real LLM and the real embedding model."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import JarvisServer, run_cli

pytestmark = pytest.mark.slow

LEARNING = {"JARVIS_MEMORY__LEARN": "true", "JARVIS_AUTH__MAX_FAILURES": "1000", "JARVIS_LLM__MAX_TOKENS": "40"}


def chat(client: httpx.Client, message: str, conversation_id: str | None = None) -> dict[str, Any]:
    response = client.post("/api/chat", json={"message": message, "conversation_id": conversation_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "complete", body
    return body


def memories(client: httpx.Client) -> list[dict[str, Any]]:
    response = client.get("/api/memories")
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["memories"]
    return items


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1)
    raise AssertionError(f"not within {timeout} s: {what}")


@pytest.fixture
def learning_server(tmp_path: Path) -> Iterator[JarvisServer]:
    jarvis = JarvisServer(tmp_path / "data", extra_env=LEARNING).start()
    yield jarvis
    jarvis.stop()


def test_a_fact_told_in_one_conversation_is_used_after_a_restart_in_another(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = JarvisServer(data_dir, extra_env=LEARNING).start()
    try:
        with first.client() as client:
            told = chat(client, "Souviens-toi que ma fille s'appelle Léa.")
            assert told["timings"]["route"] == "memory"
            assert "noté" in told["reply"]
            assert [m["text"] for m in memories(client)] == ["Sa fille s'appelle Léa."]
    finally:
        first.stop()
    second = JarvisServer(data_dir, extra_env=LEARNING, token=first.token).start()
    try:
        with second.client() as client:
            answer = chat(client, "Comment s'appelle ma fille ?")
            assert answer["timings"]["route"] == "llm"
            assert "Léa" in answer["reply"]
            used = memories(client)[0]
            assert used["last_used_at"] is not None
    finally:
        second.stop()


def test_learns_from_conversation_updates_on_contradiction_and_forgets(learning_server: JarvisServer) -> None:
    with learning_server.client() as client:
        chat(client, "J'habite à Paris depuis dix ans.")
        wait_for(
            lambda: any("Paris" in m["text"] for m in memories(client)), 400, "the city is learned from conversation"
        )
        chat(client, "J'ai déménagé à Lyon le mois dernier.")
        wait_for(
            lambda: any("Lyon" in m["text"] for m in memories(client)), 400, "the move is learned from conversation"
        )
        texts = [m["text"] for m in memories(client)]
        assert not any("Paris" in text for text in texts), texts  # the move replaced the old city

        answer = chat(client, "Dans quelle ville est-ce que j'habite ?")
        assert "Lyon" in answer["reply"]

        told = chat(client, "Qu'est-ce que tu sais sur moi ?")
        assert told["timings"]["route"] == "memory"
        assert "Lyon" in told["reply"]

        forgot = chat(client, "Oublie que j'habite à Lyon.")
        assert forgot["timings"]["route"] == "memory"
        assert "oublié" in forgot["reply"].lower()
        assert not any("Lyon" in m["text"] for m in memories(client))


def test_questions_and_small_talk_teach_nothing(learning_server: JarvisServer) -> None:
    with learning_server.client() as client:
        chat(client, "Quelle est la capitale de l'Italie ?")
        chat(client, "Bonjour Jarvis, ça va ?")
        time.sleep(3)
        assert memories(client) == []


def test_memory_api_crud_search_and_errors(server: JarvisServer) -> None:
    with server.client() as client:
        created = client.post(
            "/api/memories", json={"text": "Le chat s'appelle Moustache.", "kind": "fact", "retention": "permanent"}
        )
        assert created.status_code == 201, created.text
        memory = created.json()
        assert memory["expires_at"] is None
        again = client.post("/api/memories", json={"text": "Le chat s'appelle Moustache."})
        assert again.status_code == 200 and again.json()["id"] == memory["id"]  # refreshed, not duplicated

        client.post("/api/memories", json={"text": "Le garage ferme mal.", "retention": "temporary"})
        found = client.get("/api/memories", params={"q": "comment s'appelle notre chat"}).json()["memories"]
        assert found[0]["id"] == memory["id"] and found[0]["score"] > 0

        edited = client.patch(f"/api/memories/{memory['id']}", json={"text": "Le chat s'appelle Filou."})
        assert edited.status_code == 200 and edited.json()["text"] == "Le chat s'appelle Filou."
        assert client.get(f"/api/memories/{memory['id']}").json()["text"] == "Le chat s'appelle Filou."

        for body, code in (
            ({"text": "   "}, "memory-empty"),
            ({"text": "x" * 1001}, "memory-too-long"),
            ({"text": "Ok", "kind": "rumeur"}, "memory-bad-kind"),
            ({"text": "Ok", "retention": "toujours"}, "memory-bad-retention"),
        ):
            bad = client.post("/api/memories", json=body)
            assert bad.status_code == 422, bad.text
            assert bad.json()["error"]["code"] == code
        missing = client.delete("/api/memories/0123456789abcdef")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "memory-not-found"
        assert client.patch("/api/memories/nope", json={"text": "x"}).status_code == 404

        assert client.delete(f"/api/memories/{memory['id']}").status_code == 204
        assert client.get(f"/api/memories/{memory['id']}").status_code == 404


def test_export_import_round_trip_and_all_or_nothing(server: JarvisServer, tmp_path: Path) -> None:
    fresh = JarvisServer(tmp_path / "fresh", extra_env={"JARVIS_AUTH__MAX_FAILURES": "1000"}).start()
    try:
        with server.client() as client, fresh.client() as target:
            client.post("/api/memories", json={"text": "Mon frère s'appelle Hugo.", "retention": "important"})
            exported = client.get("/api/memories/export")
            assert exported.headers["content-type"].startswith("application/x-ndjson")
            lines = exported.text.splitlines()
            assert lines and all(json.loads(line)["text"] for line in lines)

            broken = "\n".join([*lines, '{"text": ""}'])
            refused = target.post("/api/memories/import", content=broken.encode())
            assert refused.status_code == 422 and refused.json()["error"]["code"] == "memory-import-invalid"
            assert memories(target) == []  # nothing was written

            imported = target.post("/api/memories/import", content=exported.content)
            assert imported.status_code == 200 and imported.json()["imported"] == len(lines)

            def key(m: dict[str, Any]) -> tuple[Any, ...]:
                return (m["id"], m["text"], m["kind"], m["retention"], m["created_at"], m["expires_at"])

            assert sorted(map(key, memories(target))) == sorted(map(key, memories(client)))
            again = target.post("/api/memories/import", content=exported.content)
            assert again.json()["imported"] == 0  # importing twice adds nothing
    finally:
        fresh.stop()


def test_profile_goes_into_every_answer(tmp_path: Path) -> None:
    # A server of its own: the profile is part of every prompt, it must not leak into other tests.
    jarvis = JarvisServer(tmp_path / "data", extra_env={"JARVIS_AUTH__MAX_FAILURES": "1000"}).start()
    try:
        with jarvis.client() as client:
            assert client.patch("/api/profile", json={"name": "Camille", "city": "Grenoble"}).status_code == 200
            assert client.get("/api/profile").json()["city"] == "Grenoble"
            bad = client.patch("/api/profile", json={"age": "40"})
            assert bad.status_code == 422
            answer = chat(client, "Comment je m'appelle ?")
            assert "Camille" in answer["reply"]
            cleared = client.patch("/api/profile", json={"name": "", "city": ""})
            assert cleared.json() == {
                "name": None,
                "city": None,
                "household": None,
                "preferences": None,
                "notes": None,
            }
    finally:
        jarvis.stop()


def test_memory_cli(server: JarvisServer, tmp_path: Path) -> None:
    env = {**server.env, "JARVIS_TOKEN": server.token}
    added = run_cli("memory", "add", "Le code du portail est 4321.", "--kind", "note", env=env)
    assert added.returncode == 0, added.stderr
    assert "Ajouté" in added.stdout
    listed = run_cli("memory", "search", "code du portail", env=env)
    assert listed.returncode == 0 and "4321" in listed.stdout
    out = tmp_path / "export.jsonl"
    exported = run_cli("memory", "export", "-o", str(out), env=env)
    assert exported.returncode == 0 and "4321" in out.read_text()
    memory_id = next(json.loads(line)["id"] for line in out.read_text().splitlines() if "4321" in line)
    assert run_cli("memory", "forget", memory_id, env=env).returncode == 0
    gone = run_cli("memory", "forget", memory_id, env=env)
    assert gone.returncode == 3 and "memory-not-found" in gone.stderr
    bad = run_cli("profile", "set", "age=40", env=env)
    assert bad.returncode == 2 and "Champ inconnu" in bad.stderr
    shown = run_cli("profile", "set", "household=deux adultes et un chat", env=env)
    assert shown.returncode == 0 and "deux adultes" in shown.stdout
