"""Changing a retro: cards, phases, timer, themes, votes and ROTI, one atomic write each."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from coptui.core import drafts
from coptui.core.retro.model import (
    CARDS,
    COMMAND_PHASES,
    DRAFT_COMMANDS,
    MAX_CARD_CHARS,
    MAX_NAME_CHARS,
    PENDING,
    PHASE_TITLES,
    ROTI,
    ROTI_GIVEN,
    STATE,
    STATE_KEY,
    THEMES,
    VOTES,
    RetroError,
    _after,
    _column_order,
    _deadline,
    _run_from,
    _state,
    _themes_in_board_order,
    retro_definition,
    vote_totals,
)
from coptui.core.run import DRAFTS, Run, now_utc
from coptui.store.store import Store, Tx
from coptui.text import one_line

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace

# -- changing a retro ---------------------------------------------------------------------------


def _require_member(workspace: Workspace, handle: str) -> None:
    if workspace.community.member(handle) is None:
        raise RetroError(f"{handle!r} is not a member of {workspace.community.name} (see community.toml)")


def _require_facilitator(workspace: Workspace, handle: str, what: str) -> None:
    if not workspace.community.is_facilitator(handle):
        raise RetroError(f"only a facilitator can {what}")


class _Retro:
    """One transaction on a retro's file: the run, its template and its state, checked open."""

    def __init__(self, tx: Tx, run_id: str) -> None:
        self.tx = tx
        self.run = _run_from(tx, run_id)
        if not self.run.is_open:
            raise RetroError(f"the retro {run_id} is closed (since {self.run.closed_on}); it can no longer change")
        self.definition = retro_definition(self.run)
        self.state = _state(tx, self.definition)

    @property
    def phase(self) -> str:
        return str(self.state["phase"])

    def require_phase(self, command: str, *, what: str) -> None:
        """Refuse ``command`` (a key of COMMAND_PHASES) outside the phases it belongs to."""
        phases = COMMAND_PHASES[command]
        if self.phase not in phases:
            allowed = " or ".join(PHASE_TITLES[p].split(":")[0].lower() for p in phases)
            raise RetroError(
                f"you can {what} only in the {allowed} phase; the retro is in {PHASE_TITLES[self.phase].lower()}"
            )

    def save_state(self) -> None:
        self.tx.put(STATE, STATE_KEY, self.state)


def _clean_text(text: str, limit: int, what: str) -> str:
    cleaned = one_line(text)
    if not cleaned:
        raise RetroError(f"a {what} needs some text")
    if len(cleaned) > limit:
        raise RetroError(f"a {what} holds at most {limit} characters (this one has {len(cleaned)})")
    return cleaned


def add_card(workspace: Workspace, run_id: str, handle: str, column: str, text: str) -> str:
    """Write a card (visible to its author alone until the reveal); returns its id."""
    _require_member(workspace, handle)
    text = _clean_text(text, MAX_CARD_CHARS, "card")
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        retro.require_phase("add_card", what="write cards")
        if column not in _column_order(retro.definition):
            allowed = ", ".join(c.id for c in retro.definition.columns)
            raise RetroError(f"{column!r} is not a column of this retro; allowed: {allowed}")
        own = [r for r in tx.all(PENDING).values() if r["author"] == handle]
        card_id = uuid.uuid4().hex
        seq = max((int(r.get("seq", 0)) for r in own), default=0) + 1
        tx.insert(PENDING, card_id, {"author": handle, "column": column, "text": text, "seq": seq})
    return card_id


def _own_pending(tx: Tx, card_id: str, handle: str) -> dict[str, Any]:
    record = tx.get(PENDING, card_id)
    if record is None or record["author"] != handle:
        raise RetroError("that card is not one of your unrevealed cards")
    return record


def edit_card(workspace: Workspace, run_id: str, handle: str, card_id: str, text: str) -> None:
    text = _clean_text(text, MAX_CARD_CHARS, "card")
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("edit_card", what="edit cards")
        record = _own_pending(tx, card_id, handle)
        tx.put(PENDING, card_id, {**record, "text": text})


def delete_card(workspace: Workspace, run_id: str, handle: str, card_id: str) -> None:
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("delete_card", what="delete cards")
        _own_pending(tx, card_id, handle)
        tx.delete(PENDING, card_id)


def _reveal(retro: _Retro) -> None:
    """Publish every pending card under a new random id, each in a theme of its own."""
    tx = retro.tx
    for pending_id, record in tx.all(PENDING).items():
        card: dict[str, Any] = {"column": record["column"], "text": record["text"]}
        if not retro.definition.anonymous_cards:
            card["author"] = record["author"]
        theme_id = uuid.uuid4().hex
        tx.insert(THEMES, theme_id, {"column": record["column"], "name": ""})
        tx.insert(CARDS, uuid.uuid4().hex, {**card, "theme": theme_id})
        tx.delete(PENDING, pending_id)


