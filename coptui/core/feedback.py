"""Peer feedback rounds: pairing, what members owe, drafts, giving, thanks, release, counts.

A round is a run of a feedback definition. Its file holds:

- ``meta/run``: the run record; ``settings["pairing"]`` is the pairing frozen when it started;
- ``feedback``: one record per piece, keyed by a random uuid4: the recipient, the fields,
  whether it was thanked; in a named round also the giver and the day. In an anonymous
  round a piece holds nothing about its giver, not even a time;
- ``given``: one record per giver, keyed by handle: the recipients they gave to. That is
  what completion counts and "whom do I still owe" need, and it shares no key with the pieces;
- ``drafts``: key ``giver>recipient``, unsent text. Deleted on submit (same write) and on close.

Every read a screen makes goes through a per-member view (:func:`giver_round`,
:func:`inbox`, :func:`round_counts`) that holds only what that member may see, so a
screen cannot show someone else's feedback by mistake.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from coptui.core.definitions import FeedbackDefinition, FeedbackField
from coptui.core.runs import DRAFTS, Run, RunError
from coptui.core.workspace import Workspace
from coptui.store.store import RUN_META_KEY, RUN_META_TABLE, Snapshot, Store
from coptui.text import strip_controls

PIECES = "feedback"
GIVEN = "given"
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


# -- pairing -----------------------------------------------------------------------------------


def rotation(handles: Iterable[str], per_member: int, seed: int) -> dict[str, list[str]]:
    """Pair each member with ``per_member`` others: nobody with themselves, everyone giving and
    receiving exactly ``per_member`` pieces. The same handles and seed give the same pairing.

    Members are shuffled into a circle and everyone gives to the people at the same set of
    distinct offsets around it (a circulant design): offsets 1..n-1 never point at oneself,
    distinct offsets never repeat a recipient, and each member is reached once per offset.
    """
    circle = sorted(set(handles))
    size = len(circle)
    if size < 2:
        raise FeedbackError("a rotation needs at least 2 members")
    if not 1 <= per_member <= size - 1:
        raise FeedbackError(
            f"each member can give to 1 to {size - 1} others in a community of {size}, not {per_member}"
        )
    rng = random.Random(seed)
    rng.shuffle(circle)
    offsets = sorted(rng.sample(range(1, size), per_member))
    return {giver: [circle[(index + offset) % size] for offset in offsets] for index, giver in enumerate(circle)}


def everyone(handles: Iterable[str]) -> dict[str, list[str]]:
    members = sorted(set(handles))
    return {giver: [m for m in members if m != giver] for giver in members}


@dataclass(frozen=True)
class Pairing:
    """Who gives feedback to whom in one round (frozen into the run when it starts)."""

    mode: PairingMode
    members: tuple[str, ...]
    per_member: int
    seed: int | None = None
    assignments: Mapping[str, tuple[str, ...]] | None = None  # None in free choice

    def recipients_for(self, giver: str) -> tuple[str, ...]:
        """Whom a member may give to: their assigned recipients, or anyone else in free choice."""
        if giver not in self.members:
            return ()
        if self.assignments is None:
            return tuple(m for m in self.members if m != giver)
        return tuple(self.assignments.get(giver, ()))

    def owed_by(self, giver: str) -> int:
        """How many pieces a member is asked to give."""
        if giver not in self.members:
            return 0
        if self.assignments is None:
            return min(self.per_member, len(self.members) - 1)
        return len(self.assignments.get(giver, ()))

    def to_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "mode": self.mode,
            "members": list(self.members),
            "per_member": self.per_member,
            "seed": self.seed,
        }
        if self.assignments is not None:
            settings["assignments"] = {giver: list(to) for giver, to in self.assignments.items()}
        return settings

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Pairing:
        data = settings.get("pairing")
        if not isinstance(data, Mapping):
            raise FeedbackError("this feedback round has no pairing; it was not started with coptui's feedback rounds")
        assignments = data.get("assignments")
        return cls(
            mode=data["mode"],
            members=tuple(data["members"]),
            per_member=int(data["per_member"]),
            seed=data.get("seed"),
            assignments=None if assignments is None else {g: tuple(to) for g, to in assignments.items()},
        )


def make_pairing(mode: str, handles: Iterable[str], per_member: int | None = None, seed: int | None = None) -> Pairing:
    members = tuple(sorted(set(handles)))
    if mode not in PAIRING_MODES:
        raise FeedbackError(f"{mode!r} is not a pairing; allowed: {', '.join(PAIRING_MODES)}")
    if len(members) < 2:
        raise FeedbackError("a feedback round needs at least 2 members")
    seed = secrets.randbelow(2**32) if seed is None else seed
    if mode == "all":
        return Pairing("all", members, len(members) - 1, seed, {g: tuple(to) for g, to in everyone(members).items()})
    if mode == "rotation":
        count = 3 if per_member is None else per_member
        pairs = rotation(members, count, seed)
        return Pairing("rotation", members, count, seed, {g: tuple(to) for g, to in pairs.items()})
    count = 1 if per_member is None else per_member
    if not 1 <= count <= len(members) - 1:
        raise FeedbackError(f"each member can be asked for 1 to {len(members) - 1} pieces, not {count}")
    return Pairing("free", members, count, seed, None)


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
    record = snapshot.get(RUN_META_TABLE, RUN_META_KEY)
    if record is None:
        raise FeedbackError(f"there is no run {run_id!r}; `coptui runs` lists them")
    return _round_of(Run.model_validate(record), snapshot)


def _round_of(run: Run, snapshot: Snapshot) -> _Round:
    if run.kind != "feedback":
        raise FeedbackError(f"run {run.id} is a {run.kind}, not a feedback round")
    definition = run.frozen_definition()
    assert isinstance(definition, FeedbackDefinition)
    return _Round(run, definition, Pairing.from_settings(run.settings), snapshot)


def accepting(run: Run, today: date | None = None) -> bool:
    """Whether a round still takes feedback: open, and its closing date (if any) not passed."""
    today = today or date.today()
    return run.is_open and (run.closes_on is None or today <= run.closes_on)


def _fields_of(definition: FeedbackDefinition) -> tuple[FeedbackField, ...]:
    return tuple(definition.fields or ())


def _member_name(workspace: Workspace, handle: str) -> str:
    member = workspace.community.member(handle)
    return member.name if member else handle


# -- starting a round --------------------------------------------------------------------------


def start_round(
    workspace: Workspace,
    definition_id: str,
    by: str,
    pairing: str,
    per_member: int | None = None,
    closes_on: date | None = None,
    *,
    seed: int | None = None,
    today: date | None = None,
) -> Run:
    """Open a feedback round with its pairing frozen into the run; only a facilitator may."""
    definition = workspace.definitions.get(definition_id)
    if definition is None:
        raise FeedbackError(f"there is no definition {definition_id!r}")
    if not isinstance(definition, FeedbackDefinition):
        raise FeedbackError(f"{definition_id} is a {definition.kind}, not a feedback form")
    if not workspace.community.is_facilitator(by):
        raise FeedbackError(f"only a facilitator can start a feedback round; {by} is not one in community.toml")
    handles = [m.handle for m in workspace.community.members]
    plan = make_pairing(pairing, handles, per_member, seed)
    if definition.anonymous and plan.assignments is not None and plan.per_member < definition.min_responses:
        # Everyone would receive fewer pieces than the threshold: nothing could ever be released.
        raise FeedbackError(
            f"{definition.title} is anonymous and shows feedback only from {definition.min_responses} pieces on; "
            f"with {plan.per_member} giver(s) per member nobody's feedback could ever be shown. "
            f"Choose at least {definition.min_responses}."
        )
    return workspace.runs.open_run(
        definition.id, by=by, closes_on=closes_on, today=today, settings={"pairing": plan.to_settings()}
    )


# -- what a member gives -----------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    handle: str
    name: str
    status: RecipientStatus


@dataclass(frozen=True)
class GiverRound:
    """One member's side of a round as a giver: whom they owe, their drafts. Nothing received."""

    run: Run
    fields: tuple[FeedbackField, ...]
    mode: PairingMode
    anonymous: bool
    min_responses: int
    accepting: bool
    is_participant: bool
    recipients: tuple[Recipient, ...]
    owed: int
    given: int

    @property
    def remaining(self) -> int:
        return max(0, self.owed - self.given)

    @property
    def to_do(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.status != "given")


