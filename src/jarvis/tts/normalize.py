"""Text normalisation before synthesis: numbers, times, dates, units, currency and abbreviations spelt out as words."""

from __future__ import annotations

import re
from collections.abc import Callable

from num2words import num2words  # type: ignore[import-untyped]

from jarvis.brain.prompt import MONTHS_FR

# Between a number and its unit: nothing, a space, a no-break space or a narrow no-break space.
_SEP = "[ \u00a0\u202f]?"
_UPPER = "A-ZÀ-ÖØ-Þ"
# A number not glued to a word or to another number; the sign only counts when it starts a word ("-3", not "2-3").
_NUM = r"(?<![\w.,])(?P<sign>[-−+](?=\d))?(?P<int>\d++)(?:[.,](?P<frac>\d++))?+"
_END = r"(?![\w'’/²³])"


# symbol -> (singular, plural, feminine)
_UNITS: dict[str, tuple[str, str, bool]] = {
    "km/h": ("kilomètre heure", "kilomètres heure", False),
    "m/s": ("mètre par seconde", "mètres par seconde", False),
    "km²": ("kilomètre carré", "kilomètres carrés", False),
    "m²": ("mètre carré", "mètres carrés", False),
    "m³": ("mètre cube", "mètres cubes", False),
    "km": ("kilomètre", "kilomètres", False),
    "cm": ("centimètre", "centimètres", False),
    "mm": ("millimètre", "millimètres", False),
    "m": ("mètre", "mètres", False),
    "kg": ("kilogramme", "kilogrammes", False),
    "mg": ("milligramme", "milligrammes", False),
    "g": ("gramme", "grammes", False),
    "ml": ("millilitre", "millilitres", False),
    "mL": ("millilitre", "millilitres", False),
    "cl": ("centilitre", "centilitres", False),
    "cL": ("centilitre", "centilitres", False),
    "l": ("litre", "litres", False),
    "L": ("litre", "litres", False),
    "h": ("heure", "heures", True),
    "min": ("minute", "minutes", True),
    "ms": ("milliseconde", "millisecondes", True),
    "s": ("seconde", "secondes", True),
    "kWh": ("kilowattheure", "kilowattheures", False),
    "kW": ("kilowatt", "kilowatts", False),
    "W": ("watt", "watts", False),
    "V": ("volt", "volts", False),
    "Hz": ("hertz", "hertz", False),
    "dB": ("décibel", "décibels", False),
    "ko": ("kilooctet", "kilooctets", False),
    "Ko": ("kilooctet", "kilooctets", False),
    "Mo": ("mégaoctet", "mégaoctets", False),
    "Go": ("gigaoctet", "gigaoctets", False),
    "To": ("téraoctet", "téraoctets", False),
}
# symbol -> (singular, plural, name of the hundredth)
_CURRENCIES: dict[str, tuple[str, str, str]] = {
    "€": ("euro", "euros", "centimes"),
    "EUR": ("euro", "euros", "centimes"),
    "$": ("dollar", "dollars", "cents"),
    "USD": ("dollar", "dollars", "cents"),
    "£": ("livre", "livres", "pence"),
    "GBP": ("livre", "livres", "pence"),
    "CHF": ("franc suisse", "francs suisses", "centimes"),
}
_TITLES = {
    "M": "monsieur",
    "MM": "messieurs",
    "Mme": "madame",
    "Mmes": "mesdames",
    "Mlle": "mademoiselle",
    "Mlles": "mesdemoiselles",
    "Dr": "docteur",
    "Pr": "professeur",
    "Mgr": "monseigneur",
}
# Nouns that make a preceding "un" feminine ("21 heures" -> "vingt et une heures").
_FEMININE_NOUNS = (
    "heure|minute|seconde|semaine|année|journée|fois|personne|pièce|lampe|lumière|porte|fenêtre|chose|minuterie"
)


def _alternation(keys: list[str]) -> str:
    return "|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))


