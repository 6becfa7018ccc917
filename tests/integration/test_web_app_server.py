"""What the web app asks of the server beyond chat: sign-out closing every WebSocket of the session (other tabs),
the session cookie's Secure flag behind a TLS proxy (trusted or not), the Home Assistant status and the wake-word
availability. Real `jarvis serve` processes (no LLM model: none of this needs one), real httpx and websockets
clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.integration.test_web_session import sign_in
from tests.servers import JarvisServer

pytestmark = pytest.mark.slow

SIGNED_OUT = 4401  # docs/protocol.md: the session signed out, do not reconnect


def start_server(data_dir: Path, **env: str) -> JarvisServer:
    return JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_AUTH__MAX_FAILURES": "1000",
            **env,
        },
    ).start(wait_ready=False)


@pytest.fixture(scope="module")
def jarvis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    server = start_server(tmp_path_factory.mktemp("jarvis-web-app"))
    yield server
    server.stop()


def ws_url(server: JarvisServer) -> str:
    return server.url.replace("http://", "ws://") + "/ws"


def tab(server: JarvisServer, cookie: str) -> object:
    """A browser tab's WebSocket: the session cookie, from the page's own origin."""
    return connect(ws_url(server), additional_headers={"Cookie": f"jarvis_session={cookie}"}, origin=server.url)  # type: ignore[arg-type]


async def answers(ws: ClientConnection) -> bool:
    """The WebSocket still serves: an unknown frame gets its error event."""
    await ws.send(json.dumps({"type": "dance"}))
    event = json.loads(await asyncio.wait_for(ws.recv(decode=True), 10))
    return bool(event["type"] == "error" and event["code"] == "unknown-message-type")


async def test_sign_out_closes_the_websockets_of_that_session_only(jarvis: JarvisServer) -> None:
    client, csrf = sign_in(jarvis)
    other, _ = sign_in(jarvis)  # another browser, its own session
    with closing(client), closing(other):
        cookie = client.cookies["jarvis_session"]
        async with (
            tab(jarvis, cookie) as first,  # type: ignore[attr-defined]
            tab(jarvis, cookie) as second,  # type: ignore[attr-defined]
            tab(jarvis, other.cookies["jarvis_session"]) as elsewhere,  # type: ignore[attr-defined]
            connect(ws_url(jarvis), additional_headers=jarvis.headers) as program,
        ):
            assert await answers(first) and await answers(second)
            # Hands-free audio is streaming in one tab when the other signs out.
            await second.send(json.dumps({"type": "audio-start", "mode": "vad", "rate": 16000}))
            await second.send(b"\0\0" * 1600)

            out = await asyncio.to_thread(client.delete, "/api/session", headers={"X-CSRF-Token": csrf})
            assert out.status_code == 204

            for ws in (first, second):
                with pytest.raises(ConnectionClosed) as closed:
                    while True:  # frames sent before the close may still be in flight
                        await asyncio.wait_for(ws.recv(), 10)
                assert closed.value.rcvd is not None, "the server did not close the WebSocket"
                assert closed.value.rcvd.code == SIGNED_OUT
                assert closed.value.rcvd.reason == "signed-out"
            # Other sessions and API tokens keep working.
            assert await answers(elsewhere)
            assert await answers(program)
        # The closed session cannot come back on a new WebSocket.
        with pytest.raises(InvalidStatus) as again:
            async with tab(jarvis, cookie):  # type: ignore[attr-defined]
                pass
        assert again.value.response.status_code == 401
        assert other.get("/api/conversations").status_code == 200


def signin_cookie(server: JarvisServer, headers: dict[str, str]) -> str:
    """The Set-Cookie header of a sign-in sent with `headers`."""
    from tests.web import link_token, signin_link

    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/api/session", json={"token": link_token(signin_link(server))}, headers=headers)
        assert response.status_code == 200, response.text
        return response.headers["set-cookie"]


def test_cookie_is_secure_behind_a_trusted_tls_proxy(jarvis: JarvisServer) -> None:
    # Tests reach the server from 127.0.0.1, a trusted proxy by default (server.trusted_proxies).
    assert "secure" in signin_cookie(jarvis, {"X-Forwarded-Proto": "https"}).lower()
    plain = signin_cookie(jarvis, {})
    assert "secure" not in plain.lower() and "httponly" in plain.lower()


def test_forwarded_proto_from_an_untrusted_client_is_ignored_and_secure_can_be_forced(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    untrusting = start_server(
        tmp_path_factory.mktemp("jarvis-untrusted"), JARVIS_SERVER__TRUSTED_PROXIES='["10.9.8.7"]'
    )
    try:
        assert "secure" not in signin_cookie(untrusting, {"X-Forwarded-Proto": "https"}).lower()
    finally:
        untrusting.stop()
    forced = start_server(
        tmp_path_factory.mktemp("jarvis-secure"),
        JARVIS_SERVER__TRUSTED_PROXIES="[]",
        JARVIS_AUTH__COOKIE_SECURE="always",
    )
    try:
        assert "secure" in signin_cookie(forced, {}).lower()
    finally:
        forced.stop()


def test_status_for_the_web_app_without_model_nor_home_assistant(jarvis: JarvisServer) -> None:
    with httpx.Client(base_url=jarvis.url, timeout=30) as anonymous:
        for path in ("/api/home/status", "/api/status"):
            assert anonymous.get(path).status_code == 401, path  # no data without a session
    not_configured = {"configured": False, "status": "not-configured", "detail": "", "version": None, "entities": 0}
    with jarvis.client(timeout=30) as api:
        assert api.get("/api/home/status").json() == not_configured
        # /ready answers 503 while not ready; /api/status says the same with 200 (the page polls it).
        deadline = time.monotonic() + 30
        while True:
            status = api.get("/api/status")
            llm = status.json()["components"]["llm"]
            if llm["failed"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert api.get("/ready").status_code == 503
    assert status.status_code == 200
    body = status.json()
    assert body["ready"] is False and body["home"] == not_configured
    assert llm["ready"] is False and llm["failed"] is True and "jarvis setup" in llm["detail"], llm
    assert body["components"]["database"] == {
        "ready": True,
        "detail": "joignable",
        "required": True,
        "degraded": False,
        "failed": False,
    }


def test_wake_word_availability(jarvis: JarvisServer) -> None:
    with jarvis.client(timeout=60) as api:
        body = api.get("/api/voice/wake-word").json()
    # pyopen-wakeword is a dependency: its hey_jarvis model loads here, as audio-start would load it.
    assert body == {"available": True, "model": "hey_jarvis", "enabled": False, "listen_seconds": 8.0, "detail": ""}
