"""Faults and limits against real servers: missing model, oversized bodies, failed logins, CORS, full queue."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import JarvisServer

pytestmark = pytest.mark.slow

WRONG = {"Authorization": "Bearer jv_not-a-real-token"}


def error_code(response: httpx.Response) -> str:
    return str(response.json()["error"]["code"])


def conversation_ids(client: httpx.Client) -> set[str]:
    listed = client.get("/api/conversations", params={"limit": 500})
    assert listed.status_code == 200, listed.text
    return {c["id"] for c in listed.json()["conversations"]}


def wait_unblocked(server: JarvisServer, timeout: float = 10) -> None:
    """Wait until this client is not rate-limited (a valid token adds no failure while it waits)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if httpx.get(f"{server.url}/api/conversations", headers=server.headers).status_code == 200:
            return
        time.sleep(0.3)
    raise TimeoutError("still rate-limited")


# --- Model missing -------------------------------------------------------------------------------------------


def test_ready_reports_the_missing_model(modelless_server: JarvisServer) -> None:
    deadline = time.monotonic() + 30
    while True:
        ready = httpx.get(f"{modelless_server.url}/ready")
        llm = ready.json()["components"]["llm"]
        if "chargement" not in llm["detail"] or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert ready.status_code == 503
    body = ready.json()
    assert body["ready"] is False
    assert llm["ready"] is False
    assert "jarvis setup" in llm["detail"], llm
    assert llm["failed"] is True  # failed, not still loading
    assert body["components"]["database"]["ready"] is True
    assert httpx.get(f"{modelless_server.url}/health").json() == {"status": "ok"}


def test_chat_without_a_model_answers_503_and_keeps_the_user_message(modelless_server: JarvisServer) -> None:
    text = "Bonjour, es-tu là ? (sans modèle)"
    with modelless_server.client(timeout=30) as client:
        before = conversation_ids(client)
        response = client.post("/api/chat", json={"message": text})
        assert response.status_code == 503, response.text
        assert error_code(response) == "llm-unavailable"
        assert "jarvis setup" in response.json()["error"]["message"]
        # The stored question's conversation is named, so that a retry can continue it.
        assert response.json()["conversation_id"] in conversation_ids(client)

        streamed = client.post("/api/chat", json={"message": text, "stream": True})
        assert streamed.status_code == 200
        events = [json.loads(line[6:]) for line in streamed.text.splitlines() if line.startswith("data: ")]
        kinds = [e["type"] for e in events]
        assert kinds == ["run-start", "error", "run-end"], kinds
        assert events[1]["code"] == "llm-unavailable"
        assert events[2]["status"] == "failed"
        assert events[2]["message_id"] is None

        completion = client.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": text}]})
        assert completion.status_code == 503, completion.text
        assert error_code(completion) == "llm-unavailable"

        assert client.get("/health").status_code == 200
        new = conversation_ids(client) - before
        assert len(new) == 2, new
        for conversation_id in new:
            stored = client.get(f"/api/conversations/{conversation_id}").json()
            # The user's message was written before the model was asked: it stays; no assistant message.
            assert [(m["role"], m["content"]) for m in stored["messages"]] == [("user", text)]
            assert stored["title"].startswith("Bonjour, es-tu là")
        streamed_conversation = client.get(f"/api/conversations/{events[0]['conversation_id']}").json()
        assert streamed_conversation["messages"][0]["id"] == events[0]["user_message_id"]


# --- Body and message limits (max_body_bytes 4096, max_message_chars 500) --------------------------------------


def test_declared_body_over_the_limit_is_refused(modelless_server: JarvisServer) -> None:
    body = b'{"message": "' + b"a" * 4985 + b'"}'
    assert len(body) == 5000
    with modelless_server.client(timeout=30) as client:
        response = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert error_code(response) == "body-too-large"
        assert "4096" in response.json()["error"]["message"]


