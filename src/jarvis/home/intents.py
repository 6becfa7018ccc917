"""Fast-path handlers for the house: turn on/off, brightness, thermostat, states, temperature, humidity, weather.
Every action is confirmed only once Home Assistant reports the new state; sensitive ones need a spoken "oui"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from jarvis.brain.fastpath import FastPath, IntentRequest, fold
from jarvis.errors import HomeError
from jarvis.home.actions import (
    COLOR_MODES,
    COLORS,
    STATE_WORDS,
    WEATHER_FR,
    action_for,
    color_reached,
    kelvin_action,
    kelvin_range,
)
from jarvis.home.cache import Entity
from jarvis.home.phrasing import agree, capitalize, feminine, in_place, number, with_article
from jarvis.home.sentences import ALARM_MODES, EXTRA_SENTENCES, NOT_NAMES, UNKNOWN_CONTEXTS, UNKNOWN_INTENTS
from jarvis.home.service import Action, HomeService, name_variants
from jarvis.i18n import t

YES = frozenset({"oui", "oui oui", "ouais", "oui vas-y", "vas-y", "confirme", "je confirme", "d'accord", "yes", "ok"})
NO = frozenset({"non", "non merci", "annule", "laisse tomber", "no", "cancel"})
TOGGLEABLE = {
    "light", "switch", "fan", "input_boolean", "humidifier", "lock", "cover", "climate", "scene", "script",
    "alarm_control_panel",
}  # fmt: skip

Reply = Awaitable[str | None]


class HomeIntents:
    """Registers the house intents into a FastPath and answers them from the HomeService."""

    def __init__(self, home: HomeService, fast_path: FastPath) -> None:
        self.home = home
        self.fast_path = fast_path

    def register(self) -> None:
        fast = self.fast_path
        fast.slot_provider = self.home.slot_lists
        handlers: dict[str, Callable[[IntentRequest], Reply]] = {
            "HassTurnOn": lambda r: self.turn(r, True),
            "HassTurnOff": lambda r: self.turn(r, False),
            "HassToggle": self.toggle,
            "HassLightSet": self.light_set,
            "HassClimateSetTemperature": self.set_temperature,
            "HassClimateGetTemperature": self.get_temperature,
            "JarvisGetHumidity": self.get_humidity,
            "HassGetState": self.get_state,
            "HassGetWeather": self.get_weather,
        }
        lists = {lang: {"alarm_mode": modes} for lang, modes in ALARM_MODES.items()}
        for intent, handler in handlers.items():
            sentences = {lang: blocks.get(intent, []) for lang, blocks in EXTRA_SENTENCES.items()}
            fast.register(intent, handler, sentences, lists)
        # « allume la télé » in a house without one, or with no house reachable: say so, rather than leave the LLM
        # a command it cannot do.
        fast.unknown_provider = self.home.unknown_lists
        fast.unknown_intents = UNKNOWN_INTENTS
        fast.unknown_contexts = UNKNOWN_CONTEXTS
        fast.unknown_error = self._unknown

    def _unknown(self, words: str, language: str) -> HomeError | None:
        try:
            self.home.require(language)
        except HomeError as exc:
            return exc  # no house to act on now: say why, rather than leave the LLM a command it cannot carry out
        folded = fold(words)
        if not any(len(w) > 2 and w not in NOT_NAMES for w in folded.replace("'", " ").split()):
            return None  # « mets la lumière à 50 % », « éteins tout »: no name was said
        if self.home.knows(folded):
            return None  # several known names in one sentence: not a device Jarvis lacks
        return HomeError(t("home-unknown-name", language, name=words), code="home-unknown-entity")

    # Finding what the user means.
    def _domain(self, request: IntentRequest) -> str | None:
        domain = request.slots.get("domain") or request.context.get("domain")
        return str(domain) if isinstance(domain, str) else None

    def _targets(self, request: IntentRequest, domains: set[str]) -> list[Entity]:
        self.home.require(request.language)  # unreachable or refusing the token: say so (wildcard matches too)
        entities = self.home.cache.entities
        name = request.slots.get("name")
        if isinstance(name, str) and name in entities:
            return [entities[name]]
        if name is not None:
            raise HomeError(
                t("home-unknown-name", request.language, name=request.words.get("name", "")), code="home-unknown-entity"
            )
        domain = self._domain(request)
        wanted = {domain} if domain else domains
        area = request.slots.get("area")
        if isinstance(area, str) and area in self.home.cache.areas:
            return [e for e in self.home.area_entities(area, wanted)]
        if area is not None:
            raise HomeError(
                t("home-unknown-area", request.language, area=request.words.get("area", "")), code="home-unknown-area"
            )
        return [e for e in self.home.exposed() if e.domain in wanted]

    def _which(self, request: IntentRequest, candidates: list[Entity], then: Callable[[Entity], Reply]) -> str:
        """Several entities fit a singular request: ask which one, and act on the answer."""
        language = request.language
        labels = [with_article(e.name, language) for e in candidates]
        listed = ", ".join(labels[:-1]) + (" ou " if language == "fr" else " or ") + labels[-1]

        async def answer(text: str) -> str | None:
            said = fold(text)
            chosen = [
                e
                for e in candidates
                if any(v in said for v in name_variants(e.name))
                or any(v in said for v in name_variants(self.home.cache.area_name(e) or "\0"))
            ]
            return await then(chosen[0]) if len(chosen) == 1 else None

        self.fast_path.ask(request.conversation_id, answer)
        key = "home-which-feminine" if all(feminine(e.name) for e in candidates) else "home-which"
        return t(key, language, options=listed)

    def _confirm(self, request: IntentRequest, entity: Entity, verb: str, then: Callable[[], Reply]) -> str:
        async def answer(text: str) -> str | None:
            said = fold(text).strip(" .!?")
            if said in YES:
                return await then()
            if said in NO:
                return t("home-cancelled", request.language)
            return None

        self.fast_path.ask(request.conversation_id, answer)
        return t("home-confirm", request.language, verb=verb, name=with_article(entity.name, request.language))

    # Handlers.
    async def turn(self, request: IntentRequest, on: bool) -> str | None:
        targets = [e for e in self._targets(request, {"light", "switch"}) if e.domain in TOGGLEABLE]
        language = request.language
        if not targets:
            return t("home-nothing", language)
        singular = request.slots.get("scope") == "one" or "name" in request.slots
        if singular and len(targets) > 1:
            return self._which(request, targets, lambda e: self._turn_checked(request, [e], on))
        return await self._turn_checked(request, targets, on)

    async def _turn_checked(self, request: IntentRequest, targets: list[Entity], on: bool) -> str | None:
        sensitive = [e for e in targets if e.domain in self.home.settings.sensitive_domains]
        if sensitive and request.corrected:
            # « Viverrouille » is as close to « verrouille » as to « déverrouille »: never guess on a lock.
            return t("home-unsure", request.language)
        if sensitive:
            verb = _verb(sensitive[0].domain, on, request.language)
            return self._confirm(request, sensitive[0], verb, lambda: self._turn_now(request, sensitive[:1], on))
        return await self._turn_now(request, targets, on)

    async def _turn_now(self, request: IntentRequest, targets: list[Entity], on: bool) -> str:
        language = request.language
        mode = request.slots.get("alarm_mode")
        results = await asyncio.gather(
            *(self.home.act(e, action_for(e, on, mode), language) for e in targets), return_exceptions=True
        )
        failed = [(e, r) for e, r in zip(targets, results, strict=True) if isinstance(r, BaseException)]
        done = [r for r in results if isinstance(r, Entity)]
        if failed and not done:
            error = failed[0][1]
            if isinstance(error, HomeError):
                raise error
            raise HomeError(t("home-failed", language, detail=error))
        if len(done) == 1 and not failed:
            entity = done[0]
            state = agree(STATE_WORDS[_lang(language)].get(entity.state, entity.state), entity.name, language)
            return t("home-done", language, name=with_article(entity.name, language), state=state)
        text = t("home-done-many", language, count=len(done))
        if failed:
            names = ", ".join(with_article(e.name, language) for e, _ in failed)
            text += " " + t("home-failed-some", language, names=names)
        return text

    async def toggle(self, request: IntentRequest) -> str | None:
        targets = self._targets(request, {"light", "switch"})
        if len(targets) != 1:
            return None
        return await self._turn_checked(request, targets, targets[0].state != "on")

    async def light_set(self, request: IntentRequest) -> str | None:
        brightness = request.slots.get("brightness")
        color = request.slots.get("color")
        kelvin = request.slots.get("temperature")
        if brightness is not None:
            percent = max(0, min(100, round(float(brightness))))
            return await self._lights(request, lambda targets: self._set_brightness(request, targets, percent))
        if isinstance(color, str) and color in COLORS:
            return await self._lights(
                request, lambda targets: self._set_color(request, targets, color), COLOR_MODES, "home-no-color"
            )
        if isinstance(kelvin, int | float):
            return await self._lights(
                request,
                lambda targets: self._set_kelvin(request, targets, round(kelvin)),
                frozenset({"color_temp"}),
                "home-no-color-temperature",
            )
        return None  # e.g. « en noir »: the LLM (with tools) takes over

    async def _lights(
        self,
        request: IntentRequest,
        then: Callable[[list[Entity]], Reply],
        modes: frozenset[str] | None = None,
        unable: str = "",
    ) -> str | None:
        """Act on the lights a HassLightSet request names: those supporting one of `modes` when given (else the
        `unable` answer); asks which one when a singular request fits several."""
        targets = [e for e in self._targets(request, {"light"}) if e.domain == "light"]
        language = request.language
        if not targets:
            return t("home-nothing", language)
        if modes is not None:
            able = [e for e in targets if modes & set(e.attributes.get("supported_color_modes") or [])]
            if not able:
                return t(unable, language, name=capitalize(with_article(targets[0].name, language)))
            targets = able
        if len(targets) > 1 and "area" not in request.slots and request.slots.get("scope") != "all":
            return self._which(request, targets, lambda e: then([e]))
        return await then(targets)

    def _names(self, request: IntentRequest, targets: list[Entity]) -> str:
        return ", ".join(with_article(e.name, request.language) for e in targets)

    async def _set_brightness(self, request: IntentRequest, targets: list[Entity], percent: int) -> str:
        level = round(percent * 255 / 100)

        def reached(entity: Entity) -> bool:
            if percent == 0:
                return entity.state == "off"
            return entity.state == "on" and abs(int(entity.attributes.get("brightness") or 0) - level) <= 3

        action = Action("light", "turn_on", {"brightness_pct": percent}, reached)
        await asyncio.gather(*(self.home.act(e, action, request.language) for e in targets))
        return t("home-brightness-done", request.language, names=self._names(request, targets), percent=percent)

    async def _set_color(self, request: IntentRequest, targets: list[Entity], color: str) -> str:
        rgb = COLORS[color]
        action = Action("light", "turn_on", {"rgb_color": list(rgb)}, color_reached(rgb))
        await asyncio.gather(*(self.home.act(e, action, request.language) for e in targets))
        said = request.words.get("color") or color
        return t("home-color-done", request.language, names=self._names(request, targets), color=said)

    async def _set_kelvin(self, request: IntentRequest, targets: list[Entity], kelvin: int) -> str:
        # Beyond what a light can show, Home Assistant sets its nearest: expect (and say) that one.
        values = [max(kelvin_range(e)[0], min(kelvin_range(e)[1], kelvin)) for e in targets]
        await asyncio.gather(
            *(
                self.home.act(e, kelvin_action(value), request.language)
                for e, value in zip(targets, values, strict=True)
            )
        )
        return t("home-kelvin-done", request.language, names=self._names(request, targets), kelvin=values[0])

    async def set_temperature(self, request: IntentRequest) -> str | None:
        value = request.slots.get("temperature")
        if value is None:
            return None
        target = float(value)
        targets = self._targets(request, {"climate"})
        targets = [e for e in targets if e.domain == "climate"]
        language = request.language
        if not targets:
            return t("home-no-thermostat", language)
        if len(targets) > 1:
            return self._which(request, targets, lambda e: self._set_temperature(request, e, target))
        return await self._set_temperature(request, targets[0], target)

    async def _set_temperature(self, request: IntentRequest, entity: Entity, target: float) -> str:
        action = Action(
            "climate",
            "set_temperature",
            {"temperature": target},
            lambda e: abs(float(e.attributes.get("temperature") or -999) - target) < 0.05,
        )
        await self.home.act(entity, action, request.language)
        language = request.language
        return t(
            "home-thermostat-done",
            language,
            name=with_article(entity.name, language),
            value=number(target, language),
        )

    def _measure(self, request: IntentRequest, device_class: str) -> tuple[Entity, float | str] | str:
        """The sensor (or thermostat) for a temperature or humidity question, or the reply saying why not."""
        language = request.language
        self.home.require(language)
        area = request.slots.get("area")
        name = request.slots.get("name")
        entities = self.home.exposed()
        if isinstance(name, str) and name in self.home.cache.entities:
            entities = [self.home.cache.entities[name]]
        elif isinstance(area, str):
            if area not in self.home.cache.areas:
                return t("home-unknown-area", language, area=request.words.get("area", ""))
            entities = [e for e in entities if e.area_id == area]
        sensors = [e for e in entities if e.domain == "sensor" and e.attributes.get("device_class") == device_class]
        sensors = [e for e in sensors if e.available]
        if sensors:
            return sensors[0], sensors[0].state
        attribute = "current_temperature" if device_class == "temperature" else "current_humidity"
        climates = [e for e in entities if e.domain == "climate" and e.attributes.get(attribute) is not None]
        if climates:
            return climates[0], climates[0].attributes[attribute]
        return t("home-no-sensor", language, what=t(f"home-{device_class}-word", language))

    def _place(self, request: IntentRequest, entity: Entity) -> str:
        area = self.home.cache.area_name(entity)
        return in_place(area, request.language) if area else with_article(entity.name, request.language)

    async def get_temperature(self, request: IntentRequest) -> str | None:
        found = self._measure(request, "temperature")
        if isinstance(found, str):
            return found
        entity, value = found
        language = request.language
        return t("home-temperature", language, value=number(value, language), place=self._place(request, entity))

    async def get_humidity(self, request: IntentRequest) -> str | None:
        found = self._measure(request, "humidity")
        if isinstance(found, str):
            return found
        entity, value = found
        language = request.language
        return t("home-humidity", language, value=number(value, language), place=self._place(request, entity))

    async def get_state(self, request: IntentRequest) -> str | None:
        targets = self._targets(request, set())
        if len(targets) != 1:
            return None
        entity, language = targets[0], request.language
        label = capitalize(with_article(entity.name, language))
        unit = entity.attributes.get("unit_of_measurement")
        if unit:
            return t("home-state-value", language, name=label, value=number(entity.state, language), unit=unit)
        state = agree(STATE_WORDS[_lang(language)].get(entity.state, entity.state), entity.name, language)
        asked = request.slots.get("state")
        if isinstance(asked, str):
            key = "home-state-yes" if fold(asked) == fold(entity.state) else "home-state-no"
            return t(key, language, name=label, state=state)
        return t("home-state", language, name=label, state=state)

    async def get_weather(self, request: IntentRequest) -> str | None:
        language = request.language
        if self.home.enabled:
            self.home.require(language)  # never answer from a stale cache while Home Assistant is away
        weather = [e for e in self.home.exposed() if e.domain == "weather" and e.available]
        if not weather:
            return t("home-no-weather", language)
        entity = weather[0]
        attributes = entity.attributes
        condition = WEATHER_FR.get(entity.state, entity.state) if language == "fr" else entity.state
        parts = [condition]
        if attributes.get("temperature") is not None:
            parts.append(t("home-weather-temperature", language, value=number(attributes["temperature"], language)))
        if attributes.get("humidity") is not None:
            parts.append(t("home-weather-humidity", language, value=number(attributes["humidity"], language)))
        return t("home-weather", language, details=", ".join(parts))


def _lang(language: str) -> str:
    return language if language in STATE_WORDS else "fr"


def _verb(domain: str, on: bool, language: str) -> str:
    verbs = {
        "fr": {("lock", True): "verrouiller", ("lock", False): "déverrouiller", ("cover", True): "ouvrir",
               ("cover", False): "fermer", ("alarm_control_panel", True): "armer",
               ("alarm_control_panel", False): "désarmer"},
        "en": {("lock", True): "lock", ("lock", False): "unlock", ("cover", True): "open", ("cover", False): "close",
               ("alarm_control_panel", True): "arm", ("alarm_control_panel", False): "disarm"},
    }  # fmt: skip
    default = ("allumer" if on else "éteindre") if language == "fr" else ("turn on" if on else "turn off")
    return verbs[_lang(language)].get((domain, on), default)
