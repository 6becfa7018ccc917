"""Fast-path answers Jarvis gives on its own: the time, the date, and « laisse tomber » (HassNevermind)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from jarvis.brain.fastpath import FastPath
from jarvis.brain.own_intents import register_own_intents
from jarvis.brain.prompt import PromptBuilder

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 14, 5, tzinfo=PARIS)


def with_own_intents(fast_path: FastPath) -> FastPath:
    prompts = PromptBuilder(language="fr", timezone=PARIS, history_tokens=100, clock=lambda: NOW)
    register_own_intents(fast_path, prompts)
    return fast_path


async def test_never_mind_is_acknowledged_without_the_model() -> None:
    """« Annuler » alone once reached the model, which called cancel_timer("all")."""
    fast = with_own_intents(FastPath())
    for said in ("Annuler.", "annule", "Oublie.", "Rien.", "Non, rien du tout.", "Chut !", "Tais-toi.", "Silence."):
        reply = await fast.handle(said, "c1")
        assert reply is not None and (reply.text, reply.intent) == ("D'accord.", "HassNevermind"), said
    # A sentence that says more is not « never mind ».
    assert await fast.handle("Annule le rendez-vous de demain.", "c1") is None
    clock = await fast.handle("Quelle heure est-il ?", "c1")
    assert clock is not None and clock.text == "Il est 14 heures 05."
