"""The fast path's pure logic: folding, name variants, French phrasing, dispatch, follow-ups, the entity cache."""

from __future__ import annotations

import asyncio

import pytest
from hassil.expression import TextChunk
from hassil.intents import SlotList, TextSlotList, TextSlotValue, WildcardSlotList

from jarvis.brain.fastpath import FastPath, IntentRequest, as_said, fold
from jarvis.config import HomeAssistantSettings
from jarvis.errors import HomeError, JarvisError
from jarvis.home.actions import color_reached
from jarvis.home.cache import Entity, EntityCache
from jarvis.home.intents import HomeIntents
from jarvis.home.phrasing import agree, in_place, number, with_article
from jarvis.home.service import Action, HomeService, name_variants


def test_fold_removes_accents_case_and_curly_apostrophes() -> None:
    assert fold("Éteins l’Humidité du SALON") == "eteins l'humidite du salon"
    assert fold("Cœur") == "coeur"


def test_name_variants_cover_articles_and_plurals() -> None:
    assert name_variants("La Lampe de chevet") == {"la lampe de chevet", "lampe de chevet", "lampes de chevet"}
    assert "lumieres du salon" in name_variants("Lumière du salon")


def test_french_articles_gender_and_numbers() -> None:
    assert with_article("Lumière du salon", "fr") == "la lumière du salon"
    assert with_article("Thermostat du salon", "fr") == "le thermostat du salon"
    assert with_article("Entrée", "fr") == "l'entrée"
    assert with_article("Kitchen light", "en") == "the kitchen light"
    assert in_place("Cuisine", "fr") == "dans la cuisine"
    assert agree("allumé", "Lampe de chevet", "fr") == "allumée"
    assert agree("éteint", "Radiateur", "fr") == "éteint"
    assert number("21.30", "fr") == "21,3"
    assert number("55.0", "en") == "55"


def lights() -> tuple[int, dict[str, SlotList]]:
    values = [
        TextSlotValue(TextChunk(fold(name)), entity_id, context={"domain": "light"})
        for name, entity_id in (("Lampe de chevet", "light.chambre"), ("Plafonnier", "light.salon"))
    ]
    return 1, {"name": TextSlotList("name", values), "area": TextSlotList("area", [])}


async def test_dispatch_by_intent_name_and_fallback() -> None:
    seen: list[IntentRequest] = []

    async def turn_on(request: IntentRequest) -> str:
        seen.append(request)
        return f"on {request.slots['name']}"

    fast_path = FastPath(slot_provider=lights)
    fast_path.register("HassTurnOn", turn_on)
    reply = await fast_path.handle("Allume la LAMPE de chevet", "c1")
    assert reply is not None and reply.text == "on light.chambre" and reply.intent == "HassTurnOn"
    assert seen[0].language == "fr" and seen[0].words["name"] == "lampe de chevet"
    assert await fast_path.handle("turn on the plafonnier", "c1") is not None  # English sentences too
    assert await fast_path.handle("raconte-moi une histoire", "c1") is None  # no match: the LLM answers
    # Intents without a registered handler are not even recognised.
    assert await fast_path.handle("quelle heure est-il", "c1") is None


async def test_commands_said_to_vous_are_understood() -> None:
    """Home Assistant's French sentences say « tu »; users (and Whisper) often say « vous »."""
    fast_path = FastPath(slot_provider=lights)
    fast_path.register("HassTurnOn", lambda r: asyncio.sleep(0, f"on {r.slots['name']}"))
    fast_path.register("HassTurnOff", lambda r: asyncio.sleep(0, f"off {r.slots['name']}"))
    for text, expected in (
        ("Allumez la lampe de chevet.", "on light.chambre"),
        ("Éteignez le plafonnier", "off light.salon"),
        ("Fermez le plafonnier", "off light.salon"),
    ):
        reply = await fast_path.handle(text, "c1")
        assert reply is not None and reply.text == expected, text
    assert await fast_path.handle("Allumez chez vous", "c1") is None


async def test_other_modules_register_intents_with_their_own_sentences_and_lists() -> None:
    async def start_timer(request: IntentRequest) -> str:
        return f"minuteur de {int(request.slots['minutes'])} minutes"

    fast_path = FastPath()
    fast_path.register(
        "JarvisTestTimer",
        start_timer,
        sentences={"fr": [{"sentences": ["lance un minuteur de {minutes} minutes"]}]},
        lists={"fr": {"minutes": {"range": {"from": 1, "to": 120}}}},
    )
    reply = await fast_path.handle("Lance un minuteur de 5 minutes", "c1")
    assert reply is not None and reply.text == "minuteur de 5 minutes" and reply.intent == "JarvisTestTimer"
    assert await fast_path.handle("lance un minuteur de 500 minutes", "c1") is None


