"""Pure parts of the web sign-in: which paths are public, same-origin checks, cookie parsing, frame options."""

from __future__ import annotations

from typing import Any

import pytest

from jarvis.api.audio_input import speech_speed
from jarvis.api.auth import is_public, is_session_probe, same_origin, session_cookie
from jarvis.store.web_sessions import browser_host


def scope(path: str = "/", method: str = "GET", kind: str = "http", **headers: str) -> dict[str, Any]:
    return {
        "type": kind,
        "path": path,
        "method": method,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }


@pytest.mark.parametrize(
    ("path", "method", "public"),
    [
        ("/", "GET", True),
        ("/assets/index-abc.js", "GET", True),
        ("/favicon.svg", "GET", True),
        ("/health", "GET", True),
        ("/api/session", "POST", True),  # the sign-in itself
        ("/api/session", "DELETE", False),
        ("/api/conversations", "GET", False),
        ("/ws", "GET", False),
        ("/assetsx", "GET", False),
        ("/docs", "GET", False),
    ],
)
def test_public_paths(path: str, method: str, public: bool) -> None:
    assert is_public(scope(path, method)) is public


def test_only_get_session_is_the_probe() -> None:
    assert is_session_probe(scope("/api/session"))
    assert not is_session_probe(scope("/api/session", "DELETE"))
    assert not is_session_probe(scope("/api/conversations"))
    assert not is_session_probe(scope("/api/session", kind="websocket"))


@pytest.mark.parametrize(
    ("origin", "host", "same"),
    [
        ("http://127.0.0.1:8000", "127.0.0.1:8000", True),
        ("https://jarvis.local", "JARVIS.local", True),
        ("http://127.0.0.1:8001", "127.0.0.1:8000", False),
        ("http://evil.example", "127.0.0.1:8000", False),
        ("null", "127.0.0.1:8000", False),
        (None, "127.0.0.1:8000", False),
    ],
)
def test_same_origin(origin: str | None, host: str, same: bool) -> None:
    headers = {"host": host, **({"origin": origin} if origin is not None else {})}
    assert same_origin(scope(**headers)) is same


def test_session_cookie_is_read_among_others() -> None:
    assert session_cookie(scope(cookie="a=1; jarvis_session=jvs_abc; b=2")) == "jvs_abc"
    assert session_cookie(scope(cookie="a=1")) is None
    assert session_cookie(scope(cookie="jarvis_session=")) is None
    assert session_cookie(scope()) is None


@pytest.mark.parametrize(
    ("frame", "speed"),
    [({"speed": 1.2}, 1.2), ({"speed": 2}, 2.0), ({"speed": 0.4}, None), ({"speed": True}, None), ({}, None)],
)
def test_speech_speed(frame: dict[str, Any], speed: float | None) -> None:
    assert speech_speed(frame) == speed


def test_browser_host() -> None:
    assert browser_host("0.0.0.0") == "127.0.0.1"
    assert browser_host("192.168.1.5") == "192.168.1.5"
    assert browser_host("::1") == "[::1]"