def _draft_key(giver: str, recipient: str) -> str:
    return f"{giver}>{recipient}"


def giver_round(workspace: Workspace, run_id: str, giver: str, today: date | None = None) -> GiverRound:
    """What ``giver`` owes in one round, for the feedback screen."""
    current = _load(workspace.store, run_id)
    return _giver_view(workspace, current, giver, today)


def _giver_view(workspace: Workspace, current: _Round, giver: str, today: date | None) -> GiverRound:
    given = set(current.given_to(giver))
    drafts = current.snapshot.all(DRAFTS)
    recipients = []
    for handle in current.pairing.recipients_for(giver):
        if handle in given:
            status: RecipientStatus = "given"
        elif _draft_key(giver, handle) in drafts:
            status = "draft"
        else:
            status = "to do"
        recipients.append(Recipient(handle, _member_name(workspace, handle), status))
    return GiverRound(
        run=current.run,
        fields=_fields_of(current.definition),
        mode=current.pairing.mode,
        anonymous=current.run.anonymous,
        min_responses=current.run.min_responses,
        accepting=accepting(current.run, today),
        is_participant=giver in current.pairing.members,
        recipients=tuple(recipients),
        owed=current.pairing.owed_by(giver),
        given=len(given),
    )


def _check_fields(definition: FeedbackDefinition, fields: Mapping[str, str], *, complete: bool) -> dict[str, str]:
    known = {f.id: f for f in _fields_of(definition)}
    problems = []
    for field_id in fields:
        if field_id not in known:
            problems.append(f"{field_id!r} is not a field of {definition.id}; allowed: {', '.join(known)}")
    clean: dict[str, str] = {}
    for field_id, spec in known.items():
        value = fields.get(field_id, "")
        if not isinstance(value, str):
            problems.append(f"{field_id} takes text")
            continue
        if len(value) > MAX_FIELD_LENGTH:
            problems.append(f"{spec.title} is too long ({len(value)} characters; allowed: {MAX_FIELD_LENGTH:,})")
            continue
        text = value.strip() if complete else value
        if complete and not text and spec.required:
            problems.append(f"{spec.title} is required: {spec.prompt or spec.title}")
        if text:
            clean[field_id] = text
    if complete and not problems and not clean:
        problems.append("write something in at least one field")
    if problems:
        raise FeedbackError("; ".join(problems))
    return clean


