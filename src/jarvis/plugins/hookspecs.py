"""The hooks a plugin may implement."""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "jarvis"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class JarvisSpec:
    @hookspec
    def jarvis_tools(self) -> list[Any]:  # type: ignore[empty-body]
        """Tools to offer the assistant: typed Python functions with docstrings (sync or async; the JSON schema
        comes from the signature) or objects implementing jarvis.tools.base.Tool."""
