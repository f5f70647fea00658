"""The retro state machine: phases, private writing, reveal, themes, votes, timers, actions, ROTI.

Everything lives in the run's file (one atomic write per change, under the store's lock):

    retro_state         one record "state": phase, timer deadline, discussion order
    retro_pending       cards written but not revealed: author, column, text
    retro_cards         revealed cards: column, text, theme (and author unless anonymous)
    retro_themes        groups of revealed cards: column, name
    retro_votes         per member (handle): votes per theme; hidden until the vote ends
    retro_roti          anonymous ROTI scores under random keys: no handle, no time
    retro_roti_given    who gave a ROTI (handle -> true), with no key shared with the scores

When the write phase ends, every pending card is copied to ``retro_cards`` under a new
random id (for an anonymous template without its author) and the pending table is
emptied, so nothing stored after the reveal links an anonymous card to its writer.

Actions live past their retro in ``actions.json`` (status open / done / dropped) and come
back in the review phase of the next retro and on their owner's home screen.

Screens render only from :func:`board_for`, the view of one member: others' unrevealed
cards are never in it, so their text never reaches another terminal.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from coptui.core.definitions import RETRO_PHASES, RetroDefinition
from coptui.core.runs import Run, RunError, now_utc
from coptui.store.store import RUN_META_KEY, RUN_META_TABLE, Snapshot, Store, Tx

if TYPE_CHECKING:
    import random

    from coptui.core.workspace import Workspace

STATE = "retro_state"
STATE_KEY = "state"
PENDING = "retro_pending"
CARDS = "retro_cards"
THEMES = "retro_themes"
VOTES = "retro_votes"
ROTI = "retro_roti"
ROTI_GIVEN = "retro_roti_given"
ACTIONS = "actions"

ActionStatus = Literal["open", "done", "dropped"]
ACTION_STATUSES: tuple[str, ...] = ("open", "done", "dropped")
MAX_CARD_CHARS = 500
MAX_NAME_CHARS = 120
MAX_ACTION_CHARS = 300
PHASE_TITLES: dict[str, str] = {
    "review": "Review of open actions",
    "write": "Write",
    "reveal": "Reveal",
    "group": "Group",
    "vote": "Vote",
    "discuss": "Discuss",
    "actions": "Actions",
    "close": "Close: ROTI",
}
PHASE_HINTS: dict[str, str] = {
    "review": "Open actions from earlier retros: mark them done or dropped.",
    "write": "Write your cards. Nobody else sees them until the reveal.",
    "reveal": "Every card is on the board. Read them all.",
    "group": "Merge cards about the same thing into themes and name them.",
    "vote": "Vote for the themes to discuss. Votes stay hidden until the vote ends.",
    "discuss": "Discuss the themes, most voted first.",
    "actions": "Agree on actions: what, who, by when.",
    "close": "Return on time invested: 1 (waste) to 5 (excellent). Anonymous.",
}


# C0 and C1 controls and DEL: user text must never drive a terminal (screens, exports).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class RetroError(RunError):
    """A rule of retros was broken; the message is for the user."""


# -- views: what one member may see ------------------------------------------------------------


@dataclass(frozen=True)
class ColumnView:
    id: str
    title: str
    prompt: str


@dataclass(frozen=True)
class CardView:
    id: str
    column: str
    text: str
    author: str | None  # a display name; None on anonymous templates
    mine: bool


@dataclass(frozen=True)
class ThemeView:
    id: str
    column: str
    name: str
    cards: tuple[CardView, ...]
    votes: int | None  # None while the votes are hidden
    my_votes: int

    @property
    def title(self) -> str:
        """The theme's name, or the text of its first card while it has none."""
        if self.name:
            return self.name
        return self.cards[0].text if self.cards else ""


@dataclass(frozen=True)
class ActionView:
    id: str
    text: str
    owner: str
    owner_name: str
    due: date | None
    status: str
    source_run: str
    source_title: str
    created_on: date
    updated_on: date | None

    def overdue(self, today: date) -> bool:
        return self.status == "open" and self.due is not None and self.due < today


