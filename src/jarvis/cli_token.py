"""`jarvis token …`: API access tokens, straight in the database (the server need not run)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table

from jarvis.cli_common import ConfigOption, console, err, fail, settings_or_exit
from jarvis.config import Settings
from jarvis.errors import JarvisError

token_app = typer.Typer(help="Gérer les jetons d'accès à l'API.", no_args_is_help=True)


def _tokens(settings: Settings) -> Any:
    from jarvis.store.db import Database
    from jarvis.store.tokens import TokenRepository

    return TokenRepository(Database(settings.database_url))


async def _with_tokens(settings: Settings, action: Callable[[Any], Any]) -> Any:
    repo = _tokens(settings)
    try:
        await repo.db.migrate()
        return await action(repo)
    finally:
        await repo.db.close()


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", "-n", help="Nom du jeton (qui ou quoi l'utilise).")],
    config: ConfigOption = None,
) -> None:
    """Créer un jeton : il n'est affiché qu'une fois (seule son empreinte est gardée)."""
    settings = settings_or_exit(config)
    try:
        _, secret = asyncio.run(_with_tokens(settings, lambda repo: repo.create(name)))
    except JarvisError as exc:
        raise fail(exc.message) from exc
    err.print(f"Jeton « {name} » créé. Gardez-le : il ne sera plus affiché.")
    print(secret)


@token_app.command("list")
def token_list(config: ConfigOption = None) -> None:
    """Lister les jetons (sans leur secret)."""
    settings = settings_or_exit(config)
    tokens = asyncio.run(_with_tokens(settings, lambda repo: repo.list_all()))
    table = Table("Nom", "Id", "Créé", "Dernier usage", "État")
    for tok in tokens:
        table.add_row(
            tok.name,
            tok.id,
            f"{tok.created_at:%Y-%m-%d %H:%M}",
            f"{tok.last_used_at:%Y-%m-%d %H:%M}" if tok.last_used_at else "—",
            "[red]révoqué[/]" if tok.revoked_at else "[green]actif[/]",
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: Annotated[str, typer.Argument(help="Nom ou id du jeton.")], config: ConfigOption = None) -> None:
    """Révoquer un jeton : il est refusé dès la requête suivante."""
    settings = settings_or_exit(config)
    try:
        asyncio.run(_with_tokens(settings, lambda repo: repo.revoke(name)))
    except JarvisError as exc:
        raise fail(exc.message) from exc
    console.print(f"Jeton « {name} » révoqué.")
