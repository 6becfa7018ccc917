"""What every `jarvis` command shares: consoles, common options, settings loading, error exit, progress bars."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn

from jarvis.config import Settings, load_settings
from jarvis.errors import JarvisError

console = Console()
err = Console(stderr=True)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="Fichier YAML de réglages (sinon JARVIS_CONFIG_FILE).")
]
ConversationOption = Annotated[str | None, typer.Option("--conversation", help="Poursuivre cette conversation.")]
UrlOption = Annotated[str | None, typer.Option("--url", help="Adresse du serveur (défaut : réglages server.*).")]
TokenOption = Annotated[
    str | None,
    typer.Option("--token", help="Jeton d'API (défaut : JARVIS_TOKEN, sinon le jeton local du CLI)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]Erreur :[/] {escape(message)}")
    return typer.Exit(code)


def settings_or_exit(config: Path | None, **overrides: Any) -> Settings:
    try:
        settings = load_settings(config, **overrides)
    except JarvisError as exc:
        raise fail(exc.message, 2) from exc
    from jarvis.logging import configure_logging

    configure_logging(settings.log)
    return settings


def api_client(settings: Settings, url: str | None, token: str | None) -> Any:
    """A client of the running server (`--url`, or the address from the settings)."""
    from jarvis.client import ApiClient, default_url, resolve_token

    return ApiClient(url or default_url(settings), resolve_token(settings, token))


def byte_progress() -> Progress:
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
    )