def _cardinal(digits: str, *, feminine: bool = False) -> str:
    """Digits as French words; leading zeros are read ("007" -> "zéro zéro sept")."""
    if len(digits) > 1 and digits.startswith("0"):
        if len(digits) == 10:  # a French phone number, read two digits at a time
            return " ".join(_cardinal(digits[i : i + 2]) for i in range(0, 10, 2))
        rest = digits.lstrip("0")
        zeros = ["zéro"] * (len(digits) - len(rest))
        return " ".join([*zeros, _cardinal(rest, feminine=feminine)] if rest else zeros)
    if len(digits) > 15:  # beyond any quantity: an identifier, read digit by digit
        return " ".join(_cardinal(digit) for digit in digits)
    words = str(num2words(int(digits), lang="fr"))
    return re.sub(r"\bun$", "une", words) if feminine else words


def _number(m: re.Match[str], *, feminine: bool = False) -> tuple[str, float]:
    """The words for the `sign`/`int`/`frac` groups of a match, and its value (for singular or plural)."""
    sign, integer, fraction = m.group("sign"), m.group("int"), m.group("frac")
    words = _cardinal(integer, feminine=feminine and not fraction)
    if fraction:
        words = f"{words} virgule {_cardinal(fraction)}"
    value = float(f"{integer}.{fraction or 0}")
    if sign in ("-", "−"):
        return f"moins {words}", -value
    if sign == "+":
        return f"plus {words}", value
    return words, value


def _counted(words: str, value: float, singular: str, plural: str) -> str:
    """`words` followed by the noun, with French agreement (plural from 2; "un million d'euros")."""
    noun = singular if abs(value) < 2 else plural
    if re.search(r"(millions?|milliards?)$", words):
        return f"{words} d'{noun}" if noun[0] in "aeéèêiouyh" else f"{words} de {noun}"
    return f"{words} {noun}"


def _sub(pattern: str, replace: Callable[[re.Match[str]], str], flags: int = 0) -> Callable[[str], str]:
    compiled = re.compile(pattern, flags)
    return lambda text: compiled.sub(replace, text)


def _join_thousands(m: re.Match[str]) -> str:
    return re.sub(r"[ \u00a0\u202f.]", "", m.group(0))


def _title(m: re.Match[str]) -> str:
    return _TITLES[m.group("title")]


def _etc(m: re.Match[str]) -> str:
    # The period of "etc." also ends the sentence when nothing, or a capital, follows.
    return "et cetera." if m.group("end") is not None else "et cetera"


def _date(m: re.Match[str]) -> str:
    day, month, year = int(m.group("d")), int(m.group("m")), m.group("y")
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return m.group(0)
    day_words = "premier" if day == 1 else _cardinal(str(day))
    return f"{day_words} {MONTHS_FR[month - 1]} {_cardinal(year.lstrip('0') or '0')}"


def _clock(hours: int, minutes: int) -> str:
    hour_words = _cardinal(str(hours), feminine=True)
    text = f"{hour_words} {'heure' if hours < 2 else 'heures'}"
    return f"{text} {_cardinal(str(minutes), feminine=True)}" if minutes else text


def _time(m: re.Match[str]) -> str:
    hours, minutes = int(m.group("h")), int(m.group("m"))
    if hours > 24 or minutes > 59:
        return m.group(0)
    seconds = m.groupdict().get("s")
    if seconds is None:
        return _clock(hours, minutes)
    minute_words = _counted(_cardinal(str(minutes), feminine=True), minutes, "minute", "minutes")
    second_words = _counted(_cardinal(str(int(seconds)), feminine=True), int(seconds), "seconde", "secondes")
    return f"{_clock(hours, 0)} {minute_words} {second_words}"