def _check_giving(workspace: Workspace, current: _Round, giver: str, recipient: str, today: date | None) -> None:
    if workspace.community.member(giver) is None:
        raise FeedbackError(f"{giver!r} is not a member of {workspace.community.name}")
    if not accepting(current.run, today):
        ended = current.run.closed_on or current.run.closes_on
        raise FeedbackError(
            f"{current.run.title} ({current.run.id}) is closed since {ended}; it takes no more feedback"
        )
    if giver == recipient:
        raise FeedbackError("feedback goes to someone else, not to yourself")
    if giver not in current.pairing.members:
        raise FeedbackError(f"{giver} is not part of round {current.run.id} (they joined after it started)")
    if recipient not in current.pairing.recipients_for(giver):
        raise FeedbackError(f"in round {current.run.id}, {giver} does not give feedback to {recipient}")
    if recipient in current.given_to(giver):
        raise FeedbackError(f"you already gave feedback to {_member_name(workspace, recipient)} in this round")


def save_draft(
    workspace: Workspace, run_id: str, giver: str, recipient: str, fields: Mapping[str, str], today: date | None = None
) -> None:
    """Keep unsent text for one recipient; only its giver ever reads it back."""
    with workspace.store.run_tx(run_id) as tx:
        current = _round_of(Run.model_validate(tx.get(RUN_META_TABLE, RUN_META_KEY)), Snapshot({GIVEN: tx.all(GIVEN)}))
        _check_giving(workspace, current, giver, recipient, today)
        clean = _check_fields(current.definition, fields, complete=False)
        tx.put(DRAFTS, _draft_key(giver, recipient), {"fields": clean})


def load_draft(workspace: Workspace, run_id: str, giver: str, recipient: str) -> dict[str, str] | None:
    draft = workspace.store.read_run(run_id).get(DRAFTS, _draft_key(giver, recipient))
    return None if draft is None else dict(draft.get("fields", {}))


def discard_draft(workspace: Workspace, run_id: str, giver: str, recipient: str) -> None:
    with workspace.store.run_tx(run_id) as tx:
        tx.delete(DRAFTS, _draft_key(giver, recipient))