@dataclass(frozen=True)
class RetroBoard:
    """Everything one member may see of one retro, at one moment."""

    run_id: str
    title: str
    is_open: bool
    opened_on: date
    closed_on: date | None
    handle: str
    is_facilitator: bool
    phase: str
    phases: tuple[str, ...]
    columns: tuple[ColumnView, ...]
    anonymous_cards: bool
    votes_per_person: int
    my_cards: tuple[CardView, ...]  # own cards not yet revealed
    hidden_cards: int  # how many cards others wrote that are not revealed (a count, never text)
    themes: tuple[ThemeView, ...]  # revealed cards, grouped; in discussion order once discussing
    votes_visible: bool
    votes_left: int
    voters: int
    timer_deadline: datetime | None
    discuss_theme: str | None
    review_actions: tuple[ActionView, ...]
    actions: tuple[ActionView, ...]  # actions agreed in this retro
    roti_given: bool
    roti_count: int
    roti_scores: tuple[int, ...]  # only once the run is closed
    members: tuple[tuple[str, str], ...]  # (handle, name): owners an action can have

    @property
    def phase_index(self) -> int:
        return self.phases.index(self.phase)

    @property
    def next_phase(self) -> str | None:
        index = self.phase_index
        return self.phases[index + 1] if index + 1 < len(self.phases) else None

    @property
    def phase_title(self) -> str:
        return PHASE_TITLES[self.phase]

    @property
    def revealed(self) -> bool:
        return RETRO_PHASES.index(self.phase) > RETRO_PHASES.index("write") or not self.is_open

    def theme(self, theme_id: str) -> ThemeView | None:
        return next((t for t in self.themes if t.id == theme_id), None)

    def column_title(self, column_id: str) -> str:
        return next((c.title for c in self.columns if c.id == column_id), column_id)

    def remaining_seconds(self, now: datetime | None = None) -> int | None:
        if self.timer_deadline is None:
            return None
        return max(0, int((self.timer_deadline - (now or now_utc())).total_seconds()))


# -- reading ------------------------------------------------------------------------------------


def _store_of(source: Workspace | Store) -> Store:
    return source if isinstance(source, Store) else source.store


def _run_from(snapshot: Snapshot | Tx, run_id: str) -> Run:
    record = snapshot.get(RUN_META_TABLE, RUN_META_KEY)
    if record is None:
        raise RetroError(f"there is no run {run_id!r}; `coptui runs` lists them")
    run = Run.model_validate(record)
    if run.kind != "retro":
        raise RetroError(f"run {run_id} is a {run.kind}, not a retro")
    return run


def retro_definition(run: Run) -> RetroDefinition:
    definition = run.frozen_definition()
    if not isinstance(definition, RetroDefinition):
        raise RetroError(f"run {run.id} is a {run.kind}, not a retro")
    return definition


def _state(tables: Snapshot | Tx, definition: RetroDefinition) -> dict[str, Any]:
    """The stored state; a retro nobody has moved yet is in its first phase."""
    state = tables.get(STATE, STATE_KEY)
    if state is None:
        return {"phase": definition.phases[0], "timer": None, "discuss_order": [], "discuss_index": 0}
    return dict(state)


def _deadline(state: dict[str, Any]) -> datetime | None:
    value = state.get("timer")
    return datetime.fromisoformat(value) if value else None


def _after(phase: str, reference: str) -> bool:
    return RETRO_PHASES.index(phase) > RETRO_PHASES.index(reference)


def _name_of(source: Workspace | Store, handle: str) -> str:
    if isinstance(source, Store):
        return handle
    member = source.community.member(handle)
    return member.name if member else handle


def _action_view(source: Workspace | Store, key: str, record: dict[str, Any]) -> ActionView:
    due = record.get("due")
    updated = record.get("updated_on")
    return ActionView(
        id=key,
        text=record["text"],
        owner=record["owner"],
        owner_name=_name_of(source, record["owner"]),
        due=date.fromisoformat(due) if due else None,
        status=record["status"],
        source_run=record["source_run"],
        source_title=record.get("source_title", record["source_run"]),
        created_on=date.fromisoformat(record["created_on"]),
        updated_on=date.fromisoformat(updated) if updated else None,
    )


def _by_due(action: ActionView) -> tuple[date, date, str]:
    return (action.due or date.max, action.created_on, action.id)


def _vote_totals(tables: Snapshot | Tx) -> Counter[str]:
    totals: Counter[str] = Counter()
    for ballot in tables.all(VOTES).values():
        totals.update(ballot.get("themes", {}))
    return totals


def _column_order(definition: RetroDefinition) -> dict[str, int]:
    return {column.id: index for index, column in enumerate(definition.columns)}


