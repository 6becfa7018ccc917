"""Pipeline events: one vocabulary for the WebSocket protocol, server-sent events, logs, metrics and tests."""

from __future__ import annotations

from typing import Literal

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
Event = WakeWord | VadStart | VadEnd | RunStart | SttEnd | SttNoSpeech | LlmDelta | TtsStart | ErrorEvent | RunEnd