def submit(
    workspace: Workspace, run_id: str, giver: str, recipient: str, fields: Mapping[str, str], today: date | None = None
) -> None:
    """Give one piece of feedback. Nothing is returned to the giver: in an anonymous round
    even the piece's key must not be something a giver can point at later."""
    today = today or date.today()
    with workspace.store.run_tx(run_id) as tx:
        record = tx.get(RUN_META_TABLE, RUN_META_KEY)
        if record is None:
            raise FeedbackError(f"there is no run {run_id!r}")
        # Read inside the transaction: a close or a second submit from another session counts.
        current = _round_of(Run.model_validate(record), Snapshot({GIVEN: tx.all(GIVEN)}))
        _check_giving(workspace, current, giver, recipient, today)
        clean = _check_fields(current.definition, fields, complete=True)
        piece: dict[str, Any] = {"to": recipient, "fields": clean, "thanked": False}
        if not current.run.anonymous:
            piece.update({"from": giver, "day": today.isoformat()})
        tx.insert(PIECES, uuid.uuid4().hex, piece)
        tx.put(GIVEN, giver, {"to": sorted([*current.given_to(giver), recipient])})
        tx.delete(DRAFTS, _draft_key(giver, recipient))


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


def _feedback_rounds(workspace: Workspace) -> list[Run]:
    return workspace.runs.list_runs(kind="feedback")


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
        record = tx.get(RUN_META_TABLE, RUN_META_KEY)
        if record is None:
            raise FeedbackError(f"there is no run {run_id!r}")
        current = _round_of(Run.model_validate(record), Snapshot({PIECES: tx.all(PIECES)}))
        released, _ = _released(workspace, current, recipient, today)
        if piece_id not in {p.piece_id for p in released}:
            # The same answer whether the piece does not exist, is someone else's or is held back.
            raise FeedbackError("there is no feedback of yours to thank with that id")
        piece = tx.get(PIECES, piece_id)
        assert piece is not None
        if not piece.get("thanked"):
            tx.put(PIECES, piece_id, {**piece, "thanked": True})


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


# -- export ------------------------------------------------------------------------------------


def _plain(text: str) -> str:
    return strip_controls(text)


def _quoted(text: str) -> str:
    # A blockquote keeps a giver's line breaks and stops their text from becoming headings.
    return "\n".join(f"> {line}" if line else ">" for line in _plain(text).splitlines())


def export_markdown(workspace: Workspace, run: Run, handle: str, today: date | None = None) -> str:
    """The feedback ``handle`` received in one round, as Markdown: their own and nothing else."""
    if workspace.community.member(handle) is None:
        raise FeedbackError(f"{handle!r} is not a member of {workspace.community.name}")
    current = _load(workspace.store, run.id)
    name = _member_name(workspace, handle)
    state = f"closed {current.run.closed_on}" if current.run.closed_on else "open"
    lines = [
        f"# Feedback for {_plain(name)}",
        "",
        f"{_plain(current.run.title)}, round {current.run.id} (opened {current.run.opened_on}, {state}; "
        f"{'anonymous' if current.run.anonymous else 'named'}).",
        "",
    ]
    if handle not in current.pairing.members:
        return "\n".join([*lines, "You were not part of this round.", ""])
    pieces, held = _released(workspace, current, handle, today)
    if held is not None:
        return "\n".join([*lines, held.reason, ""])
    if not pieces:
        return "\n".join([*lines, "Nobody gave you feedback in this round.", ""])
    for number, piece in enumerate(pieces, start=1):
        heading = f"## Feedback {number}"
        if piece.giver:
            heading += f" from {_plain(piece.giver)}" + (f", {piece.day}" if piece.day else "")
        lines += [heading, ""]
        for title, text in piece.fields:
            lines += [f"**{_plain(title)}**", "", _quoted(text), ""]
        if piece.thanked:
            lines += ["_You thanked the giver._", ""]
    return "\n".join(lines)


# -- demo history ------------------------------------------------------------------------------

