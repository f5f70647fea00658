"""`coptui report`: the objectives' status table and trend charts on stdout, for cron and email.

Plain text (with colour only when stdout is a terminal and NO_COLOR is unset) or, with
``--format md``, a Markdown summary. Reads through :mod:`coptui.core.trends`, so the same privacy
gate and the same rules as the trends screen apply.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from typing import TextIO

from coptui.charts import figures as charts
from coptui.core.community import Community
from coptui.core.trends import ObjectiveReport, Trends, format_value
from coptui.core.workspace import Workspace
from coptui.errors import CommandError
from coptui.text import strip_controls

CHART_HEIGHT = 18
MIN_WIDTH = 40
STATUS_COLOURS = {"met": "\x1b[1;32m", "at risk": "\x1b[1;33m", "missed": "\x1b[1;31m", "not enough data": "\x1b[2m"}
RESET = "\x1b[0m"
STATUS_MARKS = {"met": "met", "at risk": "at risk", "missed": "missed", "not enough data": "no data"}


def report_main(args: argparse.Namespace) -> int:
    workspace = Workspace.open(getattr(args, "data", None), getattr(args, "surveys", None))
    objective_id = getattr(args, "objective", None)
    known = [o.id for o in workspace.community.objectives]
    if objective_id is not None and objective_id not in known:
        raise CommandError(f"there is no objective {objective_id!r}; known: {', '.join(known) or 'none'}")
    reports = Trends(workspace).reports(objective_id)
    width = max(MIN_WIDTH, args.width or shutil.get_terminal_size((100, 24)).columns)
    try:
        if getattr(args, "format", "text") == "md":
            sys.stdout.write(markdown_report(workspace.community, reports, width=width))
        else:
            colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            write_text_report(sys.stdout, workspace.community, reports, width=width, colour=colour)
        sys.stdout.flush()
    except BrokenPipeError:
        # `coptui report | head`: the reader has what it wanted; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def _clean(text: str) -> str:
    """User text on one line, with no control characters (it may end up in a terminal)."""
    return " ".join(strip_controls(text).split())


def status_rows(reports: list[ObjectiveReport]) -> list[tuple[str, str, str, str, str, str]]:
    rows = []
    for report in reports:
        rows.append(
            (
                STATUS_MARKS[report.status.status],
                _clean(report.objective.title),
                report.value_text,
                report.target_text,
                report.change_text,
                report.window_text,
            )
        )
    return rows


def write_text_report(
    out: TextIO, community: Community, reports: list[ObjectiveReport], *, width: int, colour: bool
) -> None:
    out.write(f"Objectives of {_clean(community.name)}\n\n")
    if not reports:
        out.write("No objectives yet: add [[objectives]] to community.toml.\n")
        return
    header = ("STATUS", "OBJECTIVE", "VALUE", "TARGET", "CHANGE", "OVER")
    rows = status_rows(reports)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    # The title column gives way when the table would be wider than asked.
    spare = width - (sum(widths) + 2 * (len(widths) - 1))
    if spare < 0:
        widths[1] = max(12, widths[1] + spare)
    for index, row in enumerate([header, *rows]):
        cells = [_fit(cell, size) for cell, size in zip(row, widths)]
        line = "  ".join(cell.ljust(size) for cell, size in zip(cells, widths)).rstrip()
        if colour and index:
            status = reports[index - 1].status.status
            line = STATUS_COLOURS[status] + cells[0].ljust(widths[0]) + RESET + line[widths[0] :]
        out.write(line + "\n")
    for report in reports:
        out.write("\n")
        figure = charts.new_figure(width, CHART_HEIGHT)
        charts.draw_objective(figure, report, width=width, height=CHART_HEIGHT)
        out.write(charts.render(figure, colour=colour).rstrip() + "\n")
        for line in notes(report):
            out.write(textwrap.fill(line, width, initial_indent="  ", subsequent_indent="    ") + "\n")


def _fit(text: str, size: int) -> str:
    return text if len(text) <= size else text[: max(0, size - 1)] + "…"


def notes(report: ObjectiveReport) -> list[str]:
    """What a reader needs to trust the number: what it covers and what was left out."""
    lines = []
    status = report.status
    metric = report.objective.metric
    if report.problem:
        return [report.problem]
    if status.measured:
        lines.append(
            f"{report.metric_name} over {status.measured} of the last {status.runs} runs: {report.value_text}"
            f"; latest run alone: {format_value(metric, status.last_value)}"
        )
    else:
        lines.append("no closed run has a value yet")
    if report.left_out_text:
        lines.append(report.left_out_text)
    return lines


def _md(text: str) -> str:
    """User text in a Markdown table cell or heading: one line, formatting characters escaped."""
    flat = _clean(text)
    for char in "\\`*_[]<>|#":
        flat = flat.replace(char, "\\" + char)
    return flat


def markdown_report(community: Community, reports: list[ObjectiveReport], *, width: int) -> str:
    lines = [f"# Objectives of {_md(community.name)}", ""]
    if not reports:
        lines.append("No objectives yet: add `[[objectives]]` to community.toml.")
        return "\n".join(lines) + "\n"
    counts = {status: sum(1 for r in reports if r.status.status == status) for status in STATUS_MARKS}
    summary = ", ".join(f"{count} {STATUS_MARKS[status]}" for status, count in counts.items() if count)
    noun = "objective" if len(reports) == 1 else "objectives"
    lines += [f"{len(reports)} {noun}: {summary}.", ""]
    celebrated = [r for r in reports if r.turned_met]
    for report in celebrated:
        lines += [
            f"**Met with the latest run: {_md(report.objective.title)}** ({report.value_text}, target {report.target_text}).",
            "",
        ]
    lines += ["| Status | Objective | Value | Target | Change | Over |", "|---|---|---:|---:|---:|---|"]
    for report, row in zip(reports, status_rows(reports)):
        status, _, value, target, change, window = row
        lines.append(f"| {status} | {_md(report.objective.title)} | {value} | {target} | {change or '–'} | {window} |")
    lines.append("")
    for report in reports:
        lines += [f"## {_md(report.objective.title)}", ""]
        lines += [f"- {_md(line)}" for line in notes(report)]
        lines.append("")
        if report.points and report.status.measured:
            figure = charts.new_figure(width, CHART_HEIGHT)
            charts.draw_objective(figure, report, width=width, height=CHART_HEIGHT)
            lines += ["```text", charts.render(figure, colour=False).rstrip(), "```", ""]
    return "\n".join(lines)
