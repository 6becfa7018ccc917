"""Plugins: packages (entry-point group `jarvis.plugins`) and Python files in data_dir/plugins add tools through
pluggy hooks. Write a plugin with `from jarvis.plugins import hookimpl`."""

from jarvis.plugins.hookspecs import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
