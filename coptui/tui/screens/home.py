"""The home screen: the community, what is open for me, and how we are doing.

What it shows is read in workers once the first frame is drawn; the run, retro and trends
code is imported there, not with this module: the first frame is drawn without pydantic
(tests/tui/test_startup.py).
"""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Header, Static

from coptui.core import dashboard
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.shared.steady_footer import SteadyFooter
from coptui.tui.text import literal
from coptui.tui.widgets.actions import OpenActions
from coptui.tui.widgets.objectives import ObjectivesPanel

if TYPE_CHECKING:
    from coptui.core.dashboard import OpenRun, RecentResult
    from coptui.core.retro import ActionView
    from coptui.core.trends import ObjectiveReport

KIND_LABELS = {"survey": "Survey", "retro": "Retro", "feedback": "Feedback"}
STATUS_STYLES = {"to do": "bold", "draft": "italic", "answered": "dim", "all given": "dim"}


def _cursor_key(table: DataTable) -> str | None:
    """The run the table's cursor is on (None in an empty table)."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def _put_cursor_back(table: DataTable, key: str | None) -> None:
    # Any change by anyone refills the tables (in `coptui serve`, every session's): the cursor
    # stays on the run the member chose, so Enter opens what they saw highlighted.
    if key is not None and key in table.rows:
        table.move_cursor(row=table.get_row_index(key), scroll=False)


class HomeScreen(CoptuiScreen[None]):
    HELP_TITLE = "Home"
    HELP = (
        "Your community at a glance: the surveys, retros and feedback rounds open for you (select one "
        "and press Enter to take part), recent results of closed runs, and how the community is doing "
        "on its objectives. t shows the trends, i your feedback inbox; facilitators open and close runs with f."
    )
    # The runs table, not the page around it: otherwise the arrows scroll the page and Enter
    # opens whichever row the table's cursor was left on.
    AUTO_FOCUS = "#open-runs"
    BINDINGS = [
        # Before the focused table's own Enter (unnamed, so not in the footer or the help).
        Binding("enter", "open_selected", "Open", show=True, priority=True),
        Binding("r", "refresh", "Refresh", show=False),
    ]

    def compose(self) -> ComposeResult:
        community = self.workspace.community
        yield Header()
        with VerticalScroll(id="home"):
            yield Static(
                Text.assemble(
                    literal(community.name, "bold"),
                    ("  ·  ", "dim"),
                    f"{community.stage} stage, {len(community.members)} members",
                    "\n",
                    literal(community.domain, "italic"),
                ),
                id="community",
            )
            yield Static("Open for you", classes="section-title")
            yield DataTable(id="open-runs", cursor_type="row", zebra_stripes=True)
            yield Static("", id="open-runs-empty", classes="empty")
            yield OpenActions(id="your-actions")
            yield Static("Objectives", classes="section-title")
            yield ObjectivesPanel(id="objectives")
            yield Static("Recent results", classes="section-title")
            yield DataTable(id="recent-results", cursor_type="row", zebra_stripes=True)
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.title = "coptui"
        open_table = self.query_one("#open-runs", DataTable)
        open_table.add_columns("Run", "Kind", "Opened", "Closes", "You")
        results_table = self.query_one("#recent-results", DataTable)
        results_table.add_columns("Run", "Kind", "Closed", "Responses")
        # The runs are read once the first frame is drawn: a worker thread started now would
        # take the GIL from the first paint (docs/benchmarks.md, "Foundation: start-up").
        self.call_after_refresh(self.load)
        self.call_after_refresh(self.load_actions)
        self.call_after_refresh(self.load_objectives)

    @work(thread=True, exclusive=True, group="home-load", exit_on_error=False)
    def load(self) -> None:
        workspace = self.workspace
        listing = dashboard.list_runs(workspace)
        # What is open for the member is listed first, before the recent results are counted.
        self.app.call_from_thread(self.show_open_runs, dashboard.open_runs(workspace, self.member.handle, listing))
        self.app.call_from_thread(self.show_recent_results, dashboard.recent_results(workspace, listing))

    def load_actions(self) -> None:
        """The open actions the member owns, into "Your actions"."""
        workspace, handle = self.workspace, self.member.handle

        def read() -> list[ActionView]:
            from coptui.core.retro import open_actions_for  # after the first frame: see the module

            return open_actions_for(workspace, handle)

        actions = self.query_one(OpenActions)
        self.run_core(read, then=lambda found: actions.show(found, date.today()), group="open-actions", exclusive=True)

    def load_objectives(self) -> None:
        """The objectives' reports, into the objectives panel."""
        workspace = self.workspace

        def read() -> list[ObjectiveReport]:
            from coptui.core.trends import Trends  # after the first frame: see the module

            return Trends(workspace).reports()

        self.run_core(read, then=self.query_one(ObjectivesPanel).show, group="objectives-panel", exclusive=True)

    @on(OpenActions.StatusChosen)
    def _set_action_status(self, message: OpenActions.StatusChosen) -> None:
        from coptui.core.retro import set_action_status  # after the first frame: see the module

        change = partial(set_action_status, self.workspace, message.action_id, self.member.handle, message.status)
        self.run_core(change, done=f"Action marked {message.status}.", group="open-actions-write")

    @on(OpenActions.SourceChosen)
    def _open_action_source(self, message: OpenActions.SourceChosen) -> None:
        self.coptui_app.open_run(message.run_id)

    def show_open_runs(self, open_runs: list[OpenRun]) -> None:
        open_table = self.query_one("#open-runs", DataTable)
        chosen = _cursor_key(open_table)
        open_table.clear()
        for entry in open_runs:
            run, status = entry.run, entry.status
            open_table.add_row(
                literal(run.title),
                KIND_LABELS[run.kind],
                run.opened_on.isoformat(),
                run.closes_on.isoformat() if run.closes_on else "-",
                Text(status, style=STATUS_STYLES.get(status, "")),
                key=run.id,
            )
        _put_cursor_back(open_table, chosen)
        empty = self.query_one("#open-runs-empty", Static)
        empty.update("" if open_runs else "Nothing open right now. Facilitators open runs with f.")
        empty.display = not open_runs

    def show_recent_results(self, recent_results: list[RecentResult]) -> None:
        results_table = self.query_one("#recent-results", DataTable)
        chosen = _cursor_key(results_table)
        results_table.clear()
        for result in recent_results:
            run = result.run
            results_table.add_row(
                literal(run.title),
                KIND_LABELS[run.kind],
                (run.closed_on or run.opened_on).isoformat(),
                "-" if result.responses is None else str(result.responses),
                key=run.id,
            )
        _put_cursor_back(results_table, chosen)

    @on(DataTable.RowSelected)
    def _open_row(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.coptui_app.open_run(event.row_key.value)

    def action_open_selected(self) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else self.query_one("#open-runs", DataTable)
        if table.row_count:
            table.action_select_cursor()

    def action_refresh(self) -> None:
        self.load()

    def on_data_changed(self, message: DataChanged) -> None:
        # Under another screen (a retro board, a survey) the changes wait until home is shown
        # again (CoptuiScreen), not reloaded on every card and vote: in `coptui serve` every
        # session pays for every change.
        changes = message.changes
        self.load()
        if any(change.area == "actions" for change in changes):
            self.load_actions()
        from coptui.core.trends import affects_trends  # after the first frame: see the module

        if any(affects_trends(change) for change in changes):
            self.load_objectives()
