"""The `jarvis` command line: wiring only."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from jarvis.bench.cli import bench_app
from jarvis.cli_common import (
    ConfigOption,
    ConversationOption,
    TokenOption,
    UrlOption,
    api_client,
    byte_progress,
    console,
    err,
    fail,
    settings_or_exit,
)
from jarvis.cli_memory import memory_app, profile_app
from jarvis.cli_store import backup, check_store, keys_app, restore
from jarvis.cli_timer import timer_app
from jarvis.cli_token import token_app
from jarvis.config import Settings
from jarvis.errors import JarvisError
from jarvis.i18n import t

app = typer.Typer(help="Jarvis, l'assistant vocal privé de la maison.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(bench_app, name="bench")
app.add_typer(memory_app, name="memory")
app.add_typer(profile_app, name="profile")
app.add_typer(keys_app, name="keys")
app.command()(backup)
app.command()(restore)
app.add_typer(timer_app, name="timer")


@app.command()
def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Adresse d'écoute (défaut 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (défaut 8000).")] = None,
) -> None:
    """Démarrer le serveur (API REST, WebSocket, compatible OpenAI)."""
    settings = settings_or_exit(config)
    server = settings.server.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v})
    settings = settings.model_copy(update={"server": server})
    if not server.is_loopback and not settings.auth.enabled:
        raise fail(
            f"Refus d'écouter sur {server.host} sans authentification : activez auth.enabled "
            "(JARVIS_AUTH__ENABLED=true) ou écoutez sur 127.0.0.1.",
            2,
        )
    check_store(settings)
    import uvicorn

    from jarvis.app import create_app

    err.print(f"Jarvis écoute sur [bold]http://{server.host}:{server.port}[/] (documentation : /docs).")
    err.print("Créez un jeton d'API avec [bold]jarvis token create --name NOM[/] ; le CLI a le sien.")
    _print_signin_link(settings, "Application web (lien de connexion à usage unique)")
    uvicorn.run(
        create_app(settings),
        host=server.host,
        port=server.port,
        log_config=None,
        timeout_graceful_shutdown=5,
        ws_max_size=settings.server.max_body_bytes,
        proxy_headers=bool(server.trusted_proxies),
        forwarded_allow_ips=server.trusted_proxies or None,
    )


def _print_signin_link(settings: Settings, label: str) -> None:
    from datetime import timedelta

    from jarvis.store.web_sessions import browser_host, new_signin_url

    server = settings.server
    if not settings.auth.enabled:
        print(f"{label} : http://{browser_host(server.host)}:{server.port}/", file=sys.stderr, flush=True)
        return
    ttl = timedelta(minutes=settings.auth.signin_link_minutes)
    try:
        url = asyncio.run(new_signin_url(settings.database_url, server.host, server.port, ttl))
    except JarvisError as exc:
        raise fail(exc.message) from exc
    # Plain print: the link must never be wrapped or styled (it is copied or clicked as is).
    print(f"{label}, valable {settings.auth.signin_link_minutes:g} min :\n    {url}", file=sys.stderr, flush=True)


@app.command("signin-link")
def signin_link(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Adresse du serveur dans le lien (défaut : server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port du serveur dans le lien (défaut : server.port).")] = None,
) -> None:
    """Créer un nouveau lien de connexion à usage unique pour l'application web."""
    settings = settings_or_exit(config)
    server = settings.server.model_copy(update={k: v for k, v in {"host": host, "port": port}.items() if v})
    _print_signin_link(settings.model_copy(update={"server": server}), "Lien de connexion à usage unique")


@app.command()
def setup(
    config: ConfigOption = None,
    force: Annotated[bool, typer.Option("--force", help="Réassembler même si le fichier est vérifié.")] = False,
) -> None:
    """Préparer les modèles dans data_dir/models depuis les paquets installés (vérifiés par SHA-256)."""
    from jarvis.models.catalog import CATALOG
    from jarvis.models.prepare import assemble, status

    settings = settings_or_exit(config)
    for spec in CATALOG.values():
        state = status(spec, settings.models_dir)
        if state.verified and not force:
            console.print(f"[green]✓[/] {spec.name} déjà prêt : {state.path}")
            continue
        try:
            with byte_progress() as progress:
                task = progress.add_task(f"Assemblage de {spec.name}", total=spec.size_bytes)
                path = assemble(spec, settings.models_dir, partial(progress.advance, task), force=force)
        except JarvisError as exc:
            raise fail(exc.message) from exc
        console.print(f"[green]✓[/] {spec.name} prêt et vérifié : {path}")