def _currency(m: re.Match[str]) -> str:
    singular, plural, hundredth = _CURRENCIES[m.group("cur")]
    integer, fraction = m.group("int"), m.group("frac")
    sign = "moins " if m.group("sign") in ("-", "−") else ""
    if fraction and len(fraction) > 2:  # not cents: read as a plain decimal
        words, value = _number(m, feminine=singular == "livre")
        return _counted(words, value, singular, plural)
    cents = int(fraction.ljust(2, "0")) if fraction else 0
    units = int(integer)
    if units == 0 and cents:
        return f"{sign}{_cardinal(str(cents))} {hundredth}"
    text = sign + _counted(_cardinal(integer, feminine=singular == "livre"), units, singular, plural)
    return f"{text} {_cardinal(str(cents))}" if cents else text


def _temperature(m: re.Match[str]) -> str:
    words, value = _number(m)
    text = _counted(words, value, "degré", "degrés")
    return f"{text} Fahrenheit" if m.group("scale") == "F" else text


def _percent(m: re.Match[str]) -> str:
    return f"{_number(m)[0]} pour cent"


def _unit(m: re.Match[str]) -> str:
    singular, plural, feminine = _UNITS[m.group("unit")]
    words, value = _number(m, feminine=feminine)
    return _counted(words, value, singular, plural)


def _ordinal(m: re.Match[str]) -> str:
    return _ordinal_words(int(m.group("n")), m.group("suf").lower())


def _ordinal_words(n: int, suffix: str) -> str:
    plural = "s" if suffix.endswith("s") else ""
    if n == 1:
        return ("première" if suffix.rstrip("s") in ("re", "ère") else "premier") + plural
    if n == 2 and suffix.startswith("nd"):
        return ("seconde" if suffix.startswith("nde") else "second") + plural
    return str(num2words(n, lang="fr", to="ordinal")) + plural


_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def _roman_value(numeral: str) -> int | None:
    """The value of a canonical Roman numeral (I to CCCXCIX), None for anything else ("IIII", "VX")."""
    values = [_ROMAN[c] for c in numeral]
    total = sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))
    return total if 0 < total < 400 and _to_roman(total) == numeral else None


