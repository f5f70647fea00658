"""Feedback screens driven with Pilot: giving, drafting, the inbox, thanks, starting a round, counts."""

from __future__ import annotations

import io
import itertools
import uuid
from datetime import date

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, RadioButton, Static, TextArea

from coptui.core import feedback as fb
from coptui.core.workspace import Workspace
from coptui.demo.feedback import SBI_PIECES
from coptui.tui.app import CoptuiApp
from coptui.tui.screens.feedback import FeedbackScreen
from coptui.tui.screens.feedback_round import RoundCountsScreen, StartRoundScreen
from coptui.tui.screens.inbox import InboxScreen
from tests.support.waits import click, home_loaded, no_workers, settle

DAY = date(2026, 11, 2)
SIZE = (100, 32)


def text_of(widget: Static) -> str:
    """What a Static shows, as plain text (whatever Rich renderable it holds)."""
    written = io.StringIO()
    Console(file=written, width=200, color_system=None).print(widget.content)
    return written.getvalue()


def sbi(marker: str) -> dict[str, str]:
    return {"situation": f"sit {marker}", "behaviour": f"beh {marker}", "impact": f"imp {marker}"}


def areas(app: CoptuiApp) -> dict[str, TextArea]:
    return {area.name or "": area for area in app.screen.query("#fields .field-text").results(TextArea)}


def shown(app: CoptuiApp, selector: str) -> str:
    """What the Static ``selector`` on the current screen shows, as plain text."""
    return text_of(app.screen.query_one(selector, Static))


def giving(app: CoptuiApp) -> bool:
    """The feedback screen has read its round and shows a form, or says why it has none."""
    screen = app.screen
    return (
        isinstance(screen, FeedbackScreen)
        and screen.view is not None
        and not app.workers
        and (bool(areas(app)) or bool(shown(app, "#form-state").strip()))
    )


def in_inbox(app: CoptuiApp) -> bool:
    """The inbox is up with what it read."""
    return isinstance(app.screen, InboxScreen) and not app.workers


