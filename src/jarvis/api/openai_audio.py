"""OpenAI-compatible audio endpoints (/v1/audio/transcriptions, /v1/audio/speech)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Form, Response, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.audio.formats import encode_wav

router = APIRouter(prefix="/v1/audio", tags=["openai"])
# OpenAI's own voice names: clients always send one; they all mean "Jarvis's configured voice" here.
OPENAI_VOICES = {"alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"}
ERRORS: dict[int | str, dict[str, Any]] = {400: {"model": ErrorBody}, 413: {"model": ErrorBody}}


@router.post("/transcriptions", responses=ERRORS)
async def transcriptions(
    services: ServicesDep,
    file: UploadFile,
    model: str = Form("whisper-1"),
    language: str | None = Form(None, pattern=r"^[a-z]{2}$"),
    response_format: Literal["json", "text", "verbose_json"] = Form("json"),
) -> Response:
    result = await services.speech.transcribe(await file.read(), language)
    transcript = result.transcript
    if response_format == "text":
        return PlainTextResponse(transcript.text)
    body: dict[str, Any] = {"text": transcript.text}
    if response_format == "verbose_json":
        body |= {
            "task": "transcribe",
            "language": transcript.language,
            "duration": round(transcript.duration_seconds, 3),
            "segments": [
                {"id": i, "start": s.start, "end": s.end, "text": s.text} for i, s in enumerate(transcript.segments)
            ],
        }
    return JSONResponse(body)


class SpeechRequest(BaseModel):
    model: str = "tts-1"
    input: str = Field(description="The text to say.")
    voice: str | None = Field(None, description="A Jarvis voice or blend; OpenAI voice names use the default voice.")
    response_format: Literal["wav", "pcm"] = "wav"
    speed: float | None = Field(None, ge=0.5, le=2.0)


@router.post(
    "/speech",
    responses={**ERRORS, 200: {"content": {"audio/wav": {}, "audio/pcm": {}}}},
    response_class=Response,
)
async def speech(body: SpeechRequest, services: ServicesDep) -> Response:
    voice = None if body.voice is None or body.voice in OPENAI_VOICES else body.voice
    result = await services.speech.synthesize(body.input, voice, body.speed)
    audio = result.speech
    if body.response_format == "pcm":
        # Raw 16-bit little-endian mono at the engine's rate (24 kHz with Kokoro, as OpenAI's pcm).
        return Response(
            audio.samples.astype("<i2").tobytes(),
            media_type="audio/pcm",
            headers={"X-Sample-Rate": str(audio.sample_rate)},
        )
    return Response(encode_wav(audio.samples, audio.sample_rate), media_type="audio/wav")
