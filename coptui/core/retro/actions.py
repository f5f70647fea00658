"""Actions agreed in a retro: they live on in actions.json and come back until done or dropped."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from coptui.core.retro.commands import _clean_text, _require_member
from coptui.core.retro.model import (
    ACTION_STATUSES,
    ACTIONS,
    COMMAND_PHASES,
    MAX_ACTION_CHARS,
    ActionStatus,
    ActionView,
    RetroError,
    _action_view,
    _by_due,
    _run_from,
    _state,
    _store_of,
    retro_definition,
)
from coptui.store.store import Store

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace

# -- actions --------------------------------------------------------------------------------------


def parse_due(text: str, today: date) -> date | None:
    """A due date typed by a person: YYYY-MM-DD, or +N for N days from today; blank for none."""
    value = text.strip()
    if not value:
        return None
    if value.startswith("+") and value[1:].isdigit():
        return today + timedelta(days=int(value[1:]))
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RetroError(f"{value!r} is not a date; write YYYY-MM-DD or +N (days from today)") from None


def add_action(
    workspace: Workspace,
    run_id: str,
    by: str,
    text: str,
    owner: str,
    due: date | None,
    *,
    today: date | None = None,
) -> str:
    """Record an action agreed in a retro (discuss or actions phase); returns its id."""
    _require_member(workspace, by)
    text = _clean_text(text, MAX_ACTION_CHARS, "action")
    if workspace.community.member(owner) is None:
        raise RetroError(f"{owner!r} is not a member; an action needs an owner from community.toml")
    today = today or date.today()
    snapshot = workspace.store.read_run(run_id)
    run = _run_from(snapshot, run_id)
    phase = _state(snapshot, retro_definition(run))["phase"]
    if not run.is_open or phase not in COMMAND_PHASES["add_action"]:
        raise RetroError("actions are agreed in the discuss and actions phases of an open retro")
    if due is not None and due < today:
        raise RetroError(f"the due date {due} is in the past")
    action_id = uuid.uuid4().hex
    record = {
        "text": text,
        "owner": owner,
        "due": due.isoformat() if due else None,
        "status": "open",
        "source_run": run_id,
        "source_title": run.title,
        "created_on": today.isoformat(),
        "created_by": by,
        "updated_on": None,
        "updated_in": None,
    }
    with workspace.store.actions_tx() as tx:
        tx.insert(ACTIONS, action_id, record)
    return action_id


def set_action_status(
    workspace: Workspace,
    action_id: str,
    by: str,
    status: ActionStatus,
    *,
    in_run: str | None = None,
    today: date | None = None,
) -> None:
    """Mark an action done, dropped or open again: its owner or a facilitator may."""
    if status not in ACTION_STATUSES:
        raise RetroError(f"{status!r} is not an action status; allowed: {', '.join(ACTION_STATUSES)}")
    member = workspace.community.member(by)
    with workspace.store.actions_tx() as tx:
        record = tx.get(ACTIONS, action_id)
        if record is None:
            raise RetroError("that action does not exist")
        if member is None or (record["owner"] != by and not member.is_facilitator):
            raise RetroError("only the action's owner or a facilitator can change its status")
        updated = {**record, "status": status, "updated_on": (today or date.today()).isoformat(), "updated_in": in_run}
        tx.put(ACTIONS, action_id, updated)


def list_actions(source: Workspace | Store, *, source_run: str | None = None) -> list[ActionView]:
    """Every action (or those of one retro), soonest due first."""
    records = _store_of(source).read_actions().all(ACTIONS)
    views = [
        _action_view(source, key, r)
        for key, r in records.items()
        if source_run is None or r["source_run"] == source_run
    ]
    return sorted(views, key=_by_due)


def open_actions_for(source: Workspace | Store, handle: str) -> list[ActionView]:
    """The open actions a member owns, soonest due first (for the home screen)."""
    return [a for a in list_actions(source) if a.owner == handle and a.status == "open"]
