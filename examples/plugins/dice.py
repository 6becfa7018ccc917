"""An example Jarvis plugin: dice rolls. Copy this file into the plugins folder (data_dir/plugins, by default
~/.local/share/jarvis/plugins/); Jarvis loads it at once (the folder is watched) and the model can call
`roll_dice`. See README.md, section "Extensions (plugins)"."""

from __future__ import annotations

import random
from typing import Annotated

from pydantic import Field

from jarvis.plugins import hookimpl


def roll_dice(
    count: Annotated[int, Field(ge=1, le=20)] = 1,
    sides: Annotated[int, Field(ge=2, le=1000)] = 6,
) -> str:
    """Lance des dés et donne le résultat.

    Args:
        count: nombre de dés
        sides: nombre de faces de chaque dé
    """
    rolls = [random.randint(1, sides) for _ in range(count)]
    if count == 1:
        return f"Le dé donne {rolls[0]}."
    return f"Les dés donnent {', '.join(map(str, rolls))} (total {sum(rolls)})."


@hookimpl
def jarvis_tools() -> list[object]:
    return [roll_dice]