async def test_a_handler_that_declines_or_crashes_lets_the_llm_answer() -> None:
    async def declines(_: IntentRequest) -> None:
        return None

    async def crashes(_: IntentRequest) -> str:
        raise RuntimeError("bug")

    fast_path = FastPath(slot_provider=lights)
    fast_path.register("HassTurnOn", declines)
    fast_path.register("HassTurnOff", crashes)
    assert await fast_path.handle("allume le plafonnier", "c1") is None
    assert await fast_path.handle("éteins le plafonnier", "c1") is None


async def test_follow_up_goes_to_the_same_conversation_only() -> None:
    fast_path = FastPath()
    answers: list[str] = []

    async def follow_up(text: str) -> str | None:
        answers.append(text)
        return "confirmé" if text == "oui" else None

    fast_path.ask("c1", follow_up)
    assert await fast_path.handle("oui", "c2") is None
    reply = await fast_path.handle("oui", "c1")
    assert reply is not None and reply.text == "confirmé" and reply.intent == "follow-up"
    assert await fast_path.handle("oui", "c1") is None  # asked once, answered once
    fast_path.ask("c1", follow_up)
    assert await fast_path.handle("autre chose", "c1") is None  # not an answer: dropped, normal turn
    assert answers == ["oui", "autre chose"]


async def test_expired_question_is_ignored() -> None:
    fast_path = FastPath(pending_seconds=0.01)

    async def follow_up(_: str) -> str:
        return "trop tard"

    fast_path.ask("c1", follow_up)
    await asyncio.sleep(0.03)
    assert await fast_path.handle("oui", "c1") is None


async def test_cache_waits_for_a_state_and_tracks_renames() -> None:
    cache = EntityCache()
    cache.load([{"entity_id": "light.salon", "state": "off", "attributes": {"friendly_name": "Salon"}}])
    cache.load_registries(
        [{"entity_id": "light.salon", "area_id": "salon", "name": None}], [{"area_id": "salon", "name": "Salon"}], []
    )
    version = cache.version

    async def later() -> None:
        await asyncio.sleep(0.05)
        new = {"entity_id": "light.salon", "state": "on", "attributes": {"friendly_name": "Plafonnier"}}
        await cache.state_changed({"entity_id": "light.salon", "new_state": new})

    task = asyncio.create_task(later())
    entity = await cache.wait_for("light.salon", lambda e: e.state == "on", 2)
    await task
    assert entity is not None and entity.name == "Plafonnier" and cache.area_name(entity) == "Salon"
    assert cache.version > version  # the fast path rebuilds its name list
    assert await cache.wait_for("light.salon", lambda e: e.state == "off", 0.05) is None


async def test_without_home_assistant_weather_is_never_invented() -> None:
    home = HomeService(HomeAssistantSettings())
    fast_path = FastPath()
    HomeIntents(home, fast_path).register()
    reply = await fast_path.handle("quel temps fait-il ?", "c1")
    assert reply is not None and reply.text.startswith("Je n'ai pas de source météo")
    english = await fast_path.handle("what's the weather like", "c1")
    assert english is not None and english.text.startswith("I have no weather source")


async def test_takes_tells_without_running_a_handler() -> None:
    ran: list[str] = []

    async def turn_on(request: IntentRequest) -> str:
        ran.append(request.text)
        return "ok"

    fast_path = FastPath(slot_provider=lights)
    fast_path.register("HassTurnOn", turn_on)
    assert fast_path.takes("allume la lampe de chevet", None)
    assert fast_path.takes("turn on the plafonnier", "c1")
    assert not fast_path.takes("raconte-moi une histoire", "c1")

    async def follow_up(_: str) -> str:
        return "oui"

    fast_path.ask("c1", follow_up)
    assert fast_path.takes("oui", "c1") and not fast_path.takes("oui", "c2")
    assert ran == []


def test_colour_is_reached_by_hue_whatever_the_colour_space() -> None:
    def light(state: str, hs: list[float] | None) -> Entity:
        return Entity("light.salon", state, {"hs_color": hs} if hs is not None else {})

    blue = color_reached((0, 0, 255))
    assert blue(light("on", [240.0, 100.0])) and blue(light("on", [233.5, 92.0]))  # e.g. through xy
    assert not blue(light("on", [120.0, 100.0])) and not blue(light("off", [240.0, 100.0]))
    assert not blue(light("on", None)) and not blue(light("on", [240.0, 0.0]))
    red = color_reached((255, 0, 0))
    assert red(light("on", [358.0, 100.0])) and red(light("on", [4.0, 98.0]))  # hue wraps around
    white = color_reached((255, 255, 255))
    assert white(light("on", [30.0, 5.0])) and not white(light("on", [30.0, 80.0]))


