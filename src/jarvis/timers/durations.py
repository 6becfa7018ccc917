"""Durations: parsing what people type ("90", "5m", "1h30", "00:05:00") and saying them in French or English."""

from __future__ import annotations

import re

from jarvis.errors import InvalidInputError

_UNITS = {"h": 3600, "m": 60, "min": 60, "s": 1, "sec": 1}
_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*(h|min|m|sec|s)?", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """Seconds from "90", "90s", "5m", "5 min", "1h30", "1h30m15s" or "HH:MM:SS" / "MM:SS"."""
    value = text.strip().lower().replace(" ", "")
    if not value:
        raise InvalidInputError("Durée vide.", code="invalid-duration")
    if ":" in value:
        parts = value.split(":")
        if len(parts) > 3 or not all(p.isdigit() for p in parts):
            raise InvalidInputError(f"Durée invalide : « {text} ».", code="invalid-duration")
        clock = 0
        for part in parts:
            clock = clock * 60 + int(part)
        return float(clock)
    total = 0.0
    position = 0
    previous_unit = ""
    for match in _PART.finditer(value):
        if match.start() != position:
            break
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "").lower()
        if not unit:  # "1h30" means 1 h 30 min; a bare number alone means seconds
            unit = "m" if previous_unit == "h" else ("s" if previous_unit == "m" or position == 0 else "")
        if not unit:
            break
        total += number * _UNITS[unit]
        previous_unit = unit[0]
        position = match.end()
    if position != len(value):
        raise InvalidInputError(
            f"Durée invalide : « {text} » (exemples : 90, 90s, 5m, 1h30, 00:05:00).", code="invalid-duration"
        )
    return total


# A time: a unit, a clock time (« 18h30 », « 18:30 », « 8 h »), or a moment of the day (French and English). A bare
# figure is not one (« mets la chambre à 80 % »).
_TIME_WORDS = re.compile(
    r"\d\s*h\b|\d[:h]\d\d|\b(?:heures?|minutes?|mins?|secondes?|secs?|quarts?|demi|midi|minuit|demain|soir|matin|"
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|"
    r"hours?|seconds?|half|quarter|noon|midnight|tomorrow|tonight|morning|evening|"
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    re.IGNORECASE,
)


def mentions_time(text: str) -> bool:
    """Whether a request names a duration or a moment at all (« dans 5 minutes », « à midi », « for an hour »):
    without one, a timer or a reminder would be started for a time the user never said."""
    return _TIME_WORDS.search(text) is not None


# What asking for a timer or a reminder sounds like without saying the time (« lance un minuteur », « réveille-moi »).
_TIMER_WORDS = re.compile(
    r"\b(?:minuteurs?|timers?|chrono\w*|compte à rebours|compte a rebours|décompte|decompte|rappel\w*|"
    r"préviens|previens|prévenir|prevenir|réveil\w*|reveil\w*|alarm\w*|sonne\w*|"
    r"countdowns?|remind\w*|wake|alert\w*|fais[- ]moi penser|tell me to)\b",
    re.IGNORECASE,
)
# Taking one away (« annule », « arrête »): with a timer's name, or « tout » once one was started.
_CANCEL_WORDS = re.compile(
    r"\b(?:annule\w*|supprime\w*|arr[êe]te\w*|enl[èe]ve\w*|efface\w*|"
    r"cancel\w*|stop\w*|delete\w*|remove\w*|clear\w*)\b",
    re.IGNORECASE,
)


def mentions_timer(text: str, *, cancelling: bool = False) -> bool:
    """Whether a request is about a timer or a reminder (or, `cancelling`, asks to take something away): a small
    model may reach for the timer tools for « allume la lumière » or « éteins tout » when it has no better tool."""
    return _TIMER_WORDS.search(text) is not None or (cancelling and _CANCEL_WORDS.search(text) is not None)


# A duration in figures: « 30 secondes », « 5 min », « 2 heures », « 10 minutes and 30 seconds ».
_SAID_DURATION = re.compile(
    r"(\w*'?)\s*(\d+(?:[.,]\d+)?)\s*(heures?|hours?|h|minutes?|mins?|secondes?|seconds?|secs?|s)\b", re.IGNORECASE
)
# « à 8 h », « at 8 hours », « vers 18 h »: a moment of the day, not a duration.
_MOMENT_WORDS = frozenset({"à", "a", "at", "vers", "avant", "après", "apres", "before", "after", "until", "jusqu'"})


def said_seconds(text: str) -> float | None:
    """The duration a request gives in figures (« minuteur 1 heure 30 minutes » → 5400), None when it gives none
    that way (words, « 1h30 », a moment such as « à 8 h »: then the model's reading stands)."""
    total = 0.0
    found = False
    for before, number, unit in _SAID_DURATION.findall(text):
        if before.lower() in _MOMENT_WORDS:
            return None
        size = 3600 if unit[0].lower() == "h" else 60 if unit[0].lower() == "m" else 1
        total += float(number.replace(",", ".")) * size
        found = True
    return total if found else None


_WORDS = {
    "fr": (("jour", "jours"), ("heure", "heures"), ("minute", "minutes"), ("seconde", "secondes"), "et"),
    "en": (("day", "days"), ("hour", "hours"), ("minute", "minutes"), ("second", "seconds"), "and"),
}


def say_duration(seconds: float, language: str = "fr") -> str:
    """ "1 heure et 30 minutes", "45 secondes" (seconds are dropped beyond an hour)."""
    words = _WORDS.get(language, _WORDS["fr"])
    total = max(0, round(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    values = [days, hours, minutes, secs if total < 3600 else 0]
    parts = [f"{n} {words[i][0] if n == 1 else words[i][1]}" for i, n in enumerate(values) if n]
    if not parts:
        return f"0 {words[3][1]}"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + f" {words[4]} " + parts[-1]
