"""The shared real recordings (../shared/speech) and helpers to compare transcripts."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import jiwer

from jarvis.bench.voice import default_corpus
from jarvis.stt.wer import normalize_for_wer

SPEECH_DIR = default_corpus() or Path(os.environ.get("JARVIS_SPEECH_DIR", "../shared/speech"))


@dataclass(frozen=True)
class Clip:
    path: Path
    language: str
    duration_seconds: float
    transcript: str


def clips(language: str | None = None) -> list[Clip]:
    with (SPEECH_DIR / "manifest.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        Clip(SPEECH_DIR / row["file"], row["language"], float(row["duration_s"]), row["transcript"])
        for row in rows
        if language is None or row["language"] == language
    ]


def clip(name: str) -> Clip:
    return next(c for c in clips() if c.path.name == name.split("/")[-1] and name.split("/")[0] == c.language)


def wer(reference: str, hypothesis: str) -> float:
    return float(jiwer.wer(normalize_for_wer(reference), normalize_for_wer(hypothesis) or "∅"))
