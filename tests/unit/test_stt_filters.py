"""The hallucination filter: Whisper's confidence thresholds and its known subtitle-credit artefacts."""

from __future__ import annotations

import pytest

from jarvis.stt.base import Segment
from jarvis.stt.filters import clean_segments, is_hallucination, normalize_artefact
from jarvis.stt.wer import normalize_for_wer


def seg(text: str, *, no_speech: float = 0.05, logprob: float = -0.3, ratio: float = 1.0) -> Segment:
    return Segment(
        start=0.0, end=2.0, text=text, no_speech_prob=no_speech, avg_logprob=logprob, compression_ratio=ratio
    )


DROPPED = [
    # Confidence: probably silence and decoded without confidence.
    seg(" Allume la lumière.", no_speech=0.61, logprob=-1.01),
    seg(" Bonjour.", no_speech=0.95, logprob=-1.5),
    # A decoding loop.
    seg(" la la la la la la la la la la la la la", ratio=2.41),
    # Subtitle credits and outros, in any case, punctuation or accents.
    seg(" Sous-titrage ST' 501"),
    seg(" Sous-titres réalisés par la communauté d'Amara.org"),
    seg("SOUS-TITRES REALISES PAR LA COMMUNAUTE D’AMARA.ORG"),
    seg(" Sous-titrage Société Radio-Canada"),
    seg(" Merci d'avoir regardé !"),
    seg(" Merci d'avoir regardé cette vidéo."),
    seg(" Abonnez-vous !"),
    seg(" Thank you for watching."),
    seg(" Thanks for watching!"),
    seg(" Subtitles by the Amara.org community"),
    seg(" you"),
    seg(" You."),
    # Nothing but punctuation or music.
    seg(" ..."),
    seg(" …"),
    seg(" ♪"),
    seg(" ♪ ♪ ♪"),
    seg(" ?!"),
    seg(""),
]

KEPT = [
    seg(" Allume la lumière du salon."),
    # High no-speech probability alone, or low confidence alone, is not enough.
    seg(" Éteins la cuisine.", no_speech=0.9, logprob=-0.5),
    seg(" Quel temps fait-il ?", no_speech=0.1, logprob=-1.4),
    seg(" Merci."),
    seg(" Merci d'avoir allumé la lumière."),
    seg(" Thank you."),
    seg(" Are you there?"),
    seg(" Abonne-moi à la liste de courses."),
    seg(" Active les sous-titres."),
    seg(" Minuteur 10 minutes.", ratio=2.4),
]


@pytest.mark.parametrize("segment", DROPPED, ids=[s.text or "<empty>" for s in DROPPED])
def test_hallucinations_are_dropped(segment: Segment) -> None:
    assert is_hallucination(segment)


@pytest.mark.parametrize("segment", KEPT, ids=[s.text for s in KEPT])
def test_real_speech_is_kept(segment: Segment) -> None:
    assert not is_hallucination(segment)


def test_clean_segments_keeps_order_and_only_real_speech() -> None:
    first, second = seg(" Allume la lumière."), seg(" Et ferme les volets.")
    mixed = [seg(" Sous-titrage ST' 501"), first, seg(" ♪"), second, seg(" Merci d'avoir regardé.")]
    assert clean_segments(mixed) == [first, second]
    assert clean_segments([]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" Sous-titres réalisés par la communauté d'Amara.org", "sous titres realises par la communaute d amara org"),
        ("Merci d’avoir regardé…", "merci d avoir regarde"),
        ("♪ ♪", ""),
        ("ÉTÉ_2024", "ete 2024"),
    ],
)
def test_normalize_artefact(text: str, expected: str) -> None:
    assert normalize_artefact(text) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("Allume la chambre à 80%.", "fr", "allume la chambre à 80 pour cent"),
        ("allume la Chambre à 80 pourcent", "fr", "allume la chambre à 80 pour cent"),
        ("Allume le rez-de-chaussée !", "fr", "allume le rez de chaussée"),
        ("il a ajouté qu’« on ne devrait pas »", "fr", "il a ajouté qu on ne devrait pas"),
        ("Minuteur 1 heure", "fr", "minuteur 1 heure"),
        ("set Bed Light brightness to 50%", "en", "set bed light brightness to 50 percent"),
        ("  What's   the date?  ", "en", "what s the date"),
    ],
)
def test_normalize_for_wer(text: str, language: str, expected: str) -> None:
    assert normalize_for_wer(text, language=language) == expected