def test_words_keep_their_accents() -> None:
    assert as_said("Éteins la Télé du salon", "tele du salon") == "télé du salon"
    assert as_said("allume le cœur", "coeur") == "coeur"  # œ folds to two letters: left folded


async def test_commands_about_unknown_things_get_a_clear_error_not_the_llm() -> None:
    async def turn_on(request: IntentRequest) -> str:
        return f"on {request.slots['name']}"

    def unknown_error(words: str, language: str) -> JarvisError | None:
        return None if "plafonnier" in words else HomeError(f"inconnu : {words} ({language})")

    fast_path = FastPath(slot_provider=lights)
    fast_path.register("HassTurnOn", turn_on)
    fast_path.register("HassTurnOff", turn_on)
    fast_path.unknown_intents = frozenset({"HassTurnOn"})
    fast_path.unknown_error = unknown_error
    connected = True
    wild: dict[str, SlotList] = {"name": WildcardSlotList("name"), "area": WildcardSlotList("area")}
    fast_path.unknown_provider = lambda: wild if connected else None
    reply = await fast_path.handle("allume la lampe de chevet", "c1")
    assert reply is not None and reply.text == "on light.chambre"  # known names first
    with pytest.raises(HomeError, match=r"inconnu : télé \(fr\)"):
        await fast_path.handle("allume la télé", "c1")
    assert fast_path.takes("allume la télé", None)
    assert await fast_path.handle("éteins la télé", "c1") is None  # not an intent given a second chance
    assert await fast_path.handle("allume la télé et raconte-moi une histoire", "c1") is None  # too long
    assert await fast_path.handle("allume le plafonnier et la lampe", "c1") is None  # declined: the LLM's
    assert await fast_path.handle("raconte-moi une histoire", "c1") is None
    connected = False  # Home Assistant away: no second chance (nothing tells what exists)
    assert await fast_path.handle("allume la télé", "c1") is None


async def test_home_commands_without_a_house_say_so() -> None:
    """Out of the box (no Home Assistant set), « allume la lumière du salon » is answered at once with what to
    configure: the LLM, with no home tool, would start a timer or repeat the command."""
    fast_path = FastPath()
    HomeIntents(HomeService(HomeAssistantSettings()), fast_path).register()
    for text in (
        "Allume la lumière du salon.",
        "Éteins la cuisine.",
        "Allume le bureau en rouge.",
        "Ferme les volets",
        "Fermez les rideaux.",
        "Verrouille la porte d'entrée.",  # lock sentences only match a lock: any words are one here
        "Déverrouille la porte.",
    ):
        with pytest.raises(HomeError, match="Home Assistant n'est pas configuré") as raised:
            await fast_path.handle(text, "c1")
        assert raised.value.code == "home-assistant-not-configured", text
        assert fast_path.takes(text, None), text  # a whole command: a spoken one ends without the rest of the silence
    for text in ("Turn on the kitchen light", "Lock the front door"):
        with pytest.raises(HomeError, match="Home Assistant is not configured"):
            await fast_path.handle(text, "c1")
    for text in ("Raconte-moi une histoire.", "Quelle est la capitale de l'Italie ?"):
        assert await fast_path.handle(text, "c1") is None, text


async def test_only_real_names_are_reported_unknown() -> None:
    """The house's second chance says « je ne trouve pas » only for a name that was said and is not in the house."""
    home = HomeService(HomeAssistantSettings(url="http://127.0.0.1:9", token="t"))
    home.cache.load(
        [
            {"entity_id": "light.salon", "state": "off", "attributes": {"friendly_name": "Lumière du salon"}},
            {"entity_id": "light.chambre", "state": "off", "attributes": {"friendly_name": "Lampe de chevet"}},
        ]
    )
    home.cache.load_registries(
        [{"entity_id": "light.salon", "area_id": "salon"}, {"entity_id": "light.chambre", "area_id": "chambre"}],
        [{"area_id": "salon", "name": "Salon"}, {"area_id": "chambre", "name": "Chambre"}],
        [],
    )
    fast_path = FastPath()
    HomeIntents(home, fast_path).register()
    assert home.client is not None
    try:
        # Home Assistant not reachable: whatever was named, that is why Jarvis cannot do it.
        for text in ("allume la télé", "allume la lumière du salon", "mets la lumière en bleu"):
            error = fast_path.unknown(text)
            assert error is not None and error.message.startswith("Je n'arrive pas à joindre Home Assistant"), text
        home.client.status = "connected"  # (as once its event stream is up)
        error = fast_path.unknown("allume la télé")
        assert error is not None and error.message == "Je ne trouve pas « télé » dans la maison."
        error = fast_path.unknown("verrouille le portail")
        assert error is not None and error.message == "Je ne trouve pas « portail » dans la maison."
        for text in (
            "mets la lumière à 50 %",
            "mets la lumière en bleu",
            "éteins tout",
            "allume le salon et la chambre",
        ):
            assert fast_path.unknown(text) is None, text
    finally:
        await home.close()


