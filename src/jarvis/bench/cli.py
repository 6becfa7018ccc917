"""`jarvis bench …`: the benchmark commands (results as JSON in bench/results/ and a table)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from jarvis.cli_common import ConfigOption, console, fail, settings_or_exit
from jarvis.errors import JarvisError

bench_app = typer.Typer(help="Mesurer la vitesse (résultats JSON).", no_args_is_help=True)


def _write(results: dict[str, Any], output: Path | None, name: str) -> Path:
    output = output or Path("bench/results") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return output


@bench_app.command("llm")
def bench_llm(
    config: ConfigOption = None,
    runs: Annotated[int, typer.Option(min=1, help="Mesures par indicateur (médiane).")] = 5,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier JSON de résultats.")] = None,
) -> None:
    """Temps jusqu'au premier jeton (à froid, à chaud) et débit via Jarvis comparé à llama-cpp-python brut."""
    from jarvis.bench.llm import run_llm_bench

    settings = settings_or_exit(config)
    with console.status("Mesure…") as status:
        try:
            results = asyncio.run(run_llm_bench(settings, runs, lambda step: status.update(f"Mesure : {step}")))
        except (JarvisError, ValueError) as exc:
            raise fail(getattr(exc, "message", str(exc))) from exc
    output = _write(results, output, "llm")
    table = Table("Indicateur", "Médiane", "Min", "Max", title=f"jarvis bench llm ({runs} mesures)")
    for key, value in results.items():
        if isinstance(value, dict) and "median" in value:
            table.add_row(key, str(value["median"]), str(value["min"]), str(value["max"]))
    table.add_row("throughput_ratio", str(results["throughput_ratio"]), "", "")
    console.print(table)
    console.print(f"Résultats : {output}")


@bench_app.command("voice")
def bench_voice(
    config: ConfigOption = None,
    corpus: Annotated[
        Path | None,
        typer.Option(
            "--corpus",
            help="Dossier avec manifest.tsv (défaut : JARVIS_SPEECH_DIR ou ../shared/speech).",
            file_okay=False,
        ),
    ] = None,
    language: Annotated[str, typer.Option("--language", "-l", help="Langue des enregistrements à prendre.")] = "fr",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Au plus ce nombre d'enregistrements.")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier JSON de résultats.")] = None,
) -> None:
    """Enregistrements réels à travers la chaîne vocale, comparée à une chaîne naïve séquentielle."""
    from jarvis.bench.voice import default_corpus, run_voice_bench

    settings = settings_or_exit(config)
    corpus = corpus or default_corpus() or Path("../shared/speech")
    if not (corpus / "manifest.tsv").is_file():
        raise fail(f"{corpus / 'manifest.tsv'} introuvable : indiquez le corpus avec --corpus DOSSIER.", 2)
    with console.status("Mesure…") as status:
        try:
            results = asyncio.run(
                run_voice_bench(settings, corpus, language, limit, lambda step: status.update(f"Mesure : {step}"))
            )
        except (JarvisError, ValueError) as exc:
            raise fail(getattr(exc, "message", str(exc))) from exc
    output = _write(results, output, "voice")
    table = Table("Indicateur", "p50", "p90", title=f"jarvis bench voice ({results['utterances']} énoncés)")
    for key, value in results.items():
        if isinstance(value, dict) and "p50" in value:
            table.add_row(key, str(value["p50"]), str(value["p90"]))
    for key in ("wer", "wer_raw_faster_whisper", "llm_answered", "speedup_vs_naive", "llm_speedup_vs_naive"):
        table.add_row(key, str(results[key]), "")
    console.print(table)
    console.print(f"Résultats : {output}")