def _to_roman(n: int) -> str:
    out = ""
    for value, symbol in ((100, "C"), (90, "XC"), (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV")):
        count, n = divmod(n, value)
        out += symbol * count
    return out + "I" * n


def _roman_ordinal(m: re.Match[str]) -> str:
    numeral = m.group("r")
    value = _roman_value(numeral)
    # One letter alone is only a numeral for I, V and X ("Le" and "Ce" are words).
    if value is None or (len(numeral) == 1 and numeral not in "IVX"):
        return m.group(0)
    return _ordinal_words(value, m.group("suf"))


def _dotted(m: re.Match[str]) -> str:
    return " point ".join(_cardinal(part) for part in m.group(0).split("."))


def _plain(m: re.Match[str]) -> str:
    return _number(m, feminine=m.group("fem") is not None)[0]


_FR_RULES: tuple[Callable[[str], str], ...] = (
    # Thousands separators first, so that every later rule sees "2500000" for "2 500 000".
    _sub(r"(?<![\w.,])\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?!\d)", _join_thousands),
    _sub(r"(?<![\w.,])\d{1,3}(?:\.\d{3}){2,}(?![\d.])", _join_thousands),
    _sub(rf"\b(?P<title>MM?)\.(?=\s+[{_UPPER}])", _title),
    _sub(r"\b(?P<title>Mmes?|Mlles?|Dr|Pr|Mgr)\b(?:\.(?=\s+\w))?", _title),
    _sub(rf"\betc\b(?:\.\.\.|…|\.)?(?P<end>(?=\s*$)|(?=\s+[{_UPPER}]))?", _etc),
    _sub(r"\bav\. J\.-C\.", lambda m: "avant Jésus-Christ"),
    _sub(r"\bapr\. J\.-C\.", lambda m: "après Jésus-Christ"),
    _sub(r"\bJ\.-C\.", lambda m: "Jésus-Christ"),
    _sub(r"\b[nN]°\s?(?=\d)", lambda m: "numéro "),
    _sub(r"\bcf\.", lambda m: "confer"),
    _sub(r"\benv\.(?=\s+[\d\w])", lambda m: "environ"),
    _sub(r"(?<![\w.,/])(?P<d>\d{1,2})(?P<sep>[/.])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\w/]|\.\d)", _date),
    _sub(r"(?<![\w.,-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?![\w-])", _date),
    _sub(r"(?<![\w.,])(?P<h>\d{1,2})\s?[hH]\s?(?P<m>\d{2})(?![\w])", _time),
    _sub(r"(?<![\w.,:])(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?(?![\d:])", _time),
    _sub(rf"{_NUM}{_SEP}(?P<cur>€|\$|£|EUR\b|USD\b|GBP\b|CHF\b)", _currency),
    _sub(rf"(?P<cur>€|\$|£){_SEP}{_NUM}(?![\w])", _currency),
    _sub(rf"{_NUM}{_SEP}°{_SEP}(?P<scale>[CF])?(?![\w])", _temperature),
    _sub(rf"{_NUM}{_SEP}%", _percent),
    _sub(rf"{_NUM}{_SEP}(?P<unit>{_alternation(list(_UNITS))}){_END}", _unit),
    _sub(r"(?<![\w.,])(?P<n>\d+)(?P<suf>ers?|res?|ères?|nde?s?|èmes?|emes?|es?)(?![\w])", _ordinal),
    _sub(r"\b(?P<r>[IVXLC]+)(?P<suf>ers?|res?|ères?|e|ème)\b", _roman_ordinal),
    _sub(r"(?<![\w.,])\d+(?:\.\d+){2,}(?![\w]|\.\d)", _dotted),
    _sub(rf"{_NUM}(?![\w])(?P<fem>(?=\s+(?:{_FEMININE_NOUNS})s?\b))?", _plain),
)


def normalize_fr(text: str) -> str:
    """French text with numbers, times, dates, units, currency and common abbreviations written out as words."""
    for rule in _FR_RULES:
        text = rule(text)
    return text


def _english_number(m: re.Match[str]) -> str:
    integer, fraction = m.group("int"), m.group("frac")
    if len(integer) > 15 or (len(integer) > 1 and integer.startswith("0")):
        return m.group(0)
    value: float | int = float(f"{integer}.{fraction}") if fraction else int(integer)
    words = str(num2words(value, lang="en"))
    return f"minus {words}" if m.group("sign") in ("-", "−") else words


_EN_RULES: tuple[Callable[[str], str], ...] = (
    _sub(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d]|\.\d)", lambda m: m.group(0).replace(",", "")),
    _sub(r"(?<![\w.,])(?P<sign>[-−](?=\d))?(?P<int>\d+)(?:\.(?P<frac>\d+))?(?![\w]|[.,]\d)", _english_number),
)


def normalize(text: str, language: str) -> str:
    """Normalise `text` for the language of the voice ("fr", "fr-fr", "en-us"...); other languages pass unchanged."""
    base = language.lower().replace("_", "-").split("-")[0]
    if base == "fr":
        return normalize_fr(text)
    if base == "en":
        for rule in _EN_RULES:
            text = rule(text)
    return text


# The speed range of the neural voices (Kokoro, Piper).
MIN_SPEED, MAX_SPEED = 0.5, 2.0


def speakable(text: str, language: str, speed: float) -> str:
    """The normalised text a neural voice reads, after checking the speed; coded errors for what cannot be said."""
    from jarvis.errors import TtsError

    if not MIN_SPEED <= speed <= MAX_SPEED:
        raise TtsError(
            f"Vitesse invalide : {speed} (entre {MIN_SPEED} et {MAX_SPEED}).", code="invalid-speed", status=422
        )
    spoken = normalize(text, language).strip()
    if not any(c.isalnum() for c in spoken):
        raise TtsError("Rien à dire : le texte est vide.", code="empty-text", status=422)
    return spoken
