"""PluginManager over a real plugins folder: good, broken and hanging plugins, name clashes, reload."""

from __future__ import annotations

from pathlib import Path

from jarvis.llm.base import ToolCall
from jarvis.plugins.manager import PluginManager
from jarvis.tools.functions import FunctionTool
from jarvis.tools.registry import ToolRegistry

GOOD = '''
from jarvis.plugins import hookimpl

def shout(text: str) -> str:
    """Met le texte en majuscules."""
    return text.upper()

@hookimpl
def jarvis_tools():
    return [shout]
'''


def builtin_now() -> str:
    """Donne l'heure."""
    return "midi"


def write(folder: Path, name: str, source: str) -> None:
    (folder / f"{name}.py").write_text(source)


async def test_folder_plugins_load_fail_and_reload(tmp_path: Path) -> None:
    write(tmp_path, "good", GOOD)
    write(tmp_path, "syntax", "def broken(:\n")
    write(tmp_path, "raises", "from jarvis.plugins import hookimpl\n@hookimpl\ndef jarvis_tools():\n    1 / 0\n")
    write(tmp_path, "hangs", "import time\nfrom jarvis.plugins import hookimpl\n@hookimpl\ndef jarvis_tools():\n"
          "    time.sleep(4)\n    return []\n")  # fmt: skip
    write(
        tmp_path, "notatool", "from jarvis.plugins import hookimpl\n@hookimpl\ndef jarvis_tools():\n    return [42]\n"
    )
    write(tmp_path, "clash", GOOD.replace("shout", "builtin_now"))
    write(tmp_path, "_private", "raise SystemExit(1)\n")  # not a plugin: ignored
    registry = ToolRegistry(timeout_seconds=1)
    registry.set_source("builtin", [FunctionTool(builtin_now)])
    manager = PluginManager(registry, tmp_path, entry_points_enabled=False, hook_timeout_seconds=2.0)
    await manager.load_all()
    status = manager.status
    assert status["good"].state == "loaded" and status["good"].tools == ["shout"]
    assert status["syntax"].state == "failed" and "SyntaxError" in (status["syntax"].error or "")
    assert status["raises"].state == "failed" and "ZeroDivisionError" in (status["raises"].error or "")
    assert status["hangs"].state == "failed" and "2 s" in (status["hangs"].error or "")
    assert status["notatool"].state == "failed" and "42" in (status["notatool"].error or "")
    assert status["clash"].state == "loaded" and status["clash"].tools == []
    assert "builtin_now" in (status["clash"].error or "")
    assert "_private" not in status
    assert [t.name for t in registry.tools()] == ["builtin_now", "shout"]
    outcome = await registry.execute(ToolCall("1", "shout", {"text": "salut"}))
    assert outcome.ok and outcome.content == "SALUT"

    # A hanging tool disables its plugin; a reload of the folder brings it back.
    assert registry.on_timeout is not None
    registry.on_timeout("plugin:good")
    assert status["good"].state == "disabled" and registry.get("shout") is None
    write(tmp_path, "syntax", GOOD.replace("shout", "whisper"))
    await manager.reload_folder()
    assert manager.status["good"].state == "loaded" and registry.get("shout") is not None
    assert manager.status["syntax"].state == "loaded" and registry.get("whisper") is not None
