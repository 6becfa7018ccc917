"""`jarvis bench home`: the fast path against the configured Home Assistant. Brain time (recognised text -> verified
reply) per command over many runs, and optionally end of speech -> first audio for the real recorded commands."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jarvis.audio.formats import decode_audio
from jarvis.bench.voice import _jarvis_turn, listen, read_corpus
from jarvis.config import Settings
from jarvis.errors import HomeError, JarvisError
from jarvis.i18n import t
from jarvis.services import Services, build_services
from jarvis.tts.cache import CachedSynthesizer

Progress = Callable[[str], None]
# Commands for the test house of tests/home_assistant_config (pass --command for your own names). Pairs undo each
# other, so that every run really changes a state in Home Assistant and waits for it.
DEFAULT_COMMANDS = (
    "allume la lumière du salon",
    "mets la lumière du salon en bleu",
    "mets la lumière du salon en rouge",
    "éteins la lumière du salon",
    "mets la lumière de la chambre à 30 %",
    "mets la lumière de la chambre à 60 %",
    "règle le thermostat du salon à 21 degrés",
    "règle le thermostat du salon à 20 degrés",
    "quelle est la température du salon",
    "quelle est l'humidité du salon",
    "quel temps fait-il",
    "quelle heure est-il",
    # Jarvis's own timers (no Home Assistant call): start, ask, list, cancel.
    "mets un minuteur de 5 minutes pour les pâtes",
    "combien de temps reste-t-il sur le minuteur des pâtes",
    "quels minuteurs sont en cours",
    "annule le minuteur des pâtes",
)


def stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"runs": 0, "median": None, "p95": None, "min": None, "max": None}
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "runs": len(ordered),
        "median": round(statistics.median(ordered), 5),
        "p95": round(p95, 5),
        "min": round(ordered[0], 5),
        "max": round(ordered[-1], 5),
    }


async def _connected(services: Services, timeout_seconds: float = 20) -> None:
    client = services.home.client
    if client is None:
        raise HomeError(t("home-not-configured"), code="home-assistant-not-configured")
    try:
        async with asyncio.timeout(timeout_seconds):
            await client.connected_once.wait()
    except TimeoutError as exc:
        raise HomeError(client.unavailable_message()) from exc


async def _brain(services: Services, commands: list[str], runs: int, progress: Progress) -> dict[str, Any]:
    fast_path = services.fast_path
    language = services.settings.chat.language
    brain: dict[str, list[float]] = {c: [] for c in commands}
    recognition: dict[str, list[float]] = {c: [] for c in commands}
    replies: dict[str, str] = {}
    for run in range(runs):
        progress(f"commandes écrites {run + 1}/{runs}")
        for command in commands:
            began = time.perf_counter()
            fast_path.recognize(command, language, "bench")
            recognition[command].append(time.perf_counter() - began)
            began = time.perf_counter()
            try:
                reply = await fast_path.handle(command, f"bench-{run}")
            except JarvisError as exc:
                replies[command] = f"erreur : {exc.message}"
                continue
            brain[command].append(time.perf_counter() - began)
            replies[command] = reply.text if reply else "(pas de correspondance : le LLM répondrait)"
    all_brain = [v for values in brain.values() for v in values]
    return {
        "brain_seconds": stats(all_brain),
        "recognition_seconds": stats([v for values in recognition.values() for v in values]),
        "per_command": [
            {
                "command": c,
                "reply": replies.get(c),
                "brain_seconds": stats(brain[c]),
                "recognition_seconds": stats(recognition[c]),
            }
            for c in commands
        ],
    }


async def _text_turns(services: Services, commands: list[str], runs: int) -> dict[str, Any]:
    """Whole text turns through the chat pipeline (store the message, fast path, store the reply)."""
    totals: list[float] = []

    async def ignore(_: Any) -> None:
        return None

    for _ in range(runs):
        for command in commands:
            prepared = await services.pipeline.prepare(command, None)
            began = time.perf_counter()
            result = await services.pipeline.run(prepared, ignore)
            if result.end.timings.fast_path_intent is not None:
                totals.append(time.perf_counter() - began)
    return stats(totals)


async def _spoken(services: Services, corpus: Path, language: str, progress: Progress) -> dict[str, Any]:
    await services.speech.stt.load()
    await services.speech.tts.load()
    await services.warm_phrases()  # as a server does at start-up
    # A misheard command goes to the model: loaded, with its prompt evaluated, as in a server that is ready.
    await services.engine.load()
    services.llm.warm(services.prompts.build_prefix([]), services.pipeline.tool_specs)
    tts = services.speech.tts
    cache = tts if isinstance(tts, CachedSynthesizer) else getattr(tts, "primary", None)
    if not isinstance(cache, CachedSynthesizer):
        cache = None
    rows: list[dict[str, Any]] = []
    # The recorded home commands the fast path handles when heard right (the others are the LLM's, see bench voice).
    clips = [
        (path, reference)
        for path, reference in read_corpus(corpus, language, None)
        if services.fast_path.recognize(reference, language, "bench") is not None
    ]
    for index, (path, reference) in enumerate(clips):
        progress(f"commandes parlées {index + 1}/{len(clips)} {path.name}")
        audio = decode_audio(path.read_bytes(), max_seconds=services.settings.stt.max_audio_seconds)
        listened = listen(services.settings, audio)
        if listened is None:
            continue
        await services.llm.wait_warm()  # the user's silence before the command
        hits = cache.hits if cache is not None else 0
        end, heard, from_speech_end, _ = await _jarvis_turn(services, listened, None)
        timings = end.timings
        rows.append(
            {
                "file": path.name,
                "reference": reference,
                "heard": heard,
                "fast_path_intent": timings.fast_path_intent,
                "reply": end.reply,
                "stt_seconds": timings.stt_seconds,
                "brain_seconds": timings.brain_seconds,
                "first_audio_seconds": timings.first_audio_seconds,
                "end_of_speech_to_first_audio_seconds": from_speech_end if timings.fast_path_intent else None,
                # Phrases said from the phrase cache (« C'est fait, » once heard): the steady state of a home.
                "phrase_cache_hits": (cache.hits - hits) if cache is not None else None,
            }
        )
    answered = [r for r in rows if r["fast_path_intent"] and r["first_audio_seconds"] is not None]
    return {
        "corpus": str(corpus),
        "clips": len(rows),
        "answered_by_fast_path": len(answered),
        "endpointing_silence_seconds": services.settings.vad.silence_seconds,
        "stt_seconds": stats([r["stt_seconds"] for r in answered]),
        "brain_seconds": stats([r["brain_seconds"] for r in answered]),
        "pipeline_to_first_audio_seconds": stats([r["first_audio_seconds"] for r in answered]),
        "end_of_speech_to_first_audio_seconds": stats([r["end_of_speech_to_first_audio_seconds"] for r in answered]),
        "per_clip": rows,
    }


async def run_home_bench(
    settings: Settings,
    runs: int,
    commands: list[str] | None,
    corpus: Path | None,
    language: str,
    progress: Progress,
) -> dict[str, Any]:
    commands = commands or list(DEFAULT_COMMANDS)
    with tempfile.TemporaryDirectory(prefix="jarvis-bench-home-") as tmp:
        bench_settings = settings.model_copy(
            update={"store": settings.store.model_copy(update={"url": f"sqlite+aiosqlite:///{Path(tmp) / 'b.db'}"})}
        )
        services = await build_services(bench_settings)
        try:
            services.home.start()
            progress("connexion à Home Assistant")
            await _connected(services)
            services.fast_path.warm()
            results: dict[str, Any] = {
                "benchmark": "home",
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "home_assistant": services.settings.home_assistant.url,
                "home_assistant_version": services.home.client.version if services.home.client else None,
                "entities": len(services.home.exposed()),
                "commands": len(commands),
                "runs_per_command": runs,
                **await _brain(services, commands, runs, progress),
            }
            progress("tours de texte complets")
            results["text_turn_seconds"] = await _text_turns(services, commands, max(1, runs // 5))
            if corpus is not None:
                results["spoken"] = await _spoken(services, corpus, language, progress)
            results["targets"] = {"brain_seconds_max": 0.05, "spoken_end_of_speech_to_first_audio_p50_max": 0.7}
            return results
        finally:
            await services.close()
