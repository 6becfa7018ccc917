"""The phrases made ready at start-up are the very pieces the speaker sends for the recurring replies."""

from __future__ import annotations

from jarvis.config import Settings
from jarvis.i18n import t
from jarvis.services import phrases_to_warm
from jarvis.tts.sentences import SentenceSplitter

MIN_CHARS = Settings().tts.first_clause_min_chars


def spoken_pieces(text: str) -> list[str]:
    splitter = SentenceSplitter(first_clause_min_chars=MIN_CHARS)
    return [*splitter.feed(text), *splitter.flush()]


def test_openings_and_fixed_replies_are_warmed() -> None:
    warmed = phrases_to_warm("fr", MIN_CHARS)
    assert {"C'est fait,", "C'est parti :", "Laquelle :", "Dehors :"} <= set(warmed)
    assert {"Aucun minuteur ni rappel en cours.", "D'accord, je ne fais rien."} <= set(warmed)
    assert {"Je ne suis pas sûr d'avoir bien compris.", "Pouvez-vous répéter ?"} <= set(warmed)
    # Every refusal (« Appelle maman », a tool Jarvis does not have) is this sentence.
    assert "Désolé, je ne sais pas faire ça." in warmed


def test_replies_open_with_a_warmed_piece() -> None:
    warmed = set(phrases_to_warm("fr", MIN_CHARS))
    replies = [
        t("home-done", "fr", name="la lumière du salon", state="allumée"),
        t("home-done-many", "fr", count=4),
        t("home-brightness-done", "fr", names="la lampe de chevet", percent=80),
        t("timer-started", "fr", label="", duration="20 secondes"),
        t("timers-none", "fr"),
        t("home-unsure", "fr"),
        t("home-weather", "fr", details="partiellement nuageux, 14 degrés, humidité 71 %"),
    ]
    for reply in replies:
        assert spoken_pieces(reply)[0] in warmed, reply


def test_without_home_assistant_its_answer_is_warmed_whole() -> None:
    answer = spoken_pieces(t("home-not-configured", "fr"))
    assert not set(answer) & set(phrases_to_warm("fr", MIN_CHARS))
    assert set(answer) <= set(phrases_to_warm("fr", MIN_CHARS, home_configured=False))
