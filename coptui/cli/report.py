"""`coptui report`: the objectives' status table and trend charts on stdout, for cron and email.

Plain text (with colour only when stdout is a terminal and NO_COLOR is unset) or, with
``--format md``, a Markdown summary. The text is :mod:`coptui.exports.report`'s; the charts
are :mod:`coptui.charts.figures`'.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from coptui.charts import figures as charts
from coptui.core.trends import ObjectiveReport, Trends
from coptui.core.workspace import Workspace
from coptui.errors import CommandError
from coptui.exports.report import markdown_report, write_text_report

CHART_HEIGHT = 18
MIN_WIDTH = 40


def draw_chart(report: ObjectiveReport, width: int, colour: bool) -> str:
    figure = charts.new_figure(width, CHART_HEIGHT)
    charts.draw_objective(figure, report, width=width, height=CHART_HEIGHT)
    return charts.render(figure, colour=colour)


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
            sys.stdout.write(markdown_report(workspace.community, reports, width=width, chart=draw_chart))
        else:
            colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
            write_text_report(sys.stdout, workspace.community, reports, width=width, colour=colour, chart=draw_chart)
        sys.stdout.flush()
    except BrokenPipeError:
        # `coptui report | head`: the reader has what it wanted; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
