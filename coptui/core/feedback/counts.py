"""How far a round has come: given and owed per member, for the facilitator and for trends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coptui.core.feedback.model import FeedbackError, PairingMode, _member_name
from coptui.core.feedback.rounds import _load, _Round
from coptui.core.run import Run
from coptui.core.workspace import Workspace
from coptui.store.store import Store

# -- counts for the facilitator and the trends ---------------------------------------------------


@dataclass(frozen=True)
class MemberCount:
    handle: str
    name: str
    owed: int
    given: int


@dataclass(frozen=True)
class RoundCounts:
    """How a round is going, in counts only: never a word of feedback, never who gave to whom."""

    run: Run
    mode: PairingMode
    members: tuple[MemberCount, ...]
    owed: int
    given: int

    @property
    def rate(self) -> float | None:
        return None if not self.owed else self.given / self.owed


def _counts(current: _Round) -> tuple[list[tuple[str, int, int]], int, int]:
    rows = []
    owed_total = given_total = 0
    for handle in current.pairing.members:
        owed = current.pairing.owed_by(handle)
        given = len(current.given_to(handle))
        rows.append((handle, owed, given))
        owed_total += owed
        # A free-choice round may get more than was asked; completion counts what was asked.
        given_total += min(given, owed)
    return rows, owed_total, given_total


def round_counts(workspace: Workspace, run_id: str, viewer: str) -> RoundCounts:
    """Owed and given per member, for a facilitator only."""
    if not workspace.community.is_facilitator(viewer):
        raise FeedbackError("only a facilitator can see how a feedback round is going")
    current = _load(workspace.store, run_id)
    rows, owed, given = _counts(current)
    members = tuple(MemberCount(h, _member_name(workspace, h), o, g) for h, o, g in rows)
    return RoundCounts(current.run, current.pairing.mode, members, owed, given)


def round_stats(store: Store, run_id: str) -> dict[str, Any]:
    """Counts of one round for the trends (feedback completion = given / owed)."""
    current = _load(store, run_id)
    _, owed, given = _counts(current)
    return {
        "owed": owed,
        "given": given,
        "members": len(current.pairing.members),
        "state": current.run.state,
        "completion": None if not owed else given / owed,
    }
