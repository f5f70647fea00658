"""When a member may answer a survey run, and change answers already sent.

The same rules the run code applies when it takes a response (coptui.core.runs), stated once
for the screens that show them before the member starts.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coptui.core.run import Run


def answers_editable(run: Run) -> bool:
    """Whether a member who answered may change the answers: only in a named survey that allows it
    (an anonymous response has no name to find it by)."""
    return not run.anonymous and bool(run.definition.get("allow_edit"))


def closed_for_answers(run: Run, today: date) -> bool:
    """Whether ``run`` takes no more answers on ``today``: closed, or past its closing date."""
    return not run.takes_answers(today)