def _themes_in_board_order(tables: Snapshot | Tx, definition: RetroDefinition) -> list[str]:
    # Random ids order themes within a column: stable, and unrelated to who wrote first.
    columns = _column_order(definition)
    themes = tables.all(THEMES)
    return sorted(themes, key=lambda key: (columns.get(themes[key]["column"], len(columns)), key))


@dataclass(frozen=True)
class RetroFiles:
    """What every member's board is made from: the run's file and the actions file."""

    run: Snapshot
    actions: Snapshot


def read_retro(source: Workspace | Store, run_id: str) -> RetroFiles:
    store = _store_of(source)
    return RetroFiles(store.read_run(run_id), store.read_actions())


def board_for(source: Workspace | Store, run: Run | str, handle: str) -> RetroBoard:
    """What ``handle`` may see of a retro. Others' unrevealed cards are counted, never included."""
    run_id = run if isinstance(run, str) else run.id
    return board_from(source, run_id, read_retro(source, run_id), handle)


def board_from(source: Workspace | Store, run_id: str, files: RetroFiles, handle: str) -> RetroBoard:
    """:func:`board_for` from files already read: the same files serve every member."""
    snapshot = files.run
    run = _run_from(snapshot, run_id)
    definition = retro_definition(run)
    state = _state(snapshot, definition)
    phase = state["phase"]
    is_facilitator = not isinstance(source, Store) and source.community.is_facilitator(handle)

    pending = snapshot.all(PENDING)
    columns = _column_order(definition)
    my_cards = tuple(
        CardView(key, record["column"], record["text"], _name_of(source, handle), True)
        for key, record in sorted(
            pending.items(), key=lambda item: (columns.get(item[1]["column"], 0), item[1].get("seq", 0), item[0])
        )
        if record["author"] == handle
    )
    hidden = sum(1 for record in pending.values() if record["author"] != handle)

    votes_visible = not run.is_open or ("vote" in definition.phases and _after(phase, "vote"))
    totals = _vote_totals(snapshot)
    mine = (snapshot.get(VOTES, handle) or {}).get("themes", {})
    cards_by_theme: dict[str, list[CardView]] = {}
    for key, record in sorted(snapshot.all(CARDS).items()):
        author = record.get("author")
        cards_by_theme.setdefault(record["theme"], []).append(
            CardView(
                key, record["column"], record["text"], _name_of(source, author) if author else None, author == handle
            )
        )
    themes_table = snapshot.all(THEMES)
    order = list(state.get("discuss_order") or [])  # set when the discussion starts
    theme_ids = _themes_in_board_order(snapshot, definition)
    if order:
        ranked = [t for t in order if t in themes_table]
        theme_ids = ranked + [t for t in theme_ids if t not in ranked]
    themes = tuple(
        ThemeView(
            id=key,
            column=themes_table[key]["column"],
            name=themes_table[key].get("name", ""),
            cards=tuple(cards_by_theme.get(key, [])),
            votes=totals.get(key, 0) if votes_visible else None,
            my_votes=int(mine.get(key, 0)),
        )
        for key in theme_ids
    )
    discuss_theme = None
    if phase == "discuss" and order:
        index = min(int(state.get("discuss_index", 0)), len(order) - 1)
        discuss_theme = order[index]

    actions_snapshot = files.actions.all(ACTIONS)
    review = []
    own = []
    for key, record in actions_snapshot.items():
        if record["source_run"] == run_id:
            own.append(_action_view(source, key, record))
        elif record["status"] == "open" or record.get("updated_in") == run_id:
            review.append(_action_view(source, key, record))
    members: tuple[tuple[str, str], ...] = ()
    if not isinstance(source, Store):
        members = tuple((m.handle, m.name) for m in source.community.members)
    return RetroBoard(
        run_id=run.id,
        title=run.title,
        is_open=run.is_open,
        opened_on=run.opened_on,
        closed_on=run.closed_on,
        handle=handle,
        is_facilitator=is_facilitator,
        phase=phase,
        phases=tuple(definition.phases),
        columns=tuple(ColumnView(c.id, c.title, c.prompt) for c in definition.columns),
        anonymous_cards=definition.anonymous_cards,
        votes_per_person=definition.votes_per_person,
        my_cards=my_cards,
        hidden_cards=hidden,
        themes=themes,
        votes_visible=votes_visible,
        votes_left=max(0, definition.votes_per_person - sum(int(v) for v in mine.values())),
        voters=snapshot.count(VOTES),
        timer_deadline=_deadline(state) if run.is_open else None,
        discuss_theme=discuss_theme,
        review_actions=tuple(sorted(review, key=_by_due)),
        actions=tuple(sorted(own, key=_by_due)),
        roti_given=snapshot.get(ROTI_GIVEN, handle) is not None,
        roti_count=snapshot.count(ROTI),
        roti_scores=tuple(sorted(int(r["score"]) for r in snapshot.all(ROTI).values())) if not run.is_open else (),
        members=members,
    )


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

    def require_phase(self, *phases: str, what: str) -> None:
        if self.phase not in phases:
            allowed = " or ".join(PHASE_TITLES[p].split(":")[0].lower() for p in phases)
            raise RetroError(
                f"you can {what} only in the {allowed} phase; the retro is in {PHASE_TITLES[self.phase].lower()}"
            )

    def save_state(self) -> None:
        self.tx.put(STATE, STATE_KEY, self.state)


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _clean_text(text: str, limit: int, what: str) -> str:
    cleaned = _one_line(text)
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
        retro.require_phase("write", what="write cards")
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
        _Retro(tx, run_id).require_phase("write", what="edit cards")
        record = _own_pending(tx, card_id, handle)
        tx.put(PENDING, card_id, {**record, "text": text})


