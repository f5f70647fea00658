"""The results gate: what a run's results say (counts, means, NPS, choices, NA, text)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from coptui.core.results import run_results, text_order
from coptui.core.run import NA
from tests.support.surveys import MEMBERS, full_answers, open_every_type


def _by_id(results):
    return {item.question.id: item for item in results.questions}


def test_named_run_results_are_live_and_complete(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    runs = workspace.runs
    runs.submit_response(run.id, "ada", full_answers(mood=5, recommend=10, topics=["ci"], notes="b"))
    runs.submit_response(
        run.id, "bruno", full_answers(mood=NA, recommend=7, again=False, format="office hours", notes=None)
    )
    runs.submit_response(
        run.id, "chen", full_answers(mood=2, recommend=3, why="slow", topics=NA, value=None, notes="a")
    )
    results = run_results(workspace.store, run)
    assert results.released and results.withheld is None
    assert (results.responses, results.members) == (3, 8)
    assert results.participation == 3 / 8
    items = _by_id(results)

    mood = items["mood"]
    assert (mood.answered, mood.not_applicable) == (2, 1)
    assert mood.mean == 3.5  # the NA answer is not in the mean
    assert mood.distribution == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    assert mood.favourable == 0.5

    value = items["value"]
    assert (value.answered, value.not_applicable, value.mean) == (2, 1, 3.0)

    nps = items["recommend"].nps
    assert (nps.promoters, nps.passives, nps.detractors) == (1, 1, 1)
    assert nps.score == 0.0

    why = items["why"]
    assert why.texts == ["slow"] and why.authors == ["chen"]
    assert why.not_applicable == 2  # not shown to ada and bruno: left out of its counts

    assert items["topics"].distribution == {"ci": 2, "observability": 0, "iac": 1}
    assert items["topics"].not_applicable == 1
    assert items["format"].distribution == {"meetup": 2, "office hours": 1}
    assert items["again"].distribution == {"yes": 2, "no": 1}

    notes = items["notes"]
    assert notes.texts == sorted(["a", "b"], key=text_order)
    assert dict(zip(notes.texts, notes.authors)) == {"a": "chen", "b": "ada"}


def test_summary_of_a_closed_run_keeps_counts_never_text(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=3)
    for handle in MEMBERS[:5]:
        workspace.runs.submit_response(run.id, handle, full_answers(notes=f"secret of {handle}"))
    closed = workspace.runs.close_run(run.id, by="ada", today=date(2026, 11, 20))
    summary = workspace.runs.summary(closed)
    assert summary is not None
    assert summary["released"] is True and summary["responses"] == 5
    assert "notes" not in summary["questions"]
    assert summary["questions"]["mood"]["distribution"]["4"] == 5
    assert "secret" not in str(summary)


def test_an_empty_named_run_has_zero_counts(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    results = run_results(workspace.store, run)
    assert results.released and results.responses == 0
    items = _by_id(results)
    assert items["mood"].mean is None and items["mood"].answered == 0
    assert items["recommend"].nps.score is None
    assert items["notes"].texts == []
