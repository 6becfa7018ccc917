"""The REST chat API against the real server and the real embedded model."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.french import looks_french
from tests.servers import JarvisServer

pytestmark = pytest.mark.slow


def sse_events(response: httpx.Response) -> list[dict[str, object]]:
    return [json.loads(line[6:]) for line in response.iter_lines() if line.startswith("data: ")]


def test_health_and_ready_are_public(server: JarvisServer) -> None:
    assert httpx.get(f"{server.url}/health").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/ready").json()
    assert ready["ready"] is True
    assert ready["components"]["llm"]["ready"] is True
    assert ready["components"]["database"]["ready"] is True


@pytest.mark.parametrize("path", ["/api/conversations", "/metrics", "/docs", "/openapi.json", "/v1/models"])
def test_every_other_route_needs_a_token(server: JarvisServer, path: str) -> None:
    missing = httpx.get(f"{server.url}{path}")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "auth-required"
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = httpx.get(f"{server.url}{path}", headers={"Authorization": "Bearer jv_not-a-real-token"})
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "auth-invalid"
    assert httpx.get(f"{server.url}{path}", headers=server.headers).status_code == 200


def test_french_question_gets_a_french_answer_and_is_stored(server: JarvisServer) -> None:
    with server.client() as client:
        response = client.post("/api/chat", json={"message": "Bonjour Jarvis ! Comment vas-tu aujourd'hui ?"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "complete"
        assert body["reply"].strip()
        assert looks_french(body["reply"]), body["reply"]
        timings = body["timings"]
        assert timings["llm_first_token_seconds"] > 0
        assert timings["completion_tokens"] >= 1
        stored = client.get(f"/api/conversations/{body['conversation_id']}").json()
        assert [m["role"] for m in stored["messages"]] == ["user", "assistant"]
        assert stored["messages"][1]["content"] == body["reply"]
        assert stored["messages"][1]["id"] == body["message_id"]
        assert stored["title"].startswith("Bonjour Jarvis")


def test_conversation_continues_with_its_history(server: JarvisServer) -> None:
    with server.client() as client:
        first = client.post("/api/chat", json={"message": "Je m'appelle Gaspard. Retiens mon prénom."}).json()
        second = client.post(
            "/api/chat",
            json={
                "message": "Quel est mon prénom ? Réponds juste par le prénom.",
                "conversation_id": first["conversation_id"],
            },
        ).json()
        assert second["conversation_id"] == first["conversation_id"]
        assert "gaspard" in second["reply"].lower(), second["reply"]
        stored = client.get(f"/api/conversations/{first['conversation_id']}").json()
        roles = [m["role"] for m in stored["messages"]]
        # « Retiens mon prénom » may rightly make the model call the memory tool: its record sits between the
        # request and the reply that reports it.
        first_turn = roles[: roles.index("assistant") + 1]
        assert first_turn[0] == "user" and set(first_turn[1:-1]) <= {"tool"}, roles
        assert roles[len(first_turn) :] == ["user", "assistant"], roles


def test_streaming_sends_pipeline_events_in_order(server: JarvisServer) -> None:
    with (
        server.client() as client,
        client.stream(
            "POST", "/api/chat", json={"message": "Dis-moi une phrase sur le printemps.", "stream": True}
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response)
    kinds = [e["type"] for e in events]
    assert kinds[0] == "run-start"
    assert kinds[-1] == "run-end"
    assert kinds.count("llm-delta") >= 2
    deltas = "".join(str(e["text"]) for e in events if e["type"] == "llm-delta")
    end = events[-1]
    assert end["status"] == "complete"
    assert end["reply"] == deltas.strip()
    assert {e["run_id"] for e in events} == {events[0]["run_id"]}


def test_list_get_and_delete_conversations(server: JarvisServer) -> None:
    with server.client() as client:
        created = client.post("/api/chat", json={"message": "Salut, réponds juste « salut »."}).json()
        listed = client.get("/api/conversations").json()["conversations"]
        ours = next(c for c in listed if c["id"] == created["conversation_id"])
        assert ours["message_count"] == 2
        assert listed[0]["updated_at"] >= listed[-1]["updated_at"]
        assert client.delete(f"/api/conversations/{created['conversation_id']}").status_code == 204
        gone = client.get(f"/api/conversations/{created['conversation_id']}")
        assert gone.status_code == 404
        assert gone.json()["error"]["code"] == "conversation-not-found"
        again = client.delete(f"/api/conversations/{created['conversation_id']}")
        assert again.status_code == 404


def test_bad_input_gets_coded_errors_and_the_server_keeps_serving(server: JarvisServer) -> None:
    with server.client() as client:
        malformed = client.post(
            "/api/chat", content=b'{"message": "oops"', headers={"Content-Type": "application/json"}
        )
        assert malformed.status_code == 400
        assert malformed.json()["error"]["code"] == "invalid-json"

        missing = client.post("/api/chat", json={"conversation_id": None})
        assert missing.status_code == 422
        assert missing.json()["error"]["code"] == "invalid-request"
        assert "message" in missing.json()["error"]["message"]

        empty = client.post("/api/chat", json={"message": "   "})
        assert empty.status_code == 422
        assert empty.json()["error"]["code"] == "empty-message"

        too_long = client.post("/api/chat", json={"message": "a" * 4001})
        assert too_long.status_code == 422
        assert too_long.json()["error"]["code"] == "message-too-long"

        unknown = client.post("/api/chat", json={"message": "Bonjour", "conversation_id": "nope"})
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "conversation-not-found"

        huge = client.post("/api/chat", content=b"x" * 2_000_000, headers={"Content-Type": "application/json"})
        assert huge.status_code == 413
        assert huge.json()["error"]["code"] == "body-too-large"

        assert client.get("/api/nothing-here").json()["error"]["code"] == "not-found"
        assert client.get("/health").status_code == 200
        assert client.post("/api/chat", json={"message": "Réponds « ok »."}).status_code == 200


def test_failed_requests_do_not_touch_stored_conversations(server: JarvisServer) -> None:
    with server.client() as client:
        before = client.get("/api/conversations", params={"limit": 500}).json()
        client.post("/api/chat", json={"message": ""})
        client.post("/api/chat", json={"message": "x", "conversation_id": "unknown"})
        client.post("/api/chat", content=b"{", headers={"Content-Type": "application/json"})
        after = client.get("/api/conversations", params={"limit": 500}).json()
        assert after == before


def test_metrics_report_requests_and_llm_timings(server: JarvisServer) -> None:
    with server.client() as client:
        client.post("/api/chat", json={"message": "Réponds « oui »."})
        text = client.get("/metrics").text
    assert "jarvis_llm_time_to_first_token_seconds_count" in text
    assert "jarvis_llm_tokens_per_second_bucket" in text
    assert "jarvis_llm_queue_depth" in text
    assert 'jarvis_http_requests_total{method="POST",route="/api/chat",status="200"}' in text
    ttft_count = next(
        float(line.split()[-1])
        for line in text.splitlines()
        if line.startswith('jarvis_llm_time_to_first_token_seconds_count{backend="llama_cpp"}')
    )
    assert ttft_count >= 1


def test_openapi_documents_the_api(server: JarvisServer) -> None:
    with server.client() as client:
        spec = client.get("/openapi.json").json()
    for path in ("/api/chat", "/api/conversations", "/api/conversations/{conversation_id}", "/v1/chat/completions"):
        assert path in spec["paths"]


def test_leaving_a_stream_cancels_the_generation_and_keeps_the_partial_reply(server: JarvisServer) -> None:
    with server.client() as client:
        with client.stream(
            "POST", "/api/chat", json={"message": "Raconte une très longue histoire de pirates.", "stream": True}
        ) as response:
            lines = response.iter_lines()
            start = next(json.loads(line[6:]) for line in lines if line.startswith("data: "))
            first = next(json.loads(line[6:]) for line in lines if line.startswith("data: "))
            assert (start["type"], first["type"]) == ("run-start", "llm-delta")
        # The client is gone: the server stops generating and stores what was produced as cancelled.
        for _ in range(100):
            messages = client.get(f"/api/conversations/{start['conversation_id']}").json()["messages"]
            if len(messages) == 2:
                break
            time.sleep(0.1)
        assert messages[1]["status"] == "cancelled"
        assert messages[1]["content"].startswith(first["text"].strip())
        assert client.post("/api/chat", json={"message": "Réponds « ok »."}).status_code == 200
