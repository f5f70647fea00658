"""Feedback reaches its recipient alone: through every screen, the facilitator's views, export, the files.

Each piece carries a unique marker word. For every way in, we check that a member never
gets a marker of a piece addressed to someone else, and that in an anonymous round
nothing stored or shown links a piece to its giver.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable

from coptui.cli.main import main as cli_main
from coptui.core import feedback as fb
from coptui.core.workspace import Workspace
from coptui.exports.feedback import export_markdown as export_feedback_markdown
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.facilitator import FacilitatorScreen
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.feedback_round import RoundCountsScreen
from coptui.tui.screens.inbox import InboxScreen
from tests.support.waits import home_loaded, screen_text, settle

DAY = date(2026, 11, 2)
SIZE = (100, 32)


class Round:
    """An anonymous rotation round, closed, where every giver gave: a marker per piece."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=21, today=DAY)
        self.run_id = run.id
        self.pairing = fb.Pairing.from_settings(run.settings)
        self.markers: dict[tuple[str, str], str] = {}
        for giver in self.pairing.members:
            for recipient in self.pairing.recipients_for(giver):
                marker = f"qzm{len(self.markers):02d}x"
                self.markers[(giver, recipient)] = marker
                fields = {"situation": f"{marker} sit", "behaviour": f"{marker} beh", "impact": f"{marker} imp"}
                fb.submit(workspace, self.run_id, giver, recipient, fields, today=DAY)
        self.closed = workspace.runs.close_run(self.run_id, by="ada", today=DAY)

    def for_(self, handle: str) -> set[str]:
        return {m for (_, recipient), m in self.markers.items() if recipient == handle}

    def not_for(self, handle: str) -> set[str]:
        return set(self.markers.values()) - self.for_(handle)

    def givers_to(self, handle: str) -> list[str]:
        return [g for (g, r) in self.markers if r == handle]


@pytest.fixture
def closed_round(workspace: Workspace) -> Round:
    return Round(workspace)


def found(text: str, markers: set[str]) -> set[str]:
    return {m for m in markers if m in text}


# -- screens ------------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["dana", "ada", "hana"])
async def test_screens_show_a_member_only_their_own_feedback(
    workspace: Workspace, closed_round: Round, handle: str
) -> None:
    app = CoptuiApp(workspace, workspace.member(handle))
    seen_own: set[str] = set()
    own = closed_round.for_(handle)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        shots = [app.export_screenshot()]
        await pilot.press("i")
        await settle(
            pilot,
            until=lambda: (
                isinstance(app.screen, InboxScreen)
                and not app.workers
                and app.screen.query_one("#received", DataTable).row_count == len(own)
            ),
        )
        assert isinstance(app.screen, InboxScreen)
        assert found(repr(app.screen.inbox), closed_round.not_for(handle)) == set()
        table = app.screen.query_one("#received", DataTable)
        table.focus()
        for row in range(table.row_count):
            table.move_cursor(row=row)
            # Each row is a piece of its own: its marker is one not seen on an earlier row.
            await settle(pilot, until=lambda: bool(found(screen_text(app), own) - seen_own))  # noqa: B023 (used at once)
            shot = app.export_screenshot()
            shots.append(shot)
            seen_own |= found(shot, own)
        await pilot.press("escape")
        app.open_run(closed_round.run_id)
        await settle(
            pilot,
            until=lambda: isinstance(app.screen, FeedbackScreen) and app.screen.view is not None and not app.workers,
        )
        shots.append(app.export_screenshot())
        if workspace.member(handle).is_facilitator:
            await pilot.press("ctrl+r")
            await settle(
                pilot,
                until=lambda: (
                    isinstance(app.screen, RoundCountsScreen)
                    and not app.workers
                    and app.screen.query_one("#counts", DataTable).row_count > 0
                ),
            )
            shots.append(app.export_screenshot())
            await pilot.press("escape", "escape", "f")
            await settle(
                pilot,
                until=lambda: (
                    isinstance(app.screen, FacilitatorScreen)
                    and not app.workers
                    and app.screen.query_one("#definitions", DataTable).row_count > 0
                ),
            )
            shots.append(app.export_screenshot())
    for shot in shots:
        assert found(shot, closed_round.not_for(handle)) == set()
    # The recipient can read every piece addressed to them.
    assert seen_own == closed_round.for_(handle)


