"""`jarvis memory …` and `jarvis profile …`: what Jarvis remembers, through the running server's API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.markup import escape
from rich.table import Table

from jarvis.cli_common import ConfigOption, TokenOption, UrlOption, api_client, console, fail, settings_or_exit
from jarvis.errors import JarvisError
from jarvis.memory.items import KINDS, PROFILE_KEYS, RETENTIONS
from jarvis.memory.parquet import MAGIC as PARQUET_MAGIC
from jarvis.memory.parquet import jsonl_to_parquet, parquet_to_jsonl

memory_app = typer.Typer(help="Voir et gérer ce dont Jarvis se souvient.", no_args_is_help=True)
profile_app = typer.Typer(help="Voir et modifier le profil du foyer.", no_args_is_help=True)


def _api(config: Path | None, url: str | None, token: str | None) -> Any:
    return api_client(settings_or_exit(config), url, token)


def _call(client: Any, method: str, path: str, **kwargs: Any) -> Any:
    try:
        return client.request(method, path, **kwargs)
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc


def _table(memories: list[dict[str, Any]], title: str, with_score: bool = False) -> Table:
    table = Table(title=title)
    table.add_column("id", no_wrap=True)
    for name in ("Souvenir", "Type", "Conservation", "Modifié"):
        table.add_column(name)
    if with_score:
        table.add_column("Score")
    for m in memories:
        row = [m["id"], escape(m["text"]), m["kind"], m["retention"], m["updated_at"][:16].replace("T", " ")]
        if with_score:
            row.append(f"{m['score']:.2f}")
        table.add_row(*row)
    return table


@memory_app.command("list")
def memory_list(
    kind: Annotated[str | None, typer.Option(help=f"Seulement ce type ({', '.join(KINDS)}).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="Nombre maximum de souvenirs.")] = 100,
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Lister les souvenirs, les plus récents d'abord."""
    params: dict[str, Any] = {"limit": limit}
    if kind:
        params["kind"] = kind
    body = _call(_api(config, url, token), "GET", "/api/memories", params=params).json()
    console.print(_table(body["memories"], f"{body['total']} souvenir(s)"))


@memory_app.command("search")
def memory_search(
    query: Annotated[str, typer.Argument(help="Ce que vous cherchez (sens et mots).")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Chercher dans les souvenirs, les plus pertinents d'abord."""
    body = _call(_api(config, url, token), "GET", "/api/memories", params={"q": query, "limit": limit}).json()
    if not body["memories"]:
        console.print("Aucun souvenir ne correspond.")
        return
    console.print(_table(body["memories"], f"Recherche : {escape(query)}", with_score=True))


@memory_app.command("add")
def memory_add(
    text: Annotated[str, typer.Argument(help="Ce dont Jarvis doit se souvenir.")],
    kind: Annotated[str, typer.Option(help=f"Type : {', '.join(KINDS)}.")] = "fact",
    retention: Annotated[str, typer.Option(help=f"Conservation : {', '.join(RETENTIONS)} (normal = 1 an).")] = "normal",
    subject: Annotated[str, typer.Option(help="De qui il s'agit (vide : vous).")] = "",
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Ajouter un souvenir."""
    body = {"text": text, "kind": kind, "retention": retention, "subject": subject}
    response = _call(_api(config, url, token), "POST", "/api/memories", json=body)
    memory = response.json()
    verb = "Ajouté" if response.status_code == 201 else "Déjà connu (rafraîchi)"
    console.print(f"{verb} : {escape(memory['text'])} [dim]({memory['id']})[/]")


@memory_app.command("forget")
def memory_forget(
    memory_id: Annotated[str, typer.Argument(help="L'id du souvenir (voir « jarvis memory list »).")],
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Oublier un souvenir (suppression définitive)."""
    _call(_api(config, url, token), "DELETE", f"/api/memories/{memory_id}")
    console.print(f"Oublié : {memory_id}")


@memory_app.command("export")
def memory_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Fichier de sortie (défaut : la sortie standard).")
    ] = None,
    file_format: Annotated[
        Literal["jsonl", "parquet"] | None,
        typer.Option("--format", "-f", help="jsonl ou parquet (défaut : d'après l'extension, sinon jsonl)."),
    ] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Exporter tous les souvenirs en JSON Lines, ou en Parquet (option pyarrow)."""
    chosen = file_format or ("parquet" if output is not None and output.suffix == ".parquet" else "jsonl")
    if chosen == "parquet" and output is None:
        raise fail("Le format Parquet est binaire : donnez un fichier avec --output.", 2)
    text = _call(_api(config, url, token), "GET", "/api/memories/export").text
    count = len(text.splitlines())
    if output is None:
        sys.stdout.write(text)
        return
    if chosen == "parquet":
        try:
            output.write_bytes(jsonl_to_parquet(text))
        except JarvisError as exc:
            raise fail(exc.message, 2) from exc
    else:
        output.write_text(text, encoding="utf-8")
    console.print(f"{count} souvenir(s) exporté(s) dans {output}")


@memory_app.command("import")
def memory_import(
    source: Annotated[Path, typer.Argument(help="Fichier JSONL ou Parquet écrit par « jarvis memory export ».")],
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Importer des souvenirs (tout ou rien : une ligne invalide et rien n'est importé)."""
    if not source.is_file():
        raise fail(f"Fichier introuvable : {source}", 2)
    data = source.read_bytes()
    if data.startswith(PARQUET_MAGIC):
        try:
            data = parquet_to_jsonl(data).encode("utf-8")
        except JarvisError as exc:
            raise fail(exc.message, 2) from exc
    body = _call(
        _api(config, url, token),
        "POST",
        "/api/memories/import",
        content=data,
        headers={"Content-Type": "application/x-ndjson"},
    ).json()
    console.print(f"{body['imported']} souvenir(s) importé(s).")


@profile_app.command("show")
def profile_show(config: ConfigOption = None, url: UrlOption = None, token: TokenOption = None) -> None:
    """Afficher le profil du foyer."""
    profile = _call(_api(config, url, token), "GET", "/api/profile").json()
    table = Table("Champ", "Valeur", title="Profil")
    for key in PROFILE_KEYS:
        table.add_row(key, escape(profile.get(key) or "—"))
    console.print(table)


@profile_app.command("set")
def profile_set(
    fields: Annotated[
        list[str], typer.Argument(help=f"CHAMP=VALEUR (champs : {', '.join(PROFILE_KEYS)}); vide : efface.")
    ],
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
) -> None:
    """Modifier le profil, par exemple : jarvis profile set name=Alice city=Lyon."""
    values: dict[str, str] = {}
    for field in fields:
        key, sep, value = field.partition("=")
        if not sep:
            raise fail(f"« {field} » : écrivez CHAMP=VALEUR, par exemple city=Lyon.", 2)
        if key not in PROFILE_KEYS:
            raise fail(f"Champ inconnu : {key}. Champs possibles : {', '.join(PROFILE_KEYS)}.", 2)
        values[key] = value
    _call(_api(config, url, token), "PATCH", "/api/profile", json=values)
    profile_show(config, url, token)
