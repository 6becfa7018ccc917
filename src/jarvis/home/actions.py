"""What an order means for each kind of device: the service to call, the state that proves it was done, and how
states, colours and weather are said."""

from __future__ import annotations

import colorsys
from collections.abc import Callable

from jarvis.home.cache import Entity
from jarvis.home.service import Action

ON_OFF: dict[tuple[str, bool], tuple[str, str, str]] = {
    ("lock", True): ("lock", "lock", "locked"),
    ("lock", False): ("lock", "unlock", "unlocked"),
    ("cover", True): ("cover", "open_cover", "open"),
    ("cover", False): ("cover", "close_cover", "closed"),
    ("alarm_control_panel", False): ("alarm_control_panel", "alarm_disarm", "disarmed"),
}
STATE_WORDS = {
    "fr": {"on": "allumé", "off": "éteint", "locked": "verrouillé", "unlocked": "déverrouillé", "open": "ouvert",
           "closed": "fermé", "heat": "en chauffe", "cool": "en refroidissement", "auto": "en mode automatique",
           "unavailable": "indisponible", "unknown": "inconnu", "armed_away": "armé en mode absence",
           "armed_home": "armé en mode présence", "armed_night": "armé en mode nuit", "disarmed": "désarmé",
           "arming": "en cours d'armement", "pending": "en attente de code", "triggered": "déclenché"},
    "en": {"on": "on", "off": "off", "locked": "locked", "unlocked": "unlocked", "open": "open", "closed": "closed",
           "heat": "heating", "cool": "cooling", "auto": "in auto mode", "unavailable": "unavailable",
           "unknown": "unknown", "armed_away": "armed (away)", "armed_home": "armed (home)",
           "armed_night": "armed (night)", "disarmed": "disarmed", "arming": "arming", "pending": "pending",
           "triggered": "triggered"},
}  # fmt: skip
WEATHER_FR = {
    "clear-night": "nuit claire", "cloudy": "nuageux", "fog": "brouillard", "hail": "grêle", "lightning": "orages",
    "lightning-rainy": "orages et pluie", "partlycloudy": "partiellement nuageux", "pouring": "averses",
    "rainy": "pluie", "snowy": "neige", "snowy-rainy": "neige et pluie", "sunny": "ensoleillé", "windy": "venteux",
    "windy-variant": "venteux et nuageux", "exceptional": "conditions exceptionnelles",
}  # fmt: skip

# The colours of Home Assistant's `color` list (HassLightSet), as sent to lights (CSS values, as HA's own names).
COLORS: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255), "red": (255, 0, 0), "orange": (255, 165, 0), "yellow": (255, 255, 0),
    "green": (0, 128, 0), "blue": (0, 0, 255), "purple": (128, 0, 128), "brown": (165, 42, 42),
    "pink": (255, 192, 203), "turquoise": (64, 224, 208),
}  # fmt: skip
COLOR_MODES = frozenset({"hs", "rgb", "rgbw", "rgbww", "xy"})
# How close Home Assistant's reported colour must be to count as done (lights convert between colour spaces).
HUE_TOLERANCE = 12.0
KELVIN_TOLERANCE = 0.03


def color_reached(rgb: tuple[int, int, int]) -> Callable[[Entity], bool]:
    """The light is on and shows this colour: same hue (or no saturation for white), from HA's `hs_color`."""
    hue, saturation, _ = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))

    def reached(entity: Entity) -> bool:
        shown = entity.attributes.get("hs_color")
        if entity.state != "on" or not isinstance(shown, list | tuple) or len(shown) != 2:
            return False
        if saturation < 0.05:
            return float(shown[1]) <= 15
        gap = abs(float(shown[0]) - hue * 360) % 360
        return min(gap, 360 - gap) <= HUE_TOLERANCE and float(shown[1]) >= 10

    return reached


def kelvin_range(entity: Entity) -> tuple[int, int]:
    low = int(entity.attributes.get("min_color_temp_kelvin") or 2000)
    high = int(entity.attributes.get("max_color_temp_kelvin") or 6500)
    return low, high


def kelvin_action(kelvin: int) -> Action:
    def reached(entity: Entity) -> bool:
        shown = entity.attributes.get("color_temp_kelvin")
        if entity.state != "on" or not isinstance(shown, int | float):
            return False
        return abs(shown - kelvin) <= kelvin * KELVIN_TOLERANCE

    return Action("light", "turn_on", {"color_temp_kelvin": kelvin}, reached)


def action_for(entity: Entity, on: bool, alarm_mode: str | None = None) -> Action:
    domain = entity.domain
    if domain == "alarm_control_panel" and on:
        # Armed, or arming while the exit delay runs (Home Assistant's arming_time): both mean it was done.
        mode = alarm_mode if alarm_mode in ("away", "home", "night") else "away"
        return Action(domain, f"alarm_arm_{mode}", {}, lambda e: e.state in (f"armed_{mode}", "arming"))
    service_domain, service, state = ON_OFF.get((domain, on), (domain, "turn_on" if on else "turn_off", ""))
    if domain in ("scene", "script"):
        return Action(service_domain, service, {}, lambda _e: True)
    if domain == "climate":
        return Action(service_domain, service, {}, lambda e: (e.state != "off") == on)
    expected = state or ("on" if on else "off")
    return Action(service_domain, service, {}, lambda e: e.state == expected)
