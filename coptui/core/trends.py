"""Objectives and trends: turns stored runs into per-run metric values and objective reports.

Survey metrics come from the gated summaries that closing a run writes into the index
(:mod:`coptui.core.results` is the one privacy gate), read in one go: showing trends never
opens every run file. Retro and feedback metrics come from their engines
(``coptui.core.retro.retro_stats``, ``coptui.core.feedback.round_stats``), for the runs shown only.
The screens, the home panel and ``coptui report`` all read through :class:`Trends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coptui.core.community import METRIC_NAMES, Objective
from coptui.core.definitions import Question
from coptui.core.feedback import round_stats
from coptui.core.metrics import (
    MetricPoint,
    ObjectiveStatus,
    Tally,
    action_completion_of,
    change_since_previous,
    favourable_of,
    feedback_completion_of,
    mean_of,
    nps_of,
    objective_status,
    participation_of,
    roti_of,
    turned_met,
)
from coptui.core.results import favourable_from
from coptui.core.retro import retro_stats
from coptui.core.run import SUMMARIES, Run
from coptui.core.workspace import Workspace
from coptui.store.errors import UnreadableFileError
from coptui.store.layout import Change

# How many runs a chart shows (and how far back statuses are computed): a year of monthly pulses, twice.
HISTORY = 24
RATE_METRICS = frozenset({"participation", "favourable", "action_completion", "feedback_completion"})
QUESTION_METRICS = frozenset({"mean", "favourable", "nps"})
RETRO_METRICS = frozenset({"action_completion", "roti"})
# An NPS question's eleven points read best as its three groups.
NPS_GROUPS = {"detractors (0-6)": range(7), "passives (7-8)": range(7, 9), "promoters (9-10)": range(9, 11)}


def affects_trends(change: Change) -> bool:
    """Whether a store change can move a metric: only closed runs count, and closing a run
    writes the index; action statuses live in the actions file. Answers, cards and votes
    in open runs (one run file each) cannot, so screens need not recompute for them."""
    return change.area in ("index", "actions")


def format_value(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric in RATE_METRICS:
        return f"{value * 100:.0f}%"
    if metric == "nps":
        return f"{value:+.0f}"
    return f"{value:.2f}"


def format_change(metric: str, change: float | None) -> str:
    if change is None:
        return ""
    if abs(change) < (0.005 if metric in RATE_METRICS else 0.5 if metric == "nps" else 0.005):
        return "±0 pts" if metric in RATE_METRICS else "±0"
    if metric in RATE_METRICS:
        return f"{change * 100:+.0f} pts"
    if metric == "nps":
        return f"{change:+.0f}"
    return f"{change:+.2f}"


def format_target(objective: Objective) -> str:
    sign = "≥" if objective.direction == "at_least" else "≤"
    return f"{sign} {format_value(objective.metric, objective.target)}"


def chart_scale(metric: str) -> float:
    """Rates are charted in percent, so axes read 60 rather than 0.6."""
    return 100.0 if metric in RATE_METRICS else 1.0


@dataclass(frozen=True)
class ObjectiveReport:
    objective: Objective
    points: list[MetricPoint]  # per run, oldest first, at most HISTORY
    status: ObjectiveStatus
    previous: ObjectiveStatus | None  # as it stood after the run before the latest
    problem: str | None = None  # why it cannot be measured at all

    @property
    def metric_name(self) -> str:
        return METRIC_NAMES[self.objective.metric]

    @property
    def change(self) -> float | None:
        return change_since_previous(self.status, self.previous)

    @property
    def turned_met(self) -> bool:
        return self.problem is None and turned_met(self.status, self.previous)

    @property
    def value_text(self) -> str:
        return format_value(self.objective.metric, self.status.value)

    @property
    def target_text(self) -> str:
        return format_target(self.objective)

    @property
    def change_text(self) -> str:
        return format_change(self.objective.metric, self.change)

    @property
    def window_text(self) -> str:
        noun = "run" if self.objective.window == 1 else f"{self.objective.window} runs"
        return f"last {noun}"

    @property
    def left_out_text(self) -> str:
        """Why runs of the window are not counted, for the screens and the report (empty when none are)."""
        if self.problem:
            return self.problem
        left = self.status.left_out
        if not left:
            return ""
        withheld = [p for p in left if p.left_out and "min_responses" in p.left_out]
        parts = []
        if withheld:
            names = ", ".join(p.run_id for p in withheld)
            parts.append(
                f"{len(withheld)} run{'s' if len(withheld) > 1 else ''} below min_responses left out ({names})"
            )
        other = len(left) - len(withheld)
        if other:
            parts.append(f"{other} run{'s' if other > 1 else ''} without answers left out")
        return "; ".join(parts)


@dataclass(frozen=True)
class DistributionRun:
    run_id: str
    on: Any  # date
    counts: list[int] | None  # per category; None when the run is left out
    left_out: str | None = None


@dataclass(frozen=True)
class DistributionSeries:
    survey_id: str
    question: Question
    categories: list[str]
    runs: list[DistributionRun] = field(default_factory=list)


def _withheld_reason(run: Run, summary: dict[str, Any]) -> str:
    return f"{summary.get('responses', 0)} of {run.min_responses} responses needed (below min_responses)"


def _frozen_question(run: Run, question_id: str) -> Question | None:
    for item in run.definition.get("questions", []):
        if item.get("id") == question_id:
            return Question.model_validate(item)
    return None


class Trends:
    """Per-run metric values and objective reports of one workspace, read once at construction."""

    def __init__(self, workspace: Workspace, *, history: int = HISTORY) -> None:
        self.workspace = workspace
        self.history = history
        records, self._summaries = self._read_index()
        runs = [Run.model_validate(record) for record in records.values()]
        self.closed = sorted((r for r in runs if not r.is_open), key=lambda r: (r.opened_on, r.id))
        self._questions: dict[tuple[str, str], Question | None] = {}

    def _read_index(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Run records and summaries in one read of the index (run files when it is refused)."""
        store = self.workspace.store
        if not store.is_refused(store.index_path):
            try:
                index = store.read_index()
                return index.all("runs"), dict(index.all(SUMMARIES))
            except UnreadableFileError:
                pass
        return store.run_records(), {}

    def summary(self, run: Run) -> dict[str, Any]:
        summary = self._summaries.get(run.id)
        if summary is None:
            # A crash between closing the run and writing its summary: rebuild that one.
            summary = self.workspace.runs.summary(run) or {
                "responses": 0,
                "members": run.members,
                "released": False,
                "questions": {},
            }
            self._summaries[run.id] = summary
        return summary

    def runs_of(self, *, kind: str, definition_id: str | None = None) -> list[Run]:
        chosen = [
            r for r in self.closed if r.kind == kind and (definition_id is None or r.definition_id == definition_id)
        ]
        return chosen[-self.history :] if self.history else chosen

    # -- per-run metric values ------------------------------------------------------------

    def points(self, objective: Objective) -> tuple[list[MetricPoint], str | None]:
        """The objective's metric per closed run (oldest first), and a problem if it cannot be measured."""
        metric = objective.metric
        if metric in QUESTION_METRICS or metric == "participation":
            assert objective.survey is not None
            if self.workspace.definitions.get(objective.survey) is None and not any(
                r.definition_id == objective.survey for r in self.closed
            ):
                return [], f"{objective.survey!r} is not a known survey"
            runs = self.runs_of(kind="survey", definition_id=objective.survey)
            if metric == "participation":
                return [self._participation_point(run) for run in runs], None
            assert objective.question is not None
            return [self._question_point(run, metric, objective.question) for run in runs], None
        if metric in RETRO_METRICS:
            runs = self.runs_of(kind="retro")
            if metric == "roti":
                return [
                    self._stats_point(
                        run,
                        retro_stats,
                        lambda s: roti_of(list(s.get("roti", []))),
                        "fewer than 3 ROTI answers (none is shown below that)",
                    )
                    for run in runs
                ], None
            return [
                self._stats_point(
                    run,
                    retro_stats,
                    lambda s: action_completion_of(s.get("actions_done", 0), s.get("actions_total", 0)),
                    "no actions",
                )
                for run in runs
            ], None
        runs = self.runs_of(kind="feedback")
        return [
            self._stats_point(
                run,
                round_stats,
                lambda s: feedback_completion_of(s.get("given", 0), s.get("owed", 0)),
                "no feedback owed",
            )
            for run in runs
        ], None

    def _participation_point(self, run: Run) -> MetricPoint:
        summary = self.summary(run)
        tally = participation_of(int(summary.get("responses", 0)), int(summary.get("members", run.members)))
        return MetricPoint(
            run.id, run.opened_on, tally if tally.denominator else None, None if tally.denominator else "no members"
        )

    def _question(self, run: Run, question_id: str) -> Question | None:
        # Runs of one definition usually share the frozen question: parse it once per shape.
        key = (
            run.definition_id,
            repr(next((q for q in run.definition.get("questions", []) if q.get("id") == question_id), None)),
        )
        if key not in self._questions:
            self._questions[key] = _frozen_question(run, question_id)
        return self._questions[key]

    def _question_point(self, run: Run, metric: str, question_id: str) -> MetricPoint:
        summary = self.summary(run)
        if not summary.get("released", False):
            return MetricPoint(run.id, run.opened_on, None, _withheld_reason(run, summary))
        data = summary.get("questions", {}).get(question_id)
        question = self._question(run, question_id)
        if data is None or question is None:
            return MetricPoint(run.id, run.opened_on, None, f"{question_id} was not asked in this run")
        distribution = data.get("distribution", {})
        try:
            if metric == "mean":
                tally = mean_of(distribution)
            elif metric == "nps":
                tally = nps_of(distribution)
            else:
                if question.value_range is None:
                    raise ValueError(f"{question_id} is a {question.type} question")
                tally = favourable_of(distribution, favourable_from(question))
        except ValueError as error:
            return MetricPoint(run.id, run.opened_on, None, str(error))
        if tally.value is None:
            return MetricPoint(run.id, run.opened_on, None, f"nobody answered {question_id}")
        return MetricPoint(run.id, run.opened_on, tally)

    def _stats_point(
        self,
        run: Run,
        stats: Callable[..., dict[str, Any]],
        tally_of: Callable[[dict[str, Any]], Tally],
        empty_reason: str,
    ) -> MetricPoint:
        try:
            tally = tally_of(stats(self.workspace.store, run.id))
        except UnreadableFileError as error:
            return MetricPoint(run.id, run.opened_on, None, str(error))
        if tally.value is None:
            return MetricPoint(run.id, run.opened_on, None, empty_reason)
        return MetricPoint(run.id, run.opened_on, tally)

    # -- objective reports -------------------------------------------------------------------

    def report(self, objective: Objective) -> ObjectiveReport:
        points, problem = self.points(objective)
        status = objective_status(points, objective.target, objective.direction, objective.window)
        previous = (
            objective_status(points[:-1], objective.target, objective.direction, objective.window)
            if len(points) > 1
            else None
        )
        return ObjectiveReport(objective, points, status, previous, problem)

    def reports(self, objective_id: str | None = None) -> list[ObjectiveReport]:
        objectives = self.workspace.community.objectives
        if objective_id is not None:
            objectives = [o for o in objectives if o.id == objective_id]
        return [self.report(objective) for objective in objectives]

    # -- survey charts -----------------------------------------------------------------------

    def survey_ids(self) -> list[str]:
        """Surveys with at least one closed run, in the order of their first run."""
        seen: dict[str, None] = {}
        for run in self.closed:
            if run.kind == "survey":
                seen.setdefault(run.definition_id, None)
        return list(seen)

    def participation(self, survey_id: str) -> list[MetricPoint]:
        return [self._participation_point(run) for run in self.runs_of(kind="survey", definition_id=survey_id)]

    def chartable_questions(self, survey_id: str) -> list[Question]:
        """Questions of a survey whose answers have a distribution (every type but text)."""
        runs = self.runs_of(kind="survey", definition_id=survey_id)
        if not runs:
            return []
        latest = runs[-1].survey()
        return [q for q in latest.questions if q.type != "text"]

    def distribution(self, survey_id: str, question_id: str) -> DistributionSeries | None:
        """How the answers to one question spread, run by run (withheld runs left out)."""
        runs = self.runs_of(kind="survey", definition_id=survey_id)
        question = self._question(runs[-1], question_id) if runs else None
        if question is None:
            return None
        if question.type == "nps":
            categories = list(NPS_GROUPS)
        elif question.value_range is not None:
            categories = [str(p) for p in range(question.value_range[0], question.value_range[1] + 1)]
        elif question.type == "yesno":
            categories = ["yes", "no"]
        else:
            categories = list(question.options or [])
        series = DistributionSeries(survey_id, question, categories)
        for run in runs:
            summary = self.summary(run)
            if not summary.get("released", False):
                series.runs.append(DistributionRun(run.id, run.opened_on, None, _withheld_reason(run, summary)))
                continue
            data = summary.get("questions", {}).get(question_id)
            if data is None:
                series.runs.append(
                    DistributionRun(run.id, run.opened_on, None, f"{question_id} was not asked in this run")
                )
                continue
            distribution = {key: int(count) for key, count in data.get("distribution", {}).items()}
            if question.type == "nps":
                counts = [sum(distribution.get(str(p), 0) for p in points) for points in NPS_GROUPS.values()]
            else:
                counts = [distribution.get(c, 0) for c in categories]
            series.runs.append(DistributionRun(run.id, run.opened_on, counts))
        return series


