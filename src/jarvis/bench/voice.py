"""`jarvis bench voice`: real recordings through the spoken pipeline vs a naive sequential baseline, same models,
same run. Figures per utterance and p50/p90: STT time, WER, LLM first token, first audio."""

from __future__ import annotations

import asyncio
import csv
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiwer
import numpy as np
from numpy.typing import NDArray

from jarvis.audio.formats import SAMPLE_RATE, decode_audio
from jarvis.config import Settings
from jarvis.engines import build_transcriber
from jarvis.events import Event, RunEnd, SttEnd
from jarvis.llm.service import GenerationStats
from jarvis.pipeline.completeness import end_silence
from jarvis.pipeline.endpointing import Boundary, Endpointer
from jarvis.pipeline.listener import Listener
from jarvis.pipeline.turn import VoiceOutput
from jarvis.services import Services, build_services
from jarvis.stt.wer import normalize_for_wer
from jarvis.vad.silero import SileroDetector

Progress = Callable[[str], None]
# The shared recordings sit beside the checkout (../shared/speech) on the development machines.
CORPUS_CANDIDATES = (Path("../shared/speech"), Path(__file__).resolve().parents[4] / "shared" / "speech")
WORKSPACE_CORPUS = Path("/work/shared/speech")


def default_corpus() -> Path | None:
    """JARVIS_SPEECH_DIR, else the first of ../shared/speech (from here or from the checkout) that exists."""
    explicit = os.environ.get("JARVIS_SPEECH_DIR")
    candidates = (Path(explicit),) if explicit else (*CORPUS_CANDIDATES, WORKSPACE_CORPUS)
    return next((c for c in candidates if (c / "manifest.tsv").is_file()), None)


def read_corpus(corpus: Path, language: str, limit: int | None) -> list[tuple[Path, str]]:
    with (corpus / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["language"] == language]
    return [(corpus / r["file"], r["transcript"]) for r in rows[:limit]]


def _percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "mean": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "p50": round(statistics.median(ordered), 4),
        "p90": round(p90, 4),
        "mean": round(statistics.fmean(ordered), 4),
    }


def _wer(references: list[str], hypotheses: list[str], language: str) -> float:
    refs = [normalize_for_wer(r, language=language) for r in references]
    hyps = [normalize_for_wer(h, language=language) or "∅" for h in hypotheses]
    return round(float(jiwer.wer(refs, hyps)), 4)


@dataclass(frozen=True)
class Listened:
    """Where the listener put the boundaries of a clip followed by silence (seconds of audio)."""

    utterance: NDArray[np.int16]
    end_seconds: float  # END: speech is over (silence_seconds after its last speech frame)
    pause_seconds: float | None  # the last PAUSE before END (early recognition starts there)
    pause_audio: NDArray[np.int16] | None


def listen(settings: Settings, audio: NDArray[np.int16]) -> Listened | None:
    """Run the real VAD and endpointing over the clip plus trailing silence, as a live session would."""
    vad = settings.vad
    listener = Listener(
        SileroDetector(),
        Endpointer(vad.min_speech_seconds, vad.silence_seconds, pause_seconds=vad.early_stt_after_seconds),
        threshold=vad.threshold,
        pre_roll_seconds=vad.pre_roll_seconds,
    )
    stream = np.concatenate([audio, np.zeros(int(1.5 * SAMPLE_RATE), dtype=np.int16)])
    step, fed = 512, 0
    pause: tuple[float, NDArray[np.int16]] | None = None
    for offset in range(0, len(stream), step):
        chunk = stream[offset : offset + step]
        fed += len(chunk)
        for heard in listener.feed(chunk):
            if heard.boundary is Boundary.PAUSE and heard.audio is not None:
                pause = (fed / SAMPLE_RATE, heard.audio)
            elif heard.boundary in (Boundary.RESUME, Boundary.START):
                pause = None
            elif heard.boundary is Boundary.END and heard.audio is not None:
                return Listened(heard.audio, fed / SAMPLE_RATE, *(pause if pause else (None, None)))
    return None


