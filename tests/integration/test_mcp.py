"""MCP servers against the real Jarvis server: a real MCP server (official SDK) over stdio and over streamable
HTTP, a server that is down and one that hangs; Jarvis reports each and keeps serving."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.servers import ARTIFACTS, ROOT, JarvisServer, free_port, wait_http

pytestmark = pytest.mark.slow
MCP_SERVER = ROOT / "tests" / "mcp_server.py"


@pytest.fixture(scope="module")
def mcp_http() -> Iterator[int]:
    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"mcp-server-{port}.log").open("ab")
    process = subprocess.Popen([sys.executable, str(MCP_SERVER), "http", str(port)], stdout=log, stderr=log)
    # Any HTTP answer (405/406 without the MCP headers) means it listens.
    wait_http(f"http://127.0.0.1:{port}/mcp", timeout=60, expect=(200, 400, 405, 406), process=process)
    yield port
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a hanging MCP server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def mcp_jarvis(tmp_path_factory: pytest.TempPathFactory, mcp_http: int, silent_port: int) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-mcp")
    servers = [
        {"name": "local", "transport": "stdio", "command": sys.executable, "args": [str(MCP_SERVER), "stdio"]},
        {"name": "web", "transport": "http", "url": f"http://127.0.0.1:{mcp_http}/mcp", "tool_prefix": "web_"},
        {"name": "down", "transport": "http", "url": f"http://127.0.0.1:{free_port()}/mcp"},
        {
            "name": "hangs",
            "transport": "http",
            "url": f"http://127.0.0.1:{silent_port}/mcp",
            "connect_timeout_seconds": 3,
            "tool_prefix": "h_",
        },
    ]
    server = JarvisServer(
        data_dir,
        extra_env={
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_MCP__SERVERS": json.dumps(servers),
            "JARVIS_TOOLS__TIMEOUT_SECONDS": "3",
        },
    ).start(wait_ready=False)
    yield server
    server.stop()


def wait_until(check: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in time (last: {value!r})")
        time.sleep(0.3)


def test_mcp_servers_over_stdio_and_http(mcp_jarvis: JarvisServer) -> None:
    with mcp_jarvis.client() as client:

        def settled() -> dict[str, dict[str, Any]] | None:
            servers = {s["name"]: s for s in client.get("/api/mcp").json()["servers"]}
            return None if any(s["state"] == "connecting" for s in servers.values()) else servers

        servers = wait_until(settled)
        assert servers["local"]["state"] == "connected"
        assert set(servers["local"]["tools"]) == {"add_numbers", "wait_forever", "broken"}
        assert servers["web"]["state"] == "connected" and "web_add_numbers" in servers["web"]["tools"]
        assert servers["down"]["state"] == "failed" and servers["down"]["error"]
        assert servers["hangs"]["state"] == "failed" and "à temps" in servers["hangs"]["error"]

        tools = {t["name"]: t for t in client.get("/api/tools").json()["tools"]}
        assert tools["add_numbers"]["source"] == "mcp:local"
        assert tools["add_numbers"]["parameters"]["required"] == ["a", "b"]
        assert tools["web_add_numbers"]["source"] == "mcp:web"

        for name in ("add_numbers", "web_add_numbers"):
            result = client.post(f"/api/tools/{name}/call", json={"a": 2, "b": 3}).json()
            assert result == {**result, "ok": True, "content": "La somme vaut 5."}
        broken = client.post("/api/tools/broken/call", json={}).json()
        assert not broken["ok"] and broken["error_code"] == "tool-failed"
        started = time.monotonic()
        hung = client.post("/api/tools/web_wait_forever/call", json={}).json()
        assert time.monotonic() - started < 10
        assert not hung["ok"] and hung["error_code"] == "tool-timeout"
        # The session survives a call that was abandoned; the server kept serving.
        assert client.post("/api/tools/web_add_numbers/call", json={"a": 1, "b": 1}).json()["ok"]
        assert client.get("/health").json() == {"status": "ok"}
