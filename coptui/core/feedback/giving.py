"""Giving feedback: starting a round, what a giver owes, drafts, and submitting a piece."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from coptui.core import drafts as draft_store
from coptui.core.definitions import FeedbackDefinition, FeedbackField
from coptui.core.feedback.model import (
    GIVEN,
    MAX_FIELD_LENGTH,
    PIECES,
    FeedbackError,
    PairingMode,
    RecipientStatus,
    _draft_key,
    _fields_of,
    _member_name,
    accepting,
)
from coptui.core.feedback.pairing import make_pairing
from coptui.core.feedback.rounds import _load, _Round, _round_of
from coptui.core.run import DRAFTS, Run, load_run
from coptui.core.workspace import Workspace
from coptui.store.store import Snapshot
from coptui.store.tables import RUN_META_KEY, RUN_META_TABLE

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


def giver_round(workspace: Workspace, run_id: str, giver: str, today: date | None = None) -> GiverRound:
    """What ``giver`` owes in one round, for the feedback screen."""
    current = _load(workspace.store, run_id)
    return _giver_view(workspace, current, giver, today)


def _giver_view(workspace: Workspace, current: _Round, giver: str, today: date | None) -> GiverRound:
    given = set(current.given_to(giver))
    drafts = draft_store.keys(workspace.store, current.run.id, current.snapshot)
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
    """Keep unsent text for one recipient (in the round's drafts file); only its giver reads it back."""
    store = workspace.store
    key = _draft_key(giver, recipient)
    with store.locked():
        with store.run_tx(run_id) as tx:
            current = _round_of(
                Run.model_validate(tx.get(RUN_META_TABLE, RUN_META_KEY)), Snapshot({GIVEN: tx.all(GIVEN)})
            )
            _check_giving(workspace, current, giver, recipient, today)
            clean = _check_fields(current.definition, fields, complete=False)
            tx.delete(DRAFTS, key)  # kept in the run file by an older coptui: it moves out
        draft_store.put(store, run_id, key, {"fields": clean})


def load_draft(workspace: Workspace, run_id: str, giver: str, recipient: str) -> dict[str, str] | None:
    draft = draft_store.draft(workspace.store, run_id, _draft_key(giver, recipient))
    return None if draft is None else dict(draft.get("fields", {}))


def discard_draft(workspace: Workspace, run_id: str, giver: str, recipient: str) -> None:
    store = workspace.store
    with store.locked():
        with store.run_tx(run_id) as tx:
            tx.delete(DRAFTS, _draft_key(giver, recipient))  # kept in the run file by an older coptui
        draft_store.drop(store, run_id, _draft_key(giver, recipient))


def submit(
    workspace: Workspace, run_id: str, giver: str, recipient: str, fields: Mapping[str, str], today: date | None = None
) -> None:
    """Give one piece of feedback. Nothing is returned to the giver: in an anonymous round
    even the piece's key must not be something a giver can point at later."""
    today = today or date.today()
    with workspace.store.locked():
        _store_piece(workspace, run_id, giver, recipient, fields, today)
        # Under the same hold of the lock: no other write comes between the piece and this.
        draft_store.drop_after_sending(workspace.store, run_id, _draft_key(giver, recipient), "your feedback")


def _store_piece(
    workspace: Workspace, run_id: str, giver: str, recipient: str, fields: Mapping[str, str], today: date
) -> None:
    with workspace.store.run_tx(run_id) as tx:
        # Read inside the transaction: a close or a second submit from another session counts.
        run = load_run(tx, run_id, kind="feedback", error=FeedbackError)
        current = _round_of(run, Snapshot({GIVEN: tx.all(GIVEN)}))
        _check_giving(workspace, current, giver, recipient, today)
        clean = _check_fields(current.definition, fields, complete=True)
        piece: dict[str, Any] = {"to": recipient, "fields": clean, "thanked": False}
        if not current.run.anonymous:
            piece.update({"from": giver, "day": today.isoformat()})
        tx.insert(PIECES, uuid.uuid4().hex, piece)
        tx.put(GIVEN, giver, {"to": sorted([*current.given_to(giver), recipient])})
        tx.delete(DRAFTS, _draft_key(giver, recipient))  # kept in the run file by an older coptui
