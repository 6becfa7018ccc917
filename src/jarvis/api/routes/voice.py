"""Speech endpoints: transcribe an audio file, synthesize text to WAV."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.schemas import ErrorBody
from jarvis.audio.formats import encode_wav
from jarvis.errors import AudioError

router = APIRouter(prefix="/api/voice", tags=["voice"])
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "Empty or undecodable audio"},
    413: {"model": ErrorBody, "description": "Audio too large or too long"},
    503: {"model": ErrorBody, "description": "Speech engine not ready"},
}


class SegmentOut(BaseModel):
    start: float
    end: float
    text: str


class TranscriptionOut(BaseModel):
    text: str
    language: str
    no_speech: bool = Field(description="True when the audio held no speech (silence, noise, known artefacts).")
    segments: list[SegmentOut]
    timings: dict[str, float]


class SynthesisRequest(BaseModel):
    text: str = Field(description="What to say.")
    voice: str | None = Field(None, description="A voice name or a blend such as ff_siwis:0.7,em_alex:0.3.")
    speed: float | None = Field(None, ge=0.5, le=2.0)


async def read_audio(request: Request) -> bytes:
    """The uploaded audio: the raw body, or the `file` field of a multipart form."""
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise AudioError("Le formulaire doit contenir le fichier audio dans le champ « file ».", code="audio-empty")
        return await upload.read()
    return await request.body()


@router.post(
    "/transcribe",
    response_model=TranscriptionOut,
    responses=ERRORS,
    openapi_extra={"requestBody": {"content": {"audio/*": {}, "multipart/form-data": {}}, "required": True}},
)
async def transcribe(
    request: Request,
    services: ServicesDep,
    language: str | None = Query(None, pattern=r"^[a-z]{2}$", description="Defaults to the configured language."),
) -> TranscriptionOut:
    """Audio (WAV, OGG/Opus, WebM, MP3, FLAC) as the body or in a multipart `file` field -> text."""
    result = await services.speech.transcribe(await read_audio(request), language)
    transcript = result.transcript
    return TranscriptionOut(
        text=transcript.text,
        language=transcript.language,
        no_speech=transcript.no_speech,
        segments=[SegmentOut(start=s.start, end=s.end, text=s.text) for s in transcript.segments],
        timings={
            "audio_seconds": round(transcript.duration_seconds, 3),
            "decode_seconds": round(result.decode_seconds, 4),
            "stt_seconds": round(result.stt_seconds, 4),
        },
    )


@router.post(
    "/synthesize",
    responses={**ERRORS, 200: {"content": {"audio/wav": {}}, "description": "The spoken text"}},
    response_class=Response,
)
async def synthesize(body: SynthesisRequest, services: ServicesDep) -> Response:
    """Text -> speech as a WAV file (24 kHz mono with Kokoro)."""
    result = await services.speech.synthesize(body.text, body.voice, body.speed)
    speech = result.speech
    return Response(
        encode_wav(speech.samples, speech.sample_rate),
        media_type="audio/wav",
        headers={"X-Jarvis-TTS-Seconds": f"{result.tts_seconds:.4f}"},
    )
