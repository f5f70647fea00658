"""Trends on the seeded demo: per-run values through the privacy gate, retro and feedback metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from coptui.core.community import community_path
from coptui.core.feedback import round_stats
from coptui.core.metrics import favourable_of
from coptui.core.results import favourable_from, run_results
from coptui.core.retro import retro_stats
from coptui.core.run import PARTICIPANTS
from coptui.core.trends import NPS_GROUPS, Trends, format_change, format_target, format_value, overview
from coptui.core.workspace import Workspace
from coptui.store.store import Snapshot, Store

WITHHELD = {"cop-pulse-2025-12-01", "cop-pulse-2026-06-01"}  # the demo's pulses with 4 of 5 answers


def add_objectives(surveys_dir: Path, text: str) -> None:
    path = community_path(surveys_dir)
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def test_question_metrics_leave_out_runs_below_min_responses(demo_workspace: Workspace) -> None:
    report = Trends(demo_workspace).report(demo_workspace.community.objectives[1])  # satisfaction: mean of value
    left_out = {p.run_id for p in report.points if p.value is None}
    assert left_out == WITHHELD
    for point in report.points:
        if point.run_id in WITHHELD:
            assert "below min_responses" in (point.left_out or "")
    assert len(report.points) == 11  # the twelfth pulse is still open


def test_values_agree_with_the_results_gate(demo_workspace: Workspace) -> None:
    runs = demo_workspace.runs
    trends = Trends(demo_workspace)
    by_id = {o.id: o for o in demo_workspace.community.objectives}
    satisfaction = {p.run_id: p.value for p in trends.points(by_id["satisfaction"])[0]}
    nps = {p.run_id: p.value for p in trends.points(by_id["nps"])[0]}
    participation = {p.run_id: p.value for p in trends.points(by_id["participation"])[0]}
    for run in runs.list_runs(kind="survey", state="closed"):
        if run.definition_id != "cop-pulse":
            continue
        results = run_results(demo_workspace.store, run)
        assert participation[run.id] == pytest.approx(results.participation)
        if not results.released:
            assert satisfaction[run.id] is None and nps[run.id] is None
            continue
        value = next(q for q in results.questions if q.question.id == "value")
        recommend = next(q for q in results.questions if q.question.id == "recommend")
        assert satisfaction[run.id] == pytest.approx(value.mean)
        assert nps[run.id] == pytest.approx(recommend.nps.score)  # type: ignore[union-attr]
        tally = favourable_of({str(k): v for k, v in value.distribution.items()}, favourable_from(value.question))
        assert tally.value == pytest.approx(value.favourable)


def test_survey_trends_never_open_run_files(demo_workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    surveys = {r.id for r in demo_workspace.runs.list_runs(kind="survey")}
    original = Store.read_run

    def guarded(store: Store, run_id: str) -> Snapshot:
        assert run_id not in surveys, f"trends opened the file of survey run {run_id}"
        return original(store, run_id)

    monkeypatch.setattr(Store, "read_run", guarded)
    data = overview(demo_workspace)
    assert [r.objective.id for r in data.reports] == [
        "participation",
        "satisfaction",
        "nps",
        "actions",
        "roti",
        "feedback",
    ]
    assert all(r.status.status != "not enough data" for r in data.reports)


def test_retro_metrics_come_from_retro_stats(demo_workspace: Workspace) -> None:
    trends = Trends(demo_workspace)
    by_id = {o.id: o for o in demo_workspace.community.objectives}
    retros = demo_workspace.runs.list_runs(kind="retro", state="closed")
    assert retros, "the demo seeds closed retros"
    actions = {p.run_id: p for p in trends.points(by_id["actions"])[0]}
    roti = {p.run_id: p for p in trends.points(by_id["roti"])[0]}
    for run in retros:
        stats = retro_stats(demo_workspace.store, run.id)
        if stats["actions_total"]:
            assert actions[run.id].value == pytest.approx(stats["actions_done"] / stats["actions_total"])
        else:
            assert actions[run.id].value is None and actions[run.id].left_out == "no actions"
        if stats["roti"]:
            assert roti[run.id].value == pytest.approx(sum(stats["roti"]) / len(stats["roti"]))


def test_feedback_completion_comes_from_round_stats(demo_workspace: Workspace) -> None:
    workspace = demo_workspace  # the shipped community has a feedback_completion objective, "feedback"
    rounds = workspace.runs.list_runs(kind="feedback", state="closed")
    assert rounds, "the demo seeds closed feedback rounds"
    report = Trends(workspace).reports("feedback")[0]
    assert report.problem is None
    assert [p.run_id for p in report.points] == [r.id for r in rounds]
    for point, run in zip(report.points, rounds):
        stats = round_stats(workspace.store, run.id)
        expected = min(stats["given"], stats["owed"]) / stats["owed"] if stats["owed"] else None
        assert point.value == pytest.approx(expected)


def test_no_closed_runs_is_not_enough_data(workspace: Workspace) -> None:
    reports = Trends(workspace).reports()
    assert reports and all(r.status.status == "not enough data" for r in reports)
    assert all(r.value_text == "–" and r.change_text == "" for r in reports)


def test_an_objective_on_a_removed_survey_says_so(demo_data_dir: Path, surveys_dir: Path) -> None:
    add_objectives(
        surveys_dir,
        '[[objectives]]\nid = "gone"\ntitle = "Old survey"\nmetric = "participation"\nsurvey = "retired"\ntarget = 0.5\n',
    )
    report = Trends(Workspace.open(demo_data_dir, surveys_dir)).reports("gone")[0]
    assert report.status.status == "not enough data"
    assert report.problem == "'retired' is not a known survey"


def test_distribution_of_a_question_over_time(demo_workspace: Workspace) -> None:
    trends = Trends(demo_workspace)
    series = trends.distribution("cop-pulse", "attended")
    assert series is not None
    assert series.categories == ["meetup", "office hours", "both", "none"]
    runs = {r.id: r for r in demo_workspace.runs.list_runs(kind="survey", state="closed")}
    for item in series.runs:
        if item.run_id in WITHHELD:
            assert item.counts is None
        else:
            assert item.counts is not None
            assert sum(item.counts) <= demo_workspace.store.read_run(item.run_id).count(PARTICIPANTS)
            assert item.run_id in runs
    grouped = trends.distribution("cop-pulse", "recommend")
    assert grouped is not None and grouped.categories == list(NPS_GROUPS)


def test_history_is_bounded(demo_workspace: Workspace) -> None:
    trends = Trends(demo_workspace, history=4)
    report = trends.report(demo_workspace.community.objectives[0])
    assert [p.run_id for p in report.points] == [
        "cop-pulse-2026-07-01",
        "cop-pulse-2026-08-03",
        "cop-pulse-2026-09-01",
        "cop-pulse-2026-10-01",
    ]


def test_formats() -> None:
    assert format_value("participation", 0.875) == "88%"
    assert format_value("nps", 52.38) == "+52"
    assert format_value("mean", 4.142857) == "4.14"
    assert format_value("roti", None) == "–"
    assert format_change("participation", 0.0417) == "+4 pts"
    assert format_change("roti", -0.001) == "±0"
    assert format_change("nps", -7.2) == "-7"


def test_target_text(demo_workspace: Workspace) -> None:
    targets = [format_target(o) for o in demo_workspace.community.objectives]
    assert targets == ["≥ 60%", "≥ 4.10", "≥ +30", "≥ 70%", "≥ 3.50", "≥ 80%"]


def test_only_closed_runs_and_actions_move_trends() -> None:
    from coptui.core.trends import affects_trends
    from coptui.store.layout import Change

    assert affects_trends(Change("index"))
    assert affects_trends(Change("actions"))
    assert not affects_trends(Change("run", "cop-pulse-2026-11-02"))
