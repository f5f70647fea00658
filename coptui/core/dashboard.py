"""The home dashboard: what is open for a member and where they stand, and the recent results.

Plain reads through the workspace's runs and store, no UI: the home screen calls these in a
worker and draws what they return. The run, retro and feedback code is imported when first
used, not with this module: the home screen imports it, and its first frame is drawn
without pydantic (tests/tui/test_startup.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coptui.core.run import Run
    from coptui.core.workspace import Workspace
    from coptui.store.store import Snapshot

# How many closed runs the dashboard lists, most recently closed first.
RECENT_RESULTS = 8


@dataclass(frozen=True)
class OpenRun:
    """A run open now, and where the member stands in it, in a few words ("to do", "draft",
    "answered", "live: write", "2 to give", "all given", "not in this round")."""

    run: Run
    status: str


@dataclass(frozen=True)
class RecentResult:
    """A closed run and how many responses it has (None: a kind that does not count them)."""

    run: Run
    responses: int | None


def list_runs(workspace: Workspace) -> list[Run]:
    """Every run, from one read of the index (both of the dashboard's lists come from it)."""
    return workspace.runs.list_runs()


def open_runs(workspace: Workspace, handle: str, listing: list[Run]) -> list[OpenRun]:
    """The open runs of ``listing``, each with where ``handle`` stands."""
    return [OpenRun(run, member_status(workspace, run, handle)) for run in listing if run.state == "open"]


def member_status(workspace: Workspace, run: Run, handle: str) -> str:
    """Where ``handle`` stands in the open ``run``, in a few words."""
    if run.kind == "survey":
        return workspace.runs.status_for(run, handle).status
    if run.kind == "retro":
        from coptui.core.retro import board_for  # on first use: see the module

        return f"live: {board_for(workspace, run, handle).phase_title.lower()}"
    from coptui.core.feedback import giver_round  # on first use: see the module

    mine = giver_round(workspace, run.id, handle)
    if not mine.is_participant:
        return "not in this round"
    return f"{mine.remaining} to give" if mine.remaining else "all given"


def recent_results(workspace: Workspace, listing: list[Run], limit: int = RECENT_RESULTS) -> list[RecentResult]:
    """The ``limit`` runs of ``listing`` closed last, with their response counts."""
    closed = [run for run in listing if run.state == "closed"]
    closed.sort(key=lambda r: (r.closed_on or r.opened_on, r.id), reverse=True)
    index = workspace.store.read_index()
    return [RecentResult(run, response_count(workspace, run, index)) for run in closed[:limit]]


def response_count(workspace: Workspace, run: Run, index: Snapshot) -> int | None:
    """A closed run's responses, from its summary in the index when it has one, so that the
    dashboard never parses big run files; None for a run of a kind without responses."""
    summary = workspace.runs.summary(run, index)
    if summary is not None:
        return int(summary["responses"])
    return workspace.runs.response_count(run.id) if run.kind == "survey" else None
