"""One run of the chat pipeline: what starts it (PreparedRun), how its reply is spoken (VoiceOutput), what it
gathers while it runs (Turn) and how it ends (RunResult)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from jarvis.errors import JarvisError
from jarvis.events import RunEnd, Timings
from jarvis.llm.service import GenerationStats
from jarvis.pipeline.speaker import EmitAudio, Speaker
from jarvis.stt.base import Transcript
from jarvis.tools.registry import ToolOutcome


@dataclass(frozen=True)
class PreparedRun:
    run_id: str
    conversation_id: str
    text: str = ""
    audio: NDArray[np.int16] | None = None  # 16 kHz mono: the turn starts with speech recognition
    # Recognition already started on this audio (during the end-of-utterance silence).
    early_transcript: asyncio.Task[Transcript] | None = None
    # The live listener heard speech in this audio (no second speech check before recognition).
    heard: bool = False


@dataclass(frozen=True)
class VoiceOutput:
    """Speak the reply: audio frames go to `emit_audio` while the text is still being written."""

    emit_audio: EmitAudio
    voice: str | None = None
    speed: float | None = None
    # A live listener: the turn lasts until the sent audio has been played, so that barge-in can cut it.
    realtime: bool = False


@dataclass(frozen=True)
class RunResult:
    end: RunEnd
    error: JarvisError | None


@dataclass
class Turn:
    """What one run has gathered so far (also what a cancelled run keeps)."""

    prepared: PreparedRun
    started: float
    stats: GenerationStats = field(default_factory=GenerationStats)
    reply: list[str] = field(default_factory=list)
    speaker: Speaker | None = None
    stt_seconds: float | None = None
    user_message_id: str | None = None
    user_seq: int = 0
    reply_seq: int = 0
    # The summary of the conversation's older messages the prompt carries instead of them.
    summary: str = ""
    # How the reply was made: "llm", "fast-path" or "memory" (a direct memory command).
    route: str = "llm"
    tool_outcomes: list[ToolOutcome] = field(default_factory=list)

    def add_step(self, step: GenerationStats) -> None:
        """Fold one generation of the tool loop into the turn's figures."""
        total = self.stats
        total.queue_seconds += step.queue_seconds
        if total.first_token_seconds is None and step.first_token_seconds is not None:
            total.first_token_seconds = total.total_seconds + step.first_token_seconds
        total.total_seconds += step.total_seconds
        total.prompt_tokens = step.prompt_tokens if step.prompt_tokens is not None else total.prompt_tokens
        total.cached_tokens = step.cached_tokens if step.cached_tokens is not None else total.cached_tokens
        total.completion_tokens += step.completion_tokens

    fast_path_intent: str | None = None
    brain_seconds: float | None = None

    def timings(self) -> Timings:
        """The run's figures so far, as `run-end` reports them and the stored reply keeps them."""
        stats, speaker = self.stats, self.speaker
        used_llm = self.route == "llm"
        return Timings(
            stt_seconds=_round(self.stt_seconds),
            queue_seconds=round(stats.queue_seconds, 4) if used_llm else None,
            llm_first_token_seconds=_round(stats.first_token_seconds),
            llm_seconds=round(stats.total_seconds, 4) if used_llm else None,
            total_seconds=round(time.perf_counter() - self.started, 4),
            prompt_tokens=stats.prompt_tokens,
            prompt_cached_tokens=stats.cached_tokens,
            completion_tokens=stats.completion_tokens,
            tokens_per_second=_round(stats.tokens_per_second, 2),
            first_audio_seconds=_round(speaker.first_audio_seconds) if speaker else None,
            tts_seconds=_round(speaker.tts_seconds) if speaker else None,
            route=self.route,
            fast_path_intent=self.fast_path_intent,
            brain_seconds=_round(self.brain_seconds),
        )

    def kept_reply(self, status: str) -> str:
        # A spoken reply cut short keeps only what the user actually received as audio.
        if self.speaker is not None and status == "cancelled":
            return self.speaker.spoken_text
        return "".join(self.reply).strip()


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)