async def test_anonymous_inbox_names_no_giver(workspace: Workspace, closed_round: Round) -> None:
    inbox = fb.inbox(workspace, "dana", DAY)
    assert len(inbox.received) == 3
    assert all(piece.giver is None and piece.day is None for piece in inbox.received)
    givers = set(closed_round.givers_to("dana"))
    # Everything shown of a piece but its random id: a uuid4 in hex holds "ada" now and then
    # (about one run in fifty), which made this test fail with no giver named anywhere.
    shown = repr([dataclasses.replace(piece, piece_id="") for piece in inbox.received])
    assert not any(g in shown for g in givers)
    assert not any(workspace.member(g).name in shown for g in givers)


async def test_an_open_anonymous_round_shows_its_recipient_nothing(workspace: Workspace) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "all", today=DAY)
    for giver in ("chen", "emeka", "farah", "gus"):
        fb.submit(
            workspace, run.id, giver, "dana", {"situation": "qzopen s", "behaviour": "b", "impact": "i"}, today=DAY
        )
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("i")
        # The round is read: the inbox says its pieces wait for it to close.
        await settle(
            pilot,
            until=lambda: (
                isinstance(app.screen, InboxScreen)
                and not app.workers
                and "after the round closes" in " ".join(screen_text(app).split())
            ),
        )
        shot = app.export_screenshot()
    assert "qzopen" not in shot
    assert "qzopen" not in export_feedback_markdown(workspace, workspace.runs.get(run.id), "dana", DAY)


# -- export -------------------------------------------------------------------------------------


@pytest.mark.parametrize("handle", ["dana", "ada", "hana"])
def test_export_gives_each_member_only_their_own(workspace: Workspace, closed_round: Round, handle: str) -> None:
    text = export_feedback_markdown(workspace, closed_round.closed, handle, DAY)
    assert found(text, set(closed_round.markers.values())) == closed_round.for_(handle)
    for giver in closed_round.givers_to(handle):
        assert workspace.member(giver).name not in text


def test_cli_export_as_someone_else_exports_their_own_not_another_s(
    workspace: Workspace, closed_round: Round, data_dir: Path, surveys_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(
        [
            "export",
            closed_round.run_id,
            "--format",
            "md",
            "--as",
            "chen",
            "--data",
            str(data_dir),
            "--surveys",
            str(surveys_dir),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert found(out, set(closed_round.markers.values())) == closed_round.for_("chen")
    code = cli_main(
        [
            "export",
            closed_round.run_id,
            "--format",
            "csv",
            "--as",
            "chen",
            "--data",
            str(data_dir),
            "--surveys",
            str(surveys_dir),
        ]
    )
    captured = capsys.readouterr()
    assert code == 1 and found(captured.out + captured.err, set(closed_round.markers.values())) == set()


# -- the files ----------------------------------------------------------------------------------


def test_files_link_no_anonymous_piece_to_its_giver(workspace: Workspace, data_dir: Path) -> None:
    run = fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=4, today=DAY)
    pairing = fb.Pairing.from_settings(run.settings)
    for giver in pairing.members:
        for recipient in pairing.recipients_for(giver)[:2]:
            fb.submit(
                workspace,
                run.id,
                giver,
                recipient,
                {"situation": "qzfile s", "behaviour": "b", "impact": "i"},
                today=DAY,
            )
        fb.save_draft(workspace, run.id, giver, pairing.recipients_for(giver)[2], {"situation": "qzdraft"}, today=DAY)
    workspace.runs.close_run(run.id, by="ada", today=DAY)
    for handle in pairing.members:
        for piece in fb.inbox(workspace, handle, DAY).received[:1]:
            fb.thank(workspace, run.id, handle, piece.piece_id, today=DAY)
    raw = json.loads(workspace.store.run_path(run.id).read_bytes())
    pieces = raw[fb.PIECES]
    assert len(pieces) == 16
    handles = set(pairing.members)
    for key, piece in pieces.items():
        assert set(piece) == {"to", "fields", "thanked"}
        # Nothing but the recipient: no giver, no time, no sequence.
        assert set(json.dumps(piece).split('"')) & (handles - {piece["to"]}) == set()
        assert len(key) == 32 and int(key, 16) >= 0
    assert len({int(k, 16) >> 64 for k in pieces}) == len(pieces)  # random, not a counter
    given_text = json.dumps(raw[fb.GIVEN])
    assert not any(key in given_text for key in pieces) and "qzfile" not in given_text
    assert raw.get("drafts", {}) == {}  # closing threw the unsent text away
    # The run file is the only file holding feedback text.
    for path in data_dir.rglob("*"):
        if path.is_file() and path != workspace.store.run_path(run.id):
            content = path.read_bytes()
            assert b"qzfile" not in content and b"qzdraft" not in content, path
