"""Speech endpoints: transcribe an audio file, synthesize text to WAV."""

from __future__ import annotations

import asyncio
import functools
from typing import Any
from urllib.parse import quote

import numpy as np
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from jarvis.api.deps import ServicesDep
from jarvis.api.disconnect import client_closed, run_while_connected
from jarvis.api.errors import jarvis_error_response
from jarvis.api.schemas import ErrorBody
from jarvis.audio.formats import decode_audio, encode_wav
from jarvis.errors import AudioError, TtsError
from jarvis.events import Event, SttEnd, TtsStart
from jarvis.pipeline.turn import VoiceOutput

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


class TurnErrorBody(ErrorBody):
    stage: str = Field(description="Where the turn failed: `llm` (or earlier) or `tts` (the reply was written).")
    conversation_id: str
    message_id: str | None = None
    transcript: str = ""
    reply: str = Field("", description="The reply text written so far (whole when stage is `tts`).")


@router.post(
    "/turn",
    responses={
        **ERRORS,
        200: {"content": {"audio/wav": {}}, "description": "The whole reply, spoken"},
        502: {"model": TurnErrorBody, "description": "The reply was written but could not be spoken (stage `tts`)"},
    },
    response_class=Response,
    openapi_extra={"requestBody": {"content": {"audio/*": {}, "multipart/form-data": {}}, "required": True}},
)
async def turn(
    request: Request,
    services: ServicesDep,
    conversation_id: str | None = Query(None, description="Continue this conversation."),
) -> Response:
    """One spoken turn: audio in, the spoken reply out as WAV. The transcript, the reply text, the conversation
    and the timings come in headers (X-Jarvis-*, text percent-encoded as UTF-8).

    A 200 always carries the whole reply as audio. If anything fails, the answer is an error (never a partial
    WAV): when the reply was written but could not be spoken, a 5xx (502, or 503/504 for an unavailable or slow
    engine) with `stage: "tts"`, the TTS error code, and the reply text, so the client can still show it. Leaving
    before the answer cancels the turn."""
    data = await read_audio(request)
    audio = await asyncio.to_thread(decode_audio, data, max_seconds=services.settings.stt.max_audio_seconds)
    # No early refusal when the LLM queue is full: a spoken home command needs no LLM (the run itself refuses,
    # after recognition, what does need it: 503 llm-busy with the transcript).
    prepared = await services.pipeline.prepare_audio(audio, conversation_id)
    pcm = bytearray()
    rates: list[int] = []
    heard: list[str] = []

    async def emit(event: Event) -> None:
        if isinstance(event, TtsStart):
            rates.append(event.rate)
        elif isinstance(event, SttEnd):
            heard.append(event.text)

    async def emit_audio(chunk: bytes) -> None:
        pcm.extend(chunk)

    result = await run_while_connected(request, services.pipeline.start(prepared, emit, VoiceOutput(emit_audio)))
    if result is None:  # the client left: the turn was cancelled
        return client_closed()
    end = result.end
    if end.status == "no-speech":
        raise AudioError("Aucune parole détectée dans l'enregistrement.", code="no-speech", status=422)
    if result.error is not None:
        spoken_failed = end.status == "complete"  # the text reply is whole: only speaking it failed
        error = result.error
        if spoken_failed and error.status < 500:  # e.g. a configured voice the engine does not know
            error = TtsError(error.message, code=error.code, status=502)
        return jarvis_error_response(
            error,
            stage="tts" if spoken_failed else "llm",
            conversation_id=prepared.conversation_id,
            message_id=end.message_id,
            transcript=heard[0] if heard else "",
            reply=end.reply,
        )
    samples = np.frombuffer(bytes(pcm), dtype="<i2").astype(np.int16)
    return Response(
        encode_wav(samples, rates[0] if rates else 24000),
        media_type="audio/wav",
        headers={
            "X-Jarvis-Conversation-Id": prepared.conversation_id,
            "X-Jarvis-Transcript": quote(heard[0] if heard else ""),
            "X-Jarvis-Reply": quote(end.reply),
            "X-Jarvis-Timings": end.timings.model_dump_json(exclude_none=True),
        },
    )


class VoicesOut(BaseModel):
    voices: list[str] = Field(description="Voice names the synthesizer knows.")
    default: str = Field(description="The voice used when none is asked for (setting tts.voice).")
    speed: float = Field(description="The default speech speed (setting tts.speed).")


@router.get("/voices", response_model=VoicesOut)
async def voices(services: ServicesDep) -> VoicesOut:
    """The voices a client may choose (`voice` of /ws chat and audio-start frames, /api/voice/synthesize)."""
    tts = services.speech.tts
    settings = services.settings.tts
    return VoicesOut(voices=sorted(tts.voices()), default=settings.voice, speed=settings.speed)


class WakeWordOut(BaseModel):
    available: bool = Field(description="The wake-word engine starts on this server (`wake_word` of audio-start).")
    model: str = Field(description="The wake word listened for (setting wake_word.model), e.g. hey_jarvis.")
    enabled: bool = Field(
        description="Hands-free sessions use it unless audio-start says otherwise (wake_word.enabled)."
    )
    listen_seconds: float = Field(description="After the wake word, how long the session waits for speech.")
    detail: str = Field("", description="Why it is unavailable (for people); empty when available.")


@functools.cache
def wake_word_problem(model: str) -> str | None:
    """None when the wake-word engine loads with `model` (checked once per process), else the reason it does not."""
    from jarvis.vad.wakeword import WakeWordDetector

    try:
        WakeWordDetector(model).close()
    except AudioError as exc:
        return exc.message
    except (OSError, RuntimeError, ValueError) as exc:  # the TensorFlow Lite runtime refused the model
        return f"{type(exc).__name__}: {exc}"
    return None


@router.get("/wake-word", response_model=WakeWordOut)
async def wake_word(services: ServicesDep) -> WakeWordOut:
    """Whether hands-free sessions can wait for the wake word ("Hey Jarvis") on this server."""
    settings = services.settings.wake_word
    problem = await asyncio.to_thread(wake_word_problem, settings.model)  # loads the model once: off the loop
    return WakeWordOut(
        available=problem is None,
        model=settings.model,
        enabled=settings.enabled,
        listen_seconds=settings.listen_seconds,
        detail=problem or "",
    )
