"""The facilitator's desk: open a run of any definition, follow and close open runs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static

from coptui.core.feedback import round_stats
from coptui.core.run import Run
from coptui.errors import CoptuiError
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.screens.dialogs import ConfirmDialog, OpenRunDialog, OpenRunRequest
from coptui.tui.screens.feedback_round import StartRoundScreen
from coptui.tui.text import literal

KIND_LABELS = {"survey": "Survey", "retro": "Retro", "feedback": "Feedback round"}


@dataclass(frozen=True)
class OpenRunRow:
    run: Run
    progress: str


class FacilitatorScreen(CoptuiScreen[None]):
    CSS_PATH = "facilitator.tcss"
    HELP_TITLE = "Facilitate"
    HELP = (
        "Open a run of any definition in surveys/: a survey (with an optional closing date), a live "
        "retro (which opens its board for everyone), or a feedback round (choose who gives to whom). "
        "Below, the runs that are open now with their progress; close a run when it is done. Closing "
        "an anonymous survey is what releases its results, if enough members answered."
    )
    BINDINGS = [
        Binding("o", "open_definition", "Open run"),
        Binding("c", "close_run", "Close run"),
        Binding("enter", "select", "Select", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._open_rows: dict[str, OpenRunRow] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="facilitator"):
            yield Static("Definitions: select one and press o to open a run", classes="section-title")
            yield DataTable(id="definitions", cursor_type="row", zebra_stripes=True)
            yield Static("Open runs: select one and press c to close it, enter to go to it", classes="section-title")
            yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
            yield Static("", id="runs-empty", classes="empty")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Facilitate"
        definitions = self.query_one("#definitions", DataTable)
        definitions.add_columns("Definition", "Kind", "Id", "Privacy")
        workspace = self.workspace
        for definition in sorted(workspace.definitions.definitions.values(), key=lambda d: (d.kind, d.title)):
            privacy = (
                "anonymous"
                if getattr(definition, "anonymous", False) or getattr(definition, "anonymous_cards", False)
                else "named"
            )
            definitions.add_row(
                literal(definition.title), KIND_LABELS[definition.kind], definition.id, privacy, key=definition.id
            )
        self.query_one("#runs", DataTable).add_columns("Run", "Kind", "Opened", "Closes", "Progress")
        definitions.focus()
        self.load_runs()

    @work(thread=True, exclusive=True, group="facilitator-load", exit_on_error=False)
    def load_runs(self) -> None:
        runs = self.workspace.runs
        rows = [OpenRunRow(run, self._progress(run)) for run in runs.list_runs(state="open")]
        self.app.call_from_thread(self.show_runs, rows)

    def _progress(self, run: Run) -> str:
        workspace = self.workspace
        if run.kind == "feedback":
            stats = round_stats(workspace.store, run.id)
            return f"{stats['given']} of {stats['owed']} pieces given"
        count = workspace.runs.response_count(run.id)
        if run.kind == "retro":
            return "live board"
        return f"{count} of {run.members} answered"

    def show_runs(self, rows: list[OpenRunRow]) -> None:
        table = self.query_one("#runs", DataTable)
        # The cursor stays on its run through a reload (a close, another session's change):
        # a second c must never close the run that slid into its row.
        kept, kept_row = self._selected("runs"), table.cursor_row
        self._open_rows = {row.run.id: row for row in rows}
        table.clear()
        for row in rows:
            run = row.run
            table.add_row(
                literal(run.title),
                KIND_LABELS[run.kind],
                run.opened_on.isoformat(),
                run.closes_on.isoformat() if run.closes_on else "-",
                row.progress,
                key=run.id,
            )
        if rows:
            ids = [row.run.id for row in rows]
            table.move_cursor(row=ids.index(kept) if kept in ids else min(kept_row, len(ids) - 1), animate=False)
        empty = self.query_one("#runs-empty", Static)
        empty.update("" if rows else "No run is open.")
        empty.display = not rows

    def on_data_changed(self, message: DataChanged) -> None:
        self.load_runs()

    # -- actions -----------------------------------------------------------------------------

    def _selected(self, table_id: str) -> str | None:
        table = self.query_one(f"#{table_id}", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def action_select(self) -> None:
        if self.focused is self.query_one("#runs", DataTable):
            run_id = self._selected("runs")
            if run_id:
                self.coptui_app.open_run(run_id)
        else:
            self.action_open_definition()

    @on(DataTable.RowSelected, "#definitions")
    def _definition_chosen(self) -> None:
        self.action_open_definition()

    @on(DataTable.RowSelected, "#runs")
    def _run_chosen(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.coptui_app.open_run(event.row_key.value)

    def action_open_definition(self) -> None:
        definition_id = self._selected("definitions")
        if definition_id is None:
            return
        workspace = self.workspace
        definition = workspace.definitions.get(definition_id)
        if definition is None:
            return  # the table lists only the definitions the workspace has
        if definition.kind == "survey":
            self.app.push_screen(OpenRunDialog(definition.id, definition.title), self._open_survey)
        elif definition.kind == "retro":
            self.app.push_screen(
                ConfirmDialog(
                    f"Start a live retro with {definition.title}? Every member will see it on their home screen.",
                    yes="Start",
                ),
                partial(self._start_retro, definition.id),
            )
        else:
            self.app.push_screen(StartRoundScreen(definition.id), self._round_started)

    def _start_retro(self, definition_id: str, yes: bool | None) -> None:
        if yes:
            self.open_in_worker(OpenRunRequest(definition_id, None), go_there=True)

    def _open_survey(self, request: OpenRunRequest | None) -> None:
        if request is not None:
            self.open_in_worker(request, go_there=False)

    def _round_started(self, run_id: str | None) -> None:
        if run_id:
            self.notify(f"Feedback round {run_id} started.", markup=False)

    def open_in_worker(self, request: OpenRunRequest, go_there: bool) -> None:
        runs = self.workspace.runs
        self.run_core(
            partial(runs.open_run, request.definition_id, by=self.member.handle, closes_on=request.closes_on),
            done=lambda run: f"Opened {run.title} as {run.id}.",
            then=(lambda run: self.coptui_app.open_run(run.id)) if go_there else None,
            refused=partial(self._refused, "Cannot open the run"),
            group="facilitator-write",
        )

    def _refused(self, title: str, error: CoptuiError) -> None:
        self.notify(str(error), title=title, severity="error", markup=False)

    def action_close_run(self) -> None:
        run_id = self._selected("runs")
        if run_id is None:
            self.notify("No open run to close.", severity="warning")
            return
        row = self._open_rows.get(run_id)
        what = f"{row.run.title}? {row.progress.capitalize()}" if row is not None else f"{run_id}?"
        self.app.push_screen(
            ConfirmDialog(f"Close {what}. Nobody can answer it after that, and closed runs never change.", yes="Close"),
            partial(self._close_confirmed, run_id),
        )

    def _close_confirmed(self, run_id: str, yes: bool | None) -> None:
        if yes:
            self.close_in_worker(run_id)

    def close_in_worker(self, run_id: str) -> None:
        self.run_core(
            partial(self.workspace.runs.close_run, run_id, by=self.member.handle),
            done=lambda run: f"Closed {run.id}.",
            refused=partial(self._refused, "Cannot close the run"),
            group="facilitator-write",
        )