# Whole SBI pieces (situation, behaviour, impact), praise and critique, so the demo reads true.
SBI_PIECES = [
    (
        "In the incident review of the checkout outage on Tuesday",
        "you summarised the three options on the whiteboard before anyone voted.",
        "We decided in ten minutes instead of the usual hour, and nobody left confused.",
    ),
    (
        "During the meetup on Terraform module versioning",
        "you asked the quieter people in the room for their view, by name.",
        "Two people who rarely speak shared ideas that changed our upgrade plan.",
    ),
    (
        "In the platform roadmap discussion",
        "you cut in twice before the speaker had finished their point.",
        "I lost my train of thought and never raised the risk I had noticed about the migration.",
    ),
    (
        "After the decision on the shared CI templates",
        "you wrote the decision down and posted it in the channel within the hour.",
        "People who missed the session knew what we had decided the same day.",
    ),
    (
        "At the start of the observability working session",
        "you went deep into exporter configuration while we were still agreeing on the problem.",
        "We ran out of time before we agreed on what to measure, and the topic moved to next month.",
    ),
    (
        "At office hours, when the Mobile team asked about build caches",
        "you shared your screen and walked through the failing pipeline step by step.",
        "I finally understood how our caching layers fit together, and fixed our build the next day.",
    ),
    (
        "When Hana joined the guild in the spring",
        "you offered to pair with her on her first Terraform change.",
        "She shipped it within a week and now helps others with theirs.",
    ),
    (
        "When I proposed moving the runners to spot instances",
        'you said "we tried that, it won\'t work" without saying what had happened.',
        "The idea was dropped, and I still don't know what went wrong last time.",
    ),
    (
        "In the retro about on-call load",
        "you brought the pager numbers for the last three months instead of impressions.",
        "The discussion stayed on facts, and we agreed on a rota change in one session.",
    ),
]
KUDOS = [
    "Thank you for reviewing my Helm chart on a Friday evening: it unblocked the whole release.",
    "Your write-up of the Kafka migration saved my team days. Thank you!",
    "Thanks for running office hours while Ada was away; it kept everyone going.",
    "The dashboard template you shared is now used by four teams. Great work.",
    "Thank you for your patience walking me through our Terraform state layout.",
    "Your talk on flaky tests was the best meetup of the year.",
]


def _sbi(rng: random.Random) -> dict[str, str]:
    situation, behaviour, impact = rng.choice(SBI_PIECES)
    return {"situation": situation, "behaviour": behaviour, "impact": impact}


def seed_demo_feedback(workspace: Workspace, rng: random.Random, today: date) -> int:
    """Feedback rounds for the demo: three SBI rotations (one open now) and a kudos round.

    Returns how many pieces were given. Completion grows over the year, and in the first
    round some members get fewer than three pieces, so the inbox shows a round held back.
    """
    if "peer-sbi" not in workspace.definitions.definitions or "kudos" not in workspace.definitions.definitions:
        return 0
    facilitator = workspace.community.facilitators[0].handle
    count = 0
    plans = [(140, 0.7, "peer-sbi"), (100, 0.8, "kudos"), (56, 0.95, "peer-sbi")]
    for days_ago, share, definition_id in plans:
        opened = today - timedelta(days=days_ago)
        closing = opened + timedelta(days=14)
        mode, per_member = ("free", 1) if definition_id == "kudos" else ("rotation", 3)
        run = start_round(
            workspace, definition_id, facilitator, mode, per_member, closing, seed=rng.randrange(2**32), today=opened
        )
        count += _seed_giving(workspace, run, rng, share, opened)
        workspace.runs.close_run(run.id, by=facilitator, today=closing)
        _seed_thanks(workspace, run, rng, closing + timedelta(days=1))
    opened = today - timedelta(days=6)
    run = start_round(
        workspace,
        "peer-sbi",
        facilitator,
        "rotation",
        3,
        today + timedelta(days=8),
        seed=rng.randrange(2**32),
        today=opened,
    )
    # The facilitator has not given yet, so the demo opens on feedback still owed.
    count += _seed_giving(workspace, run, rng, 0.45, today, skip=facilitator)
    return count


def _seed_giving(
    workspace: Workspace, run: Run, rng: random.Random, share: float, day: date, skip: str | None = None
) -> int:
    pairing = Pairing.from_settings(run.settings)
    count = 0
    for giver in pairing.members:
        if giver == skip:
            continue
        if pairing.mode == "free":
            recipients = rng.sample(pairing.recipients_for(giver), rng.choice([1, 1, 2]))
        else:
            recipients = list(pairing.recipients_for(giver))
        for recipient in recipients:
            if rng.random() >= share:
                continue
            fields = {"message": rng.choice(KUDOS)} if run.definition_id == "kudos" else _sbi(rng)
            submit(workspace, run.id, giver, recipient, fields, today=day)
            count += 1
    return count


def _seed_thanks(workspace: Workspace, run: Run, rng: random.Random, day: date) -> None:
    for handle in Pairing.from_settings(run.settings).members:
        current = _load(workspace.store, run.id)
        pieces, _ = _released(workspace, current, handle, day)
        for piece in pieces:
            if rng.random() < 0.5:
                thank(workspace, run.id, handle, piece.piece_id, today=day)
