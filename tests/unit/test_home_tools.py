"""The house as the model's tools: names and rooms found as users say them, the model's arguments turned into
the fast path's requests, and failures said plainly (never raised to the model)."""

from __future__ import annotations

from jarvis.brain.fastpath import FastPath
from jarvis.config import HomeAssistantSettings
from jarvis.home.intents import HomeIntents
from jarvis.home.service import HomeService
from jarvis.home.tools import HomeTools, find_area, find_entity
from jarvis.tools.base import current_conversation


def house() -> HomeService:
    home = HomeService(HomeAssistantSettings())
    home.cache.load(
        [
            {"entity_id": "light.salon", "state": "off", "attributes": {"friendly_name": "Lumière du salon"}},
            {"entity_id": "light.chevet", "state": "off", "attributes": {"friendly_name": "Lampe de chevet"}},
            {"entity_id": "lock.entree", "state": "locked", "attributes": {"friendly_name": "Porte d'entrée"}},
        ]
    )
    home.cache.load_registries(
        [{"entity_id": "light.chevet", "area_id": "chambre", "aliases": ["veilleuse"]}],
        [{"area_id": "chambre", "name": "Chambre"}, {"area_id": "salon", "name": "Salon", "aliases": ["séjour"]}],
        [],
    )
    return home


def tools_for(home: HomeService) -> HomeTools:
    return HomeTools(HomeIntents(home, FastPath()), home, "fr")


def test_names_and_rooms_are_found_as_people_say_them() -> None:
    home = house()
    assert find_entity(home, "la lumière du salon") == "light.salon"
    assert find_entity(home, "LUMIERE DU SALON") == "light.salon"
    assert find_entity(home, "la veilleuse") == "light.chevet"
    assert find_entity(home, "télé") is None
    assert find_area(home, "le séjour") == "salon"
    assert find_area(home, "chambre") == "chambre"
    assert find_area(home, "garage") is None


def test_arguments_become_the_fast_path_request_of_this_conversation() -> None:
    tools = tools_for(house())
    token = current_conversation.set("c-42")
    try:
        request = tools.request("HassLightSet", "lampe de chevet", "", brightness=30, color=None)
    finally:
        current_conversation.reset(token)
    assert request.slots == {"name": "light.chevet", "brightness": 30}
    assert request.words == {"name": "lampe de chevet"}
    assert request.conversation_id == "c-42" and request.language == "fr"
    unknown = tools.request("HassTurnOn", "télé", "garage")
    assert unknown.slots == {"name": "télé", "area": "garage"}  # left as said: the handler says it does not know
    # A description the house does not know as a name, but naming one of its rooms, means that room.
    described = tools.request("HassClimateSetTemperature", "chauffage du séjour", "", temperature=22)
    assert described.slots == {"area": "salon", "temperature": 22}


async def test_without_home_assistant_the_tool_says_so() -> None:
    tools = {tool.name: tool for tool in tools_for(house()).tools()}
    assert set(tools) == {"control_device", "set_light", "set_thermostat", "read_home"}
    assert all(tool.direct for tool in tools.values())
    said = await tools["control_device"].run({"action": "on", "name": "lumière du salon"})
    assert "Home Assistant n'est pas configuré" in said


async def test_the_weather_tool_never_invents_a_source() -> None:
    weather = tools_for(house()).weather_tool()
    assert await weather.run({}) == "Je n'ai pas de source météo : ajoutez une entité météo dans Home Assistant."
