"""The plotext figures of coptui.charts.figures, drawn headless (no app)."""

from __future__ import annotations

import dataclasses

import pytest

from coptui.charts import figures as charts
from coptui.core.trends import overview
from coptui.core.workspace import Workspace


@pytest.mark.parametrize("height", [12, 16, 24])
def test_a_baseline_far_from_the_data_stays_on_the_chart(demo_workspace: Workspace, height: int) -> None:
    # A mean's axis is fitted to the data and the target: a baseline well below both was
    # clipped away, and plotext then failed building the figure on its legend entry.
    report = next(r for r in overview(demo_workspace).reports if r.objective.metric == "mean")
    values = [p.value for p in report.points if p.value is not None]
    far_below = round(min(values) - 1.0, 1)
    report = dataclasses.replace(report, objective=dataclasses.replace(report.objective, baseline=far_below))
    figure = charts.new_figure(100, height)
    charts.draw_objective(figure, report, width=100, height=height)
    text = charts.render(figure, colour=False)
    lines = text.splitlines()
    assert 0 < len(lines) <= height
    assert sum("┄" in line for line in lines) >= 1  # the baseline is drawn
    if height >= charts.ROOMY_HEIGHT:
        assert "baseline" in text  # and named in the legend when there is room
