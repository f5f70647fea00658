"""The home dashboard (coptui.core.dashboard): where a member stands in each open run, and the recent results."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from coptui.core import dashboard
from coptui.core.feedback import start_round
from coptui.core.retro import advance
from coptui.core.workspace import Workspace


def _status(workspace: Workspace, handle: str) -> dict[str, str]:
    listing = dashboard.list_runs(workspace)
    return {entry.run.id: entry.status for entry in dashboard.open_runs(workspace, handle, listing)}


def test_a_survey_reads_to_do_then_draft_then_answered(workspace: Workspace) -> None:
    run = workspace.runs.open_run("cop-pulse", by="ada")
    assert _status(workspace, "chen") == {run.id: "to do"}
    workspace.runs.save_draft(run.id, "chen", {"domain": 4}, position=1)
    assert _status(workspace, "chen") == {run.id: "draft"}
    assert _status(workspace, "ada") == {run.id: "to do"}  # each member's own


def test_a_live_retro_reads_its_phase(workspace: Workspace) -> None:
    run = workspace.runs.open_run("start-stop-continue", by="ada")
    advance(workspace, run.id, "ada")
    status = _status(workspace, "chen")[run.id]
    assert status.startswith("live: ") and status == status.lower()


def test_a_feedback_round_reads_what_is_left_to_give(workspace: Workspace) -> None:
    run = start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=3)
    assert _status(workspace, "chen")[run.id] == "3 to give"


def test_closed_runs_come_most_recent_first_with_their_counts(demo_workspace: Workspace) -> None:
    listing = dashboard.list_runs(demo_workspace)
    recent = dashboard.recent_results(demo_workspace, listing)
    assert len(recent) == dashboard.RECENT_RESULTS
    assert all(result.run.state == "closed" for result in recent)
    closed = [result.run.closed_on or result.run.opened_on for result in recent]
    assert closed == sorted(closed, reverse=True)
    for result in recent:
        if result.run.kind == "survey":
            assert result.responses == demo_workspace.runs.response_count(result.run.id)
    assert dashboard.recent_results(demo_workspace, listing, limit=2) == recent[:2]
    assert not any(entry.run.state == "closed" for entry in dashboard.open_runs(demo_workspace, "ada", listing))


def test_what_it_returns_cannot_be_changed(workspace: Workspace) -> None:
    workspace.runs.open_run("cop-pulse", by="ada")
    entry = dashboard.open_runs(workspace, "ada", dashboard.list_runs(workspace))[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.status = "answered"  # type: ignore[misc]


def test_importing_it_brings_no_pydantic() -> None:
    # The home screen imports it before its first frame, which is drawn without pydantic.
    probe = "import sys, coptui.core.dashboard; print('pydantic' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert result.stdout.strip() == "False"