def _enter(retro: _Retro, target: str, now: datetime) -> None:
    """Move to ``target`` (a later phase), doing what every phase passed over leaves done."""
    current = retro.phase
    if not _after(target, current):
        raise RetroError(f"the retro is already past {PHASE_TITLES[target].lower()}")
    if not _after(current, "write") and _after(target, "write"):
        _reveal(retro)
    for handle, draft in list(retro.tx.all(DRAFTS).items()):  # unsent text no longer taken (drafts.py)
        if target not in COMMAND_PHASES.get(DRAFT_COMMANDS.get(str(draft.get("kind")), ""), ()):
            retro.tx.delete(DRAFTS, handle)
    state = retro.state
    state["phase"] = target
    state["timer"] = None
    if target == "write":
        state["timer"] = (now + timedelta(minutes=retro.definition.write_minutes)).isoformat()
    if target == "discuss":
        totals = vote_totals(retro.tx)
        board_order = _themes_in_board_order(retro.tx, retro.definition)
        state["discuss_order"] = sorted(board_order, key=lambda key: -totals.get(key, 0))
        state["discuss_index"] = 0
        if state["discuss_order"]:
            state["timer"] = (now + timedelta(minutes=retro.definition.discuss_minutes)).isoformat()
    retro.save_state()


def advance(workspace: Workspace, run_id: str, by: str, *, to: str | None = None, now: datetime | None = None) -> str:
    """Move the retro to ``to`` (default: the next phase of its template); returns the new phase."""
    _require_facilitator(workspace, by, "move the retro to another phase")
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        phases = retro.definition.phases
        index = phases.index(retro.phase) if retro.phase in phases else 0
        if to is None:
            if index + 1 >= len(phases):
                raise RetroError("this is the last phase: finish the retro to close it")
            to = phases[index + 1]
        if to not in phases:
            raise RetroError(f"{to!r} is not a phase of this retro; its phases: {', '.join(phases)}")
        _enter(retro, to, now or now_utc())
        phase = to
        tx.after_commit(lambda: _drop_untaken_drafts(workspace.store, run_id, phase))
        return to


def _drop_untaken_drafts(store: Store, run_id: str, phase: str) -> None:
    """Forget the unsent text that ``phase`` (the retro's new phase) no longer takes: a card's
    text never outlives the writing (core/retro/drafts.py)."""
    for handle, record in drafts.records(store, run_id, store.read_run(run_id)).items():
        if phase not in COMMAND_PHASES.get(DRAFT_COMMANDS.get(str(record.get("kind")), ""), ()):
            drafts.drop(store, run_id, handle)


def next_phase(workspace: Workspace, run_id: str, by: str, *, now: datetime | None = None) -> str:
    return advance(workspace, run_id, by, now=now)


def skip_phase(workspace: Workspace, run_id: str, by: str, *, now: datetime | None = None) -> str:
    """Skip the next phase: go straight to the one after it; returns the new phase."""
    snapshot = workspace.store.read_run(run_id)
    run = _run_from(snapshot, run_id)
    definition = retro_definition(run)
    phases = definition.phases
    index = phases.index(_state(snapshot, definition)["phase"])
    if index + 2 >= len(phases):
        raise RetroError("there is no phase to skip to; use next phase")
    return advance(workspace, run_id, by, to=phases[index + 2], now=now)


def extend_timer(
    workspace: Workspace, run_id: str, by: str, *, minutes: int = 1, now: datetime | None = None
) -> datetime:
    """Add minutes to the phase's countdown (starting one if none runs); returns the new deadline."""
    _require_facilitator(workspace, by, "extend the timer")
    if not 1 <= minutes <= 60:
        raise RetroError("a timer is extended by 1 to 60 minutes at a time")
    now = now or now_utc()
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        current = _deadline(retro.state)
        deadline = max(current, now) if current else now
        deadline += timedelta(minutes=minutes)
        retro.state["timer"] = deadline.isoformat()
        retro.save_state()
    return deadline


def next_theme(workspace: Workspace, run_id: str, by: str, *, now: datetime | None = None) -> str | None:
    """Discuss the next theme (its countdown restarts); returns its id, None after the last."""
    _require_facilitator(workspace, by, "move the discussion on")
    now = now or now_utc()
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        retro.require_phase("next_theme", what="move to the next theme")
        order = retro.state.get("discuss_order") or []
        index = int(retro.state.get("discuss_index", 0)) + 1
        if index >= len(order):
            raise RetroError("that was the last theme: move on to the next phase")
        retro.state["discuss_index"] = index
        retro.state["timer"] = (now + timedelta(minutes=retro.definition.discuss_minutes)).isoformat()
        retro.save_state()
        return str(order[index])


