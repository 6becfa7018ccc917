"""The sentences Jarvis adds to Home Assistant's own (hassil format), and the words that name nothing."""

from __future__ import annotations

from typing import Any

# What Home Assistant's sentences lack and Jarvis needs (hassil format, matched after accent folding).
EXTRA_SENTENCES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "fr": {
        "HassTurnOn": [
            {
                "sentences": [
                    "(allume|eclaire) (toutes les|tous les|les) (lumiere[s]|lampe[s]) [de la maison|partout]"
                ],
                "slots": {"domain": "light", "scope": "all"},
            },
            {"sentences": ["(allume|eclaire) (la lumiere|la lampe)"], "slots": {"domain": "light", "scope": "one"}},
            {
                "sentences": [
                    "(arme|active|enclenche|mets en marche|mets|allume) [l'|la|le|mon|ma] {name} [en] [mode]"
                    " {alarm_mode}",
                    "(arme|active|enclenche|mets en marche|allume) [l'|la|le|mon|ma] {name}",
                ],
                "requires_context": {"domain": "alarm_control_panel"},
            },
        ],
        "HassTurnOff": [
            {
                "sentences": ["(eteins|coupe) (toutes les|tous les|les) (lumiere[s]|lampe[s]) [de la maison|partout]"],
                "slots": {"domain": "light", "scope": "all"},
            },
            {"sentences": ["(eteins|coupe) (la lumiere|la lampe)"], "slots": {"domain": "light", "scope": "one"}},
            {
                "sentences": ["(desarme|desactive|arrete|coupe|eteins) [l'|la|le|mon|ma] {name}"],
                "requires_context": {"domain": "alarm_control_panel"},
            },
        ],
        "HassClimateGetTemperature": [
            {
                "sentences": [
                    "quelle temperature fait[-]il (dans|au|a) [le|la|l'] {area}",
                    "(quelle est|c'est quoi) la temperature (du|de la|de l'|dans le|dans la) {area}",
                ]
            }
        ],
        "HassClimateSetTemperature": [
            {
                "sentences": [
                    "(mets|regle|monte|baisse) (le chauffage|la temperature) [(du|de la|de l'|dans le|dans la) {area}]"
                    " (a|sur) {temperature} [degres]"
                ]
            }
        ],
        "JarvisGetHumidity": [
            {
                "sentences": [
                    "(quelle est|c'est quoi) (l'humidite|le taux d'humidite) [(du|de la|de l'|dans le|dans la) {area}]",
                    "quel est le taux d'humidite [(du|de la|de l'|dans le|dans la) {area}]",
                ]
            }
        ],
    },
    "en": {
        "HassTurnOn": [
            {
                "sentences": ["turn on all [the] lights", "turn all [the] lights on"],
                "slots": {"domain": "light", "scope": "all"},
            },
            {"sentences": ["turn on the light", "turn the light on"], "slots": {"domain": "light", "scope": "one"}},
            {
                "sentences": ["arm [the] {name} [in] [mode] {alarm_mode} [mode]", "arm [the] {name}"],
                "requires_context": {"domain": "alarm_control_panel"},
            },
        ],
        "HassTurnOff": [
            {
                "sentences": ["turn off all [the] lights", "turn all [the] lights off"],
                "slots": {"domain": "light", "scope": "all"},
            },
            {"sentences": ["turn off the light", "turn the light off"], "slots": {"domain": "light", "scope": "one"}},
            {"sentences": ["disarm [the] {name}"], "requires_context": {"domain": "alarm_control_panel"}},
        ],
        "JarvisGetHumidity": [
            {"sentences": ["what is the humidity [in [the] {area}]", "how humid is it [in [the] {area}]"]}
        ],
    },
}

# Alarm modes (Home Assistant's alarm_arm_<mode> services and armed_<mode> states), as said.
ALARM_MODES: dict[str, dict[str, Any]] = {
    "fr": {
        "values": [
            {"in": "(nuit|de nuit)", "out": "night"},
            {"in": "(maison|presence|domicile|partiel)", "out": "home"},
            {"in": "(absence|absent|total|exterieur)", "out": "away"},
        ]
    },
    "en": {"values": [{"in": "night", "out": "night"}, {"in": "home", "out": "home"}, {"in": "away", "out": "away"}]},
}

# Commands whose unknown names are answered by the fast path (questions about unknown things go to the LLM).
UNKNOWN_INTENTS = frozenset({"HassTurnOn", "HassTurnOff", "HassToggle", "HassLightSet", "HassClimateSetTemperature"})
# Home Assistant's lock sentences (« verrouille la porte ») only match a lock: for the second chance, any words are.
UNKNOWN_CONTEXTS: tuple[dict[str, str], ...] = ({"domain": "lock"},)

# Words that name nothing in particular (what a "name" made only of them means is for the LLM to work out).
NOT_NAMES = frozenset({
    "les", "des", "une", "tout", "tous", "toutes", "partout", "rien", "maison", "lumiere", "lumieres", "lampe",
    "lampes", "eclairage", "pour", "avec", "dans", "sur", "the", "all", "everything", "everywhere", "house", "home",
    "light", "lights", "lamp", "lamps", "for", "with",
})  # fmt: skip