def test_chunked_body_over_the_limit_is_refused(modelless_server: JarvisServer) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"message": "'
        sent = 13
        while sent < 5998:
            piece = b"a" * min(500, 5998 - sent)
            sent += len(piece)
            yield piece
        yield b'"}'

    assert sum(len(c) for c in chunks()) == 6000
    with modelless_server.client(timeout=30) as client:
        response = client.post("/api/chat", content=chunks(), headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert error_code(response) == "body-too-large"
        assert "content-length" not in response.request.headers
        # The server is fine afterwards, and a small chunked body still goes through to the route.
        small = client.post(
            "/api/chat", content=iter([b'{"message": ', b'"   "}']), headers={"Content-Type": "application/json"}
        )
        assert small.status_code == 422
        assert error_code(small) == "empty-message"


def test_message_over_the_character_limit_is_refused(modelless_server: JarvisServer) -> None:
    with modelless_server.client(timeout=30) as client:
        before = conversation_ids(client)
        response = client.post("/api/chat", json={"message": "é" * 600})
        assert response.status_code == 422
        assert error_code(response) == "message-too-long"
        assert "500" in response.json()["error"]["message"]
        assert conversation_ids(client) == before


# --- Failed authentication limit (3 failures per 2 s) ----------------------------------------------------------


def test_repeated_wrong_tokens_are_rate_limited(modelless_server: JarvisServer) -> None:
    url = f"{modelless_server.url}/api/conversations"
    wait_unblocked(modelless_server)
    try:
        for _ in range(3):
            refused = httpx.get(url, headers=WRONG)
            assert refused.status_code == 401
            assert error_code(refused) == "auth-invalid"
        blocked = httpx.get(url, headers=WRONG)
        assert blocked.status_code == 429
        assert error_code(blocked) == "auth-rate-limited"
        retry_after = int(blocked.headers["retry-after"])
        assert 1 <= retry_after <= 2
        assert f"{retry_after} s" in blocked.json()["error"]["message"]
        # While blocked, even a valid token waits (no free guesses), but the public probes still answer.
        assert httpx.get(url, headers=modelless_server.headers).status_code == 429
        assert httpx.get(f"{modelless_server.url}/health").status_code == 200
        time.sleep(2.2)
        assert httpx.get(url, headers=modelless_server.headers).status_code == 200
    finally:
        time.sleep(2.2)


# --- CORS ------------------------------------------------------------------------------------------------------


def preflight(url: str, origin: str) -> httpx.Response:
    return httpx.options(
        f"{url}/api/chat",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )


def test_no_cross_origin_access_by_default(server: JarvisServer) -> None:
    origin = {"Origin": "http://ok.example"}
    assert "access-control-allow-origin" not in httpx.get(f"{server.url}/health", headers=origin).headers
    listed = httpx.get(f"{server.url}/api/conversations", headers={**origin, **server.headers})
    assert listed.status_code == 200
    assert "access-control-allow-origin" not in listed.headers
    assert "access-control-allow-origin" not in preflight(server.url, "http://ok.example").headers


@pytest.fixture(scope="module")
def cors_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir: Path = tmp_path_factory.mktemp("jarvis-cors")
    jarvis = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_AUTH__MAX_FAILURES": "1000",
            "JARVIS_SERVER__CORS_ORIGINS": '["http://ok.example"]',
        },
    ).start(wait_ready=False)
    yield jarvis
    jarvis.stop()


def test_cors_allowlist_is_enforced(cors_server: JarvisServer) -> None:
    allowed = preflight(cors_server.url, "http://ok.example")
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == "http://ok.example"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()

    refused = preflight(cors_server.url, "http://evil.example")
    assert refused.status_code >= 400
    assert "access-control-allow-origin" not in refused.headers

    url = f"{cors_server.url}/api/conversations"
    ok = httpx.get(url, headers={"Origin": "http://ok.example", **cors_server.headers})
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "http://ok.example"
    # A page of an allowed origin can read why it was refused.
    denied = httpx.get(url, headers={"Origin": "http://ok.example"})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == "http://ok.example"
    evil = httpx.get(url, headers={"Origin": "http://evil.example", **cors_server.headers})
    assert "access-control-allow-origin" not in evil.headers


# --- Full generation queue -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    """The real model with no waiting room: a second generation is refused while one runs."""
    jarvis = JarvisServer(
        tmp_path_factory.mktemp("jarvis-busy"),
        extra_env={
            "JARVIS_LLM__MAX_QUEUE": "0",
            "JARVIS_LLM__MAX_TOKENS": "200",
            "JARVIS_AUTH__MAX_FAILURES": "1000",
        },
    ).start()
    yield jarvis
    jarvis.stop()


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert error_code(response) == "llm-busy"
    assert int(response.headers["retry-after"]) >= 1


def test_full_queue_answers_503_with_retry_after(busy_server: JarvisServer) -> None:
    events: list[dict[str, Any]] = []
    failures: list[BaseException] = []
    first_delta = threading.Event()

    def long_story() -> None:
        try:
            with (
                busy_server.client() as client,
                client.stream(
                    "POST",
                    "/api/chat",
                    json={
                        "message": "Raconte-moi une très longue histoire de dragon, avec beaucoup de détails.",
                        "stream": True,
                    },
                ) as response,
            ):
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        events.append(json.loads(line[6:]))
                        if events[-1]["type"] == "llm-delta":
                            first_delta.set()
        except BaseException as exc:
            failures.append(exc)
        finally:
            first_delta.set()

    thread = threading.Thread(target=long_story, daemon=True)
    with busy_server.client() as client:
        before = conversation_ids(client)
        thread.start()
        try:
            assert first_delta.wait(120)
            assert not failures, failures
            assert_busy(client.post("/api/chat", json={"message": "Bonjour"}))
            assert_busy(client.post("/api/chat", json={"message": "Bonjour", "stream": True}))
            assert_busy(
                client.post(
                    "/v1/chat/completions", json={"messages": [{"role": "user", "content": "Bonjour"}], "max_tokens": 8}
                )
            )
            assert_busy(
                client.post(
                    "/v1/chat/completions",
                    json={"messages": [{"role": "user", "content": "Bonjour"}], "max_tokens": 8, "stream": True},
                )
            )
            assert events[-1]["type"] != "run-end", "the first generation ended before the busy checks"
        finally:
            thread.join(180)
        assert not thread.is_alive()
        assert not failures, failures
        assert events[-1]["type"] == "run-end"
        assert events[-1]["status"] == "complete"
        # Refused requests left nothing behind: only the long story's conversation is new.
        assert conversation_ids(client) - before == {events[0]["conversation_id"]}
        metrics = client.get("/metrics").text
        rejected = [line for line in metrics.splitlines() if line.startswith("jarvis_llm_rejected_total")]
        assert any(float(line.split()[-1]) >= 4 for line in rejected), rejected

        after = client.post("/api/chat", json={"message": "Réponds juste « oui »."})
        assert after.status_code == 200, after.text
        assert after.json()["status"] == "complete"