def merge_themes(workspace: Workspace, run_id: str, handle: str, source: str, target: str) -> None:
    """Put every card of theme ``source`` into theme ``target``."""
    _require_member(workspace, handle)
    if source == target:
        raise RetroError("a theme cannot be merged into itself")
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("move", what="group cards")
        source_theme, target_theme = tx.get(THEMES, source), tx.get(THEMES, target)
        if source_theme is None or target_theme is None:
            raise RetroError("that theme no longer exists (someone merged it a moment ago)")
        for key, card in tx.all(CARDS).items():
            if card["theme"] == source:
                tx.put(CARDS, key, {**card, "theme": target})
        if source_theme.get("name") and not target_theme.get("name"):
            tx.put(THEMES, target, {**target_theme, "name": source_theme["name"]})
        tx.delete(THEMES, source)


def ungroup_theme(workspace: Workspace, run_id: str, handle: str, theme_id: str) -> int:
    """Give every card of a theme but one a theme of its own again; returns how many were split off."""
    _require_member(workspace, handle)
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("ungroup", what="ungroup cards")
        theme = tx.get(THEMES, theme_id)
        if theme is None:
            raise RetroError("that theme no longer exists")
        cards = sorted((key, card) for key, card in tx.all(CARDS).items() if card["theme"] == theme_id)
        # The card of the theme's own column stays: the theme keeps its place and its name.
        keep = next((key for key, card in cards if card["column"] == theme["column"]), cards[0][0] if cards else None)
        split = 0
        for key, card in cards:
            if key == keep:
                continue
            new_theme = uuid.uuid4().hex
            tx.insert(THEMES, new_theme, {"column": card["column"], "name": ""})
            tx.put(CARDS, key, {**card, "theme": new_theme})
            split += 1
        return split


def name_theme(workspace: Workspace, run_id: str, handle: str, theme_id: str, name: str) -> None:
    _require_member(workspace, handle)
    cleaned = one_line(name)
    if len(cleaned) > MAX_NAME_CHARS:
        raise RetroError(f"a theme name holds at most {MAX_NAME_CHARS} characters")
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("name_theme", what="name themes")
        theme = tx.get(THEMES, theme_id)
        if theme is None:
            raise RetroError("that theme no longer exists")
        tx.put(THEMES, theme_id, {**theme, "name": cleaned})


def vote(workspace: Workspace, run_id: str, handle: str, theme_id: str) -> int:
    """Give one vote to a theme (several on one theme are allowed); returns the votes left."""
    _require_member(workspace, handle)
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        retro.require_phase("vote", what="vote")
        if tx.get(THEMES, theme_id) is None:
            raise RetroError("that theme does not exist")
        ballot = dict((tx.get(VOTES, handle) or {}).get("themes", {}))
        used = sum(ballot.values())
        limit = retro.definition.votes_per_person
        if used >= limit:
            raise RetroError(f"you have used all your {limit} votes; take one back first")
        ballot[theme_id] = ballot.get(theme_id, 0) + 1
        tx.put(VOTES, handle, {"themes": ballot})
        return limit - used - 1


def unvote(workspace: Workspace, run_id: str, handle: str, theme_id: str) -> int:
    """Take back one vote from a theme; returns the votes left."""
    with workspace.store.run_tx(run_id) as tx:
        retro = _Retro(tx, run_id)
        retro.require_phase("unvote", what="take back a vote")
        ballot = dict((tx.get(VOTES, handle) or {}).get("themes", {}))
        if not ballot.get(theme_id):
            raise RetroError("you have no vote on that theme")
        ballot[theme_id] -= 1
        if not ballot[theme_id]:
            del ballot[theme_id]
        if ballot:
            tx.put(VOTES, handle, {"themes": ballot})
        else:
            tx.delete(VOTES, handle)
        return retro.definition.votes_per_person - sum(ballot.values())


def give_roti(workspace: Workspace, run_id: str, handle: str, score: int) -> None:
    """Record one ROTI score with no handle; the member is only marked as having given one."""
    _require_member(workspace, handle)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise RetroError("a ROTI is a whole number from 1 to 5")
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("roti", what="give your ROTI")
        if tx.get(ROTI_GIVEN, handle) is not None:
            raise RetroError("you have already given your ROTI for this retro")
        tx.insert(ROTI_GIVEN, handle, {"given": True})
        tx.insert(ROTI, uuid.uuid4().hex, {"score": score})


def finish_retro(workspace: Workspace, run_id: str, by: str, *, today: date | None = None) -> Run:
    """Close the retro's run (from its last phase); its actions live on in actions.json."""
    _require_facilitator(workspace, by, "finish a retro")
    snapshot = workspace.store.read_run(run_id)
    run = _run_from(snapshot, run_id)
    phase = _state(snapshot, retro_definition(run))["phase"]
    if run.is_open and phase != "close":
        raise RetroError("finish the retro from its close phase (move there first)")
    return workspace.runs.close_run(run_id, by=by, today=today)
