"""How the answers to one scale question spread: a plotext bar chart of counts per point.

Built on :class:`coptui.tui.widgets.chart.ChartPlot` (redraws at its size and on theme changes);
this widget only keeps the series and knows how to draw it. NPS points are coloured as
detractors (0-6), passives (7-8) and promoters (9-10).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from coptui.tui.widgets.chart import ChartPlot

SCALE_COLOR = "blue+"
NPS_GROUPS = (
    ("detractors", range(7), "red"),
    ("passives", range(7, 9), "orange"),
    ("promoters", range(9, 11), "green"),
)


def count_ticks(highest: int, rows: int) -> list[int]:
    """Whole-number ticks from 0 to at least ``highest``, no more than the rows allow."""
    room = max(1, rows // 2)
    step = max(1, math.ceil(max(1, highest) / room))
    return list(range(0, max(1, highest) + step, step))


def draw_bars(figure: Any, points: Sequence[int], counts: Sequence[int], *, nps: bool, width: int, height: int) -> None:
    """Counts per scale point as vertical bars; x ticks are the points themselves."""
    figure.plotsize(width, height)
    xs = list(points)
    if nps:
        for _, group, colour in NPS_GROUPS:
            group_xs = [x for x in xs if x in group]
            figure.bar(group_xs, [counts[xs.index(x)] for x in group_xs], color=colour, width=0.6)
    else:
        figure.bar(xs, list(counts), color=SCALE_COLOR, width=0.6)
    ticks = count_ticks(max(counts, default=0), height - 3)
    figure.yticks(ticks, [str(t) for t in ticks])
    figure.ylim(0, ticks[-1])
    figure.xticks(xs, [str(x) for x in xs])
    figure.xlim(xs[0] - 0.6, xs[-1] + 0.6)


class DistributionChart(ChartPlot):
    """The bar chart of one question's results; holds its points and counts."""

    DEFAULT_CSS = """
    DistributionChart {
        height: 9;
        min-height: 6;
    }
    """

    def __init__(
        self,
        points: Sequence[int],
        counts: Sequence[int],
        *,
        nps: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.points = list(points)
        self.counts = list(counts)
        self.nps = nps

    def on_mount(self) -> None:
        # PlotextPlot's own on_mount (theme set-up) runs too: Textual calls each class's handler.
        self.show_chart(self._draw)

    def _draw(self, figure: Any, width: int, height: int) -> None:
        draw_bars(figure, self.points, self.counts, nps=self.nps, width=width, height=height)
