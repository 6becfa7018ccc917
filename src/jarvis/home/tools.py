"""The house as tools for the LLM. What the fast path's grammar does not catch (« il fait trop sombre dans le
salon, tu peux allumer ? ») the model can still do, through the very same handlers: devices found by name or
room, every action confirmed only once Home Assistant reports the new state, sensitive devices asking « oui ? »
first (the answer goes to the fast path, as for a spoken command). The result is the reply, word for word."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Literal

from pydantic import Field

from jarvis.brain.fastpath import IntentRequest, fold
from jarvis.errors import JarvisError
from jarvis.home.intents import HomeIntents
from jarvis.home.service import HomeService, name_variants
from jarvis.i18n import t
from jarvis.tools.base import Tool, current_conversation
from jarvis.tools.functions import FunctionTool

Handler = Callable[[IntentRequest], Awaitable[str | None]]
Color = Literal["white", "red", "orange", "yellow", "green", "blue", "purple", "brown", "pink", "turquoise"]


def find_entity(home: HomeService, said: str) -> str | None:
    """The entity id of the device named `said` (its name or an alias, with or without article, any accents)."""
    wanted = name_variants(said)
    for entity in home.exposed():
        if any(wanted & name_variants(spoken) for spoken in (entity.name, *entity.aliases)):
            return entity.entity_id
    return None


def find_area(home: HomeService, said: str) -> str | None:
    wanted = name_variants(said)
    for area in home.cache.areas.values():
        if area.area_id == fold(said) or any(wanted & name_variants(spoken) for spoken in (area.name, *area.aliases)):
            return area.area_id
    return None


def area_in(home: HomeService, said: str) -> str | None:
    """The room named inside a device description the house does not know as such (« chauffage du salon »)."""
    words = f" {fold(said)} "
    for area in home.cache.areas.values():
        if any(f" {variant} " in words for spoken in (area.name, *area.aliases) for variant in name_variants(spoken)):
            return area.area_id
    return None


class HomeTools:
    def __init__(self, intents: HomeIntents, home: HomeService, language: str) -> None:
        self.intents = intents
        self.home = home
        self.language = language

    def request(self, intent: str, name: str, area: str, **slots: object) -> IntentRequest:
        """What the fast path would have recognised, from the model's arguments. A name the house does not have
        but that names one of its rooms means that room; otherwise a name or room the house does not have stays as
        said, and the handler answers that it does not know it."""
        resolved: dict[str, object] = {key: value for key, value in slots.items() if value is not None}
        words: dict[str, str] = {}
        entity = find_entity(self.home, name) if name.strip() else None
        room = area_in(self.home, name) if name.strip() and entity is None and not area.strip() else None
        if room is not None:  # « chauffage du salon »: the salon's device of the kind the tool acts on
            resolved["area"] = room
            words["area"] = name.strip()
        elif name.strip():
            resolved["name"] = entity or name
            words["name"] = name.strip()
        if area.strip():
            resolved["area"] = find_area(self.home, area) or area
            words["area"] = area.strip()
        return IntentRequest(
            intent=intent,
            slots=resolved,
            words=words,
            context={},
            text=" ".join(filter(None, (intent, name, area))),
            language=self.language,
            conversation_id=current_conversation.get(),
        )

    async def run(self, handler: Handler, request: IntentRequest) -> str:
        try:
            reply = await handler(request)
        except JarvisError as exc:  # Home Assistant away, an unknown name…: the user hears why
            return exc.message
        return reply or t("home-nothing", self.language)

    def tools(self) -> list[Tool]:
        intents = self.intents

        async def control_device(action: Literal["on", "off", "toggle"], name: str = "", area: str = "") -> str:
            """Allume (on), éteint (off) ou inverse (toggle) un appareil de la maison, par son nom ou sa pièce.

            Args:
                name: nom de l'appareil
                area: pièce
            """
            if action == "toggle":
                return await self.run(intents.toggle, self.request("HassToggle", name, area))
            on = action == "on"
            intent = "HassTurnOn" if on else "HassTurnOff"
            return await self.run(lambda r: intents.turn(r, on), self.request(intent, name, area))

        async def set_light(
            name: str = "",
            area: str = "",
            brightness_percent: Annotated[int, Field(ge=0, le=100)] | None = None,
            color: Color | None = None,
        ) -> str:
            """Règle la luminosité (%) ou la couleur d'une lumière, par son nom ou sa pièce."""
            request = self.request("HassLightSet", name, area, brightness=brightness_percent, color=color)
            return await self.run(intents.light_set, request)

        async def set_thermostat(
            temperature: Annotated[float, Field(ge=5, le=35)], name: str = "", area: str = ""
        ) -> str:
            """Règle la consigne (°C) d'un thermostat, par son nom ou sa pièce."""
            request = self.request("HassClimateSetTemperature", name, area, temperature=temperature)
            return await self.run(intents.set_temperature, request)

        async def read_home(
            what: Literal["state", "temperature", "humidity"] = "state", name: str = "", area: str = ""
        ) -> str:
            """Lit l'état d'un appareil, ou la température ou l'humidité d'une pièce."""
            handlers: dict[str, tuple[str, Handler]] = {
                "state": ("HassGetState", intents.get_state),
                "temperature": ("HassClimateGetTemperature", intents.get_temperature),
                "humidity": ("JarvisGetHumidity", intents.get_humidity),
            }
            intent, handler = handlers[what]
            return await self.run(handler, self.request(intent, name, area))

        return [
            FunctionTool(control_device, direct=True),
            FunctionTool(set_light, direct=True),
            FunctionTool(set_thermostat, direct=True),
            FunctionTool(read_home, direct=True),
        ]

    def weather_tool(self) -> Tool:
        async def get_weather() -> str:
            """Météo actuelle (Home Assistant)."""
            return await self.run(self.intents.get_weather, self.request("HassGetWeather", "", ""))

        return FunctionTool(get_weather, direct=True)
