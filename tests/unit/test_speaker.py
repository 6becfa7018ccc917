"""The speaker: sentences go to TTS as they complete, audio goes out in bounded frames, and what was really
said is known when the turn is cut short."""

from __future__ import annotations

import asyncio
import operator
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray

from jarvis.cpu import CpuPriority
from jarvis.errors import TtsError
from jarvis.events import Event, TtsStart
from jarvis.pipeline.speaker import Speaker
from jarvis.tts.base import Speech, Synthesizer
from jarvis.tts.sentences import SentenceSplitter

RATE = 24000
SAMPLES_PER_CHAR = 1000
MAX_FRAME_BYTES = int(RATE * 0.5) * 2  # 0.5 s of int16 mono


class FakeSynthesizer:
    """N samples per character; sentence number i (from 0) is made of samples of value i + 1, so the audio
    tells which sentence it came from. `gates[i]` blocks sentence i until set; `fail_on` raises TtsError."""

    name = "fake"
    sample_rate = RATE

    def __init__(
        self,
        *,
        gates: dict[int, asyncio.Event] | None = None,
        fail_on: int | None = None,
        delay: float = 0.0,
    ) -> None:
        self.gates = gates or {}
        self.fail_on = fail_on
        self.delay = delay
        self.sentences: list[str] = []
        self.options: list[tuple[str | None, float]] = []
        self.completed = 0
        self.closed = False

    @property
    def ready(self) -> bool:
        return True

    async def load(self) -> None:
        return None

    def voices(self) -> list[str]:
        return ["ff_siwis"]

    async def synthesize(self, text: str, *, voice: str | None = None, speed: float = 1.0) -> Speech:
        index = len(self.sentences)
        self.sentences.append(text)
        self.options.append((voice, speed))
        if index in self.gates:
            await self.gates[index].wait()
        if self.delay:
            await asyncio.sleep(self.delay)
        if index == self.fail_on:
            raise TtsError("La synthèse vocale a échoué.")
        self.completed += 1
        return Speech(samples_for(index, text), RATE)

    async def close(self) -> None:
        self.closed = True


def samples_for(index: int, text: str) -> NDArray[np.int16]:
    return np.full(len(text) * SAMPLES_PER_CHAR, index + 1, dtype=np.int16)


def _as_synthesizer(tts: FakeSynthesizer) -> Synthesizer:
    return tts  # checked by mypy: FakeSynthesizer satisfies the protocol


class Recorder:
    """What the speaker sent: events and audio frames, in one ordered log."""

    def __init__(self) -> None:
        self.log: list[Event | bytes] = []

    async def emit(self, event: Event) -> None:
        self.log.append(event)

    async def emit_audio(self, data: bytes) -> None:
        self.log.append(data)

    @property
    def events(self) -> list[Event]:
        return [item for item in self.log if not isinstance(item, bytes)]

    @property
    def frames(self) -> list[bytes]:
        return [item for item in self.log if isinstance(item, bytes)]

    @property
    def audio(self) -> bytes:
        return b"".join(self.frames)


def make_speaker(tts: FakeSynthesizer, recorder: Recorder, *, started: float | None = None, **options: Any) -> Speaker:
    return Speaker(
        _as_synthesizer(tts),
        recorder.emit,
        recorder.emit_audio,
        run_id="run-1",
        voice="ff_siwis",
        speed=1.1,
        started=time.perf_counter() if started is None else started,
        **options,
    )


async def wait_until(condition: Callable[[], bool], timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.001)


TEXT = (
    "Bien sûr, monsieur, la lumière du salon est allumée, comme demandé. "
    "Il fait vingt et un degrés dans la maison ! Voulez-vous autre chose ?"
)