def delete_card(workspace: Workspace, run_id: str, handle: str, card_id: str) -> None:
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("write", what="delete cards")
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
    state = retro.state
    state["phase"] = target
    state["timer"] = None
    if target == "write":
        state["timer"] = (now + timedelta(minutes=retro.definition.write_minutes)).isoformat()
    if target == "discuss":
        totals = _vote_totals(retro.tx)
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
        return to


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
        retro.require_phase("discuss", what="move to the next theme")
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
        _Retro(tx, run_id).require_phase("group", what="group cards")
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
        _Retro(tx, run_id).require_phase("group", what="ungroup cards")
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
    cleaned = _one_line(name)
    if len(cleaned) > MAX_NAME_CHARS:
        raise RetroError(f"a theme name holds at most {MAX_NAME_CHARS} characters")
    with workspace.store.run_tx(run_id) as tx:
        _Retro(tx, run_id).require_phase("group", what="name themes")
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
        retro.require_phase("vote", what="take back a vote")
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
        _Retro(tx, run_id).require_phase("close", what="give your ROTI")
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
    if not run.is_open or phase not in ("discuss", "actions"):
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


# -- figures and export ----------------------------------------------------------------------------


def retro_stats(store: Store, run_id: str) -> dict[str, Any]:
    """Counts of a retro's actions by status now, and its anonymous ROTI scores."""
    actions = [r for r in store.read_actions().all(ACTIONS).values() if r["source_run"] == run_id]
    status = Counter(r["status"] for r in actions)
    scores = sorted(int(r["score"]) for r in store.read_run(run_id).all(ROTI).values())
    return {
        "actions_total": len(actions),
        "actions_done": status["done"],
        "actions_dropped": status["dropped"],
        "actions_open": status["open"],
        "roti": scores,
    }


def _md(text: str) -> str:
    """User text inside Markdown: one line, characters that would format or break a table escaped."""
    flat = _one_line(text)
    for char in "\\`*_[]<>|#":
        flat = flat.replace(char, "\\" + char)
    return flat


