"""One round's file, read once and checked to be a feedback round."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coptui.core.definitions import FeedbackDefinition
from coptui.core.feedback.model import GIVEN, PIECES, FeedbackError
from coptui.core.feedback.pairing import Pairing
from coptui.core.run import KIND_NAMES, Run, load_run
from coptui.store.store import Snapshot, Store

# -- reading a round ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Round:
    """One round's file, read once."""

    run: Run
    definition: FeedbackDefinition
    pairing: Pairing
    snapshot: Snapshot

    def given_to(self, giver: str) -> list[str]:
        record = self.snapshot.get(GIVEN, giver)
        return list(record.get("to", [])) if record else []

    def pieces_for(self, recipient: str) -> list[tuple[str, dict[str, Any]]]:
        return [(key, piece) for key, piece in self.snapshot.all(PIECES).items() if piece.get("to") == recipient]


def _load(store: Store, run_id: str) -> _Round:
    snapshot = store.read_run(run_id)
    return _round_of(load_run(snapshot, run_id, kind="feedback", error=FeedbackError), snapshot)


def _round_of(run: Run, snapshot: Snapshot) -> _Round:
    if run.kind != "feedback":
        raise FeedbackError(f"run {run.id} is a {KIND_NAMES[run.kind]}, not a feedback round")
    definition = run.frozen_definition()
    assert isinstance(definition, FeedbackDefinition)
    return _Round(run, definition, Pairing.from_settings(run.settings), snapshot)
