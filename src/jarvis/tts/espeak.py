"""espeak-ng as a subprocess: robotic but instant, always available; the fallback voice."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import struct

import numpy as np
import structlog
from numpy.typing import NDArray

from jarvis.errors import TtsError
from jarvis.tts.base import Speech
from jarvis.tts.normalize import normalize

log = structlog.get_logger(__name__)

SAMPLE_RATE = 22050
DEFAULT_WORDS_PER_MINUTE = 175  # espeak-ng's own default rate
MIN_SPEED, MAX_SPEED = 0.5, 2.5


class EspeakSynthesizer:
    name = "espeak"
    sample_rate = SAMPLE_RATE

    def __init__(self, *, voice: str = "fr", binary: str = "espeak-ng", timeout_seconds: float = 30.0) -> None:
        self.voice = voice
        self.binary = binary
        self.timeout_seconds = timeout_seconds
        self._path: str | None = None
        self._voices: list[str] = []
        self._known: set[str] = set()  # every name -v accepts: codes, voice names, voice files
        self._load_lock = asyncio.Lock()

    @property
    def ready(self) -> bool:
        return self._path is not None

    def voices(self) -> list[str]:
        return list(self._voices) or [self.voice]

    async def load(self) -> None:
        async with self._load_lock:
            if self._path is not None:
                return
            path = shutil.which(self.binary)
            if path is None:
                raise TtsError(
                    f"espeak-ng est introuvable ({self.binary}) : installez-le avec « apt-get install espeak-ng ».",
                    code="engine-missing",
                    status=503,
                )
            listing = await self._run([path, "--voices"], b"")
            text = listing.decode("utf-8", "replace")
            self._voices = _parse_voices(text)
            self._known = {*self._voices, *(f for line in text.splitlines()[1:] for f in line.split()[3:5])}
            self._path = path
            log.info("tts-loaded", engine=self.name, binary=path, voices=len(self._voices))

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        if self._path is None:
            await self.load()
        assert self._path is not None
        voice = voice or self.voice
        if voice.startswith("-") or (self._known and voice.split("+")[0] not in self._known):
            raise TtsError(
                f"Voix espeak-ng inconnue : {voice}. Voix disponibles : {', '.join(self._voices)}.",
                code="unknown-voice",
                status=422,
            )
        if not MIN_SPEED <= speed <= MAX_SPEED:
            raise TtsError(
                f"Vitesse invalide : {speed} (entre {MIN_SPEED} et {MAX_SPEED}).", code="invalid-speed", status=422
            )
        spoken = normalize(text, voice).strip()
        if not any(c.isalnum() for c in spoken):
            raise TtsError("Rien à dire : le texte est vide.", code="empty-text", status=422)
        words_per_minute = round(DEFAULT_WORDS_PER_MINUTE * speed)
        # The text goes through stdin (UTF-8, -b 1): no argument-length limit, and a leading "-" is not an option.
        command = [self._path, "-v", voice, "-s", str(words_per_minute), "-b", "1", "--stdout"]
        wav = await self._run(command, spoken.encode("utf-8"))
        samples, rate = parse_wav(wav)
        return Speech(samples, rate)

    async def _run(self, command: list[str], stdin: bytes) -> bytes:
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                # Nothing to send: no pipe (a command that exits at once would close it under our write).
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise TtsError(
                f"Impossible de lancer espeak-ng : {exc}. Installez-le avec « apt-get install espeak-ng ».",
                code="engine-missing",
                status=503,
            ) from exc
        try:
            async with asyncio.timeout(self.timeout_seconds):
                stdout, stderr = await process.communicate(stdin or None)
        except TimeoutError as exc:
            raise TtsError(
                f"espeak-ng n'a pas répondu en {self.timeout_seconds:g} s.", code="tts-timeout", status=504
            ) from exc
        finally:
            if process.returncode is None:  # timed out or cancelled: do not leave it running
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        if process.returncode != 0:
            detail = stderr.decode("utf-8", "replace").strip() or f"code de sortie {process.returncode}"
            raise TtsError(f"espeak-ng a échoué : {detail}")
        return stdout

    async def close(self) -> None:
        self._path = None


def parse_wav(data: bytes) -> tuple[NDArray[np.int16], int]:
    """16-bit mono PCM from a WAV stream. espeak-ng writing to a pipe leaves the sizes at 0x7fffffff, so the
    data chunk is taken to run to the end of the bytes rather than trusted."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise TtsError("espeak-ng n'a pas produit de WAV.")
    offset, rate, bits, channels = 12, 0, 0, 0
    while offset + 8 <= len(data):
        chunk, size = data[offset : offset + 4], struct.unpack("<I", data[offset + 4 : offset + 8])[0]
        body = offset + 8
        if chunk == b"fmt ":
            _, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
        elif chunk == b"data":
            if bits != 16 or channels != 1 or rate <= 0:
                raise TtsError(f"WAV inattendu d'espeak-ng : {channels} canal(aux), {bits} bits, {rate} Hz.")
            pcm = data[body : min(len(data), body + size)]
            pcm = pcm[: len(pcm) // 2 * 2]
            return np.frombuffer(pcm, dtype="<i2").astype(np.int16), rate
        offset = body + size + (size & 1)
    raise TtsError("Le WAV d'espeak-ng n'a pas de données audio.")


def _parse_voices(listing: str) -> list[str]:
    """Language codes from `espeak-ng --voices`: each voice's own ("fr-fr") and the ones it also answers to ("fr")."""
    names: list[str] = []
    for line in listing.splitlines()[1:]:
        fields = line.split()
        codes = [fields[1]] if len(fields) >= 2 else []
        codes += re.findall(r"\((\S+) \d+\)", line)
        names += [code for code in codes if code not in names]
    return names