@pytest.fixture
def predictable_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piece ids in sequence, so the (hash-based) order of released pieces is the same every run."""
    counter = itertools.count(1)
    # Every uuid4 of the test, piece ids among them (the core calls uuid.uuid4 where it makes one).
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))


def rotation_round(workspace: Workspace, seed: int = 3) -> str:
    return fb.start_round(workspace, "peer-sbi", "ada", "rotation", 3, seed=seed, today=DAY).id


# -- giving ---------------------------------------------------------------------------------------


async def test_member_gives_feedback_through_the_form(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    owed = fb.giver_round(workspace, run_id, "chen", DAY).recipients
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: giving(app))
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
        await settle(pilot, until=lambda: "Impact is required" in shown(app, "#form-message"))
        assert workspace.store.read_run(run_id).count(fb.PIECES) == 0
        fields["impact"].insert("we all knew the plan")
        await settle(pilot, until=lambda: fields["impact"].text == "we all knew the plan")
        await pilot.press("ctrl+s")
        # Sent, and the form moved on to the next person still owed, empty.
        await settle(
            pilot,
            until=lambda: (
                "You gave 1 of 3." in shown(app, "#owed-summary")
                and options.highlighted == 1
                and giving(app)
                and all(area.text == "" for area in areas(app).values())
            ),
        )
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
        assert "Feedback sent to" in shown(app, "#form-message")
        assert "given" in str(options.get_option_at_index(0).prompt)
        assert areas(app)


async def test_drafts_are_kept_and_restored(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    first = fb.giver_round(workspace, run_id, "chen", DAY).recipients[0].handle
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: giving(app))
        areas(app)["situation"].insert("half a [b]thought[/b]")
        await pilot.press("f2")
        await settle(
            pilot,
            until=lambda: (
                "draft" in str(app.screen.query_one("#recipients", OptionList).get_option_at_index(0).prompt)
                and not app.workers
            ),
        )
        assert fb.load_draft(workspace, run_id, "chen", first) == {"situation": "half a [b]thought[/b]"}
        areas(app)["impact"].insert("more later")
        await pilot.press("escape")  # leaving saves what was typed
        both = {"situation": "half a [b]thought[/b]", "impact": "more later"}
        await settle(
            pilot,
            until=lambda: (
                not isinstance(app.screen, FeedbackScreen) and fb.load_draft(workspace, run_id, "chen", first) == both
            ),
        )
        app.open_run(run_id)
        await settle(pilot, until=lambda: giving(app) and "Draft restored" in shown(app, "#form-state"))
        restored = areas(app)
        assert restored["situation"].text == "half a [b]thought[/b]" and restored["impact"].text == "more later"


async def test_a_closed_round_takes_no_more_feedback(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    workspace.runs.close_run(run_id, by="ada")
    app = CoptuiApp(workspace, workspace.member("chen"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: giving(app) and "closed" in shown(app, "#form-state"))
        assert areas(app) == {}
        await pilot.press("ctrl+s")
        # The key is handled (pilot.press waits for that) and writes nothing.
        await settle(pilot, no_workers(app))
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
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("i")
        await settle(pilot, lambda: in_inbox(app) and app.screen.query_one("#received", DataTable).row_count == 3)
        table = app.screen.query_one("#received", DataTable)
        assert {str(table.get_row_at(i)[2]) for i in range(3)} == {"anonymous"}
        table.focus()
        piece = shown(app, "#piece")
        assert "From: Anonymous" in piece and "sit from" in piece
        shown_giver = next(g for g in givers if f"sit from{g}" in piece)
        await pilot.press("k")
        await settle(
            pilot,
            until=lambda: "You thanked the giver." in shown(app, "#piece") and str(table.get_row_at(0)[3]) == "♥",
        )
        thanked = [p for p in workspace.store.read_run(run_id).all(fb.PIECES).values() if p["thanked"]]
        assert [p["fields"]["situation"] for p in thanked] == [f"sit from{shown_giver}"]
    giver_app = CoptuiApp(workspace, workspace.member(shown_giver))
    async with giver_app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(giver_app))
        await pilot.press("i")
        await settle(
            pilot, until=lambda: in_inbox(giver_app) and "Dana Kowalski said thank you" in shown(giver_app, "#thanks")
        )


async def test_inbox_holds_back_an_open_anonymous_round_and_lists_what_is_owed(workspace: Workspace) -> None:
    run_id = rotation_round(workspace)
    pairing = fb.Pairing.from_settings(workspace.runs.get(run_id).settings)
    for giver in [g for g in pairing.members if "dana" in pairing.recipients_for(g)]:
        fb.submit(workspace, run_id, giver, "dana", sbi("early"), today=DAY)
    app = CoptuiApp(workspace, workspace.member("dana"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("i")
        await settle(
            pilot,
            until=lambda: (
                in_inbox(app)
                and app.screen.query_one("#owed", DataTable).row_count == 1
                and app.screen.focused is app.screen.query_one("#owed", DataTable)
            ),
        )
        assert app.screen.query_one("#received-row").display is False
        assert "after the round closes" in shown(app, "#held")
        owed = app.screen.query_one("#owed", DataTable)
        assert str(owed.get_row_at(0)[2]) == "0 of 3"
        await pilot.press("enter")
        await settle(pilot, until=lambda: isinstance(app.screen, FeedbackScreen) and app.screen.run_id == run_id)


# -- the facilitator's side -----------------------------------------------------------------------


async def test_start_round_dialog_checks_and_returns_the_run_id(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("ada"))
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.push_screen(StartRoundScreen("peer-sbi"), results.append)
        await settle(
            pilot, until=lambda: isinstance(app.screen, StartRoundScreen) and bool(app.screen.query("#per-member"))
        )
        dialog = app.screen
        assert isinstance(dialog, StartRoundScreen)
        buttons = {b.name: b for b in dialog.query(RadioButton).results(RadioButton)}
        assert buttons["rotation"].value is True
        per_member = dialog.query_one("#per-member", Input)
        assert per_member.value == "3"
        per_member.value = "2"
        await pilot.press("ctrl+s")
        await settle(
            pilot,
            until=lambda: "nobody's feedback could ever be shown" in text_of(dialog.query_one("#round-error", Static)),
        )
        assert workspace.runs.list_runs() == []
        per_member.value = "3"
        dialog.query_one("#closes-on", Input).value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot, until=lambda: "not a date" in text_of(dialog.query_one("#round-error", Static)))
        dialog.query_one("#closes-on", Input).value = "2099-01-31"
        await pilot.press("ctrl+s")
        await settle(pilot, until=lambda: bool(results))
        (run,) = workspace.runs.list_runs(kind="feedback")
        assert results == [run.id]
        assert run.settings["pairing"]["mode"] == "rotation" and run.settings["pairing"]["per_member"] == 3
        assert str(run.closes_on) == "2099-01-31"


async def test_start_round_dialog_everyone_to_everyone(workspace: Workspace) -> None:
    app = CoptuiApp(workspace, workspace.member("bruno"))
    results: list[str | None] = []
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(app))
        app.push_screen(StartRoundScreen("kudos"), results.append)
        await settle(
            pilot, until=lambda: isinstance(app.screen, StartRoundScreen) and bool(app.screen.query(RadioButton))
        )
        buttons = {b.name: b for b in app.screen.query(RadioButton).results(RadioButton)}
        assert buttons["free"].value is True
        await click(pilot, buttons["all"])
        await settle(pilot, until=lambda: app.screen.query_one("#per-member", Input).disabled)
        await click(pilot, "#start")
        await settle(pilot, until=lambda: bool(results))
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
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, lambda: giving(app))
        await pilot.press("ctrl+r")
        await settle(
            pilot,
            until=lambda: (
                isinstance(app.screen, RoundCountsScreen)
                and not app.workers
                and "Completion: 2 of 24 pieces given (8%)" in shown(app, "#counts-summary")
            ),
        )
        table = app.screen.query_one("#counts", DataTable)
        assert [str(c) for c in table.get_row("chen")] == ["Chen Wei", "3", "2", "1"]
        assert "countme" not in app.export_screenshot()
    member = CoptuiApp(workspace, workspace.member("chen"))
    async with member.run_test(size=SIZE) as pilot:
        await settle(pilot, lambda: home_loaded(member))
        member.open_run(run_id)
        await settle(pilot, lambda: giving(member))
        await pilot.press("ctrl+r")  # not a facilitator: the key does nothing (pilot.press waits for it to be handled)
        await settle(pilot, until=lambda: isinstance(member.screen, FeedbackScreen))
        member.push_screen(RoundCountsScreen(run_id))
        await settle(
            pilot,
            until=lambda: (
                isinstance(member.screen, RoundCountsScreen) and "only a facilitator" in shown(member, "#counts-title")
            ),
        )
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

    async def open_round(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: home_loaded(app))
        app.open_run(run_id)
        await settle(pilot, until=lambda: giving(app) and "Draft restored" in shown(app, "#form-state"))

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

    async def open_inbox(pilot: Pilot[None]) -> None:
        await settle(pilot, lambda: home_loaded(app))
        await pilot.press("i")
        await settle(pilot, until=lambda: in_inbox(app) and app.screen.query_one("#received", DataTable).row_count > 0)

    assert snap_compare(app, terminal_size=SIZE, run_before=open_inbox)
