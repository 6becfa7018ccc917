"""Semantic endpointing: which early transcripts (Whisper's, punctuated) read as a finished utterance."""

from __future__ import annotations

import pytest

from jarvis.config import VadSettings
from jarvis.pipeline.completeness import end_silence, sounds_complete


@pytest.mark.parametrize(
    "text",
    [
        "Quelle est la capitale de la France ?",
        "Quel temps fait-il ?",
        "combien de temps reste-t-il ?",
        "Il est où ?",
        "C'est qui ?",
        "Combien font 12 x 12 ?",
        "Mets le chauffage à 21.",
        "Raconte-moi une blague.",
        "Quelle est la capitale de l'Italie ?",
        "Merci !",
        "« Éteins tout. »",
        "What time is it?",
        "Turn on standing light.",
    ],
)
def test_whole_sentences(text: str) -> None:
    assert sounds_complete(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Quelle est la capitale de la",  # no final mark
        "Bonjour Jarvis, quel temps fait-il",
        "Je voudrais savoir si...",  # an ellipsis: the speaker trails off
        "Je voudrais savoir si…",
        "Raconte-moi une histoire avec.",  # Whisper's full stop after a preposition
        "Et puis euh.",
        "Allume la lumière et.",
        "Il a dit qu'.",
        "Quelle est la capitale de ?",
        "Set bed light brightness 50%",
        "Tell me about the.",
    ],
)
def test_unfinished_words(text: str) -> None:
    assert not sounds_complete(text)


def never(_: str) -> bool:
    return False


def test_a_command_ends_at_once_a_sentence_sooner_the_rest_after_the_whole_silence() -> None:
    vad = VadSettings()
    commands = {"allume la lumière du salon."}
    assert end_silence("Allume la lumière du salon.", vad, lambda text: text.lower() in commands) == 0.0
    assert end_silence("Quelle est la capitale de la France ?", vad, never) == vad.sentence_end_silence_seconds
    assert end_silence("Quelle est la capitale de la", vad, never) is None


def test_each_shortcut_can_be_turned_off() -> None:
    vad = VadSettings(end_on_command=False, sentence_end_silence_seconds=None)
    assert end_silence("Allume la lumière du salon.", vad, lambda _: True) is None
    assert end_silence("Quelle est la capitale de la France ?", vad, never) is None
