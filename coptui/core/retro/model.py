"""What a retro is made of: its tables, phases, limits, errors, and the views members are shown."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from coptui.core.definitions import RETRO_PHASES, RetroDefinition
from coptui.core.run import Run, RunError, load_run, now_utc
from coptui.store import tables
from coptui.store.store import Snapshot, Store, Tx

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace


# The tables a retro writes: their names and record shapes are the store's (store/tables.py).
STATE = tables.RETRO_STATE
STATE_KEY = tables.RETRO_STATE_KEY
PENDING = tables.RETRO_PENDING
CARDS = tables.RETRO_CARDS
THEMES = tables.RETRO_THEMES
VOTES = tables.RETRO_VOTES
ROTI = tables.RETRO_ROTI
ROTI_GIVEN = tables.RETRO_ROTI_GIVEN
ACTIONS = tables.ACTIONS

ActionStatus = Literal["open", "done", "dropped"]
ACTION_STATUSES: tuple[str, ...] = ("open", "done", "dropped")
# The phases each command belongs to (every phase of an open retro when not listed here): the
# retro refuses a command out of them, and a member's board offers only what will be taken.
# Commands are named as the retro screen's actions.
COMMAND_PHASES: dict[str, tuple[str, ...]] = {
    "add_card": ("write",),
    "edit_card": ("write",),
    "delete_card": ("write",),
    "move": ("group",),
    "name_theme": ("group",),
    "ungroup": ("group",),
    "vote": ("vote",),
    "unvote": ("vote",),
    "add_action": ("discuss", "actions"),
    "mark_done": ("review",),
    "mark_dropped": ("review",),
    "roti": ("close",),
    "next_theme": ("discuss",),
    "reveal": ("write",),
    "finish": ("close",),
    "extend_timer": ("write", "reveal", "group", "vote", "discuss", "actions"),
}
# The command that sends each kind of unsent text a member's draft may hold (core/retro/drafts.py):
# a draft is kept only while its command is taken.
DRAFT_COMMANDS: dict[str, str] = {"card": "add_card", "edit": "edit_card", "name": "name_theme", "action": "add_action"}
MAX_CARD_CHARS = 500
# An anonymous tally of a retro (the ROTI) shows no mean and no spread below this many
# answers: with two, each member who gave one could tell the other's from a mean.
MIN_TALLY = 3


def held_back_tally(count: int) -> str:
    """What is said of a ROTI held back below :data:`MIN_TALLY` answers."""
    answers = "1 answer" if count == 1 else f"{count} answers"
    return f"{answers}: a mean and a spread are shown from {MIN_TALLY}, so that nobody's can be told from them."


def shown_scores(scores: list[int] | tuple[int, ...]) -> tuple[int, ...]:
    """The ROTI scores that may be shown: all of them from :data:`MIN_TALLY` answers, else none."""
    return tuple(sorted(scores)) if len(scores) >= MIN_TALLY else ()


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
    return load_run(snapshot, run_id, kind="retro", error=RetroError)


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


def vote_totals(tables: Snapshot | Tx) -> Counter[str]:
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
