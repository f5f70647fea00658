"""A retro as Markdown: themes with their cards and votes, actions, ROTI, from the facilitator's board."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from coptui.core.retro.actions import list_actions
from coptui.core.retro.board import board_for
from coptui.core.retro.model import ROTI, CardView, held_back_tally, shown_scores, vote_totals
from coptui.core.run import Run
from coptui.text import markdown_inline as _md

if TYPE_CHECKING:
    from coptui.core.workspace import Workspace


def export_markdown(workspace: Workspace, run: Run | str) -> str:
    """A retro as Markdown: themes with their cards and votes, actions, ROTI. Unrevealed cards never appear."""
    run_id = run if isinstance(run, str) else run.id
    facilitator = workspace.community.facilitators[0].handle if workspace.community.facilitators else ""
    board = board_for(workspace, run_id, facilitator)
    snapshot = workspace.store.read_run(run_id)
    totals = vote_totals(snapshot)
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
    given = [int(r["score"]) for r in snapshot.all(ROTI).values()]
    scores = shown_scores(given)
    lines += ["## ROTI", ""]
    if given and not scores:
        lines.append(f"_{held_back_tally(len(given))}_")
    elif scores:
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
