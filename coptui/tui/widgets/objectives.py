"""The objectives at a glance, for the home screen: one line each, and a banner when one turns met.

The home screen computes the reports (when a change affects them) and hands them to
:meth:`ObjectivesPanel.show`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from coptui.tui.text import literal

if TYPE_CHECKING:
    # Imported where used: the home screen's first frame needs none of the metrics code.
    from coptui.core.trends import ObjectiveReport

# How a status reads wherever objectives are listed (home panel, trends table).
STATUS_MARKS: dict[str, tuple[str, str]] = {
    "met": ("● met", "bold green"),
    "at risk": ("▲ at risk", "bold yellow"),
    "missed": ("✗ missed", "bold red"),
    "not enough data": ("… no data", "dim"),
}


TITLE_WIDTH = 44


def summary_line(report: ObjectiveReport, title_width: int = 0) -> Text:
    """``● met      Members recommend the community  +52 (target ≥ +30)``, titles padded to line up."""
    label, style = STATUS_MARKS[report.status.status]
    line = Text(f"{label:<10} ", style=style)
    title = literal(report.objective.title)
    title.truncate(TITLE_WIDTH, overflow="ellipsis")
    title.pad_right(max(0, title_width - len(title)))
    line.append_text(title)
    if report.status.value is not None:
        line.append(f"  {report.value_text}", "bold")
        line.append(f" (target {report.target_text})", "dim")
    else:
        line.append(f"  target {report.target_text}", "dim")
    return line


def celebration(reports: list[ObjectiveReport]) -> Text | None:
    """A short banner for objectives that turned met with the latest run, or None."""
    turned = [r for r in reports if r.turned_met]
    if not turned:
        return None
    banner = Text("★ Objective met! ", style="bold")
    for index, report in enumerate(turned):
        if index:
            banner.append(" · ")
        banner.append_text(literal(report.objective.title, "bold"))
        banner.append(f": {report.value_text} (target {report.target_text})")
    banner.append(". Well done, everyone.")
    return banner


class ObjectivesPanel(Vertical):
    """Shows the objective reports the home screen hands it."""

    DEFAULT_CSS = """
    ObjectivesPanel {
        height: auto;
    }
    ObjectivesPanel #objectives-banner {
        background: $success;
        color: $text;
        padding: 0 1;
        margin-bottom: 1;
        display: none;
    }
    ObjectivesPanel #objectives-banner.shown {
        display: block;
    }
    ObjectivesPanel #objectives-lines {
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.reports: list[ObjectiveReport] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="objectives-banner")
        yield Static("Loading objectives…", id="objectives-lines")

    def show(self, reports: list[ObjectiveReport]) -> None:
        self.reports = reports
        lines = self.query_one("#objectives-lines", Static)
        if not reports:
            lines.update(Text("No objectives yet: add [[objectives]] to community.toml.", style="dim"))
        else:
            width = min(TITLE_WIDTH, max(len(r.objective.title) for r in reports))
            lines.update(Text("\n").join(summary_line(report, width) for report in reports))
        banner = self.query_one("#objectives-banner", Static)
        message = celebration(reports)
        banner.update(message or "")
        banner.set_class(message is not None, "shown")
