"""What a feedback round is made of: its tables, pairing modes, limits and errors."""

from __future__ import annotations

from datetime import date
from typing import Literal

from coptui.core.definitions import FeedbackDefinition, FeedbackField
from coptui.core.run import Run, RunError
from coptui.core.workspace import Workspace
from coptui.store import tables

# The tables a round writes: their names and record shapes are the store's (store/tables.py).
PIECES = tables.FEEDBACK
GIVEN = tables.GIVEN
PairingMode = Literal["all", "rotation", "free"]
PAIRING_MODES: tuple[str, ...] = ("all", "rotation", "free")
PAIRING_LABELS: dict[str, str] = {
    "all": "everyone to everyone",
    "rotation": "rotation",
    "free": "free choice",
}
MAX_FIELD_LENGTH = 10_000

RecipientStatus = Literal["to do", "draft", "given"]


class FeedbackError(RunError):
    """A rule of feedback rounds was broken; the message is for the user."""


def accepting(run: Run, today: date | None = None) -> bool:
    """Whether a round still takes feedback: open, and its closing date (if any) not passed."""
    return run.takes_answers(today or date.today())


def _fields_of(definition: FeedbackDefinition) -> tuple[FeedbackField, ...]:
    return tuple(definition.fields or ())


def _member_name(workspace: Workspace, handle: str) -> str:
    member = workspace.community.member(handle)
    return member.name if member else handle


def _draft_key(giver: str, recipient: str) -> str:
    return f"{giver}>{recipient}"


def _feedback_rounds(workspace: Workspace) -> list[Run]:
    return workspace.runs.list_runs(kind="feedback")