@bench_app.command("memory")
def bench_memory(
    sizes: Annotated[str, typer.Option(help="Tailles d'index, séparées par des virgules.")] = "1000,10000,100000",
    queries: Annotated[int, typer.Option(min=10, help="Requêtes mesurées par taille.")] = 200,
    ingest: Annotated[int, typer.Option(min=10, help="Souvenirs ajoutés pour mesurer l'ingestion.")] = 200,
    base: Annotated[int, typer.Option(min=50, help="Souvenirs plongés réellement (les autres en dérivent).")] = 1000,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier JSON de résultats.")] = None,
) -> None:
    """Latence de rappel des souvenirs (p50/p95) à 1k, 10k, 100k éléments et débit d'ingestion."""
    from jarvis.bench.memory import run_memory_bench

    try:
        parsed = tuple(int(s) for s in sizes.split(","))
    except ValueError as exc:
        raise fail(f"--sizes : des entiers séparés par des virgules, pas « {sizes} ».", 2) from exc
    with console.status("Mesure…") as status:
        try:
            results = asyncio.run(
                run_memory_bench(parsed, queries, ingest, base, lambda step: status.update(f"Mesure : {step}"))
            )
        except JarvisError as exc:
            raise fail(exc.message) from exc
    output = _write(results, output, "memory")
    table = Table(
        "Éléments",
        "Recherche p50 (ms)",
        "p95 (ms)",
        "Exacte float32 p95 (ms)",
        "Mêmes résultats",
        "Rappel complet p95 (ms)",
        title="jarvis bench memory",
    )
    for size, row in results["retrieval"].items():
        table.add_row(
            size,
            str(row["search"]["p50_ms"]),
            str(row["search"]["p95_ms"]),
            str(row["search_exact_float32"]["p95_ms"]),
            f"{row['same_hits_as_exact']:.0%}",
            str(row["recall_p95_ms"]),
        )
    console.print(table)
    query = results["embedding"]["query"]
    console.print(f"Plongement d'une requête : p50 {query['p50_ms']} ms, p95 {query['p95_ms']} ms")
    console.print(f"Ingestion : {results['ingestion']['items_per_second']} souvenirs/s")
    console.print(f"Résultats : {output}")


@bench_app.command("store")
def bench_store(
    messages: Annotated[int, typer.Option(min=10, help="Messages dans chaque base d'essai.")] = 100_000,
    timed: Annotated[int, typer.Option(min=1, help="Écritures d'un message mesurées une à une.")] = 300,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier JSON de résultats.")] = None,
) -> None:
    """Écriture d'un message avec et sans chiffrement, sauvegarde et restauration (bases temporaires)."""
    from jarvis.bench.store import run_store_bench

    with console.status("Mesure…") as status:
        results = asyncio.run(run_store_bench(messages, timed, lambda step: status.update(f"Mesure : {step}")))
    path = _write(results, output, "store")
    table = Table("Indicateur", "Valeur", title=f"jarvis bench store ({messages} messages)")
    for key, value in results.items():
        table.add_row(key, json.dumps(value, ensure_ascii=False))
    console.print(table)
    console.print(f"Résultats : {path}")


@bench_app.command("home")
def bench_home(
    config: ConfigOption = None,
    runs: Annotated[int, typer.Option(min=1, help="Passages de chaque commande écrite (médiane, p95).")] = 30,
    command: Annotated[
        list[str] | None,
        typer.Option("--command", "-k", help="Commande à mesurer (répétable ; défaut : la maison des tests)."),
    ] = None,
    spoken: Annotated[
        bool,
        typer.Option(
            "--spoken/--no-spoken", help="Aussi les commandes parlées enregistrées (fin de parole → premier son)."
        ),
    ] = False,
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", help="Dossier avec manifest.tsv (défaut : ../shared/speech).", file_okay=False),
    ] = None,
    language: Annotated[str, typer.Option("--language", "-l", help="Langue des enregistrements.")] = "fr",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Fichier JSON de résultats.")] = None,
) -> None:
    """Chemin rapide contre Home Assistant (home_assistant.url) : temps de cerveau par commande, sans LLM."""
    from jarvis.bench.home import run_home_bench
    from jarvis.bench.voice import default_corpus

    settings = settings_or_exit(config)
    if not settings.home_assistant.url:
        raise fail("Home Assistant n'est pas configuré : réglez JARVIS_HOME_ASSISTANT__URL et __TOKEN.", 2)
    speech_dir = (corpus or default_corpus()) if spoken else None
    if spoken and (speech_dir is None or not (speech_dir / "manifest.tsv").is_file()):
        raise fail("Enregistrements introuvables : indiquez le corpus avec --corpus DOSSIER.", 2)
    with console.status("Mesure…") as status:
        try:
            results = asyncio.run(
                run_home_bench(
                    settings, runs, command, speech_dir, language, lambda step: status.update(f"Mesure : {step}")
                )
            )
        except (JarvisError, ValueError) as exc:
            raise fail(getattr(exc, "message", str(exc))) from exc
    output = _write(results, output, "home")
    table = Table("Indicateur", "Médiane", "p95", "Mesures", title="jarvis bench home")
    rows = [("brain_seconds", results["brain_seconds"]), ("recognition_seconds", results["recognition_seconds"])]
    rows.append(("text_turn_seconds", results["text_turn_seconds"]))
    if "spoken" in results:
        for key in ("stt_seconds", "brain_seconds", "end_of_speech_to_first_audio_seconds"):
            rows.append((f"spoken.{key}", results["spoken"][key]))
    for key, value in rows:
        table.add_row(key, str(value["median"]), str(value["p95"]), str(value["runs"]))
    console.print(table)
    console.print(f"Résultats : {output}")