def export_markdown(workspace: Workspace, run: Run | str) -> str:
    """A retro as Markdown: themes with their cards and votes, actions, ROTI. Unrevealed cards never appear."""
    run_id = run if isinstance(run, str) else run.id
    facilitator = workspace.community.facilitators[0].handle if workspace.community.facilitators else ""
    board = board_for(workspace, run_id, facilitator)
    snapshot = workspace.store.read_run(run_id)
    totals = _vote_totals(snapshot)
    lines = [f"# {_md(board.title)}", ""]
    state = (
        "closed on " + board.closed_on.isoformat()
        if board.closed_on
        else f"open, in the {board.phase_title.lower()} phase"
    )
    lines += [f"- Run: `{board.run_id}`", f"- Opened: {board.opened_on.isoformat()} ({state})"]
    lines += [f"- Cards: {sum(len(t.cards) for t in board.themes)} in {len(board.themes)} themes"]
    if board.anonymous_cards:
        lines.append("- Cards are anonymous")
    lines.append("")
    ranked = sorted(board.themes, key=lambda t: -totals.get(t.id, 0)) if board.votes_visible else list(board.themes)
    for column in board.columns:
        themes = [t for t in ranked if t.column == column.id]
        lines += [f"## {_md(column.title)}", ""]
        if not themes:
            lines += ["_No cards._", ""]
            continue
        for theme in themes:
            votes = f" ({totals.get(theme.id, 0)} votes)" if board.votes_visible else ""
            if theme.name or len(theme.cards) > 1:
                lines.append(f"- **{_md(theme.title)}**{votes}")
                lines += [f"  - {_md(card.text)}{_by(card)}" for card in theme.cards]
            else:
                card = theme.cards[0] if theme.cards else None
                lines.append(f"- {_md(theme.title)}{_by(card) if card else ''}{votes}")
        lines.append("")
    actions = list_actions(workspace, source_run=run_id)
    lines += ["## Actions", ""]
    if actions:
        lines += ["| Action | Owner | Due | Status |", "|---|---|---|---|"]
        for action in actions:
            due = action.due.isoformat() if action.due else "-"
            lines.append(f"| {_md(action.text)} | {_md(action.owner_name)} | {due} | {action.status} |")
    else:
        lines.append("_No actions._")
    lines.append("")
    scores = sorted(int(r["score"]) for r in snapshot.all(ROTI).values())
    lines += ["## ROTI", ""]
    if scores:
        counts = Counter(scores)
        mean = sum(scores) / len(scores)
        lines.append(f"Mean {mean:.1f} from {len(scores)} answers (1 = waste of time, 5 = excellent).")
        lines.append("")
        lines += [f"- {score}: {counts.get(score, 0)}" for score in range(5, 0, -1)]
    else:
        lines.append("_No ROTI given._")
    return "\n".join(lines) + "\n"


def _by(card: CardView | None) -> str:
    return f" — {_md(card.author)}" if card is not None and card.author else ""


# -- demo history ---------------------------------------------------------------------------------

DEMO_CARDS: dict[str, list[list[str]]] = {
    # Each column lists topics; each topic is a few cards people write about the same thing.
    "start": [
        ["Pair on platform upgrades with product teams", "Invite product teams to pair on upgrades"],
        ["Publish a roadmap of the platform", "Share what the platform team plans for next quarter"],
        ["Run a newcomer onboarding session"],
    ],
    "stop": [
        ["Stop running meetups over time", "Meetups always overrun by 20 minutes"],
        ["Stop deciding things in DMs", "Decisions made in private chats get lost"],
    ],
    "continue": [
        ["Keep the office hours", "Office hours are the most useful part"],
        ["Lightning talks from members", "The 5-minute lightning talks"],
    ],
    "mad": [
        ["Flaky CI pipeline blocks releases", "CI fails randomly every other day"],
        ["Docs are out of date", "Runbooks do not match the real setup"],
    ],
    "sad": [
        ["Few people from mobile join", "Mobile engineers rarely show up"],
        ["The observability workshop was cancelled"],
    ],
    "glad": [
        ["The Terraform module library is a success", "Shared Terraform modules saved us weeks"],
        ["New members presenting already", "Hana's talk on tracing was great"],
    ],
    "liked": [
        ["Hands-on labs", "The Kubernetes lab session"],
        ["Friendly questions channel"],
    ],
    "learned": [
        ["How other teams do canary releases", "Canary release patterns from Checkout"],
        ["OpenTelemetry basics"],
    ],
    "lacked": [
        ["A clear agenda before meetups", "Agenda arrives too late"],
        ["Recordings for other time zones"],
    ],
    "longed": [
        ["A shared backlog of platform pain points", "One list of what hurts most"],
        ["A yearly in-person day"],
    ],
    "wind": [
        ["Management support for the guild", "Time allocated for guild work"],
        ["Growing library of templates"],
    ],
    "anchors": [
        ["Legacy Jenkins jobs", "Old Jenkins pipelines nobody owns"],
        ["Meetings clash with sprint planning"],
    ],
    "rocks": [
        ["Key people leaving", "Bus factor of one on the CI setup"],
        ["Cloud costs growing fast"],
    ],
    "island": [
        ["Self-service environments in minutes", "One-click preview environments"],
        ["Every team on the golden path"],
    ],
}
DEMO_ACTIONS = [
    "Send the meetup agenda two days before",
    "Record meetups and post the link in the channel",
    "Write a runbook for the CI pipeline",
    "Set up a buddy system for newcomers",
    "Start a shared backlog of platform pain points",
    "Move the meetup so it no longer clashes with planning",
    "Timebox meetups to 50 minutes",
    "Invite the mobile team lead to the next session",
    "Write up decisions in the wiki after each meetup",
    "Find a second owner for the CI setup",
]
DEMO_TEMPLATES = ["start-stop-continue", "mad-sad-glad", "4ls", "sailboat", "start-stop-continue", "4ls"]


