"""The text of `coptui report`: the objectives' status table and notes, as plain text or Markdown.

The charts are drawn by the caller (``chart``), so this module stays free of plotext; the
command line passes :mod:`coptui.charts.figures`. It reads only what
:mod:`coptui.core.trends` gives, so the same privacy gate and rules as the trends screen apply.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import TextIO

from coptui.core.community import Community
from coptui.core.trends import ObjectiveReport, format_value
from coptui.text import fit, markdown_inline, one_line

# Draws one objective's chart, ``width`` columns wide, with or without colour.
ChartDrawer = Callable[[ObjectiveReport, int, bool], str]

STATUS_COLOURS = {"met": "\x1b[1;32m", "at risk": "\x1b[1;33m", "missed": "\x1b[1;31m", "not enough data": "\x1b[2m"}
RESET = "\x1b[0m"
STATUS_MARKS = {"met": "met", "at risk": "at risk", "missed": "missed", "not enough data": "no data"}


def status_rows(reports: list[ObjectiveReport]) -> list[tuple[str, str, str, str, str, str]]:
    return [
        (
            STATUS_MARKS[report.status.status],
            one_line(report.objective.title),
            report.value_text,
            report.target_text,
            report.change_text,
            report.window_text,
        )
        for report in reports
    ]


def write_text_report(
    out: TextIO,
    community: Community,
    reports: list[ObjectiveReport],
    *,
    width: int,
    colour: bool,
    chart: ChartDrawer,
) -> None:
    out.write(f"Objectives of {one_line(community.name)}\n\n")
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
        cells = [fit(cell, size) for cell, size in zip(row, widths)]
        line = "  ".join(cell.ljust(size) for cell, size in zip(cells, widths)).rstrip()
        if colour and index:
            status = reports[index - 1].status.status
            line = STATUS_COLOURS[status] + cells[0].ljust(widths[0]) + RESET + line[widths[0] :]
        out.write(line + "\n")
    for report in reports:
        out.write("\n")
        out.write(chart(report, width, colour).rstrip() + "\n")
        for line in notes(report):
            out.write(textwrap.fill(line, width, initial_indent="  ", subsequent_indent="    ") + "\n")


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


def markdown_report(community: Community, reports: list[ObjectiveReport], *, width: int, chart: ChartDrawer) -> str:
    lines = [f"# Objectives of {markdown_inline(community.name)}", ""]
    if not reports:
        lines.append("No objectives yet: add `[[objectives]]` to community.toml.")
        return "\n".join(lines) + "\n"
    counts = {status: sum(1 for r in reports if r.status.status == status) for status in STATUS_MARKS}
    summary = ", ".join(f"{count} {STATUS_MARKS[status]}" for status, count in counts.items() if count)
    noun = "objective" if len(reports) == 1 else "objectives"
    lines += [f"{len(reports)} {noun}: {summary}.", ""]
    for report in (r for r in reports if r.turned_met):
        title = markdown_inline(report.objective.title)
        lines += [f"**Met with the latest run: {title}** ({report.value_text}, target {report.target_text}).", ""]
    lines += ["| Status | Objective | Value | Target | Change | Over |", "|---|---|---:|---:|---:|---|"]
    for report, row in zip(reports, status_rows(reports)):
        status, _, value, target, change, window = row
        title = markdown_inline(report.objective.title)
        lines.append(f"| {status} | {title} | {value} | {target} | {change or '–'} | {window} |")
    lines.append("")
    for report in reports:
        lines += [f"## {markdown_inline(report.objective.title)}", ""]
        lines += [f"- {markdown_inline(line)}" for line in notes(report)]
        lines.append("")
        if report.points and report.status.measured:
            lines += ["```text", chart(report, width, False).rstrip(), "```", ""]
    return "\n".join(lines)
