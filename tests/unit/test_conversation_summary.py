"""The history budget: which messages overflow, and what the summariser folds into a summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jarvis.brain.prompt import PromptBuilder, Said
from jarvis.brain.summary import EXTRA_MESSAGES, ConversationSummariser, Overflow

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def conversation(turns: int) -> list[Said]:
    out: list[Said] = []
    for i in range(turns):
        at = T0 + timedelta(minutes=i)
        out.append(Said("user", f"Question numéro {i} sur un sujet assez long pour compter.", at, 2 * i + 1))
        out.append(Said("assistant", f"Réponse numéro {i}, elle aussi d'une longueur raisonnable.", at, 2 * i + 2))
    return out


def builder(budget: int) -> PromptBuilder:
    return PromptBuilder(language="fr", timezone=None, history_tokens=budget, clock=lambda: T0)


def test_no_overflow_within_the_budget() -> None:
    assert builder(10_000).overflow(conversation(5)) == 0


def test_overflow_counts_exactly_what_build_prefix_leaves_out() -> None:
    prompts = builder(200)
    history = conversation(8)
    overflow = prompts.overflow(history)
    assert 0 < overflow < len(history)
    kept = [m for m in prompts.build_prefix(history) if m["role"] in ("user", "assistant")]
    # build_prefix may also drop an orphan assistant reply at the start, never more.
    assert len(history) - overflow - len(kept) in (0, 1)
    assert kept[-1]["content"] == history[-1].content


def test_summary_goes_right_after_the_system_prompt() -> None:
    prefix = builder(200).build_prefix(conversation(1), summary="L'utilisateur a un chien, Rex.")
    assert prefix[1]["role"] == "system" and "Rex" in prefix[1]["content"]
    assert prefix[1]["content"].startswith("Résumé du début de cette conversation")


class Recorder(ConversationSummariser):
    def __init__(self, prompts: PromptBuilder) -> None:
        super().__init__(llm=None, prompts=prompts, conversations=None)  # type: ignore[arg-type]
        self.overflows: list[Overflow] = []

    async def _run(self, overflow: Overflow) -> None:
        self.overflows.append(overflow)


async def test_after_turn_folds_the_overflow_and_ends_on_a_reply() -> None:
    prompts = builder(200)
    history = conversation(8)
    summariser = Recorder(prompts)
    summariser.after_turn("c1", "Résumé d'avant.", history)
    await summariser.wait()
    [overflow] = summariser.overflows
    assert overflow.summary == "Résumé d'avant."
    assert len(overflow.messages) >= prompts.overflow(history) + EXTRA_MESSAGES - 1
    assert overflow.messages[-1].role == "assistant"
    text = summariser.messages(overflow)[1]["content"]
    assert text.startswith("Résumé précédent : Résumé d'avant.")
    assert "Utilisateur : Question numéro 0" in text and "Jarvis : Réponse numéro 0" in text


async def test_after_turn_does_nothing_when_everything_fits() -> None:
    summariser = Recorder(builder(10_000))
    summariser.after_turn("c1", "", conversation(3))
    await summariser.wait()
    assert summariser.overflows == []
