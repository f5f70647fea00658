"""Feedback screens driven with Pilot: giving, drafting, the inbox, thanks, starting a round, counts."""

from __future__ import annotations

import asyncio
import io
import itertools
import uuid
from datetime import date
from types import SimpleNamespace

import pytest
from rich.console import Console
from textual.widgets import DataTable, Input, OptionList, RadioButton, Static, TextArea

from coptui.core import feedback as fb
from coptui.core.workspace import Workspace
from coptui.demo.feedback import SBI_PIECES
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.feedback_round import RoundCountsScreen, StartRoundScreen
from coptui.tui.screens.inbox import InboxScreen

DAY = date(2026, 11, 2)
SIZE = (100, 32)


async def settle(app: CoptuiApp, pilot) -> None:
    """Let workers and the callbacks they schedule finish (bounded: never hangs a test)."""
    for _ in range(3):
        await pilot.pause()
        await asyncio.wait_for(app.workers.wait_for_complete(), timeout=10)
    await pilot.pause()


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (whatever Rich renderable it holds)."""
    console = Console(file=io.StringIO(), width=200, color_system=None)
    console.print(widget.content)
    return console.file.getvalue()


def sbi(marker: str) -> dict[str, str]:
    return {"situation": f"sit {marker}", "behaviour": f"beh {marker}", "impact": f"imp {marker}"}


def areas(app: CoptuiApp) -> dict[str, TextArea]:
    return {area.name: area for area in app.screen.query("#fields .field-text").results(TextArea)}


@pytest.fixture
def predictable_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piece ids in sequence, so the (hash-based) order of released pieces is the same every run."""
    counter = itertools.count(1)
    monkeypatch.setattr(fb, "uuid", SimpleNamespace(uuid4=lambda: uuid.UUID(int=next(counter))))


def rotation_round(workspace: Workspace, seed: int = 3) -> str:
    return fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=seed, today=DAY).id


# -- giving ---------------------------------------------------------------------------------------