async def _jarvis_turn(
    services: Services, listened: Listened, conversation_id: str | None
) -> tuple[RunEnd, str, float | None, float]:
    """The real spoken pipeline in real time from the user's last word: early recognition during the final
    silence (which ends the utterance at once when it heard a whole command, and sooner when the words sound
    finished, as a live session does), then streamed LLM and TTS sentence by sentence. Returns the run's end, what
    was heard, the seconds from the end of speech to the first reply audio, and to the start of the turn."""
    early = None
    vad = services.settings.vad
    services.llm.note_user_activity()  # the user was speaking until now (a live session notes every frame)
    began = time.perf_counter()
    since_speech = vad.silence_seconds  # END comes this long after the last word
    utterance = listened.utterance
    if listened.pause_seconds is not None and listened.pause_audio is not None:
        wait = listened.end_seconds - listened.pause_seconds  # the rest of the endpointing silence, in real time
        since_speech -= wait  # we are at PAUSE
        early = asyncio.create_task(services.speech.recognize(listened.pause_audio, heard=True))
        done, _ = await asyncio.wait({early}, timeout=wait)
        heard_early = early.result().text if early in done and early.exception() is None else None
        silence = (
            end_silence(heard_early, vad, services.pipeline.completes_command) if heard_early is not None else None
        )
        if silence == 0.0:
            utterance = listened.pause_audio
        else:
            if heard_early is not None:  # as a live session: the prompt is evaluated during the rest of the silence
                services.pipeline.warmer.prefill(heard_early, conversation_id)
            if silence is not None:  # the words sound finished: a shorter silence ends them (the same words)
                wait = min(wait, silence - since_speech)
                utterance = listened.pause_audio
            await asyncio.sleep(max(0.0, wait - (time.perf_counter() - began)))
    prepared = await services.pipeline.prepare_audio(utterance, conversation_id, early, heard=True)
    idle = since_speech + (time.perf_counter() - began)  # from the last word to the start of the turn
    heard: list[str] = []

    async def emit(event: Event) -> None:
        if isinstance(event, SttEnd):
            heard.append(event.text)

    async def ignore_audio(_: bytes) -> None:
        return None

    result = await services.pipeline.run(prepared, emit, VoiceOutput(ignore_audio))
    first_audio = result.end.timings.first_audio_seconds
    from_speech_end = idle + first_audio if first_audio is not None else None
    return result.end, heard[0] if heard else "", from_speech_end, idle


async def _naive_turn(services: Services, audio: Any) -> dict[str, float]:
    """The baseline: transcribe, generate the whole reply, then synthesize the whole reply."""
    speech = services.speech
    started = time.perf_counter()
    transcript = await speech.recognize(audio)
    stt_done = time.perf_counter()
    messages = services.prompts.build([], transcript.text or "…")
    stats = GenerationStats()
    # The same prompt as Jarvis's (tool definitions included), so both start from the same cached prefix.
    tools = services.pipeline.tool_specs
    reply = "".join([c.text async for c in services.llm.stream(messages, tools, services.params, stats)])
    llm_done = time.perf_counter()
    await speech.tts.synthesize(reply.strip() or "D'accord.", voice=speech.voice, speed=speech.speed)
    done = time.perf_counter()
    return {
        "stt_seconds": stt_done - started,
        "llm_seconds": llm_done - stt_done,
        "tts_seconds": done - llm_done,
        "first_audio_seconds": done - started,
    }


