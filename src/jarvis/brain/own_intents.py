"""Fast-path answers that need nothing but Jarvis itself: the time and the date (its own clock and time zone), and
« laisse tomber » (Home Assistant's HassNevermind: « annule », « oublie », « rien », « chut »…)."""

from __future__ import annotations

from jarvis.brain.fastpath import FastPath, IntentRequest
from jarvis.brain.prompt import PromptBuilder, month_name, weekday_name
from jarvis.i18n import t


def register_own_intents(fast_path: FastPath, prompts: PromptBuilder) -> None:
    async def current_time(request: IntentRequest) -> str:
        now = prompts.now()
        if request.language == "fr":
            minutes = f" {now.minute:02d}" if now.minute else ""
            return t("clock-time", "fr", hour=now.hour, minutes=minutes)
        return t("clock-time", request.language, hour=now.strftime("%-I:%M %p"), minutes="")

    async def current_date(request: IntentRequest) -> str:
        now = prompts.now()
        language = request.language
        return t(
            "clock-date",
            language,
            weekday=weekday_name(now, language),
            day=now.day,
            month=month_name(now, language),
            year=now.year,
        )

    async def never_mind(request: IntentRequest) -> str:
        """Nothing to do, and nothing to guess: the model once took « annuler » for « cancel every timer »."""
        return t("never-mind", request.language)

    fast_path.register("HassGetCurrentTime", current_time)
    fast_path.register("HassGetCurrentDate", current_date)
    fast_path.register("HassNevermind", never_mind)
