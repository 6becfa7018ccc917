"""`jarvis bench voice`: real recordings through the spoken pipeline vs a naive sequential baseline, same models,
same run. Figures per utterance and p50/p90: STT time, WER, LLM first token, first audio."""

from __future__ import annotations

import csv
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jiwer

from jarvis.audio.formats import decode_audio
from jarvis.config import Settings
from jarvis.events import Event, RunEnd, SttEnd
from jarvis.llm.service import GenerationStats
from jarvis.pipeline.chat import VoiceOutput
from jarvis.services import Services, build_services, build_transcriber
from jarvis.stt.wer import normalize_for_wer

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


async def _jarvis_turn(services: Services, audio: Any, conversation_id: str | None) -> tuple[RunEnd, str]:
    """The real spoken pipeline: STT, streamed LLM, TTS sentence by sentence while the LLM goes on."""
    prepared = await services.pipeline.prepare_audio(audio, conversation_id)
    heard: list[str] = []

    async def emit(event: Event) -> None:
        if isinstance(event, SttEnd):
            heard.append(event.text)

    async def ignore_audio(_: bytes) -> None:
        return None

    result = await services.pipeline.run(prepared, emit, VoiceOutput(ignore_audio))
    return result.end, heard[0] if heard else ""


async def _naive_turn(services: Services, audio: Any) -> dict[str, float]:
    """The baseline: transcribe, generate the whole reply, then synthesize the whole reply."""
    speech = services.speech
    started = time.perf_counter()
    transcript = await speech.recognize(audio)
    stt_done = time.perf_counter()
    messages = services.prompts.build([], transcript.text or "…")
    stats = GenerationStats()
    reply = "".join([c.text async for c in services.llm.stream(messages, None, services.params, stats)])
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
            }
        )
        # Raw faster-whisper (no vocabulary prompt, no hotwords): the WER baseline.
        raw_stt = build_transcriber(
            bench_settings.model_copy(
                update={"stt": bench_settings.stt.model_copy(update={"initial_prompt": None, "hotwords": []})}
            )
        )
        services = await build_services(bench_settings)
        try:
            await services.engine.load()
            await services.speech.stt.load()
            await services.speech.tts.load()
            await raw_stt.load()
            conversation: str | None = None
            for index, (path, reference) in enumerate(clips):
                progress(f"{index + 1}/{len(clips)} {path.name}")
                audio = decode_audio(path.read_bytes(), max_seconds=settings.stt.max_audio_seconds)
                naive = await _naive_turn(services, audio)
                raw = await raw_stt.transcribe(audio, language=language)
                # The baseline used the model's cache; give back what Jarvis prepares while the user is silent.
                services.llm.warm(services.prompts.build_prefix(services.pipeline.last_history))
                await services.llm.wait_warm()
                end, heard = await _jarvis_turn(services, audio, conversation)
                conversation = end.conversation_id
                await services.llm.wait_warm()  # the next baseline must not share the CPU with Jarvis's warm-up
                timings = end.timings
                rows.append(
                    {
                        "file": path.name,
                        "reference": reference,
                        "heard": heard,
                        "raw_whisper": raw.text,
                        "status": end.status,
                        "stt_seconds": timings.stt_seconds,
                        "llm_first_token_seconds": timings.llm_first_token_seconds,
                        "first_audio_seconds": timings.first_audio_seconds,
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

    def column(key: str) -> list[float]:
        return [r[key] for r in rows if r.get(key) is not None]

    jarvis_first = column("first_audio_seconds")
    naive_first = [r["naive"]["first_audio_seconds"] for r in rows]
    silence = settings.vad.silence_seconds
    ratio = statistics.median(naive_first) / statistics.median(jarvis_first) if jarvis_first else None
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
        "llm_first_token_seconds": _percentiles(column("llm_first_token_seconds")),
        "tts_first_audio_after_first_token_seconds": _percentiles(column("tts_first_audio_after_first_token_seconds")),
        "pipeline_to_first_audio_seconds": _percentiles(jarvis_first),
        "end_of_speech_to_first_audio_seconds": _percentiles([v + silence for v in jarvis_first]),
        "naive_pipeline_to_first_audio_seconds": _percentiles(naive_first),
        "speedup_vs_naive": round(ratio, 3) if ratio else None,
        "targets": {"end_of_speech_to_first_audio_p50_max": 1.2, "speedup_vs_naive_min": 2.0},
        "per_utterance": rows,
    }
