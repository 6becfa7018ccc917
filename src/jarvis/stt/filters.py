"""Hallucination filter: drops the segments Whisper invents on silence, noise or music (pure functions)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import Enum

from jarvis.stt.base import Segment

# Whisper's own thresholds: a segment that is probably silence AND was decoded with low confidence is dropped.
NO_SPEECH_PROB_THRESHOLD = 0.6
AVG_LOGPROB_THRESHOLD = -1.0
# Above this, the text compresses too well: a decoding loop ("la la la la ...").
COMPRESSION_RATIO_THRESHOLD = 2.4


class Match(Enum):
    EXACT = "exact"  # the whole segment is the artefact
    CONTAINS = "contains"  # the artefact is distinctive enough to condemn the segment wherever it appears


# Texts Whisper learnt from subtitle credits and video outros, written as normalised by `normalize_artefact`.
# Exact matches only for phrases a user could really say to an assistant in another context.
KNOWN_ARTEFACTS: tuple[tuple[str, Match], ...] = (
    # French
    ("sous titrage st 501", Match.CONTAINS),
    ("sous titres realises par la communaute d amara org", Match.CONTAINS),
    ("amara org", Match.CONTAINS),
    ("sous titrage societe radio canada", Match.CONTAINS),
    ("sous titrage fr", Match.EXACT),
    ("sous titrage", Match.EXACT),
    ("sous titres", Match.EXACT),
    ("merci d avoir regarde", Match.EXACT),
    ("merci d avoir regarde cette video", Match.EXACT),
    ("merci d avoir regarde et a bientot", Match.EXACT),
    ("abonnez vous", Match.EXACT),
    ("abonnez vous a la chaine", Match.EXACT),
    ("n oubliez pas de vous abonner", Match.EXACT),
    # English
    ("thank you for watching", Match.EXACT),
    ("thanks for watching", Match.EXACT),
    ("thank you so much for watching", Match.EXACT),
    ("subtitles by the amara org community", Match.CONTAINS),
    ("please subscribe", Match.EXACT),
    ("you", Match.EXACT),
)

_NOT_WORD = re.compile(r"[^\w]+|_")


def normalize_artefact(text: str) -> str:
    """Lowercase, accents removed, every run of punctuation or symbols turned into one space."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare).strip()


def _matches_artefact(normalised: str) -> bool:
    padded = f" {normalised} "
    for artefact, match in KNOWN_ARTEFACTS:
        if match is Match.EXACT and normalised == artefact:
            return True
        if match is Match.CONTAINS and f" {artefact} " in padded:
            return True
    return False


def is_hallucination(segment: Segment) -> bool:
    """True when the segment is most likely invented rather than heard."""
    if segment.no_speech_prob > NO_SPEECH_PROB_THRESHOLD and segment.avg_logprob < AVG_LOGPROB_THRESHOLD:
        return True
    if segment.compression_ratio > COMPRESSION_RATIO_THRESHOLD:
        return True
    normalised = normalize_artefact(segment.text)
    # Only punctuation, ellipses or music symbols (♪) left: nothing was said.
    if not normalised:
        return True
    return _matches_artefact(normalised)


def clean_segments(segments: Iterable[Segment]) -> list[Segment]:
    """The segments worth keeping, in order."""
    return [segment for segment in segments if not is_hallucination(segment)]
