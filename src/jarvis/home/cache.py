"""What Jarvis knows of the house: entities with their state, names, aliases and areas, kept live by the client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entity:
    entity_id: str
    state: str
    attributes: dict[str, Any] = field(default_factory=dict)
    registry_name: str | None = None
    aliases: list[str] = field(default_factory=list)
    area_id: str | None = None
    device_id: str | None = None
    hidden: bool = False

    @property
    def domain(self) -> str:
        return self.entity_id.split(".", 1)[0]

    @property
    def name(self) -> str:
        friendly = self.attributes.get("friendly_name")
        return str(self.registry_name or friendly or self.entity_id.split(".", 1)[1].replace("_", " "))

    @property
    def available(self) -> bool:
        return self.state not in ("unavailable", "unknown")


@dataclass
class Area:
    area_id: str
    name: str
    aliases: list[str] = field(default_factory=list)


Condition = Callable[[Entity], bool]


class EntityCache:
    """States and registries, updated from Home Assistant's event stream; waiters see each change."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.areas: dict[str, Area] = {}
        self.device_areas: dict[str, str] = {}
        # Registry facts by entity id (kept apart: states and registries arrive separately).
        self.registry: dict[str, dict[str, Any]] = {}
        self.version = 0  # bumped when names, aliases or areas change (the fast path rebuilds its lists)
        self.updated_at: float | None = None
        self._changed = asyncio.Condition()

    def load(self, states: list[dict[str, Any]]) -> None:
        self.entities = {}
        for raw in states:
            self._put_state(raw)
        self._apply_registry()
        self._touch()

    def load_registries(
        self, entities: list[dict[str, Any]], areas: list[dict[str, Any]], devices: list[dict[str, Any]]
    ) -> None:
        self.registry = {entry["entity_id"]: entry for entry in entities}
        self.areas = {
            area["area_id"]: Area(area["area_id"], area["name"], list(area.get("aliases") or [])) for area in areas
        }
        self.device_areas = {device["id"]: device["area_id"] for device in devices if device.get("area_id")}
        self._apply_registry()
        self._touch()

    def _put_state(self, raw: dict[str, Any]) -> Entity:
        entity = Entity(raw["entity_id"], str(raw.get("state", "")), dict(raw.get("attributes") or {}))
        self.entities[entity.entity_id] = entity
        return entity

    def _apply_registry(self) -> None:
        for entity in self.entities.values():
            self._apply_entry(entity)

    def _apply_entry(self, entity: Entity) -> None:
        entry = self.registry.get(entity.entity_id)
        if entry is None:
            return
        entity.registry_name = entry.get("name")
        entity.aliases = [alias for alias in entry.get("aliases") or [] if alias]
        entity.device_id = entry.get("device_id")
        entity.area_id = entry.get("area_id") or self.device_areas.get(entity.device_id or "")
        entity.hidden = bool(entry.get("hidden_by") or entry.get("disabled_by"))

    async def state_changed(self, data: dict[str, Any]) -> None:
        """A `state_changed` event: a new state, a removed entity (new_state None) or a renamed one."""
        entity_id = data["entity_id"]
        new = data.get("new_state")
        before = self.entities.get(entity_id)
        if new is None:
            self.entities.pop(entity_id, None)
            self.version += 1
        else:
            entity = self._put_state(new)
            self._apply_entry(entity)
            if before is None or before.name != entity.name:
                self.version += 1
        self._touch(bump=False)
        async with self._changed:
            self._changed.notify_all()

    def _touch(self, bump: bool = True) -> None:
        if bump:
            self.version += 1
        self.updated_at = time.time()

    def area_name(self, entity: Entity) -> str | None:
        area = self.areas.get(entity.area_id or "")
        return area.name if area else None

    async def wait_for(self, entity_id: str, condition: Condition, timeout_seconds: float) -> Entity | None:
        """The entity once `condition` holds (checked now and after each change), or None after the timeout."""

        def met() -> bool:
            entity = self.entities.get(entity_id)
            return entity is not None and condition(entity)

        try:
            async with asyncio.timeout(timeout_seconds), self._changed:
                await self._changed.wait_for(met)
        except TimeoutError:
            return None
        return self.entities.get(entity_id)
