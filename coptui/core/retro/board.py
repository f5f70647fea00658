"""Reading a retro: the board one member may see (others' unrevealed cards are counted, never included)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from coptui.core.retro.model import (
    ACTIONS,
    CARDS,
    PENDING,
    ROTI,
    ROTI_GIVEN,
    THEMES,
    VOTES,
    CardView,
    ColumnView,
    RetroBoard,
    ThemeView,
    _action_view,
    _after,
    _by_due,
    _column_order,
    _deadline,
    _name_of,
    _run_from,
    _state,
    _store_of,
    _themes_in_board_order,
    retro_definition,
    shown_scores,
    vote_totals,
)
from coptui.core.run import Run
from coptui.store.store import Snapshot, Store

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace


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
    totals = vote_totals(snapshot)
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
        roti_scores=shown_scores([int(r["score"]) for r in snapshot.all(ROTI).values()]) if not run.is_open else (),
        members=members,
    )


# -- figures and export ----------------------------------------------------------------------------


def retro_stats(store: Store, run_id: str) -> dict[str, Any]:
    """Counts of a retro's actions by status now, and its anonymous ROTI scores (none below
    :data:`MIN_TALLY` answers; ``roti_count`` says how many were given)."""
    actions = [r for r in store.read_actions().all(ACTIONS).values() if r["source_run"] == run_id]
    status = Counter(r["status"] for r in actions)
    scores = sorted(int(r["score"]) for r in store.read_run(run_id).all(ROTI).values())
    return {
        "actions_total": len(actions),
        "actions_done": status["done"],
        "actions_dropped": status["dropped"],
        "actions_open": status["open"],
        "roti": list(shown_scores(scores)),
        "roti_count": len(scores),
    }
