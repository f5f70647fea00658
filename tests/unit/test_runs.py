"""Runs: opening (thresholds frozen, small communities), drafts, submitting once, editing, closing."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coptui.core.answers import drop_hidden, parse_cli_value, validate_answers
from coptui.core.definitions import SurveyDefinition
from coptui.core.run import DRAFTS, NA, AnswerError, RunError
from coptui.core.workspace import Workspace
from tests.support.surveys import EVERY_TYPE, OPENED, full_answers, open_every_type, write_every_type


def test_open_run_freezes_thresholds_and_members(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True, min_responses=4, min_text=6)
    assert (run.anonymous, run.min_responses, run.min_text_responses, run.members) == (True, 4, 6, 8)
    assert run.id == "every-type-2026-11-02"
    stored = workspace.runs.get(run.id)
    assert stored.min_responses == 4 and stored.definition["questions"][0]["id"] == "mood"


def test_only_facilitators_open_runs(surveys_dir: Path, data_dir: Path) -> None:
    write_every_type(surveys_dir)
    workspace = Workspace.open(data_dir, surveys_dir)
    with pytest.raises(RunError, match="only a facilitator can open a run; chen is not one"):
        workspace.runs.open_run("every-type", by="chen")


def test_a_community_smaller_than_the_threshold_cannot_open_an_anonymous_run(surveys_dir: Path, data_dir: Path) -> None:
    write_every_type(surveys_dir, anonymous=True, min_responses=9)
    workspace = Workspace.open(data_dir, surveys_dir)
    with pytest.raises(RunError) as caught:
        workspace.runs.open_run("every-type", by="ada")
    message = str(caught.value)
    assert "min_responses = 9" in message and "only 8 members" in message
    assert "add members to community.toml or make the survey non-anonymous" in message
    assert workspace.runs.list_runs() == []


def test_second_run_of_the_same_day_gets_its_own_id(surveys_dir: Path, data_dir: Path) -> None:
    workspace, first = open_every_type(surveys_dir, data_dir)
    second = workspace.runs.open_run("every-type", by="ada", today=OPENED)
    assert second.id == f"{first.id}-2"


def test_drafts_keep_answers_na_and_position(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", {"mood": NA, "value": 2}, position=2)
    assert workspace.runs.load_draft(run.id, "chen") == ({"mood": NA, "value": 2}, 2)
    assert workspace.runs.status_for(run, "chen").status == "draft"
    assert workspace.runs.load_draft(run.id, "dana") is None


@pytest.mark.parametrize("anonymous", [False, True])
def test_submit_deletes_the_draft(surveys_dir: Path, data_dir: Path, anonymous: bool) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=anonymous)
    workspace.runs.save_draft(run.id, "chen", {"mood": 4}, position=1)
    workspace.runs.submit_response(run.id, "chen", full_answers())
    assert workspace.store.read_run(run.id).all(DRAFTS) == {}
    assert workspace.runs.status_for(run, "chen").status == "answered"


def test_a_member_answers_once(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, anonymous=True)
    workspace.runs.submit_response(run.id, "chen", full_answers())
    with pytest.raises(RunError, match="chen has already answered"):
        workspace.runs.submit_response(run.id, "chen", full_answers(mood=1))
    with pytest.raises(RunError, match="already answered"):
        workspace.runs.save_draft(run.id, "chen", {"mood": 1})
    assert workspace.runs.response_count(run.id) == 1


def test_allow_edit_replaces_the_named_response(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir, allow_edit=True)
    workspace.runs.submit_response(run.id, "chen", full_answers())
    workspace.runs.save_draft(run.id, "chen", {"mood": 1}, position=0)
    workspace.runs.submit_response(run.id, "chen", full_answers(mood=1))
    assert workspace.runs.response_count(run.id) == 1
    own = workspace.runs.own_response(run.id, "chen")
    assert own is not None and own["mood"] == 1 and own["why"] is NA
    assert len(workspace.store.read_run(run.id).all("responses")) == 1


def test_closing_refuses_answers_and_drops_drafts(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    workspace.runs.save_draft(run.id, "chen", {"mood": 4})
    workspace.runs.close_run(run.id, by="ada", today=date(2026, 11, 20))
    assert workspace.store.read_run(run.id).all(DRAFTS) == {}
    with pytest.raises(RunError, match="is closed \\(since 2026-11-20\\)"):
        workspace.runs.submit_response(run.id, "dana", full_answers())
    with pytest.raises(RunError, match="already closed"):
        workspace.runs.close_run(run.id, by="ada")


def test_past_closing_date_refuses_answers(surveys_dir: Path, data_dir: Path) -> None:
    write_every_type(surveys_dir)
    workspace = Workspace.open(data_dir, surveys_dir)
    run = workspace.runs.open_run("every-type", by="ada", today=date(2020, 1, 1), closes_on=date(2020, 1, 2))
    with pytest.raises(RunError, match="closed for answers on 2020-01-02"):
        workspace.runs.submit_response(run.id, "chen", full_answers())


def test_closing_date_in_the_past_is_refused(surveys_dir: Path, data_dir: Path) -> None:
    write_every_type(surveys_dir)
    workspace = Workspace.open(data_dir, surveys_dir)
    with pytest.raises(RunError, match="in the past"):
        workspace.runs.open_run("every-type", by="ada", today=OPENED, closes_on=date(2026, 11, 1))


def test_non_members_cannot_answer(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    with pytest.raises(RunError, match="'mallory' is not a member"):
        workspace.runs.submit_response(run.id, "mallory", full_answers())


# -- validation of a whole response ------------------------------------------------------------------


def _survey(surveys_dir: Path, data_dir: Path):
    _, run = open_every_type(surveys_dir, data_dir)
    return run.survey()


def test_hidden_and_skipped_questions_are_stored_as_not_applicable(surveys_dir: Path, data_dir: Path) -> None:
    survey = _survey(surveys_dir, data_dir)
    values, na = validate_answers(survey, full_answers(notes=None, value=None))
    assert "why" in na and "notes" in na and "value" in na
    assert "why" not in values


def test_required_soft_may_be_left_empty(surveys_dir: Path, data_dir: Path) -> None:
    survey = _survey(surveys_dir, data_dir)
    values, na = validate_answers(survey, full_answers(recommend=None))
    assert "recommend" in na and "recommend" not in values


def test_every_problem_is_reported_at_once(surveys_dir: Path, data_dir: Path) -> None:
    survey = _survey(surveys_dir, data_dir)
    with pytest.raises(AnswerError) as caught:
        validate_answers(survey, {"mood": 9, "value": NA, "recommend": 10, "why": "hidden", "again": "yes", "extra": 1})
    problems = caught.value.problems
    assert any("'extra' is not a question" in p for p in problems)
    assert any("mood = 9 is out of range; allowed: 1 to 5" in p for p in problems)
    assert any("value has no 'not applicable' answer" in p for p in problems)
    assert any("why is not asked here: its condition (recommend <= 6) is false" in p for p in problems)
    assert any("again takes yes or no" in p for p in problems)


def test_text_is_stored_as_given(surveys_dir: Path, data_dir: Path) -> None:
    workspace, run = open_every_type(surveys_dir, data_dir)
    text = "[bold]x[/] \x1b[31mred\x1b[0m"
    workspace.runs.submit_response(run.id, "chen", full_answers(notes=text))
    own = workspace.runs.own_response(run.id, "chen")
    assert own is not None and own["notes"] == text


def test_drop_hidden_forgets_answers_a_later_change_hid(surveys_dir: Path, data_dir: Path) -> None:
    survey = _survey(surveys_dir, data_dir)
    answers = full_answers(recommend=3, why="too long")
    assert drop_hidden(survey, answers)["why"] == "too long"
    answers["recommend"] = 10
    assert "why" not in drop_hidden(survey, answers)


# -- properties: any input is either accepted or refused with AnswerError ---------------------------------

_SURVEY = SurveyDefinition.model_validate(
    tomllib.loads(EVERY_TYPE.format(anonymous="false", min_responses=3, min_text=5, allow_edit="false"))
)
_ANY_VALUE = st.one_of(
    st.none(),
    st.just(NA),
    st.booleans(),
    st.integers(min_value=-3, max_value=12),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.lists(st.sampled_from(["ci", "observability", "iac", "k8s", ""]), max_size=4),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from([q.id for q in _SURVEY.questions] + ["extra"]), _ANY_VALUE))
def test_any_answers_are_accepted_or_refused_with_reasons(answers: dict) -> None:
    try:
        values, na = validate_answers(_SURVEY, answers)
    except AnswerError as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
        return
    assert set(values).isdisjoint(na)
    assert set(values) | set(na) == {q.id for q in _SURVEY.questions}
    assert drop_hidden(_SURVEY, values) == values  # nothing hidden is ever stored as a value


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(_SURVEY.questions), st.text(max_size=20))
def test_any_command_line_value_parses_or_is_refused(question, text: str) -> None:
    try:
        parse_cli_value(question, text)
    except AnswerError as error:
        assert error.problems


def test_answering_an_unknown_run_writes_nothing(workspace) -> None:
    from coptui.core.run import RunError

    with pytest.raises(RunError, match="there is no run 'ghost-run'"):
        workspace.runs.submit_response("ghost-run", "chen", {"mission": 3})
    with pytest.raises(RunError, match="there is no run 'ghost-run'"):
        workspace.runs.save_draft("ghost-run", "chen", {"mission": 3})
    assert not workspace.store.run_exists("ghost-run")
