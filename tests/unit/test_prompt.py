"""PromptBuilder: constant system prefix, date context just before the user message, history within budget."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from jarvis.brain.prompt import PERSONA, PromptBuilder, Said, describe_now, estimate_tokens

PARIS = ZoneInfo("Europe/Paris")
# Sunday 22 November 2026, 02:05 UTC = 03:05 in Paris (CET, UTC+1).
FIXED = datetime(2026, 11, 22, 2, 5, tzinfo=UTC)


def builder(language: str = "fr", history_tokens: int = 1000, now: datetime = FIXED) -> PromptBuilder:
    return PromptBuilder(language=language, timezone=PARIS, history_tokens=history_tokens, clock=lambda: now)


def turn(role: str, index: int) -> Said:
    # 30 characters -> estimate_tokens == 14, which makes budgets easy to reason about.
    return Said(role, f"{role[0]}{index:02d}".ljust(30, "."), FIXED)


def said(role: str, content: str) -> Said:
    return Said(role, content, FIXED)


# A past user message carries the date context it was said with.
CONTEXT_COST = estimate_tokens(describe_now(FIXED.astimezone(PARIS), "fr"))
USER_TURN = 14 + CONTEXT_COST
ASSISTANT_TURN = 14


def test_turn_cost_assumption() -> None:
    assert estimate_tokens(turn("user", 1).content) == 14


def test_describe_now_in_french() -> None:
    text = describe_now(FIXED.astimezone(PARIS), "fr")
    assert "dimanche 22 novembre 2026" in text
    assert "il est 03:05" in text
    assert "(CET)" in text


def test_describe_now_in_english() -> None:
    text = describe_now(FIXED.astimezone(PARIS), "en")
    assert "Sunday, November 22, 2026" in text
    assert "03:05" in text


def test_describe_now_unknown_language_falls_back_to_french() -> None:
    assert "dimanche" in describe_now(FIXED.astimezone(PARIS), "de")


def test_describe_now_summer_time() -> None:
    text = describe_now(datetime(2026, 7, 14, 12, 0, tzinfo=UTC).astimezone(PARIS), "fr")
    assert "mardi 14 juillet 2026" in text
    assert "il est 14:00" in text
    assert "(CEST)" in text


def test_builder_converts_the_clock_to_the_configured_zone() -> None:
    now = builder().now()
    assert now.tzinfo == PARIS
    assert (now.hour, now.minute) == (3, 5)


def test_message_layout() -> None:
    messages = builder().build([said("user", "Salut"), said("assistant", "Bonjour !")], "Quelle heure est-il ?")
    assert [m["role"] for m in messages] == ["system", "system", "user", "assistant", "system", "user"]
    assert messages[0]["content"] == PERSONA["fr"]
    assert messages[2]["content"] == "Salut"
    assert messages[3]["content"] == "Bonjour !"
    assert "dimanche 22 novembre 2026" in messages[4]["content"]
    assert "il est 03:05" in messages[4]["content"]
    assert messages[-1] == {"role": "user", "content": "Quelle heure est-il ?"}


def test_past_messages_keep_the_time_they_were_said() -> None:
    earlier = Said("user", "Salut", datetime(2026, 11, 21, 17, 30, tzinfo=UTC))
    messages = builder().build([earlier, said("assistant", "Bonjour !")], "Et maintenant ?")
    assert "samedi 21 novembre 2026, il est 18:30" in messages[1]["content"]
    assert "dimanche 22 novembre 2026, il est 03:05" in messages[-2]["content"]


def test_each_turn_extends_the_previous_prompt() -> None:
    # The prefix cache property: the next turn's prompt starts with this turn's whole prompt.
    b = builder()
    first = b.build([], "Bonjour", at=FIXED)
    second = b.build([said("user", "Bonjour"), said("assistant", "Salut !")], "Ça va ?")
    assert second[: len(first)] == first


def test_prefix_is_the_prompt_without_the_user_message() -> None:
    history = [said("user", "Salut"), said("assistant", "Bonjour !")]
    assert builder().build_prefix(history) == builder().build(history, "x")[:-1]


def test_system_prompt_is_first_and_identical_at_different_times() -> None:
    history = [said("user", "Salut"), said("assistant", "Bonjour !")]
    early = builder(now=FIXED).build(history, "a")
    late = builder(now=datetime(2027, 3, 1, 18, 42, tzinfo=UTC)).build(history, "b")
    assert early[0]["role"] == late[0]["role"] == "system"
    assert early[0]["content"].encode() == late[0]["content"].encode()
    # The time only appears in context messages, never in the cached system prefix.
    assert "03:05" not in early[0]["content"]
    assert early[-2]["content"] != late[-2]["content"]
    # Everything before the current date context is the same prefix.
    assert early[:-2] == late[:-2]


def test_no_history() -> None:
    messages = builder().build([], "Bonjour")
    assert [m["role"] for m in messages] == ["system", "system", "user"]


def kept_contents(messages: list[dict[str, str]]) -> list[str]:
    return [m["content"] for m in messages[1:-2] if m["role"] != "system"]


def test_history_trimmed_keeps_most_recent_turns() -> None:
    history = [turn("user", 1), turn("assistant", 1), turn("user", 2), turn("assistant", 2)]
    messages = builder(history_tokens=USER_TURN + ASSISTANT_TURN).build(history, "new")
    assert kept_contents(messages) == [history[2].content, history[3].content]


def test_trimmed_history_never_starts_with_an_assistant_message() -> None:
    history = [turn("user", 1), turn("assistant", 1), turn("user", 2), turn("assistant", 2)]
    # Room for a1, u2, a2: the orphan a1 is dropped.
    messages = builder(history_tokens=ASSISTANT_TURN + USER_TURN + ASSISTANT_TURN).build(history, "new")
    kept = messages[1:-2]
    assert kept[0]["role"] == "system" and kept[1]["role"] == "user"
    assert kept_contents(messages) == [history[2].content, history[3].content]


def test_only_an_assistant_turn_fits_gives_no_history() -> None:
    history = [turn("user", 1), turn("assistant", 1)]
    messages = builder(history_tokens=ASSISTANT_TURN).build(history, "new")
    assert [m["role"] for m in messages] == ["system", "system", "user"]


def test_trimming_stops_at_the_first_turn_that_does_not_fit() -> None:
    # An old short turn must not be kept once a longer, more recent one was left out (no holes in history).
    history = [said("user", "court"), said("assistant", "x" * 300), said("user", "u"), said("assistant", "a")]
    messages = builder(history_tokens=2 * USER_TURN).build(history, "new")
    assert kept_contents(messages) == ["u", "a"]


def test_zero_budget_keeps_no_history() -> None:
    messages = builder(history_tokens=0).build([said("user", "a"), said("assistant", "b")], "c")
    assert len(messages) == 3


def test_whole_history_kept_when_it_fits() -> None:
    history = [turn("user", n) if n % 2 == 0 else turn("assistant", n) for n in range(6)]
    messages = builder(history_tokens=10_000).build(history, "new")
    assert kept_contents(messages) == [h.content for h in history]


def test_english_persona() -> None:
    messages = builder(language="en").build([], "What time is it?")
    assert messages[0]["content"] == PERSONA["en"]
    assert messages[0]["content"].startswith("You are Jarvis")
    assert "Sunday, November 22, 2026" in messages[1]["content"]


def test_unknown_language_uses_french_persona() -> None:
    assert builder(language="de").system_prompt == PERSONA["fr"]