async def test_member_gives_feedback_through_the_form(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    owed = fb.giver_round(workspace, run_id, "chen", DAY).recipients
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_run(run_id)
        await settle(app, pilot)
        assert isinstance(app.screen, FeedbackScreen)
        options = app.screen.query_one("#recipients", OptionList)
        assert [options.get_option_at_index(i).id for i in range(options.option_count)] == [r.handle for r in owed]
        assert "You gave 0 of 3." in text_of(app.screen.query_one("#owed-summary", Static))
        assert "Anonymous" in text_of(app.screen.query_one("#privacy-note", Static))
        fields = areas(app)
        assert list(fields) == ["situation", "behaviour", "impact"]
        fields["situation"].focus()
        await pilot.press(*"At standup")
        fields["behaviour"].insert("you took notes\nand shared them")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Impact is required" in text_of(app.screen.query_one("#form-message", Static))
        assert workspace.store.read_run(run_id).count(fb.PIECES) == 0
        fields["impact"].insert("we all knew the plan")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        (piece,) = workspace.store.read_run(run_id).all(fb.PIECES).values()
        assert piece == {
            "to": owed[0].handle,
            "fields": {
                "situation": "At standup",
                "behaviour": "you took notes\nand shared them",
                "impact": "we all knew the plan",
            },
            "thanked": False,
        }
        assert "Feedback sent to" in text_of(app.screen.query_one("#form-message", Static))
        assert "You gave 1 of 3." in text_of(app.screen.query_one("#owed-summary", Static))
        assert "given" in str(options.get_option_at_index(0).prompt)
        # The form moved on to the next person still owed, empty.
        assert options.highlighted == 1
        assert all(area.text == "" for area in areas(app).values())


async def test_drafts_are_kept_and_restored(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    first = fb.giver_round(workspace, run_id, "chen", DAY).recipients[0].handle
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_run(run_id)
        await settle(app, pilot)
        areas(app)["situation"].insert("half a [b]thought[/b]")
        await pilot.press("f2")
        await settle(app, pilot)
        assert fb.load_draft(workspace, run_id, "chen", first) == {"situation": "half a [b]thought[/b]"}
        assert "draft" in str(app.screen.query_one("#recipients", OptionList).get_option_at_index(0).prompt)
        areas(app)["impact"].insert("more later")
        await pilot.press("escape")  # leaving saves what was typed
        await settle(app, pilot)
        assert fb.load_draft(workspace, run_id, "chen", first) == {
            "situation": "half a [b]thought[/b]",
            "impact": "more later",
        }
        app.open_run(run_id)
        await settle(app, pilot)
        restored = areas(app)
        assert restored["situation"].text == "half a [b]thought[/b]" and restored["impact"].text == "more later"
        assert "Draft restored" in text_of(app.screen.query_one("#form-state", Static))


async def test_a_closed_round_takes_no_more_feedback(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    workspace.runs.close_run(run_id, by="ada")
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_run(run_id)
        await settle(app, pilot)
        assert areas(app) == {}
        assert "closed" in text_of(app.screen.query_one("#form-state", Static))
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert workspace.store.read_run(run_id).count(fb.PIECES) == 0


# -- the inbox ------------------------------------------------------------------------------------


def closed_round_with_feedback_for(workspace: Workspace, recipient: str) -> tuple[str, list[str]]:
    run_id = rotation_round(workspace)
    pairing = fb.Pairing.from_settings(workspace.runs.get(run_id).settings)
    givers = [g for g in pairing.members if recipient in pairing.recipients_for(g)]
    for giver in givers:
        fb.submit(workspace, run_id, giver, recipient, sbi(f"from{giver}"), today=DAY)
    workspace.runs.close_run(run_id, by="ada", today=DAY)
    return run_id, givers


async def test_inbox_shows_released_feedback_and_thanks_the_giver(workspace: Workspace) -> None:
    run_id, givers = closed_round_with_feedback_for(workspace, "dana")
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert isinstance(app.screen, InboxScreen)
        table = app.screen.query_one("#received", DataTable)
        assert table.row_count == 3
        assert {str(table.get_row_at(i)[2]) for i in range(3)} == {"anonymous"}
        table.focus()
        piece = text_of(app.screen.query_one("#piece", Static))
        assert "From: Anonymous" in piece and "sit from" in piece
        shown_giver = next(g for g in givers if f"sit from{g}" in piece)
        await pilot.press("k")
        await settle(app, pilot)
        thanked = [p for p in workspace.store.read_run(run_id).all(fb.PIECES).values() if p["thanked"]]
        assert [p["fields"]["situation"] for p in thanked] == [f"sit from{shown_giver}"]
        assert "You thanked the giver." in text_of(app.screen.query_one("#piece", Static))
        assert str(table.get_row_at(0)[3]) == "♥"
    giver_app = CoptuiApp(workspace, workspace.member(shown_giver))
    async with giver_app.run_test(size=SIZE) as pilot:
        await settle(giver_app, pilot)
        await pilot.press("i")
        await settle(giver_app, pilot)
        thanks = text_of(giver_app.screen.query_one("#thanks", Static))
        assert "Dana Kowalski said thank you" in thanks


async def test_inbox_holds_back_an_open_anonymous_round_and_lists_what_is_owed(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    pairing = fb.Pairing.from_settings(workspace.runs.get(run_id).settings)
    for giver in [g for g in pairing.members if "dana" in pairing.recipients_for(g)]:
        fb.submit(workspace, run_id, giver, "dana", sbi("early"), today=DAY)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)
        assert app.screen.query_one("#received-row").display is False
        assert "after the round closes" in text_of(app.screen.query_one("#held", Static))
        owed = app.screen.query_one("#owed", DataTable)
        assert owed.row_count == 1 and str(owed.get_row_at(0)[2]) == "0 of 3"
        assert app.screen.focused is owed
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, FeedbackScreen) and app.screen.run_id == run_id


# -- the facilitator's side -----------------------------------------------------------------------


async def test_start_round_dialog_checks_and_returns_the_run_id(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(StartRoundScreen("peer-sbi"), results.append)
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, StartRoundScreen)
        buttons = {b.name: b for b in dialog.query(RadioButton).results(RadioButton)}
        assert buttons["rotation"].value is True
        per_member = dialog.query_one("#per-member", Input)
        assert per_member.value == "3"
        per_member.value = "2"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "nobody's feedback could ever be shown" in text_of(dialog.query_one("#round-error", Static))
        assert workspace.runs.list_runs() == []
        per_member.value = "3"
        dialog.query_one("#closes-on", Input).value = "someday"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "not a date" in text_of(dialog.query_one("#round-error", Static))
        dialog.query_one("#closes-on", Input).value = "2099-01-31"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        (run,) = workspace.runs.list_runs(kind="feedback")
        assert results == [run.id]
        assert run.settings["pairing"]["mode"] == "rotation" and run.settings["pairing"]["per_member"] == 3
        assert str(run.closes_on) == "2099-01-31"


async def test_start_round_dialog_everyone_to_everyone(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("bruno"))
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.push_screen(StartRoundScreen("kudos"), results.append)
        await settle(app, pilot)
        buttons = {b.name: b for b in app.screen.query(RadioButton).results(RadioButton)}
        assert buttons["free"].value is True
        await pilot.click(buttons["all"])
        await settle(app, pilot)
        assert app.screen.query_one("#per-member", Input).disabled
        await pilot.click("#start")
        await settle(app, pilot)
        (run,) = workspace.runs.list_runs(kind="feedback")
        assert results == [run.id] and run.settings["pairing"]["mode"] == "all"
        assert fb.round_stats(workspace.store, run.id)["owed"] == 8 * 7


async def test_round_counts_for_a_facilitator_and_not_for_a_member(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    chen_owes = fb.giver_round(workspace, run_id, "chen", DAY).recipients
    for recipient in chen_owes[:2]:
        fb.submit(workspace, run_id, "chen", recipient.handle, sbi("countme"), today=DAY)
    app = CoptuiApp(workspace, workspace.member("ada"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.open_run(run_id)
        await settle(app, pilot)
        await pilot.press("c")
        await settle(app, pilot)
        assert isinstance(app.screen, RoundCountsScreen)
        table = app.screen.query_one("#counts", DataTable)
        assert [str(c) for c in table.get_row("chen")] == ["Chen Wei", "3", "2", "1"]
        assert "Completion: 2 of 24 pieces given (8%)" in text_of(app.screen.query_one("#counts-summary", Static))
        assert "countme" not in app.export_screenshot()
    member = CoptuiApp(workspace, workspace.member("chen"))
    async with member.run_test(size=SIZE) as pilot:
        await settle(member, pilot)
        member.open_run(run_id)
        await settle(member, pilot)
        await pilot.press("c")  # not a facilitator: the key does nothing
        await settle(member, pilot)
        assert isinstance(member.screen, FeedbackScreen)
        member.push_screen(RoundCountsScreen(run_id))
        await settle(member, pilot)
        assert "only a facilitator" in text_of(member.screen.query_one("#counts-title", Static))
        assert member.screen.query_one("#counts", DataTable).row_count == 0


# -- snapshots ------------------------------------------------------------------------------------


def test_snapshot_feedback_form(snap_compare, workspace: Workspace) -> None:
    run_id = rotation_round(workspace, seed=5)
    first, second, _ = fb.giver_round(workspace, run_id, "chen", DAY).recipients
    fb.submit(workspace, run_id, "chen", second.handle, sbi("done"), today=DAY)
    fb.save_draft(
        workspace, run_id, "chen", first.handle, {"situation": "In Tuesday's meetup on build caches"}, today=DAY
    )
    app = CoptuiApp(workspace, workspace.member("chen"))

    async def open_round(pilot) -> None:
        await settle(app, pilot)
        app.open_run(run_id)
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_round)


def test_snapshot_inbox(snap_compare, workspace: Workspace, predictable_ids: None) -> None:
    run_id = rotation_round(workspace)
    pairing = fb.Pairing.from_settings(workspace.runs.get(run_id).settings)
    givers = [g for g in pairing.members if "dana" in pairing.recipients_for(g)]
    for giver, (situation, behaviour, impact) in zip(givers, SBI_PIECES):
        fields = {"situation": situation, "behaviour": behaviour, "impact": impact}
        fb.submit(workspace, run_id, giver, "dana", fields, today=DAY)
    workspace.runs.close_run(run_id, by="ada", today=DAY)
    kudos = fb.start_round(workspace, "kudos", "ada", "free", 1, today=DAY).id
    fb.submit(workspace, kudos, "hana", "dana", {"message": "Thank you for the [bold]Terraform[/] pairing!"}, today=DAY)
    rotation_round(workspace, seed=8)
    app = CoptuiApp(workspace, workspace.member("dana"))

    async def open_inbox(pilot) -> None:
        await settle(app, pilot)
        await pilot.press("i")
        await settle(app, pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_inbox)
