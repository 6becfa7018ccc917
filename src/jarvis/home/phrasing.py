"""Saying entity and area names in a sentence: French articles and gender (a small heuristic), numbers, states."""

from __future__ import annotations

from jarvis.brain.fastpath import fold

# First words of names that are feminine in French (the rest are taken as masculine).
_FEMININE = frozenset(
    [
        "lumiere",
        "lampe",
        "prise",
        "porte",
        "cafetiere",
        "television",
        "tele",
        "guirlande",
        "veilleuse",
        "ampoule",
        "applique",
        "suspension",
        "bouilloire",
        "machine",
        "hotte",
        "climatisation",
        "ventilation",
        "serrure",
        "alarme",
        "fenetre",
        "piece",
        "chaudiere",
        "pompe",
        "radio",
        "chambre",
        "cuisine",
        "salle",
        "entree",
        "cave",
        "buanderie",
        "terrasse",
        "veranda",
        "mezzanine",
        "bibliotheque",
        "toilette",
        "douche",
        "baignoire",
        "console",
        "enceinte",
        "camera",
        "sonnette",
        "barriere",
        "station",
        "temperature",
        "humidite",
        "meteo",
        "vmc",
        "box",
    ]
)
_ARTICLES = ("le ", "la ", "les ", "l'", "mon ", "ma ", "mes ")


def feminine(name: str) -> bool:
    words = fold(name).replace("'", " ").split()
    words = [w for w in words if w not in ("le", "la", "les", "l", "mon", "ma", "mes")]
    return bool(words) and words[0] in _FEMININE


def with_article(name: str, language: str) -> str:
    """'Lumière du salon' -> 'la lumière du salon' (fr); 'Kitchen light' -> 'the kitchen light' (en)."""
    lowered = name[:1].lower() + name[1:] if name[1:2].islower() or len(name) == 1 else name
    if language != "fr":
        return lowered if lowered.lower().startswith("the ") else f"the {lowered}"
    if fold(lowered).startswith(_ARTICLES):
        return lowered
    if fold(lowered)[:1] in "aeiouyh":
        return f"l'{lowered}"
    return f"{'la' if feminine(name) else 'le'} {lowered}"


def in_place(area: str, language: str) -> str:
    """'Salon' -> 'dans le salon'; 'Kitchen' -> 'in the kitchen'."""
    return f"{'dans' if language == 'fr' else 'in'} {with_article(area, language)}"


def number(value: float | str, language: str) -> str:
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        return str(value)
    text = f"{round(as_float, 1):g}"
    return text.replace(".", ",") if language == "fr" else text


def agree(words: str, name: str, language: str) -> str:
    """French past participles agree with the name: 'allumé' -> 'allumée' for 'la lumière', 'armé en mode nuit'
    -> 'armée en mode nuit' for 'l'alarme' (the first word; « en chauffe » has no participle)."""
    first, space, rest = words.partition(" ")
    if language != "fr" or not feminine(name) or first.endswith("e") or first in ("en", "à"):
        return words
    return first + "e" + space + rest


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
