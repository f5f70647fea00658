"""Receiving feedback: the pieces a member may read (anonymous rounds released only once closed and with enough pieces), and thanks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from coptui.core.feedback.giving import _giver_view
from coptui.core.feedback.model import PIECES, FeedbackError, _feedback_rounds, _fields_of, _member_name, accepting
from coptui.core.feedback.rounds import _Round, _round_of
from coptui.core.run import load_run
from coptui.core.workspace import Workspace
from coptui.store.store import Snapshot

# -- what a member received --------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedPiece:
    run_id: str
    piece_id: str
    round_title: str
    round_opened: date
    giver: str | None  # the giver's name in a named round; None in an anonymous one
    day: date | None
    fields: tuple[tuple[str, str], ...]  # (field title, text), written fields only
    thanked: bool


@dataclass(frozen=True)
class HeldRound:
    run_id: str
    round_title: str
    round_opened: date
    reason: str


@dataclass(frozen=True)
class OwedRound:
    run_id: str
    round_title: str
    closes_on: date | None
    owed: int
    given: int

    @property
    def remaining(self) -> int:
        return max(0, self.owed - self.given)


@dataclass(frozen=True)
class ThanksNote:
    run_id: str
    round_title: str
    text: str


@dataclass(frozen=True)
class Inbox:
    """One member's feedback across rounds: only theirs, only what is released."""

    handle: str
    received: tuple[ReceivedPiece, ...]
    held: tuple[HeldRound, ...]
    owed: tuple[OwedRound, ...]
    thanks: tuple[ThanksNote, ...]


def release_order(run_id: str, piece_id: str) -> str:
    """A sort key unrelated to submission (piece ids are random; hashing keeps it so even if they change)."""
    return hashlib.sha256(f"{run_id}/{piece_id}".encode()).hexdigest()


def _released(
    workspace: Workspace, current: _Round, recipient: str, today: date | None
) -> tuple[list[ReceivedPiece], HeldRound | None]:
    """The pieces ``recipient`` may read in one round, or why they are held back."""
    run = current.run
    pieces = current.pieces_for(recipient)
    if run.anonymous:
        if accepting(run, today):
            # Not even a count: a number that grows would tell the recipient when someone gave.
            until = f" on {run.closes_on}" if run.closes_on else ""
            return [], HeldRound(
                run.id,
                run.title,
                run.opened_on,
                f"Anonymous feedback is shown after the round closes{until}, "
                f"and only if at least {run.min_responses} people gave you feedback.",
            )
        if len(pieces) < run.min_responses:
            return [], HeldRound(
                run.id,
                run.title,
                run.opened_on,
                f"Fewer than {run.min_responses} people gave you feedback in this round, so it stays held back "
                "to protect who wrote it.",
            )
        pieces.sort(key=lambda pair: release_order(run.id, pair[0]))
    else:
        pieces.sort(key=lambda pair: (pair[1].get("day", ""), _member_name(workspace, pair[1].get("from", ""))))
    titles = {f.id: f.title for f in _fields_of(current.definition)}
    received = []
    for piece_id, piece in pieces:
        texts = piece.get("fields", {})
        received.append(
            ReceivedPiece(
                run_id=run.id,
                piece_id=piece_id,
                round_title=run.title,
                round_opened=run.opened_on,
                giver=None if run.anonymous else _member_name(workspace, piece.get("from", "")),
                day=None if run.anonymous or not piece.get("day") else date.fromisoformat(piece["day"]),
                fields=tuple((titles.get(k, k), texts[k]) for k in titles if texts.get(k)),
                thanked=bool(piece.get("thanked")),
            )
        )
    return received, None


def _thanks_for_giver(workspace: Workspace, current: _Round, giver: str) -> list[ThanksNote]:
    notes = []
    run = current.run
    for recipient in current.given_to(giver):
        name = _member_name(workspace, recipient)
        pieces = current.pieces_for(recipient)
        if run.anonymous:
            # The giver cannot be told which piece was thanked (nothing links it to them),
            # only that the recipient thanked the feedback they received.
            if any(p.get("thanked") for _, p in pieces):
                notes.append(
                    ThanksNote(run.id, run.title, f"{name} said thank you for the feedback received in this round.")
                )
        elif any(p.get("thanked") and p.get("from") == giver for _, p in pieces):
            notes.append(ThanksNote(run.id, run.title, f"{name} thanked you for your feedback."))
    return notes


def inbox(workspace: Workspace, handle: str, today: date | None = None) -> Inbox:
    """Everything ``handle`` may see of feedback: received (released), held back, owed, thanks."""
    received: list[ReceivedPiece] = []
    held: list[HeldRound] = []
    owed: list[OwedRound] = []
    thanks: list[ThanksNote] = []
    for run in sorted(_feedback_rounds(workspace), key=lambda r: (r.opened_on, r.id), reverse=True):
        try:
            current = _round_of(run, workspace.store.read_run(run.id))
        except FeedbackError:
            continue
        if handle not in current.pairing.members:
            continue
        pieces, held_round = _released(workspace, current, handle, today)
        received.extend(pieces)
        if held_round is not None:
            held.append(held_round)
        if accepting(run, today):
            mine = _giver_view(workspace, current, handle, today)
            if mine.remaining:
                owed.append(OwedRound(run.id, run.title, run.closes_on, mine.owed, mine.given))
        thanks.extend(_thanks_for_giver(workspace, current, handle))
    return Inbox(handle, tuple(received), tuple(held), tuple(owed), tuple(thanks))


def thank(workspace: Workspace, run_id: str, recipient: str, piece_id: str, today: date | None = None) -> None:
    """The recipient thanks the giver of one piece they can read, without learning who it is."""
    with workspace.store.run_tx(run_id) as tx:
        run = load_run(tx, run_id, kind="feedback", error=FeedbackError)
        current = _round_of(run, Snapshot({PIECES: tx.all(PIECES)}))
        released, _ = _released(workspace, current, recipient, today)
        if piece_id not in {p.piece_id for p in released}:
            # The same answer whether the piece does not exist, is someone else's or is held back.
            raise FeedbackError("there is no feedback of yours to thank with that id")
        piece = tx.get(PIECES, piece_id)
        assert piece is not None
        if not piece.get("thanked"):
            tx.put(PIECES, piece_id, {**piece, "thanked": True})