@app.command()
def doctor(config: ConfigOption = None) -> None:
    """Vérifier chaque moteur et modèle : présent, somme de contrôle, chargement, vitesse."""
    from jarvis import doctor as checks

    settings = settings_or_exit(config)
    results = []
    with byte_progress() as progress:

        def bar(name: str, total: int) -> Callable[[int], None]:
            task = progress.add_task(f"Vérification de {name}", total=total)
            return lambda n: progress.advance(task, n)

        results.extend(checks.check_models(settings, bar))
    results.append(asyncio.run(checks.check_database(settings)))
    with console.status("Chargement du modèle de langage et essai…"):
        results.append(asyncio.run(checks.check_llm(settings)))
    with console.status("Essai de la voix et de la reconnaissance vocale…"):
        results.extend(asyncio.run(checks.check_speech(settings)))
    results.append(checks.check_wake_word(settings))
    table = Table("", "Élément", "Détail", title=f"Jarvis — données : {settings.data_dir}")
    for check in results:
        mark = "[red]✗[/]" if not check.ok else "[yellow]⚠[/]" if check.warning else "[green]✓[/]"
        table.add_row(mark, check.name, check.detail)
    console.print(table)
    if not all(c.ok for c in results):
        raise typer.Exit(1)


def _wait_for_the_model(client: Any, timeout_seconds: float = 300.0) -> None:
    """Right after `jarvis serve` starts, its language model is still loading: wait for it (with a spinner) rather
    than send a first question that would time out."""
    detail = client.model_loading()
    if detail is None:
        return
    deadline = time.monotonic() + timeout_seconds
    with err.status(f"Jarvis se prépare ({detail})…") as status:
        while detail is not None and time.monotonic() < deadline:
            time.sleep(0.5)
            detail = client.model_loading()
            if detail is not None:
                status.update(f"Jarvis se prépare ({detail})…")


def _print_turn(client: Any, message: str, conversation_id: str | None) -> tuple[str | None, bool]:
    """Stream one turn to the terminal; returns the conversation id and whether the turn completed."""
    completed = False
    for event in client.chat_stream(message, conversation_id):
        kind = event["type"]
        if kind == "run-start":
            conversation_id = event["conversation_id"]
        elif kind == "llm-delta":
            console.print(event["text"], end="", markup=False, highlight=False)
        elif kind == "error":
            console.print()
            err.print(f"[bold red]Erreur ({escape(event['code'])}) :[/] {escape(event['message'])}")
        elif kind == "run-end":
            console.print()
            completed = event["status"] == "complete"
    return conversation_id, completed


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="La question ou la demande.")],
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    conversation: ConversationOption = None,
) -> None:
    """Poser une question à Jarvis et afficher la réponse au fil de l'eau."""
    settings = settings_or_exit(config)
    try:
        client = api_client(settings, url, token)
        _wait_for_the_model(client)
        _, completed = _print_turn(client, message, conversation)
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc
    if not completed:
        raise typer.Exit(3)


