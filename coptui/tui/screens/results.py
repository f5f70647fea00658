"""The results of one survey run, exactly as :func:`coptui.core.results.run_results` releases them.

This screen never reads responses itself: what the gate withholds (an open anonymous run,
too few responses, too few for written answers) is simply not there to show, and the
screen says why instead.
"""

from __future__ import annotations

import asyncio

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, Header, Static

from coptui.core.results import QuestionResult, RunResults, run_results
from coptui.core.run import RunError
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.text import literal
from coptui.tui.widgets.bar_chart import DistributionChart

BAR_WIDTH = 20


def run_heading(results: RunResults) -> Text:
    run = results.run
    text = Text.assemble(literal(run.title, "bold"), ("\n", ""))
    state = f"closed {run.closed_on.isoformat()}" if run.closed_on else "open"
    if run.is_open and run.closes_on:
        state += f" until {run.closes_on.isoformat()}"
    privacy = (
        f"anonymous: results from {run.min_responses} responses, written answers from {run.min_text_responses}"
        if run.anonymous
        else "named"
    )
    text.append(f"Opened {run.opened_on.isoformat()} · {state} · {privacy}", "dim")
    return text


def participation_text(results: RunResults) -> Text:
    share = results.participation
    percent = f" ({share:.0%})" if share is not None else ""
    return Text.assemble(
        ("Participation: ", "bold"),
        f"{results.responses} of {results.members} members answered{percent}",
    )


def stats_line(item: QuestionResult) -> Text:
    """Counts and the mean of one question, in words."""
    question = item.question
    parts = [f"{item.answered} answer{'s' if item.answered != 1 else ''}"]
    if item.mean is not None and question.value_range is not None:
        parts.append(f"mean {item.mean:.1f} on {question.value_range[0]}-{question.value_range[1]}")
    if item.favourable is not None:
        parts.append(f"{item.favourable:.0%} favourable")
    if item.not_applicable:
        label = question.na or "not applicable / not asked"
        parts.append(f"{item.not_applicable} {label.lower() if question.na else label}")
    return Text(" · ".join(parts), style="dim")


def nps_text(item: QuestionResult) -> Text | None:
    nps = item.nps
    if nps is None or nps.score is None:
        return None
    return Text.assemble(
        ("NPS ", "bold"),
        (f"{nps.score:+.0f}", "bold"),
        "  ·  ",
        (f"{nps.promoters} promoters", "green"),
        " (9-10) · ",
        (f"{nps.passives} passives", "yellow"),
        " (7-8) · ",
        (f"{nps.detractors} detractors", "red"),
        " (0-6)",
    )


def choice_lines(item: QuestionResult) -> Text:
    """Counts of each option, as a small text bar with the share of those who answered."""
    total = item.answered
    width = max((len(str(option)) for option in item.distribution), default=0)
    text = Text()
    for index, (option, count) in enumerate(item.distribution.items()):
        share = count / total if total else 0.0
        filled = round(share * BAR_WIDTH)
        if index:
            text.append("\n")
        text.append_text(literal(str(option).ljust(width)))
        text.append("  ")
        text.append("█" * filled, "cyan")
        text.append("░" * (BAR_WIDTH - filled), "dim")
        text.append(f"  {count:>3}  {share:>4.0%}")
    return text


def scale_legend(item: QuestionResult) -> Text | None:
    question = item.question
    if question.type == "nps" or question.value_range is None:
        return None
    labels = question.point_labels
    low = question.value_range[0]
    names = [label if label.startswith(str(low + i)) else f"{low + i} {label}" for i, label in enumerate(labels)]
    if all(name.isdigit() for name in names):
        return None
    return literal(" · ".join(names), "dim")


def text_answers(item: QuestionResult) -> Text:
    if item.texts_withheld:
        return Text(item.texts_withheld, style="italic")
    if not item.texts:
        return Text("No written answers.", style="dim")
    text = Text()
    for index, answer in enumerate(item.texts):
        if index:
            text.append("\n")
        text.append("• ", "dim")
        text.append_text(literal(answer))
        if item.authors:
            text.append(f"  — {item.authors[index]}", "dim italic")
    return text


def question_widgets(number: int, item: QuestionResult) -> list[Widget]:
    """The block of one question: a heading with its counts, then the chart or list that fits its type.

    Few widgets per question on purpose: with dozens of questions, layout and styling of
    many small widgets, not the counting, is what makes a screen slow.
    """
    question = item.question
    head = Text.assemble((f"{number}. ", "dim"), literal(question.text, "bold"))
    if question.type != "text" or not item.texts_withheld:
        head.append("\n")
        head.append_text(stats_line(item))
    nps = nps_text(item) if question.value_range is not None else None
    if nps is not None:
        head.append("\n")
        head.append_text(nps)
    widgets: list[Widget] = [Static(head, classes="result-question")]
    if question.value_range is not None:
        points = list(item.distribution)
        widgets.append(
            DistributionChart(
                points, [item.distribution[p] for p in points], nps=question.type == "nps", classes="result-chart"
            )
        )
        legend = scale_legend(item)
        if legend is not None:
            widgets.append(Static(legend, classes="result-legend"))
    elif question.type in ("single", "multi", "yesno"):
        widgets.append(Static(choice_lines(item), classes="result-choices"))
    else:
        widgets.append(Static(text_answers(item), classes="result-texts"))
    return widgets


class ResultsScreen(CoptuiScreen[None]):
    CSS_PATH = "results.tcss"
    HELP_TITLE = "Results"
    HELP = (
        "The results of one survey run: participation, then each question's counts, mean and chart, "
        "NPS, choices and written answers. An anonymous survey shows nothing of its answers until it is "
        "closed with enough responses, and written answers only from their own threshold on, shuffled "
        "and without names. Arrows and PgUp/PgDn scroll; Esc goes back."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "reload", "Refresh"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.results: RunResults | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="results"):
            yield Static("Loading…", id="results-heading")
            yield Static("", id="participation")
            yield Static("", id="withheld")
            yield Vertical(id="questions")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Results"
        self.query_one("#withheld").display = False
        self.query_one("#results", VerticalScroll).focus()
        self.load()

    @work(exclusive=True, group="results-load", exit_on_error=False)
    async def load(self) -> None:
        workspace, run_id = self.workspace, self.run_id

        def read() -> RunResults:
            return run_results(workspace.store, workspace.runs.get(run_id))

        try:
            results = await asyncio.to_thread(read)  # off the event loop: a big run takes a while
        except RunError as error:
            self.notify(str(error), severity="error", markup=False)
            self.app.pop_screen()
            return
        # A newer load cancels this one, but not a drawing begun (as when it was drawn from a thread).
        await asyncio.shield(self.show(results))

    async def show(self, results: RunResults) -> None:
        self.results = results
        self.query_one("#results-heading", Static).update(run_heading(results))
        self.query_one("#participation", Static).update(participation_text(results))
        withheld = self.query_one("#withheld", Static)
        withheld.update(Text(results.withheld or ""))
        withheld.display = bool(results.withheld)
        container = self.query_one("#questions", Vertical)
        await container.remove_children()
        blocks = []
        for number, item in enumerate(results.questions, start=1):
            blocks.append(Vertical(*question_widgets(number, item), classes="result"))
        await container.mount_all(blocks)

    def action_reload(self) -> None:
        self.load()

    def on_data_changed(self, message: DataChanged) -> None:
        if any(change.run_id == self.run_id for change in message.changes):
            self.load()
