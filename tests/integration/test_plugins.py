"""Plugins against the real server: the example plugin is loaded from the plugins folder, reloaded when its file
changes, and broken plugins (syntax error, raising hook, hanging tool) are reported and disabled while the server
keeps serving."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.servers import ROOT, JarvisServer

pytestmark = pytest.mark.slow
EXAMPLE = ROOT / "examples" / "plugins" / "dice.py"


@pytest.fixture(scope="module")
def plugin_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JarvisServer]:
    data_dir = tmp_path_factory.mktemp("jarvis-plugins")
    (data_dir / "plugins").mkdir()
    shutil.copy(EXAMPLE, data_dir / "plugins" / "dice.py")
    server = JarvisServer(
        data_dir,
        extra_env={
            # The model is not needed here: plugins load without it.
            "JARVIS_LLM__MODEL_PATH": str(data_dir / "absent.gguf"),
            "JARVIS_TOOLS__TIMEOUT_SECONDS": "1.5",
        },
    ).start(wait_ready=False)
    yield server
    server.stop()


def wait_until(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.2)


def plugins(client: httpx.Client) -> dict[str, dict[str, Any]]:
    response = client.get("/api/plugins")
    assert response.status_code == 200
    return {p["name"]: p for p in response.json()["plugins"]}


def tool_names(client: httpx.Client) -> set[str]:
    return {t["name"] for t in client.get("/api/tools").json()["tools"]}


def test_example_plugin_is_loaded_and_callable(plugin_server: JarvisServer) -> None:
    with plugin_server.client() as client:
        wait_until(lambda: plugins(client).get("dice", {}).get("state") == "loaded")
        tools = {t["name"]: t for t in client.get("/api/tools").json()["tools"]}
        assert tools["roll_dice"]["source"] == "plugin:dice"
        assert tools["roll_dice"]["parameters"]["properties"]["sides"]["maximum"] == 1000
        assert {"get_current_datetime", "start_timer", "cancel_timer"} <= set(tools)
        result = client.post("/api/tools/roll_dice/call", json={"count": 2, "sides": 6}).json()
        assert result["ok"] and result["content"].startswith("Les dés donnent")
        bad = client.post("/api/tools/roll_dice/call", json={"sides": 1}).json()
        assert not bad["ok"] and bad["error_code"] == "tool-invalid-arguments"
        missing = client.post("/api/tools/nope/call", json={})
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "tool-unknown"


def test_hot_reload_and_broken_plugins(plugin_server: JarvisServer) -> None:
    folder = plugin_server.data_dir / "plugins"
    with plugin_server.client() as client:
        wait_until(lambda: "roll_dice" in tool_names(client))
        # A new file: its tool appears without a restart.
        (folder / "greet.py").write_text(
            "from jarvis.plugins import hookimpl\n\n"
            "def greet(name: str) -> str:\n"
            '    """Salue quelqu\'un."""\n'
            "    return f'Bonjour {name} !'\n\n"
            "@hookimpl\n"
            "def jarvis_tools():\n"
            "    return [greet]\n"
        )
        wait_until(lambda: "greet" in tool_names(client))
        assert client.post("/api/tools/greet/call", json={"name": "Léa"}).json()["content"] == "Bonjour Léa !"

        # A syntax error: reported and disabled, the other plugins stay.
        (folder / "greet.py").write_text("def greet(:\n")
        status = wait_until(lambda: plugins(client).get("greet", {}).get("state") == "failed" and plugins(client))
        assert "SyntaxError" in status["greet"]["error"]
        assert "greet" not in tool_names(client) and "roll_dice" in tool_names(client)

        # A hook that raises.
        (folder / "raising.py").write_text(
            "from jarvis.plugins import hookimpl\n\n@hookimpl\ndef jarvis_tools():\n    raise RuntimeError('boum')\n"
        )
        status = wait_until(lambda: plugins(client).get("raising", {}).get("state") == "failed" and plugins(client))
        assert "boum" in status["raising"]["error"]

        # A tool that hangs: the call ends at the time limit and the plugin is disabled.
        (folder / "slow.py").write_text(
            "import time\nfrom jarvis.plugins import hookimpl\n\n"
            "def slow_tool() -> str:\n"
            '    """Ne répond jamais."""\n'
            "    time.sleep(60)\n"
            "    return 'trop tard'\n\n"
            "@hookimpl\n"
            "def jarvis_tools():\n"
            "    return [slow_tool]\n"
        )
        wait_until(lambda: "slow_tool" in tool_names(client))
        started = time.monotonic()
        result = client.post("/api/tools/slow_tool/call", json={}).json()
        assert time.monotonic() - started < 10
        assert not result["ok"] and result["error_code"] == "tool-timeout"
        assert plugins(client)["slow"]["state"] == "disabled"
        assert "slow_tool" not in tool_names(client)

        # Fixing a file brings its plugin back; the server served all along.
        shutil.copy(EXAMPLE, folder / "greet.py")  # now a second copy of the dice tool: the name is taken
        (folder / "greet.py").write_text((folder / "greet.py").read_text().replace("roll_dice", "roll_more_dice"))
        wait_until(lambda: "roll_more_dice" in tool_names(client))
        assert plugins(client)["greet"]["state"] == "loaded"
        assert client.get("/health").json() == {"status": "ok"}
