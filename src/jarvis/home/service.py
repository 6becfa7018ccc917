"""The house as Jarvis sees it: the live entity cache, the names the fast path matches, and verified actions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import structlog
from hassil.expression import TextChunk
from hassil.intents import SlotList, TextSlotList, TextSlotValue, WildcardSlotList

from jarvis.brain.fastpath import fold
from jarvis.config import HomeAssistantSettings
from jarvis.errors import HomeError
from jarvis.home.cache import Condition, Entity, EntityCache
from jarvis.home.client import HomeAssistantClient
from jarvis.home.phrasing import capitalize, with_article
from jarvis.i18n import t

log = structlog.get_logger(__name__)
# Domains whose entities can be named in a command or a question (helpers such as input_number stay hidden).
EXPOSED_DOMAINS = frozenset(
    {
        "light",
        "switch",
        "fan",
        "climate",
        "sensor",
        "binary_sensor",
        "lock",
        "cover",
        "alarm_control_panel",
        "weather",
        "media_player",
        "scene",
        "script",
        "vacuum",
        "humidifier",
        "water_heater",
    }
)
# Names handed to speech recognition (Whisper's prompt holds about 220 tokens, shared with the vocabulary prompt).
SPOKEN_NAMES_MAX_CHARS = 300
_ARTICLE = re.compile(r"^(le|la|les|l'|un|une|des|mon|ma|mes)\s*", re.IGNORECASE)


def name_variants(name: str) -> set[str]:
    """A name as users may say it: folded, without a leading article, and in the plural."""
    base = fold(name).strip()
    bare = _ARTICLE.sub("", base).strip()
    first, _, rest = bare.partition(" ")
    plural = (first if first.endswith(("s", "x")) else first + "s") + (f" {rest}" if rest else "")
    return {variant for variant in (base, bare, plural) if variant}


@dataclass(frozen=True)
class Action:
    """A service call and the state that proves it happened."""

    domain: str
    service: str
    data: dict[str, Any]
    expect: Condition


class HomeService:
    def __init__(self, settings: HomeAssistantSettings) -> None:
        self.settings = settings
        self.cache = EntityCache()
        self.client: HomeAssistantClient | None = None
        if settings.url:
            self.client = HomeAssistantClient(
                settings.url,
                settings.token or "",
                self.cache,
                timeout_seconds=settings.timeout_seconds,
                reconnect_min_seconds=settings.reconnect_min_seconds,
                reconnect_max_seconds=settings.reconnect_max_seconds,
            )
        self._lists: tuple[int, dict[str, SlotList]] | None = None

    @property
    def enabled(self) -> bool:
        return self.client is not None

    def start(self) -> None:
        if self.client is not None:
            self.client.start()

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    # What the fast path can name.
    def exposed(self) -> list[Entity]:
        return [e for e in self.cache.entities.values() if e.domain in EXPOSED_DOMAINS and not e.hidden]

    def slot_lists(self) -> tuple[int, dict[str, SlotList]]:
        if self.client is not None and not self.cache.entities and self.client.status != "connecting":
            # Home Assistant configured but never reached (down, bad token): still recognise commands, to say why.
            wild: dict[str, SlotList] = {"name": WildcardSlotList("name"), "area": WildcardSlotList("area")}
            return -1, wild
        if self._lists is not None and self._lists[0] == self.cache.version:
            return self._lists
        names: list[TextSlotValue] = []
        for entity in self.exposed():
            for spoken in {entity.name, *entity.aliases}:
                for variant in name_variants(spoken):
                    names.append(TextSlotValue(TextChunk(variant), entity.entity_id, context={"domain": entity.domain}))
        areas: list[TextSlotValue] = []
        for area in self.cache.areas.values():
            for spoken in {area.name, *area.aliases}:
                for variant in name_variants(spoken):
                    areas.append(TextSlotValue(TextChunk(variant), area.area_id))
        self._lists = (
            self.cache.version,
            {"name": TextSlotList("name", names), "area": TextSlotList("area", areas)},
        )
        return self._lists

    def spoken_names(self, max_chars: int = SPOKEN_NAMES_MAX_CHARS) -> list[str]:
        """Area and device names as people say them (areas first, each once), for speech recognition to expect;
        bounded, because they go into its prompt."""
        names: list[str] = []
        seen: set[str] = set()
        size = 0
        candidates = [area.name for area in self.cache.areas.values()]
        # Sensors are asked about by room (« la température du salon »): their own names are rarely said.
        devices = {entity.name for entity in self.exposed() if entity.domain not in ("sensor", "binary_sensor")}
        candidates += sorted(devices)
        for name in candidates:
            key = fold(name)
            if not key or key in seen:
                continue
            if size + len(name) + 1 > max_chars:
                break
            seen.add(key)
            names.append(name)
            size += len(name) + 1
        return names

    def unknown_lists(self) -> dict[str, SlotList] | None:
        """Any words as a name or an area, for the fast path's second chance: a command about something the house
        does not have (Home Assistant connected: Jarvis knows every name there is), or a command for a house Jarvis
        cannot reach now (not configured, down, refusing the token: whatever was named, that is the answer). None
        while connected with no entities yet (the cache is still loading: nothing tells what exists)."""
        if self.client is not None and self.client.connected and not self.cache.entities:
            return None
        return {"name": WildcardSlotList("name"), "area": WildcardSlotList("area")}

    def knows(self, words: str) -> bool:
        """Whether `words` contain a name or an area of the house (e.g. two names in one sentence)."""
        said = f" {fold(words)} "
        spoken = [n for e in self.exposed() for n in (e.name, *e.aliases)] + [
            n for a in self.cache.areas.values() for n in (a.name, *a.aliases)
        ]
        return any(f" {variant} " in said for name in spoken for variant in name_variants(name))

    def require(self, language: str | None = None) -> HomeAssistantClient:
        """The client, if Home Assistant is reachable now; otherwise a clear error (in `language`)."""
        if self.client is None:
            raise HomeError(t("home-not-configured", language), code="home-assistant-not-configured")
        if not self.client.connected:
            raise HomeError(self.client.unavailable_message(language))
        return self.client

    async def act(self, entity: Entity, action: Action, language: str | None = None) -> Entity:
        """Call the service, then wait until Home Assistant reports the expected state; HomeError otherwise."""
        client = self.require()
        current = self.cache.entities.get(entity.entity_id)
        if current is None:  # removed from Home Assistant since it was named (e.g. while Jarvis asked "which one?")
            raise HomeError(t("home-entity-gone", language, name=entity.name), code="home-unknown-entity")
        if not current.available:  # HA would accept the call and nothing would happen: say why at once
            raise HomeError(
                t("home-entity-unavailable", language, name=capitalize(with_article(current.name, language or "fr"))),
                code="home-entity-unavailable",
            )
        data = {"entity_id": entity.entity_id, **action.data, **self._code(current, action, language)}
        await client.call_service(action.domain, action.service, data)
        done = await self.cache.wait_for(entity.entity_id, action.expect, self.settings.verify_timeout_seconds)
        if done is None:
            raise HomeError(
                t("home-not-done", language, name=entity.name, seconds=self.settings.verify_timeout_seconds),
                code="home-action-not-verified",
            )
        return done

    def _code(self, entity: Entity, action: Action, language: str | None) -> dict[str, str]:
        """The alarm code for a panel that asks for one (Home Assistant's code_format): disarming always, arming
        when code_arm_required. HomeError when it is needed and not configured."""
        attributes = entity.attributes
        if action.domain != "alarm_control_panel" or not attributes.get("code_format"):
            return {}
        if action.service.startswith("alarm_arm_") and not attributes.get("code_arm_required", True):
            return {}
        if self.settings.alarm_code is None:
            name = capitalize(with_article(entity.name, language or "fr"))
            raise HomeError(t("home-alarm-code-missing", language, name=name), code="home-alarm-code-missing")
        return {"code": self.settings.alarm_code.get_secret_value()}

    async def notify(self, message: str, title: str | None = None) -> bool:
        """Send `message` through the configured notify service (`home_assistant.notify_service`). False when
        none is set or when it failed: a failure is logged, never raised (a notification is a courtesy)."""
        service = self.settings.notify_service
        if not service or self.client is None:
            return False
        data = {"message": message, **({"title": title} if title else {})}
        try:
            await self.client.call_service("notify", service, data)
        except HomeError as exc:
            log.warning("home-notify-failed", service=f"notify.{service}", error=exc.message)
            return False
        log.info("home-notified", service=f"notify.{service}")
        return True

    def area_entities(self, area_id: str, domains: set[str] | None = None) -> list[Entity]:
        return [e for e in self.exposed() if e.area_id == area_id and (domains is None or e.domain in domains)]

    def describe(self) -> list[dict[str, Any]]:
        """For GET /api/home/entities: what the fast path can name."""
        return [
            {
                "entity_id": e.entity_id,
                "name": e.name,
                "aliases": e.aliases,
                "area": self.cache.area_name(e),
                "domain": e.domain,
                "state": e.state,
                "unit": e.attributes.get("unit_of_measurement"),
                "device_class": e.attributes.get("device_class"),
                "sensitive": e.domain in self.settings.sensitive_domains,
            }
            for e in sorted(self.exposed(), key=lambda e: e.entity_id)
        ]