async def test_misheard_words_are_corrected_only_into_a_whole_command() -> None:
    async def handler(request: IntentRequest) -> str:
        return f"{request.intent} {request.slots['name']}"

    fast_path = FastPath(slot_provider=lights)
    for intent in ("HassTurnOn", "HassTurnOff", "HassLightSet"):
        fast_path.register(intent, handler)
    # Words of the sentences (with their glued optional parts: « lumière[s] ») and names from the slot lists.
    assert {"allume", "lumieres", "plafonnier", "chevet"} <= set(fast_path.vocabulary("fr"))
    reply = await fast_path.handle("Allume la lampe de chevé", "c1")
    assert reply is not None and reply.text == "HassTurnOn light.chambre"
    assert fast_path.takes("Étein le plafonier", None)
    reply = await fast_path.handle("Allume le plafonier à 50 %", "c1")
    assert reply is not None and reply.text == "HassLightSet light.salon"
    assert fast_path.corrected("Éteins toutes les humières", "fr") == "eteins toutes les lumieres"
    # Not close enough to a known word, a word no command uses, or too many guesses: the LLM's.
    for text in (
        "allume le salut",
        "allume la lampe de chevé et raconte-moi une histoire",
        "Alumme la lamppe de chevé",  # three guesses
    ):
        assert await fast_path.handle(text, "c1") is None, text
    assert fast_path.corrected("allume la lampe de chevet", "fr") is None  # nothing to correct


async def test_alarm_sentences_modes_and_code() -> None:
    home = HomeService(HomeAssistantSettings(url="http://127.0.0.1:9", token="t"))
    home.cache.load(
        [
            {
                "entity_id": "alarm_control_panel.alarme",
                "state": "disarmed",
                "attributes": {"friendly_name": "Alarme", "code_format": "number", "code_arm_required": False},
            },
            {"entity_id": "light.salon", "state": "off", "attributes": {"friendly_name": "Lumière du salon"}},
        ]
    )
    fast_path = FastPath()
    HomeIntents(home, fast_path).register()
    try:
        for text, language, intent, mode in (
            ("active l'alarme", "fr", "HassTurnOn", None),
            ("arme l'alarme en mode nuit", "fr", "HassTurnOn", "night"),
            ("mets l'alarme en mode absence", "fr", "HassTurnOn", "away"),
            ("désarme l'alarme", "fr", "HassTurnOff", None),
            ("désactive l'alarme", "fr", "HassTurnOff", None),
            ("arm the alarme in night mode", "en", "HassTurnOn", "night"),
            ("disarm the alarme", "en", "HassTurnOff", None),
        ):
            request = fast_path.recognize(text, language, "c1")
            assert request is not None, text
            assert request.intent == intent and request.slots["name"] == "alarm_control_panel.alarme", text
            assert request.slots.get("alarm_mode") == mode, text
        # A guessed word never acts on a sensitive device (« désarmme » could be anything): Jarvis asks again.
        assert home.client is not None
        home.client.status = "connected"  # (as once its event stream is up)
        guessed = await fast_path.handle("désarmme l'alarme", "c1")
        assert guessed is not None
        assert guessed.text == "Je ne suis pas sûr d'avoir bien compris. Pouvez-vous répéter ?"
        heard = fast_path.recognize_heard("désarmme l'alarme", "fr", "c1")
        assert heard is not None and heard.corrected and heard.intent == "HassTurnOff"
        exact = fast_path.recognize_heard("désarme l'alarme", "fr", "c1")
        assert exact is not None and not exact.corrected
        # « arme » is for alarms only: not a way to turn a light on.
        assert fast_path.recognize("arme la lumière du salon", "fr", "c1") is None
        alarm = home.cache.entities["alarm_control_panel.alarme"]
        disarm = Action("alarm_control_panel", "alarm_disarm", {}, lambda e: True)
        arm = Action("alarm_control_panel", "alarm_arm_night", {}, lambda e: True)
        assert home._code(alarm, arm, "fr") == {}  # code_arm_required: false
        with pytest.raises(HomeError, match=r"L'alarme demande un code .* home_assistant\.alarm_code"):
            home._code(alarm, disarm, "fr")
        coded = HomeService(HomeAssistantSettings(url="http://127.0.0.1:9", token="t", alarm_code="1234"))
        try:
            assert coded._code(alarm, disarm, "fr") == {"code": "1234"}
        finally:
            await coded.close()
        assert agree("armé en mode nuit", "Alarme", "fr") == "armée en mode nuit"
        assert agree("en chauffe", "Chaudière", "fr") == "en chauffe"
    finally:
        await home.close()
