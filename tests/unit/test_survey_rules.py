"""When a survey run takes answers and lets a member change them (coptui.core.survey_rules)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from coptui.core.survey_rules import answers_editable, closed_for_answers
from coptui.core.workspace import Workspace
from tests.support.surveys import open_every_type


def test_a_run_is_closed_for_answers_once_closed_or_past_its_date(workspace: Workspace) -> None:
    today = date.today()
    run = workspace.runs.open_run("cop-pulse", by="ada", closes_on=today + timedelta(days=1))
    assert not closed_for_answers(run, today)
    assert not closed_for_answers(run, today + timedelta(days=1))  # the closing day still counts
    assert closed_for_answers(run, today + timedelta(days=2))
    assert closed_for_answers(workspace.runs.close_run(run.id, by="ada"), today)


def test_a_run_without_a_date_stays_open_until_closed(workspace: Workspace) -> None:
    run = workspace.runs.open_run("cop-pulse", by="ada")
    assert not closed_for_answers(run, date.today() + timedelta(days=3650))


def test_only_a_named_survey_that_allows_it_is_editable(surveys_dir: Path, data_dir: Path) -> None:
    _, editable = open_every_type(surveys_dir, data_dir, allow_edit=True, definition_id="editable")
    assert answers_editable(editable)
    _, fixed = open_every_type(surveys_dir, data_dir, definition_id="fixed")
    assert not answers_editable(fixed)
    workspace, anonymous = open_every_type(surveys_dir, data_dir, anonymous=True, definition_id="anonymous")
    assert not answers_editable(anonymous)
    assert not answers_editable(workspace.runs.open_run("cop-pulse", by="ada"))