@dataclass(frozen=True)
class TrendsOverview:
    """Everything the trends screen shows, gathered in one go (in a worker thread)."""

    reports: list[ObjectiveReport]
    survey_titles: dict[str, str]  # surveys with closed runs, in the order of their first run
    participation: dict[str, list[MetricPoint]]
    questions: dict[str, list[Question]]
    distributions: dict[tuple[str, str], DistributionSeries]


def overview(workspace: Workspace, *, history: int = HISTORY) -> TrendsOverview:
    trends = Trends(workspace, history=history)
    titles: dict[str, str] = {}
    participation: dict[str, list[MetricPoint]] = {}
    questions: dict[str, list[Question]] = {}
    distributions: dict[tuple[str, str], DistributionSeries] = {}
    for survey_id in trends.survey_ids():
        definition = workspace.definitions.get(survey_id)
        runs = trends.runs_of(kind="survey", definition_id=survey_id)
        titles[survey_id] = definition.title if definition is not None else runs[-1].title
        participation[survey_id] = trends.participation(survey_id)
        questions[survey_id] = trends.chartable_questions(survey_id)
        for question in questions[survey_id]:
            series = trends.distribution(survey_id, question.id)
            if series is not None:
                distributions[(survey_id, question.id)] = series
    return TrendsOverview(trends.reports(), titles, participation, questions, distributions)
