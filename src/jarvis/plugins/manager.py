"""Loads plugins, keeps their tools in the registry, reloads the plugins folder when a file changes. A plugin that
fails (does not import, a hook that raises or hangs, a tool that hangs) is reported and disabled; Jarvis goes on."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
import time
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import pluggy
import structlog

from jarvis.i18n import t
from jarvis.plugins.hookspecs import PROJECT, JarvisSpec
from jarvis.tools.base import Tool
from jarvis.tools.functions import FunctionTool
from jarvis.tools.registry import ToolRegistry

log = structlog.get_logger(__name__)
ENTRY_POINT_GROUP = "jarvis.plugins"
MODULE_PREFIX = "jarvis_plugin_"
# A hook that takes longer than this to return its tools is treated as hung.
HOOK_TIMEOUT_SECONDS = 5.0


@dataclass
class PluginStatus:
    name: str
    origin: Literal["entry-point", "folder"]
    state: Literal["loaded", "failed", "disabled"] = "loaded"
    error: str | None = None
    tools: list[str] = field(default_factory=list)
    path: str | None = None
    loaded_at: float = field(default_factory=time.time)


def _is_tool(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("name", "description", "parameters", "run", "source", "direct"))


class PluginManager:
    def __init__(
        self,
        registry: ToolRegistry,
        folder: Path | None,
        *,
        entry_points_enabled: bool = True,
        hook_timeout_seconds: float = HOOK_TIMEOUT_SECONDS,
    ) -> None:
        self.registry = registry
        self.hook_timeout_seconds = hook_timeout_seconds
        self.folder = folder
        self.entry_points_enabled = entry_points_enabled
        self.status: dict[str, PluginStatus] = {}
        self._lock = asyncio.Lock()
        self.pm = self._new_manager()
        registry.on_timeout = self.tool_hung

    @staticmethod
    def _new_manager() -> pluggy.PluginManager:
        pm = pluggy.PluginManager(PROJECT)
        pm.add_hookspecs(JarvisSpec)
        return pm

    @staticmethod
    def source(name: str) -> str:
        return f"plugin:{name}"

    async def load_all(self) -> None:
        async with self._lock:
            if self.entry_points_enabled:
                for entry in entry_points(group=ENTRY_POINT_GROUP):
                    status = PluginStatus(entry.name, "entry-point")
                    try:
                        plugin = entry.load()
                    except Exception as exc:
                        self._failed(status, exc)
                        continue
                    await self._register(status, plugin)
            await self._load_folder()

    async def reload_folder(self) -> None:
        """Forget every folder plugin and load the folder again (after a file changed)."""
        async with self._lock:
            for name, status in list(self.status.items()):
                if status.origin == "folder":
                    self._forget(name)
            await self._load_folder()

    async def _load_folder(self) -> None:
        if self.folder is None or not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.py")):
            if path.name.startswith(("_", ".")):
                continue
            status = PluginStatus(path.stem, "folder", path=str(path))
            if path.stem in self.status:
                self._failed(status, f"une extension nommée {path.stem} est déjà chargée")
                continue
            try:
                module = self._import_file(path)
            except BaseException as exc:  # SyntaxError, ImportError, SystemExit from a plugin's top level...
                if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
                    raise
                self._failed(status, exc)
                continue
            await self._register(status, module)

    @staticmethod
    def _import_file(path: Path) -> ModuleType:
        module_name = MODULE_PREFIX + path.stem
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(module_name, None)
            raise
        return module

    async def _register(self, status: PluginStatus, plugin: Any) -> None:
        self.status[status.name] = status
        try:
            self.pm.register(plugin, name=status.name)
        except Exception as exc:  # e.g. a hook with a wrong signature
            self._failed(status, exc)
            return
        tools: list[Tool] = []
        try:
            for impl in self.pm.hook.jarvis_tools.get_hookimpls():
                if impl.plugin_name != status.name:
                    continue
                async with asyncio.timeout(self.hook_timeout_seconds):
                    items: Any = await asyncio.to_thread(impl.function)
                tools.extend(self._as_tool(item, status.name) for item in items or [])
        except TimeoutError:
            self._failed(status, f"le hook jarvis_tools n'a pas répondu en {self.hook_timeout_seconds:g} s")
            return
        except Exception as exc:
            self._failed(status, exc)
            return
        refused = self.registry.set_source(self.source(status.name), tools)
        status.tools = [tool.name for tool in tools if tool.name not in refused]
        if refused:
            status.error = f"noms d'outils déjà pris, ignorés : {', '.join(refused)}"
        log.info("plugin-loaded", plugin=status.name, origin=status.origin, tools=status.tools)

    def _as_tool(self, item: Any, name: str) -> Tool:
        if _is_tool(item):
            tool: Tool = item
            return tool
        if callable(item):
            return FunctionTool(item, source=self.source(name))
        raise TypeError(f"{item!r} n'est ni une fonction ni un outil")

    def _failed(self, status: PluginStatus, error: BaseException | str) -> None:
        detail = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        status.state, status.error, status.tools = "failed", detail, []
        self.status[status.name] = status
        self.registry.remove_source(self.source(status.name))
        if self.pm.get_plugin(status.name) is not None:
            self.pm.unregister(name=status.name)
        log.error("plugin-failed", plugin=status.name, origin=status.origin, error=detail)

    def _forget(self, name: str) -> None:
        self.registry.remove_source(self.source(name))
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self.status.pop(name, None)
        sys.modules.pop(MODULE_PREFIX + name, None)

    def tool_hung(self, source: str) -> None:
        """A plugin tool did not answer in time: disable the plugin until its file changes (or a restart)."""
        if not source.startswith("plugin:"):
            return
        name = source.removeprefix("plugin:")
        status = self.status.get(name)
        if status is None:
            return
        self.registry.remove_source(source)
        status.state, status.error = "disabled", t("plugin-disabled-hang")
        log.error("plugin-disabled", plugin=name, reason="tool-timeout")

    async def watch(self, stop: asyncio.Event) -> None:
        """Reload the folder plugins whenever a file in the folder changes (until `stop` is set)."""
        from watchfiles import awatch

        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        async for changes in awatch(self.folder, stop_event=stop, debounce=300, step=100):
            if any(Path(path).suffix == ".py" for _, path in changes):
                log.info("plugins-changed", files=sorted({Path(p).name for _, p in changes}))
                try:
                    await self.reload_folder()
                except Exception:
                    log.exception("plugins-reload-failed")