def seed_demo_retros(workspace: Workspace, rng: random.Random, today: date) -> int:
    """Closed retros about every two months over the last year, played through every phase.

    Older actions were mostly done or dropped in the next retro's review; the latest retro's
    actions are still open, so owners see them at home. ROTI rises over the year.
    """
    facilitator = workspace.community.facilitators[0].handle
    handles = [m.handle for m in workspace.community.members]
    templates = [t for t in DEMO_TEMPLATES if workspace.definitions.get(t) is not None]
    if not templates:
        return 0
    count = 0
    for index in range(6):
        day = today - timedelta(days=61 * (6 - index) - 10)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        progress = index / 5
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC).replace(hour=14)
        _play_demo_retro(workspace, rng, templates[index % len(templates)], day, at, facilitator, handles, progress)
        count += 1
    return count


def _play_demo_retro(
    workspace: Workspace,
    rng: random.Random,
    template: str,
    day: date,
    at: datetime,
    facilitator: str,
    handles: Sequence[str],
    progress: float,
) -> None:
    run = workspace.runs.open_run(template, by=facilitator, today=day)
    definition = retro_definition(run)
    people = rng.sample(list(handles), rng.randint(5, len(handles)))
    # Reviewing the open actions: about two in three done, one in five dropped, the rest still open.
    review = list(board_for(workspace, run.id, facilitator).review_actions)
    rng.shuffle(review)
    done = round(len(review) * (0.55 + 0.15 * progress))
    dropped = round(len(review) * 0.2) if len(review) >= 3 else 0
    for position, action in enumerate(review[: done + dropped]):
        status: ActionStatus = "done" if position < done else "dropped"
        set_action_status(workspace, action.id, facilitator, status, in_run=run.id, today=day)
    phase = advance(workspace, run.id, facilitator, now=at)
    assert phase == "write"
    for column in definition.columns:
        for topic in DEMO_CARDS.get(column.id, []):
            for writer, text in zip(rng.sample(people, min(len(topic), len(people))), topic):
                add_card(workspace, run.id, writer, column.id, text)
    advance(workspace, run.id, facilitator, to="group", now=at + timedelta(minutes=10))
    board = board_for(workspace, run.id, facilitator)
    by_text = {theme.cards[0].text: theme.id for theme in board.themes}
    for column in definition.columns:
        for topic in DEMO_CARDS.get(column.id, []):
            themes = [by_text[text] for text in topic if text in by_text]
            for other in themes[1:]:
                merge_themes(workspace, run.id, facilitator, other, themes[0])
            if len(themes) > 1:
                name_theme(workspace, run.id, facilitator, themes[0], topic[0])
    advance(workspace, run.id, facilitator, to="vote", now=at + timedelta(minutes=20))
    theme_ids = [t.id for t in board_for(workspace, run.id, facilitator).themes]
    appeal = [rng.random() ** 2 for _ in theme_ids]  # a few themes draw most of the votes
    for handle in people:
        for _ in range(definition.votes_per_person):
            vote(workspace, run.id, handle, rng.choices(theme_ids, weights=appeal)[0])
    advance(workspace, run.id, facilitator, to="discuss", now=at + timedelta(minutes=25))
    for step in range(2):
        next_theme(workspace, run.id, facilitator, now=at + timedelta(minutes=30 + 5 * step))
    advance(workspace, run.id, facilitator, to="actions", now=at + timedelta(minutes=45))
    for text in rng.sample(DEMO_ACTIONS, rng.randint(2, 3)):
        due = day + timedelta(days=rng.choice([14, 21, 30, 45]))
        add_action(workspace, run.id, facilitator, text, rng.choice(people), due, today=day)
    advance(workspace, run.id, facilitator, to="close", now=at + timedelta(minutes=55))
    for handle in people:
        score = max(1, min(5, round(rng.gauss(2.9 + 1.3 * progress, 0.8))))
        give_roti(workspace, run.id, handle, score)
    finish_retro(workspace, run.id, facilitator, today=day)
