"""Web app sign-in: one-time link → httpOnly SameSite=Strict cookie session, CSRF and Origin checks, sign-out,
durable sessions. Real server, real httpx and websockets clients."""

from __future__ import annotations

import json
import re
from contextlib import closing

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.servers import JarvisServer
from tests.web import link_token, signin_link

pytestmark = pytest.mark.slow


def sign_in(server: JarvisServer) -> tuple[httpx.Client, str]:
    """A cookie-only client (no bearer token) signed in with a fresh link; returns it with its CSRF token."""
    client = httpx.Client(base_url=server.url, timeout=60)
    response = client.post("/api/session", json={"token": link_token(signin_link(server))})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["method"] == "cookie" and body["csrf_token"]
    return client, str(body["csrf_token"])


def test_serve_prints_a_one_time_signin_link(server: JarvisServer) -> None:
    assert server.log_path is not None
    links = re.findall(r"http://127\.0\.0\.1:\d+/\?token=(\S+)", server.log_path.read_text(errors="replace"))
    assert links, "jarvis serve printed no sign-in link"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        first = client.post("/api/session", json={"token": links[-1]})
        assert first.status_code == 200, first.text
        cookie = first.headers["set-cookie"]
        assert cookie.startswith("jarvis_session=jvs_")
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
        assert "Max-Age=" in cookie
        # The secret of the link is not the session's: the link is spent, replaying it fails.
        assert links[-1] not in cookie
    with httpx.Client(base_url=server.url, timeout=30) as other:
        again = other.post("/api/session", json={"token": links[-1]})
        assert again.status_code == 401
        assert again.json()["error"]["code"] == "signin-invalid"
        assert "jarvis_session" not in again.headers.get("set-cookie", "")


def test_bad_signin_requests_are_refused(server: JarvisServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        assert client.post("/api/session", json={"token": "jvl_made-up"}).json()["error"]["code"] == "signin-invalid"
        assert client.post("/api/session", json={}).status_code == 422
        broken = client.post("/api/session", content=b"{oops", headers={"content-type": "application/json"})
        assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid-json"
        # A page of another site cannot sign the browser in (login CSRF).
        foreign = client.post(
            "/api/session",
            json={"token": link_token(signin_link(server))},
            headers={"Origin": "http://evil.example"},
        )
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "origin-refused"


def test_no_session_gets_no_data(server: JarvisServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code in (200, 503)  # the shell (or "not built"): no data in it
        assert client.get("/api/session").json() == {
            "authenticated": False,
            "method": None,
            "csrf_token": None,
            "expires_at": None,
        }
        for path in ("/api/conversations", "/api/conversations/x", "/api/voice/voices", "/openapi.json"):
            response = client.get(path)
            assert response.status_code == 401, path
            assert response.json()["error"]["code"] == "auth-required"
    with httpx.Client(base_url=server.url, cookies={"jarvis_session": "jvs_not-a-session"}, timeout=30) as client:
        stale = client.get("/api/conversations")
        probe = client.get("/api/session")
        assert probe.json()["authenticated"] is False
        assert "jarvis_session" in probe.headers["set-cookie"]  # the dead cookie is cleared
        assert stale.status_code == 401 and stale.json()["error"]["code"] == "session-expired"


def test_cookie_session_reads_and_csrf_guards_writes(server: JarvisServer) -> None:
    with server.client() as api:
        made = api.post("/api/chat", json={"message": "Dis juste bonjour."})
        assert made.status_code == 200, made.text
        conversation_id = made.json()["conversation_id"]
    client, csrf = sign_in(server)
    with closing(client):
        session = client.get("/api/session").json()
        assert session["authenticated"] is True and session["method"] == "cookie" and session["csrf_token"] == csrf
        listed = client.get("/api/conversations")
        assert listed.status_code == 200
        assert conversation_id in [c["id"] for c in listed.json()["conversations"]]
        path = f"/api/conversations/{conversation_id}"
        # State changes with the cookie need the session's CSRF token, and no foreign Origin.
        missing = client.patch(path, json={"title": "Piraté"})
        assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf-refused"
        wrong = client.patch(path, json={"title": "Piraté"}, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        foreign = client.patch(
            path, json={"title": "Piraté"}, headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        )
        assert foreign.status_code == 403
        assert client.get(path).json()["title"] != "Piraté"
        renamed = client.patch(
            path, json={"title": "  Salutations   du matin "}, headers={"X-CSRF-Token": csrf, "Origin": server.url}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["title"] == "Salutations du matin"
        assert renamed.json()["message_count"] == 2
        assert client.get(path).json()["title"] == "Salutations du matin"
        empty = client.patch(path, json={"title": "   "}, headers={"X-CSRF-Token": csrf})
        assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid-title"
        unknown = client.patch("/api/conversations/absent", json={"title": "x"}, headers={"X-CSRF-Token": csrf})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "conversation-not-found"
        deleted = client.delete(path, headers={"X-CSRF-Token": csrf})
        assert deleted.status_code == 204
        assert client.get(path).status_code == 404


def test_sign_out_ends_the_session_on_the_server(server: JarvisServer) -> None:
    client, csrf = sign_in(server)
    with closing(client):
        cookie = client.cookies["jarvis_session"]
        assert client.delete("/api/session").status_code == 403  # sign-out is a state change too
        out = client.delete("/api/session", headers={"X-CSRF-Token": csrf})
        assert out.status_code == 204
        assert 'jarvis_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
        # The old cookie, replayed, is dead on the server (not only forgotten by the browser).
    with httpx.Client(base_url=server.url, cookies={"jarvis_session": cookie}, timeout=30) as again:
        replay = again.get("/api/conversations")
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "session-expired"


async def test_websocket_accepts_the_cookie_from_the_same_origin_only(server: JarvisServer) -> None:
    client, _ = sign_in(server)
    cookie = f"jarvis_session={client.cookies['jarvis_session']}"
    client.close()
    ws_url = server.url.replace("http://", "ws://") + "/ws"
    async with connect(ws_url, additional_headers={"Cookie": cookie}, origin=server.url) as ws:  # type: ignore[arg-type]
        await ws.send(json.dumps({"type": "dance"}))
        event = json.loads(await ws.recv(decode=True))
        assert event["type"] == "error" and event["code"] == "unknown-message-type"
    with pytest.raises(InvalidStatus) as foreign:
        async with connect(ws_url, additional_headers={"Cookie": cookie}, origin="http://evil.example"):  # type: ignore[arg-type]
            pass
    assert foreign.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as no_cookie:
        async with connect(ws_url, origin=server.url):  # type: ignore[arg-type]
            pass
    assert no_cookie.value.response.status_code == 401


def test_sessions_survive_a_restart(tmp_path_factory: pytest.TempPathFactory) -> None:
    data_dir = tmp_path_factory.mktemp("jarvis-web-restart")
    jarvis = JarvisServer(data_dir, extra_env={"JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf")})
    jarvis.start(wait_ready=False)
    try:
        client, csrf = sign_in(jarvis)
        cookie = client.cookies["jarvis_session"]
        client.close()
    finally:
        jarvis.stop()
    jarvis.start(wait_ready=False)
    try:
        with httpx.Client(base_url=jarvis.url, cookies={"jarvis_session": cookie}, timeout=30) as again:
            assert again.get("/api/conversations").status_code == 200
            assert again.get("/api/session").json()["csrf_token"] == csrf
    finally:
        jarvis.stop()