def pieces(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def split(text_pieces: list[str]) -> list[str]:
    splitter = SentenceSplitter()
    out: list[str] = []
    for piece in text_pieces:
        out += splitter.feed(piece)
    return out + splitter.flush()


def expected_audio(sentences: list[str]) -> bytes:
    return b"".join(samples_for(i, s).astype("<i2").tobytes() for i, s in enumerate(sentences))


async def test_sentences_are_synthesized_in_order_as_they_complete() -> None:
    text_pieces = pieces(TEXT, 7)
    expected = split(text_pieces)
    assert len(expected) >= 3  # the test needs several sentences
    tts, recorder = FakeSynthesizer(), Recorder()
    speaker = make_speaker(tts, recorder)
    reference = SentenceSplitter()
    completed: list[str] = []
    for piece in text_pieces:
        completed += reference.feed(piece)
        speaker.feed(piece)
        # Each sentence goes to TTS as soon as it is complete, before the reply is finished.
        await wait_until(partial(operator.eq, tts.sentences, list(completed)))
    assert len(completed) >= 2
    await speaker.finish()
    assert tts.sentences == expected
    assert tts.options == [("ff_siwis", 1.1)] * len(expected)


async def test_tts_start_first_then_bounded_audio_frames() -> None:
    text_pieces = pieces(TEXT, 5)
    expected = split(text_pieces)
    tts, recorder = FakeSynthesizer(), Recorder()
    speaker = make_speaker(tts, recorder)
    for piece in text_pieces:
        speaker.feed(piece)
    await speaker.finish()

    assert isinstance(recorder.log[0], TtsStart)
    assert recorder.log[0].rate == RATE
    assert recorder.log[0].run_id == "run-1"
    assert len(recorder.events) == 1  # announced once, not per sentence
    frames = recorder.frames
    assert all(0 < len(frame) <= MAX_FRAME_BYTES and len(frame) % 2 == 0 for frame in frames)
    # Long sentences (1000 samples a character) really are cut into several frames.
    assert len(frames) > len(expected)
    assert any(len(frame) == MAX_FRAME_BYTES for frame in frames)
    # All the audio, in sentence order, nothing lost or duplicated; no frame mixes two sentences.
    assert recorder.audio == expected_audio(expected)
    for frame in frames:
        assert len(set(np.frombuffer(frame, dtype="<i2").tolist())) == 1


async def test_finish_waits_for_all_audio_and_records_what_was_said() -> None:
    started = time.perf_counter()
    tts, recorder = FakeSynthesizer(delay=0.02), Recorder()
    speaker = make_speaker(tts, recorder, started=started)
    speaker.feed(TEXT)
    expected = split([TEXT])
    await speaker.finish()
    # Nothing still in flight: every sentence synthesized and every byte sent before finish() returned.
    assert tts.completed == len(expected)
    assert recorder.audio == expected_audio(expected)
    assert speaker.spoken == expected
    assert speaker.spoken_text == " ".join(expected)
    assert speaker.error is None
    assert speaker.first_audio_seconds is not None
    assert 0.02 <= speaker.first_audio_seconds < time.perf_counter() - started
    assert speaker.tts_seconds >= 0.02 * len(expected)


async def test_nothing_spoken_before_audio() -> None:
    gate = asyncio.Event()
    tts, recorder = FakeSynthesizer(gates={0: gate}), Recorder()
    speaker = make_speaker(tts, recorder)
    speaker.feed(TEXT)
    await wait_until(lambda: len(tts.sentences) == 1)
    assert speaker.spoken_text == ""
    assert speaker.first_audio_seconds is None
    assert recorder.log == []
    gate.set()
    await speaker.finish()
    assert speaker.spoken_text == " ".join(split([TEXT]))


async def test_cancel_while_the_second_sentence_is_synthesized() -> None:
    gate = asyncio.Event()
    tts, recorder = FakeSynthesizer(gates={1: gate}), Recorder()
    speaker = make_speaker(tts, recorder)
    text = "Première phrase ici. Deuxième phrase là. Troisième phrase enfin. "
    speaker.feed(text)
    first = SentenceSplitter().feed(text)[0]
    await wait_until(lambda: len(tts.sentences) == 2)  # the second one is blocked in synthesize
    assert recorder.audio == expected_audio([first])
    sent = len(recorder.log)

    await speaker.cancel()
    assert speaker.spoken_text == first
    gate.set()
    await asyncio.sleep(0.05)
    # No more audio, and no further sentence was even synthesized.
    assert len(recorder.log) == sent
    assert tts.sentences == [first, "Deuxième phrase là."]
    assert tts.completed == 1
    assert speaker.spoken_text == first


async def test_cancel_as_a_sentence_is_ready_still_stops() -> None:
    """A cancel landing as the synthesis of a sentence ends stops the speaker (Python 3.11's `asyncio.wait_for`
    returned the audio and dropped the cancel: the worker went on and `cancel()` never returned)."""
    gate = asyncio.Event()
    tts, recorder = FakeSynthesizer(gates={0: gate}), Recorder()
    speaker = make_speaker(tts, recorder)
    speaker.feed("Première phrase ici. Deuxième phrase là. ")
    await wait_until(lambda: len(tts.sentences) == 1)
    gate.set()  # the audio is ready in the same loop turn as the cancel
    async with asyncio.timeout(1.0):
        await speaker.cancel()
    assert recorder.log == []
    assert speaker.spoken_text == ""


async def test_tts_error_on_the_first_sentence_silences_the_rest() -> None:
    tts, recorder = FakeSynthesizer(fail_on=0), Recorder()
    speaker = make_speaker(tts, recorder)
    speaker.feed(TEXT)
    await speaker.finish()  # does not raise
    expected = split([TEXT])
    assert isinstance(speaker.error, TtsError)
    assert speaker.error.code == "tts-failed"
    # The rest is skipped: no further synthesis, nothing announced, nothing sent, nothing spoken.
    assert tts.sentences == expected[:1]
    assert recorder.log == []
    assert speaker.spoken_text == ""
    assert speaker.first_audio_seconds is None


async def test_tts_error_midway_keeps_what_was_said() -> None:
    tts, recorder = FakeSynthesizer(fail_on=1), Recorder()
    speaker = make_speaker(tts, recorder)
    for piece in pieces(TEXT, 11):
        speaker.feed(piece)
    await speaker.finish()
    expected = split(pieces(TEXT, 11))
    assert isinstance(speaker.error, TtsError)
    assert tts.sentences == expected[:2]
    assert speaker.spoken_text == expected[0]
    assert len(recorder.events) == 1 and isinstance(recorder.events[0], TtsStart)
    assert recorder.audio == expected_audio(expected[:1])


@pytest.mark.parametrize("text", ["", "  ...  "])
async def test_nothing_to_say_sends_nothing(text: str) -> None:
    tts, recorder = FakeSynthesizer(), Recorder()
    speaker = make_speaker(tts, recorder)
    speaker.feed(text)
    await speaker.finish()
    assert tts.sentences == []
    assert recorder.log == []
    assert speaker.spoken_text == ""
    assert speaker.first_audio_seconds is None


async def test_audio_the_listener_waits_for_is_urgent_audio_ahead_is_not() -> None:
    """The first sentence (the listener hears nothing yet) pauses the LLM; a sentence made while plenty of audio is
    still playing does not."""
    priority = CpuPriority()
    gates = {0: asyncio.Event(), 1: asyncio.Event()}
    tts = FakeSynthesizer(gates=gates)
    recorder = Recorder()
    speaker = make_speaker(tts, recorder, realtime=True, priority=priority)
    # 45 characters make 45,000 samples: almost 2 s of audio at 24 kHz, more than the urgency margin.
    speaker.feed("Voici une première phrase assez longue ici. Et la suite. Fin")
    await wait_until(lambda: len(tts.sentences) == 1)
    assert priority.busy
    gates[0].set()
    await wait_until(lambda: len(tts.sentences) == 2)
    assert speaker.buffered_seconds(time.perf_counter()) > 1.0
    assert not priority.busy
    gates[1].set()
    await speaker.finish()
    assert not priority.busy


async def test_a_first_clause_too_slow_to_end_is_spoken_from_its_last_whole_phrase() -> None:
    tts, recorder = FakeSynthesizer(), Recorder()
    speaker = make_speaker(tts, recorder, first_clause_min_chars=10, first_piece_wait_seconds=0.05)
    tokens = ["Le", " livre", " Les", " Misérables", " a", " été", " écrit", " par", " Victor", " Hugo", "."]
    speaker.feed(tokens[0])
    for token in tokens[1:4]:
        speaker.feed(token)
    assert tts.sentences == []  # in time: the first piece still waits for a clause end
    await asyncio.sleep(0.06)
    for token in tokens[4:]:
        speaker.feed(token)
        await asyncio.sleep(0)
    await wait_until(lambda: len(tts.sentences) == 1)
    # Overdue when « a » comes: the words complete before it (« a » may still grow into « avait »).
    assert tts.sentences == ["Le livre Les Misérables"]
    await speaker.finish()
    assert tts.sentences == ["Le livre Les Misérables", "a été écrit par Victor Hugo."]
    assert speaker.spoken_text == "Le livre Les Misérables a été écrit par Victor Hugo."
