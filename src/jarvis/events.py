"""Pipeline events: one vocabulary for the WebSocket protocol, server-sent events, logs, metrics and tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class Timings(BaseModel):
    """Where the time of one run went, in seconds (None: the stage did not run)."""

    queue_seconds: float | None = None
    llm_first_token_seconds: float | None = None
    llm_seconds: float | None = None
    total_seconds: float | None = None
    stt_seconds: float | None = None
    prompt_tokens: int | None = None
    prompt_cached_tokens: int | None = None
    completion_tokens: int | None = None
    tokens_per_second: float | None = None
    # From the start of the run (for speech: the end of the user's utterance) to the first reply audio byte.
    first_audio_seconds: float | None = None
    tts_seconds: float | None = None
    # How the reply was made: "llm", "fast-path" (home commands, time…) or "memory" (a memory command); the last
    # two without the LLM.
    route: str | None = None
    # Answered by the fast path (no LLM): the intent recognised ("HassTurnOn", "follow-up", "error:<code>"), and
    # the time from the recognised text to the reply (recognition + Home Assistant action and its verification).
    fast_path_intent: str | None = None
    brain_seconds: float | None = None


class RunStart(BaseModel):
    type: Literal["run-start"] = "run-start"
    run_id: str
    conversation_id: str | None = None
    user_message_id: str | None = None


class VadStart(BaseModel):
    """The user started speaking (server-side voice activity detection)."""

    type: Literal["vad-start"] = "vad-start"


class WakeWord(BaseModel):
    """The wake word was heard (hands-free listening with wake_word on): the next utterance is listened to."""

    type: Literal["wake-word"] = "wake-word"
    model: str
    score: float


class VadEnd(BaseModel):
    """The user stopped speaking: the utterance goes to speech recognition."""

    type: Literal["vad-end"] = "vad-end"
    seconds: float


class SttEnd(BaseModel):
    type: Literal["stt-end"] = "stt-end"
    run_id: str
    text: str
    language: str
    user_message_id: str


class SttNoSpeech(BaseModel):
    """The audio held no speech (silence, noise, a known Whisper artefact): nothing goes to the LLM."""

    type: Literal["stt-no-speech"] = "stt-no-speech"
    run_id: str


class TtsStart(BaseModel):
    """Reply audio follows as binary frames in this format (WebSocket), until `run-end`."""

    type: Literal["tts-start"] = "tts-start"
    run_id: str
    rate: int
    channels: int = 1
    width: int = 2
    encoding: Literal["pcm_s16le"] = "pcm_s16le"


class LlmDelta(BaseModel):
    type: Literal["llm-delta"] = "llm-delta"
    run_id: str
    text: str


class ToolCallEvent(BaseModel):
    """The model asked for a tool; its result follows as `tool-result`."""

    type: Literal["tool-call"] = "tool-call"
    run_id: str
    call_id: str
    name: str
    arguments: dict[str, Any]


class ToolResultEvent(BaseModel):
    type: Literal["tool-result"] = "tool-result"
    run_id: str
    call_id: str
    name: str
    ok: bool
    # What the model read: the tool's answer, or the error it was told about.
    content: str
    error_code: str | None = None
    seconds: float


class TimerOut(BaseModel):
    """A timer or reminder as clients see it."""

    id: str
    kind: Literal["timer", "reminder"]
    label: str
    duration_seconds: float
    created_at: datetime
    due_at: datetime
    status: Literal["active", "finished", "cancelled"]
    finished_at: datetime | None = None
    # How late it was announced (it came due while Jarvis was stopped); 0 when on time.
    late_seconds: float = 0.0
    remaining_seconds: float = 0.0


class TimerStarted(BaseModel):
    """A timer or reminder was set (by any session, the API, the CLI or a tool); sent to every session."""

    type: Literal["timer-started"] = "timer-started"
    timer: TimerOut


class TimerFinished(BaseModel):
    """A timer came due; `text` is the announcement (spoken in voice sessions)."""

    type: Literal["timer-finished"] = "timer-finished"
    timer: TimerOut
    text: str


class TimerCancelled(BaseModel):
    type: Literal["timer-cancelled"] = "timer-cancelled"
    timer: TimerOut


class ErrorEvent(BaseModel):
    type: Literal["error"] = "error"
    run_id: str | None = None
    code: str
    message: str


class RunEnd(BaseModel):
    type: Literal["run-end"] = "run-end"
    run_id: str
    conversation_id: str | None = None
    message_id: str | None = None
    reply: str = ""
    status: Literal["complete", "cancelled", "failed", "no-speech"] = "complete"
    timings: Timings = Field(default_factory=Timings)


# Every event a run emits; `type` tells them apart on the wire.
Event = (
    WakeWord
    | VadStart
    | VadEnd
    | RunStart
    | SttEnd
    | SttNoSpeech
    | LlmDelta
    | TtsStart
    | ToolCallEvent
    | ToolResultEvent
    | ErrorEvent
    | RunEnd
    | TimerStarted
    | TimerFinished
    | TimerCancelled
)
