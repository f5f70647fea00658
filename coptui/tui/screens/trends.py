"""Trends: are we meeting our objectives? Status per objective, and charts of runs over time."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Header, Select, Static

from coptui.charts import figures as charts
from coptui.core.metrics import Status
from coptui.core.trends import ObjectiveReport, TrendsOverview, affects_trends, format_value, overview
from coptui.text import fit
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.shared.steady_footer import SteadyFooter
from coptui.tui.text import literal
from coptui.tui.widgets.chart import ChartPlot
from coptui.tui.widgets.objectives import STATUS_MARKS


def status_text(status: Status, *, newly_met: bool = False) -> Text:
    label, style = STATUS_MARKS[status]
    if newly_met:
        label = "★ met"  # met with the latest run: the home screen celebrates it too
    return Text(label, style=style)


def objective_note(report: ObjectiveReport) -> Text:
    """What the value means and which runs it leaves out, under the table."""
    status = report.status
    note = Text()
    if report.problem:
        note.append(report.problem, "italic")
        return note
    if status.measured:
        runs = f"{status.runs} run{'s' if status.runs != 1 else ''}"
        counted = f"the last {runs}" if status.measured == status.runs else f"{status.measured} of the last {runs}"
        note.append(f"{report.metric_name[0].upper()}{report.metric_name[1:]} over {counted}", "dim")
        if status.last_value is not None and status.measured > 1:
            note.append(f"; latest run alone: {format_value(report.objective.metric, status.last_value)}", "dim")
        note.append(".", "dim")
    else:
        note.append("No closed run has a value yet.", "dim")
    if report.turned_met:
        note.append(" Met with the latest run: well done!", "bold")
    if report.left_out_text:
        note.append(" " + report.left_out_text[0].upper() + report.left_out_text[1:] + ".", "italic")
    return note


VIEWS = {"objectives": "Objectives", "participation": "Participation", "answers": "Answers"}
LAZY_PANES = ("participation", "answers")


def nav_markup(current: str) -> str:
    """The view names as click targets, the current one highlighted (fixed text: no user input)."""
    parts = []
    for view_id, label in VIEWS.items():
        key = label[0].lower()
        style = "reverse bold" if view_id == current else "underline"
        parts.append(f"[@click=screen.show_tab('{view_id}')][{style}] {label} [/{style}][/] [dim]{key}[/dim]")
    return "   ".join(parts)


class TrendsScreen(CoptuiScreen[None]):
    CSS_PATH = "trends.tcss"
    HELP_TITLE = "Trends"
    HELP = (
        "Objectives come from community.toml: each has a metric, a target and a window (the last N "
        "closed runs). Met: the window reaches the target and so does the latest run. At risk: the "
        "window reaches it but the latest run does not, or the window misses it while the trend "
        "points towards it. Missed: neither. Runs of anonymous surveys with fewer answers than their "
        "min_responses are left out, and the screen says which. Move through the objectives to see "
        "each one's chart; the other tabs chart participation per run and how the answers to one "
        "question spread over time."
    )
    # Focus the table from the start: every focus change redraws the footer's keys.
    AUTO_FOCUS = "#objectives-table"
    BINDINGS = [
        Binding("o", "show_tab('objectives')", "Objectives"),
        Binding("p", "show_tab('participation')", "Participation"),
        Binding("a", "show_tab('answers')", "Answers"),
        Binding("s", "next_survey", "Survey"),
        Binding("n", "next_question", "Question"),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: TrendsOverview | None = None
        self._choices: dict[str, list[str]] = {}  # picker selector -> the values it offers, in order
        self._built: set[str] = set()  # lazy tabs built so far
        self._generation = 0  # how many times data was shown

    def compose(self) -> ComposeResult:
        yield Header()
        # A line of clickable view names rather than TabbedContent: a third of the cost to show.
        yield Static(nav_markup("objectives"), id="trends-nav")
        with ContentSwitcher(id="trends-views", initial="objectives"):
            with Vertical(id="objectives", classes="view"):
                yield DataTable(id="objectives-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="objectives-empty", classes="empty")
                yield Static("", id="objective-note", classes="note")
                yield ChartPlot(id="objective-chart")
            # The other views are built when first opened: most visits only look at the objectives.
            yield Vertical(id="participation", classes="view")
            yield Vertical(id="answers", classes="view")
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.sub_title = "Trends"
        table = self.query_one("#objectives-table", DataTable)
        table.add_columns("Status", "Objective", "Value", "Target", "Change")
        self.query_one("#objectives-empty", Static).display = False
        self.load()

    # -- loading -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="trends-load", exit_on_error=False)
    def load(self) -> None:
        data = overview(self.workspace)
        self.app.call_from_thread(self.show, data)

    def show(self, data: TrendsOverview) -> None:
        self.data = data
        self._generation += 1  # charts of older data are redrawn even when they show the same thing
        table = self.query_one("#objectives-table", DataTable)
        cursor = table.cursor_row
        table.clear()
        for report in data.reports:
            table.add_row(
                status_text(report.status.status, newly_met=report.turned_met),
                literal(report.objective.title),
                Text(report.value_text, style="bold"),
                report.target_text,
                report.change_text,
                key=report.objective.id,
            )
        empty = self.query_one("#objectives-empty", Static)
        empty.update(
            "No objectives yet: add [[objectives]] to community.toml (see docs/definitions.md)."
            if not data.reports
            else ""
        )
        empty.display = not data.reports
        table.display = bool(data.reports)
        if data.reports:
            table.move_cursor(row=min(max(cursor, 0), len(data.reports) - 1))
        self._show_objective()
        for pane_id in self._built:
            self._fill_pane(pane_id)

    def _pane_widgets(self, pane_id: str) -> list[Widget]:
        if pane_id == "participation":
            return [
                Select[str]([], prompt="Survey", id="participation-survey", classes="picker"),
                Static("", id="participation-note", classes="note"),
                ChartPlot(id="participation-chart"),
            ]
        return [
            Horizontal(
                Select[str]([], prompt="Survey", id="answers-survey", classes="picker"),
                Select[str]([], prompt="Question", id="answers-question", classes="picker"),
                classes="pickers",
            ),
            Static("", id="answers-note", classes="note"),
            ChartPlot(id="answers-chart"),
        ]

    def _fill_pane(self, pane_id: str) -> None:
        if pane_id == "participation":
            self._fill_survey_picker("#participation-survey")
            self._show_participation()
        else:
            self._fill_survey_picker("#answers-survey")
            self._fill_question_picker()

    def _fill_survey_picker(self, picker_id: str) -> None:
        assert self.data is not None
        options = [(title, survey_id) for survey_id, title in self.data.survey_titles.items()]
        picker = self.query_one(picker_id, Select)
        current = picker.value
        self._choices[picker_id] = [value for _, value in options]
        with picker.prevent(Select.Changed):
            picker.set_options(options)
            if current in self.data.survey_titles:
                picker.value = current
            elif options:
                picker.value = options[0][1]

    def _fill_question_picker(self) -> None:
        assert self.data is not None
        survey_id = self._selected("#answers-survey")
        picker = self.query_one("#answers-question", Select)
        current = picker.value
        questions = self.data.questions.get(survey_id or "", [])
        ids = [q.id for q in questions]
        self._choices["#answers-question"] = ids
        with picker.prevent(Select.Changed):
            picker.set_options([(literal(fit(f"{q.id}: {q.text}", 26)), q.id) for q in questions])
            if current in ids:
                picker.value = current
            elif ids:
                picker.value = ids[0]
        self._show_distribution()

    def _selected(self, selector: str) -> str | None:
        value = self.query_one(selector, Select).value
        return value if isinstance(value, str) else None

    # -- charts ----------------------------------------------------------------------------------

    def selected_report(self) -> ObjectiveReport | None:
        if self.data is None or not self.data.reports:
            return None
        table = self.query_one("#objectives-table", DataTable)
        return self.data.reports[min(max(table.cursor_row, 0), len(self.data.reports) - 1)]

    def _show_objective(self) -> None:
        report = self.selected_report()
        chart = self.query_one("#objective-chart", ChartPlot)
        note = self.query_one("#objective-note", Static)
        if report is None:
            chart.show_chart(None)
            note.update("")
            return
        note.update(objective_note(report))
        chart.show_chart(
            lambda figure, width, height: charts.draw_objective(figure, report, width=width, height=height),
            key=(self._generation, report.objective.id),
        )

    def _show_participation(self) -> None:
        assert self.data is not None
        survey_id = self._selected("#participation-survey")
        chart = self.query_one("#participation-chart", ChartPlot)
        note = self.query_one("#participation-note", Static)
        if survey_id is None:
            note.update("No survey has closed yet: participation shows here once one has.")
            chart.show_chart(None)
            return
        points = self.data.participation.get(survey_id, [])
        title = f"{self.data.survey_titles[survey_id]}: share of members who answered"
        note.update(
            Text(f"{len(points)} closed run{'s' if len(points) != 1 else ''}; who answered is never shown.", "dim")
        )
        chart.show_chart(
            lambda figure, width, height: charts.draw_participation(figure, title, points, width=width, height=height),
            key=(self._generation, survey_id),
        )

    def _show_distribution(self) -> None:
        assert self.data is not None
        survey_id = self._selected("#answers-survey")
        question_id = self._selected("#answers-question")
        chart = self.query_one("#answers-chart", ChartPlot)
        note = self.query_one("#answers-note", Static)
        series = self.data.distributions.get((survey_id or "", question_id or ""))
        if series is None:
            note.update("No survey has closed yet: answers show here once one has.")
            chart.show_chart(None)
            return
        left_out = [run for run in series.runs if run.counts is None]
        text = Text()
        text.append_text(literal(series.question.text, "bold"))
        if left_out:
            names = ", ".join(run.run_id for run in left_out)
            text.append(
                f"  {len(left_out)} run{'s' if len(left_out) > 1 else ''} below min_responses left out ({names}).",
                "italic",
            )
        note.update(text)
        chart.show_chart(
            lambda figure, width, height: charts.draw_distribution(figure, series, width=width, height=height),
            key=(self._generation, survey_id, question_id),
        )

    # -- events and actions ----------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#objectives-table")
    def _objective_highlighted(self) -> None:
        self._show_objective()

    @on(Select.Changed, "#participation-survey")
    def _participation_survey_changed(self) -> None:
        if self.data is not None:
            self._show_participation()

    @on(Select.Changed, "#answers-survey")
    def _answers_survey_changed(self) -> None:
        if self.data is not None:
            self._fill_question_picker()

    @on(Select.Changed, "#answers-question")
    def _answers_question_changed(self) -> None:
        if self.data is not None:
            self._show_distribution()

    @property
    def current_view(self) -> str:
        return self.query_one(ContentSwitcher).current or "objectives"

    async def action_show_tab(self, view_id: str) -> None:
        if view_id not in VIEWS:
            return
        self.query_one(ContentSwitcher).current = view_id
        self.query_one("#trends-nav", Static).update(nav_markup(view_id))
        view = self.query_one(f"#{view_id}", Vertical)
        if view_id in LAZY_PANES and view_id not in self._built:
            await view.mount_all(self._pane_widgets(view_id))
            self._built.add(view_id)
            if self.data is not None:
                self._fill_pane(view_id)
        else:
            # A chart drawn while its view was hidden had no size: draw it now that it has one.
            for chart in view.query(ChartPlot):
                chart.replot()
        focus = {
            "objectives": "#objectives-table",
            "participation": "#participation-survey",
            "answers": "#answers-question",
        }
        self.query_one(focus[view_id]).focus()

    def _cycle(self, selector: str) -> None:
        if not self.query(selector):
            return
        picker = self.query_one(selector, Select)
        values = self._choices.get(selector, [])
        if not values:
            return
        current = picker.value
        picker.value = values[(values.index(current) + 1) % len(values)] if current in values else values[0]

    async def action_next_survey(self) -> None:
        if self.current_view == "objectives":
            await self.action_show_tab("participation")
            return
        self._cycle("#answers-survey" if self.current_view == "answers" else "#participation-survey")

    async def action_next_question(self) -> None:
        if self.current_view != "answers":
            await self.action_show_tab("answers")
            return
        self._cycle("#answers-question")

    def action_refresh(self) -> None:
        self.load()

    def on_data_changed(self, message: DataChanged) -> None:
        if any(affects_trends(change) for change in message.changes):
            self.load()