async def run_voice_bench(
    settings: Settings, corpus: Path, language: str, limit: int | None, progress: Progress
) -> dict[str, Any]:
    clips = read_corpus(corpus, language, limit)
    if not clips:
        raise ValueError(f"aucun enregistrement en « {language} » dans {corpus / 'manifest.tsv'}")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="jarvis-bench-") as tmp:
        # A throw-away database; the models stay where `jarvis setup` put them.
        bench_settings = settings.model_copy(
            update={
                "store": settings.store.model_copy(update={"url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"}),
                "llm": settings.llm.model_copy(update={"temperature": 0.0}),
                # The baseline says the same reply first: a remembered phrase would flatter Jarvis.
                "tts": settings.tts.model_copy(update={"phrase_cache": 0}),
            }
        )
        # Raw faster-whisper (no vocabulary prompt, no hotwords, Whisper's own 30 s window): the WER baseline.
        raw_stt = build_transcriber(
            bench_settings.model_copy(
                update={
                    "stt": bench_settings.stt.model_copy(
                        update={"initial_prompt": None, "hotwords": [], "window_seconds": 30.0}
                    )
                }
            )
        )
        services = await build_services(bench_settings)
        try:
            await services.engine.load()
            await services.speech.stt.load()
            await services.speech.tts.load()
            await raw_stt.load()
            # Both pipelines start from the system prompt already evaluated, as after a server start.
            services.llm.warm(services.prompts.build_prefix([]), services.pipeline.tool_specs)
            await services.llm.wait_warm()
            conversation: str | None = None
            for index, (path, reference) in enumerate(clips):
                progress(f"{index + 1}/{len(clips)} {path.name}")
                audio = decode_audio(path.read_bytes(), max_seconds=settings.stt.max_audio_seconds)
                listened = listen(settings, audio)
                if listened is None:
                    raise ValueError(f"{path.name} : la détection de parole n'a trouvé aucun énoncé")
                naive = await _naive_turn(services, audio)
                raw_started = time.perf_counter()
                raw = await raw_stt.transcribe(audio, language=language)
                raw_stt_seconds = time.perf_counter() - raw_started
                # The baseline used the model's cache; give back what Jarvis prepares while the user is silent.
                services.llm.warm(
                    services.prompts.build_prefix(services.pipeline.warmer.last_history), services.pipeline.tool_specs
                )
                await services.llm.wait_warm()
                end, heard, from_speech_end, turn_start = await _jarvis_turn(services, listened, conversation)
                conversation = end.conversation_id
                await services.settle()  # the next baseline must not share the CPU with Jarvis's background work
                timings = end.timings
                rows.append(
                    {
                        "file": path.name,
                        "reference": reference,
                        "heard": heard,
                        "raw_whisper": raw.text,
                        "raw_whisper_seconds": raw_stt_seconds,
                        "status": end.status,
                        "route": timings.route,
                        "stt_seconds": timings.stt_seconds,
                        "llm_first_token_seconds": timings.llm_first_token_seconds,
                        "first_audio_seconds": timings.first_audio_seconds,
                        "end_of_speech_to_first_audio_seconds": from_speech_end,
                        "early_stt": listened.pause_seconds is not None,
                        # When the utterance ended (at once for a command, sooner for a finished sentence).
                        "end_of_speech_to_turn_start_seconds": round(turn_start, 4),
                        "tts_first_audio_after_first_token_seconds": (
                            None
                            if timings.first_audio_seconds is None or timings.llm_first_token_seconds is None
                            else timings.first_audio_seconds
                            - (timings.stt_seconds or 0)
                            - timings.llm_first_token_seconds
                        ),
                        "naive": {k: round(v, 4) for k, v in naive.items()},
                    }
                )
        finally:
            await raw_stt.close()
            await services.close()

    def column(key: str, route: str | None = None) -> list[float]:
        return [r[key] for r in rows if r.get(key) is not None and route in (None, r["route"])]

    def speedup(route: str | None) -> float | None:
        """Naive over Jarvis, medians of end of speech -> first audio (the naive pipeline waits the whole silence)."""
        naive = [r["naive"]["first_audio_seconds"] + silence for r in rows if route in (None, r["route"])]
        jarvis = column("end_of_speech_to_first_audio_seconds", route)
        return round(statistics.median(naive) / statistics.median(jarvis), 3) if naive and jarvis else None

    jarvis_first = column("first_audio_seconds")
    naive_first = [r["naive"]["first_audio_seconds"] for r in rows]
    silence = settings.vad.silence_seconds
    return {
        "benchmark": "voice",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "corpus": str(corpus),
        "language": language,
        "utterances": len(rows),
        "endpointing_silence_seconds": silence,
        "wer": _wer([r["reference"] for r in rows], [r["heard"] for r in rows], language),
        "wer_raw_faster_whisper": _wer([r["reference"] for r in rows], [r["raw_whisper"] for r in rows], language),
        "stt_seconds": _percentiles(column("stt_seconds")),
        "raw_faster_whisper_seconds": _percentiles(column("raw_whisper_seconds")),
        "llm_first_token_seconds": _percentiles(column("llm_first_token_seconds")),
        "tts_first_audio_after_first_token_seconds": _percentiles(column("tts_first_audio_after_first_token_seconds")),
        "pipeline_to_first_audio_seconds": _percentiles(jarvis_first),
        "end_of_speech_to_first_audio_seconds": _percentiles(column("end_of_speech_to_first_audio_seconds")),
        # The target is for questions the LLM answers (the fast path's commands are `jarvis bench home`'s).
        "llm_answered": sum(1 for r in rows if r["route"] == "llm"),
        "llm_end_of_speech_to_first_audio_seconds": _percentiles(column("end_of_speech_to_first_audio_seconds", "llm")),
        "naive_pipeline_to_first_audio_seconds": _percentiles(naive_first),
        "naive_end_of_speech_to_first_audio_seconds": _percentiles([v + silence for v in naive_first]),
        "speedup_vs_naive": speedup(None),
        "llm_speedup_vs_naive": speedup("llm"),
        "targets": {"end_of_speech_to_first_audio_p50_max": 1.2, "speedup_vs_naive_min": 2.0},
        "per_utterance": rows,
    }