@app.command()
def chat(
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    conversation: ConversationOption = None,
) -> None:
    """Discuter avec Jarvis dans le terminal (Ctrl-D ou /quit pour sortir)."""
    settings = settings_or_exit(config)
    client = api_client(settings, url, token)
    try:
        _wait_for_the_model(client)
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc
    console.print("[dim]Parlez à Jarvis. /new : nouvelle conversation, /quit : quitter.[/]")
    while True:
        try:
            line = console.input("[bold cyan]vous ›[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if line in ("/quit", "/exit"):
            return
        if line == "/new":
            conversation = None
            continue
        if not line:
            continue
        console.print("[bold magenta]jarvis ›[/] ", end="")
        try:
            conversation, _ = _print_turn(client, line, conversation)
        except JarvisError as exc:
            console.print()
            err.print(f"[bold red]Erreur ({escape(exc.code)}) :[/] {escape(exc.message)}")
            if exc.code == "server-unreachable":
                raise typer.Exit(3) from exc
        except KeyboardInterrupt:
            console.print("\n[dim](interrompu)[/]")


@app.command()
def transcribe(
    file: Annotated[
        Path, typer.Argument(help="Fichier audio (WAV, OGG/Opus, WebM, MP3, FLAC).", exists=True, dir_okay=False)
    ],
    config: ConfigOption = None,
    language: Annotated[str | None, typer.Option("--language", "-l", help="Langue parlée (défaut : réglages).")] = None,
) -> None:
    """Transcrire un fichier audio (sur cette machine, sans serveur)."""
    from jarvis.audio.formats import decode_audio
    from jarvis.engines import build_speech_check, build_transcriber

    settings = settings_or_exit(config)
    transcriber = build_transcriber(settings)

    async def run() -> Any:
        try:
            audio = decode_audio(file.read_bytes(), max_seconds=settings.stt.max_audio_seconds)
            if not build_speech_check(settings)(audio):
                return None
            await transcriber.load()
            return await transcriber.transcribe(
                audio,
                language=language or settings.stt.language or settings.chat.language,
                hotwords=settings.stt.hotwords,
            )
        finally:
            await transcriber.close()

    try:
        transcript = asyncio.run(run())
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc
    if transcript is None or transcript.no_speech:
        err.print("[yellow]Aucune parole détectée.[/]")
        raise typer.Exit(4)
    print(transcript.text)


@app.command()
def say(
    text: Annotated[str, typer.Argument(help="Le texte à dire.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Fichier WAV à écrire.")],
    config: ConfigOption = None,
    voice: Annotated[str | None, typer.Option("--voice", help="Voix ou mélange (ff_siwis:0.7,em_alex:0.3).")] = None,
    speed: Annotated[float | None, typer.Option("--speed", min=0.5, max=2.0, help="Vitesse (1 = normale).")] = None,
) -> None:
    """Dire un texte dans un fichier WAV (sur cette machine, sans serveur)."""
    from jarvis.audio.formats import encode_wav
    from jarvis.engines import build_synthesizer

    settings = settings_or_exit(config)
    synthesizer = build_synthesizer(settings)

    async def run() -> Any:
        try:
            await synthesizer.load()
            return await synthesizer.synthesize(
                text, voice=voice or settings.tts.voice, speed=speed or settings.tts.speed
            )
        finally:
            await synthesizer.close()

    try:
        speech = asyncio.run(run())
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc
    output.write_bytes(encode_wav(speech.samples, speech.sample_rate))
    err.print(f"{output} : {speech.duration_seconds:.1f} s à {speech.sample_rate} Hz.")


@app.command()
def talk(
    input_file: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="Ce que vous dites (fichier audio).", exists=True, dir_okay=False),
    ] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Où écrire la réponse parlée (WAV).")] = None,
    config: ConfigOption = None,
    url: UrlOption = None,
    token: TokenOption = None,
    conversation: ConversationOption = None,
) -> None:
    """Parler à Jarvis : au micro en direct (sans option), ou un tour depuis un fichier (--input et --output)."""
    from urllib.parse import unquote

    settings = settings_or_exit(config)
    if (input_file is None) != (output is None):
        raise fail(t("talk-both-files"), 2)
    if input_file is None or output is None:
        _talk_live(settings, url, token, conversation)
        return
    try:
        response = api_client(settings, url, token).voice_turn(input_file.read_bytes(), conversation)
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc
    output.write_bytes(response.content)
    console.print(f"[bold cyan]vous ›[/] {escape(unquote(response.headers.get('x-jarvis-transcript', '')))}")
    console.print(f"[bold magenta]jarvis ›[/] {escape(unquote(response.headers.get('x-jarvis-reply', '')))}")
    err.print(f"Réponse parlée : {output} (conversation {response.headers.get('x-jarvis-conversation-id')})")


def _talk_live(settings: Settings, url: str | None, token: str | None, conversation: str | None) -> None:
    """The microphone, live: exit code 4 when this machine has no sound device."""
    from urllib.parse import unquote

    from jarvis import mic

    try:
        sound = mic.open_sound()
    except mic.NoAudioDeviceError as exc:
        raise fail(exc.message, 4) from exc
    client = api_client(settings, url, token)
    state = {"conversation": conversation}

    def turn(wav: bytes) -> tuple[bytes, str, str] | None:
        try:
            response = client.voice_turn(wav, state["conversation"])
        except JarvisError as exc:
            if exc.code == "no-speech":  # a noise the VAD took for speech: keep listening
                return None
            raise
        headers = response.headers
        state["conversation"] = headers.get("x-jarvis-conversation-id")
        transcript, reply = unquote(headers.get("x-jarvis-transcript", "")), unquote(headers.get("x-jarvis-reply", ""))
        return response.content, transcript, reply

    def show(transcript: str, reply: str) -> None:
        console.print(f"[bold cyan]vous ›[/] {escape(transcript)}")
        console.print(f"[bold magenta]jarvis ›[/] {escape(reply)}")

    err.print(t("talk-listening"))
    try:
        mic.live(settings, turn, show, sound)
    except KeyboardInterrupt:
        return
    except JarvisError as exc:
        raise fail(f"{exc.message} [{exc.code}]", 3) from exc


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
