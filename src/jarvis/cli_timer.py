"""`jarvis timer …`: the running server's timers and reminders, through its API."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from jarvis.cli_common import ConfigOption, TokenOption, UrlOption, api_client, console, fail, settings_or_exit
from jarvis.errors import JarvisError

timer_app = typer.Typer(help="Minuteurs et rappels (ceux du serveur en marche).", no_args_is_help=True)


def _timer_call(config: Path | None, url: str | None, token: str | None, method: str, path: str, **kw: Any) -> Any:
    settings = settings_or_exit(config)
    try:
        return api_client(settings, url, token).request(method, path, **kw).json()
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3 if exc.code.startswith("server-") else 1) from exc


def _print_timers(timers: list[dict[str, Any]]) -> None:
    from jarvis.timers.durations import say_duration

    if not timers:
        console.print("Aucun minuteur en cours.")
        return
    table = Table("Id", "Type", "Nom", "Durée", "Reste", "Fin", "État")
    for timer in timers:
        table.add_row(
            timer["id"][:8],
            "rappel" if timer["kind"] == "reminder" else "minuteur",
            escape(timer["label"]),
            say_duration(timer["duration_seconds"]),
            say_duration(timer["remaining_seconds"]) if timer["status"] == "active" else "—",
            timer["due_at"][:19].replace("T", " "),
            timer["status"],
        )
    console.print(table)


@timer_app.command("list")
def timer_list(
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    all_: Annotated[bool, typer.Option("--all", help="Aussi les minuteurs terminés ou annulés récents.")] = False,
) -> None:
    """Lister les minuteurs et rappels en cours."""
    body = _timer_call(config, url, token, "GET", "/api/timers", params={"all": all_})
    _print_timers(body["timers"])


@timer_app.command("start")
def timer_start(
    duration: Annotated[str, typer.Argument(help="Durée : 90, 90s, 5m, 1h30, 00:05:00.")],
    label: Annotated[str, typer.Argument(help="Nom du minuteur (facultatif).")] = "",
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Lancer un minuteur ; le serveur l'annonce à chaque session ouverte quand il se termine."""
    from jarvis.timers.durations import parse_duration

    try:
        seconds = parse_duration(duration)
    except JarvisError as exc:
        raise fail(exc.message, 2) from exc
    timer = _timer_call(config, url, token, "POST", "/api/timers", json={"duration_seconds": seconds, "label": label})
    _print_timers([timer])


@timer_app.command("cancel")
def timer_cancel(
    timer: Annotated[str, typer.Argument(help="Id (ou son début, 8 caractères) ou nom du minuteur.")],
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Annuler un minuteur en cours (par id ou par nom)."""
    active = _timer_call(config, url, token, "GET", "/api/timers")["timers"]
    matches = [t for t in active if t["id"].startswith(timer) or t["label"].casefold() == timer.casefold()]
    if not matches:
        raise fail(f"Aucun minuteur en cours ne correspond à « {timer} ». Voyez « jarvis timer list ».")
    if len(matches) > 1:
        raise fail(f"Plusieurs minuteurs correspondent à « {timer} » : donnez l'id (jarvis timer list).")
    cancelled = _timer_call(config, url, token, "DELETE", f"/api/timers/{matches[0]['id']}")
    console.print(f"Minuteur annulé : {escape(cancelled['label'] or cancelled['id'][:8])}")
