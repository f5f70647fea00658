"""plotext figures built from metrics: drawn by the trends screen (textual-plotext) and `coptui report`.

Each ``draw_*`` function draws into a plotext figure it is given (the widget's ``plt`` or a
fresh figure from :func:`new_figure`) and never shows or prints it, so the screen and the
report draw exactly the same chart. No module-level plotext state is used: many SSH
sessions draw charts at once in ``coptui serve``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from plotext._figure import _figure_class
from plotext._utility import uncolorize

from coptui.core.metrics import MetricPoint, meets
from coptui.core.trends import QUESTION_METRICS, DistributionSeries, ObjectiveReport, chart_scale, format_target
from coptui.text import fit, one_line

MET_COLOR = "green"
MISSED_COLOR = "red"
LINE_COLOR = "blue+"
TARGET_COLOR = "orange"
BASELINE_COLOR = "gray"
# One colour per option of a single or multi choice question.
CATEGORY_COLORS = ["blue", "orange", "cyan", "magenta", "green", "red", "yellow", "gray", "blue+", "red+", "green+"]

ROOMY_HEIGHT = 20  # from here the legend explains every mark
SMALL_HEIGHT = 15  # below this the legend names only the target line
Figure = Any  # a plotext figure: plotext's own or textual-plotext's ``Plot`` subclass


def new_figure(width: int, height: int) -> Figure:
    """A private plotext figure (never the module-level one shared by every caller)."""
    figure = _figure_class()
    figure.plotsize(width, height)
    return figure


def render(figure: Figure, *, colour: bool) -> str:
    """The figure as text, with or without terminal colour codes.

    The "clear" theme keeps the data's colours but paints no background, so a chart reads
    on dark and light terminals alike.
    """
    figure.theme("clear")
    text = figure.build()
    if colour:
        return text
    return "\n".join(line.rstrip() for line in uncolorize(text).splitlines())


def run_labels(days: Sequence[Any]) -> list[str]:
    """Short x-axis labels: the month when each run has its own, else the day."""
    months = {(day.year, day.month) for day in days}
    form = "%b %y" if len(months) == len(days) else "%d %b"
    return [day.strftime(form) for day in days]


def _ticks(labels: Sequence[str], width: int) -> tuple[list[int], list[str]]:
    """Every k-th label so that they do not overlap on an axis ``width`` columns wide."""
    if not labels:
        return [], []
    room = max(1, (width - 10) // (max(len(label) for label in labels) + 4))
    step = max(1, math.ceil(len(labels) / room))
    xs = list(range(1, len(labels) + 1))[::-1][::step][::-1]
    return xs, [labels[x - 1] for x in xs]


def _prepare(figure: Figure, title: str, width: int) -> None:
    figure.clear_data()
    # The title holds an objective's or a survey's title: plotext draws it as it is.
    figure.title(fit(one_line(title), width - 4))
    figure.frame(True)


def _headroom(low: float, high: float, rows: int, height: int) -> float:
    """A top for the y-axis that leaves ``rows`` empty rows for the legend above the data."""
    plot_rows = max(4, height - 5)  # title, frame and tick labels take the rest
    return high + (high - low) * rows / max(1, plot_rows - rows)


def draw_objective(figure: Figure, report: ObjectiveReport, *, width: int, height: int) -> None:
    """The metric per run as a line, the target as a line, met (●) and missed (✗) runs marked."""
    objective = report.objective
    scale = chart_scale(objective.metric)
    points = report.points
    _prepare(figure, f"{objective.title} ({report.metric_name}, target {format_target(objective)})", width)
    labels = run_labels([p.on for p in points])
    measured = [(index + 1, float(p.value)) for index, p in enumerate(points) if p.value is not None]
    if not measured:
        figure.xticks([], [])
        figure.yticks([], [])
        figure.text("No data yet", 1, 0)
        figure.xlim(0, 2)
        figure.ylim(-1, 1)
        return
    xs = [x for x, _ in measured]
    ys = [scale * value for _, value in measured]
    span = [0.5, len(points) + 0.5]
    roomy = height >= ROOMY_HEIGHT  # small charts keep their legend to target, met and missed
    baseline = [] if objective.baseline is None else [scale * objective.baseline]
    # The baseline is in the range too: a labelled line that plotext clips away entirely
    # leaves its legend entry without colours, and plotext fails building the figure.
    low, high = _value_range(objective.metric, [*ys, scale * objective.target, *baseline])
    # Target and baseline as labelled lines (plotext's hline has no legend entry), under the data.
    figure.plot(span, [scale * objective.target] * 2, color=TARGET_COLOR, marker="─", label="target")
    if objective.baseline is not None:
        figure.plot(
            span,
            [scale * objective.baseline] * 2,
            color=BASELINE_COLOR,
            marker="┄",
            label="baseline" if roomy else None,
        )
    figure.plot(xs, ys, color=LINE_COLOR, marker="braille")
    met = [(x, y) for (x, value), y in zip(measured, ys) if meets(value, objective.target, objective.direction)]
    missed = [(x, y) for (x, value), y in zip(measured, ys) if not meets(value, objective.target, objective.direction)]
    small = height < SMALL_HEIGHT
    if met:
        figure.scatter(
            [x for x, _ in met], [y for _, y in met], color=MET_COLOR, marker="●", label=None if small else "met"
        )
    if missed:
        figure.scatter(
            [x for x, _ in missed],
            [y for _, y in missed],
            color=MISSED_COLOR,
            marker="✗",
            label=None if small else "missed",
        )
    left_out = [index + 1 for index, p in enumerate(points) if p.value is None]
    if left_out:
        # Withheld runs keep their place in time, marked on the floor of the chart.
        figure.scatter(
            left_out, [low] * len(left_out), color=BASELINE_COLOR, marker="?", label="left out" if roomy else None
        )
    legend_rows = (
        1
        + (not small) * (bool(met) + bool(missed))
        + (roomy and objective.baseline is not None)
        + (roomy and bool(left_out))
    )
    figure.ylim(low, _headroom(low, high, legend_rows, height))
    ticks = _nice_ticks(low, high, max(2, height - 5 - legend_rows))
    figure.yticks(ticks, [f"{tick:g}" for tick in ticks])
    figure.xlim(0.5, len(points) + 0.5)
    figure.xticks(*_ticks(labels, width))


def _value_range(metric: str, values: Sequence[float]) -> tuple[float, float]:
    if metric in ("participation", "favourable", "action_completion", "feedback_completion"):
        return 0.0, 100.0
    if metric == "nps":
        return -100.0, 100.0
    if metric == "roti":
        return 1.0, 5.0
    assert metric in QUESTION_METRICS
    # A mean moves in tenths: a tight range around the data and the target shows it.
    pad = max(0.25, 0.1 * (max(values) - min(values)))
    return max(0.0, min(values) - pad), max(values) + pad


def _nice_ticks(low: float, high: float, rows: int) -> list[float]:
    """Round y ticks inside the data range, no more than one every other row."""
    most = max(2, rows // 2)
    for step in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0):
        first = math.ceil(low / step - 1e-9) * step
        ticks = [round(first + i * step, 6) for i in range(int((high - first) / step + 1e-9) + 1)]
        if len(ticks) <= most:
            return ticks
    return [low, high]


def draw_participation(figure: Figure, title: str, points: Sequence[MetricPoint], *, width: int, height: int) -> None:
    """Participation per run as bars, in percent of the community."""
    _prepare(figure, title, width)
    if not points:
        figure.text("No closed runs yet", 1, 0)
        figure.xlim(0, 2)
        return
    labels = run_labels([p.on for p in points])
    values = [100.0 * (p.value or 0.0) for p in points]
    figure.bar(list(range(1, len(points) + 1)), values, color=LINE_COLOR, width=0.6)
    figure.ylim(0, 100)
    ticks = _nice_ticks(0, 100, height - 5)
    figure.yticks(ticks, [f"{tick:g}%" for tick in ticks])
    figure.xticks(*_ticks(labels, width))


def draw_distribution(figure: Figure, series: DistributionSeries, *, width: int, height: int) -> None:
    """How answers spread per run: stacked bars of each answer's share (runs left out are skipped)."""
    shown = [(run, run.counts) for run in series.runs if run.counts is not None and sum(run.counts) > 0]
    _prepare(figure, f"{series.survey_id} · {series.question.id}: share of answers per run", width)
    if not shown:
        figure.text("No results to show yet", 1, 0)
        figure.xlim(0, 2)
        return
    labels = run_labels([run.on for run, _ in shown])
    shares = [
        [100.0 * counts[category_index] / sum(counts) for _, counts in shown]
        for category_index in range(len(series.categories))
    ]
    category_labels = _category_labels(series)
    xs = list(range(1, len(shown) + 1))
    colours = _category_colours(series)
    figure.stacked_bar(xs, shares, labels=category_labels, color=colours, width=0.6)
    figure.ylim(0, 100)
    ticks = _nice_ticks(0, 100, height - 5)
    figure.yticks(ticks, [f"{tick:g}%" for tick in ticks])
    # The legend sits top left, inside the plot: start the bars to its right.
    legend = max(len(label) for label in category_labels) + 4
    share = min(0.5, legend / max(1, width - 8))
    figure.xlim((0.5 - share * (len(shown) + 0.5)) / (1 - share), len(shown) + 0.5)
    figure.xticks(*_ticks(labels, width))


def _category_labels(series: DistributionSeries) -> list[str]:
    question = series.question
    if question.type == "nps":
        return list(series.categories)
    if question.value_range is not None:
        # Scale points with their words where the definition names each point.
        names = question.point_labels
        return [name[:18] for name in names]
    return [category[:18] for category in series.categories]


def _category_colours(series: DistributionSeries) -> list[Any]:
    count = len(series.categories)
    if series.question.type == "nps":
        return [_gradient(0.0), _gradient(0.5), _gradient(1.0)]
    if series.question.value_range is not None:
        # Scale points run from red (lowest) through yellow to green (highest).
        return [_gradient(index / max(1, count - 1)) for index in range(count)]
    return [CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i in range(count)]


def _gradient(position: float) -> tuple[int, int, int]:
    red, yellow, green = (215, 48, 39), (254, 224, 90), (26, 152, 80)
    start, end, t = (red, yellow, position * 2) if position <= 0.5 else (yellow, green, position * 2 - 1)
    return (
        round(start[0] + (end[0] - start[0]) * t),
        round(start[1] + (end[1] - start[1]) * t),
        round(start[2] + (end[2] - start[2]) * t),
    )
