"""MQTT bridge logic without a broker: command parsing, the bounded outbox, which events go out."""

from __future__ import annotations

import json
from typing import Any

import pytest

from jarvis.config import MqttSettings
from jarvis.errors import InvalidInputError, JarvisError
from jarvis.events import LlmDelta, RunEnd, RunStart
from jarvis.integrations.mqtt import OUTBOX_SIZE, MqttBridge, parse_command


async def never_called(text: str, conversation_id: str | None) -> tuple[dict[str, Any], JarvisError | None]:
    raise AssertionError("no command in these tests")


async def ready() -> dict[str, Any]:
    return {"ready": True}


def queued(bridge: MqttBridge) -> list[tuple[str, Any, bool]]:
    items = []
    while not bridge._outbox.empty():
        topic, data, retain = bridge._outbox.get_nowait()
        items.append((topic, json.loads(data), retain))
    return items


def test_commands_in_json_or_plain_text() -> None:
    assert parse_command(b"Allume la lumi\xc3\xa8re") == ("Allume la lumière", None, None)
    assert parse_command(b'{"text": "Bonjour", "conversation_id": "abc", "id": 7}') == ("Bonjour", "abc", "7")
    for bad in (b"{pas du json", b'{"texte": "x"}', b'{"text": "x", "conversation_id": 3}', b"\xff\xfe"):
        with pytest.raises(InvalidInputError):
            parse_command(bad)


async def test_events_are_queued_under_the_prefix_and_deltas_skipped() -> None:
    bridge = MqttBridge(MqttSettings(topic_prefix="maison/jarvis/"), never_called, ready)
    bridge.observe(RunStart(run_id="r1", conversation_id="c1"))
    bridge.observe(LlmDelta(run_id="r1", text="Bon"))
    bridge.observe(RunEnd(run_id="r1", conversation_id="c1", reply="Bonjour", status="complete"))
    topics = [(topic, payload["type"]) for topic, payload, _ in queued(bridge)]
    assert topics == [("maison/jarvis/event/run-start", "run-start"), ("maison/jarvis/event/run-end", "run-end")]


async def test_a_full_outbox_drops_the_oldest_and_never_waits() -> None:
    bridge = MqttBridge(MqttSettings(), never_called, ready)
    for n in range(OUTBOX_SIZE + 5):
        bridge.publish("event/test", {"n": n})
    items = queued(bridge)
    assert len(items) == OUTBOX_SIZE and bridge.dropped == 5
    assert items[0][1] == {"n": 5} and items[-1][1] == {"n": OUTBOX_SIZE + 4}
