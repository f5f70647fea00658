"""The rules of answering a survey: which questions are shown, what a valid value is, what is required."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coptui.core.conditions import is_shown
from coptui.core.definitions import (
    Question,
    SurveyDefinition,
)
from coptui.core.run import NA, AnswerError

# The longest text answer, in characters; the survey screen's text field stops there too.
MAX_TEXT_ANSWER = 10_000


def split_answers(answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    values = {k: v for k, v in answers.items() if v is not NA}
    na = sorted(k for k, v in answers.items() if v is NA)
    return values, na


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def check_value(question: Question, value: Any) -> str | None:
    """Why a value is not a valid answer to a question, or None when it is."""
    span = question.value_range
    if span is not None:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{question.id} takes a whole number from {span[0]} to {span[1]}, not {value!r}"
        if not span[0] <= value <= span[1]:
            return f"{question.id} = {value} is out of range; allowed: {span[0]} to {span[1]}"
        return None
    if question.type == "single":
        if value not in (question.options or []):
            return f"{question.id} = {value!r} is not an option; allowed: {', '.join(question.options or [])}"
        return None
    if question.type == "multi":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return f"{question.id} takes a list of options"
        unknown = [v for v in value if v not in (question.options or [])]
        if unknown:
            return f"{question.id}: {', '.join(map(repr, unknown))} not an option; allowed: {', '.join(question.options or [])}"
        if len(set(value)) != len(value):
            return f"{question.id}: an option is chosen twice"
        return None
    if question.type == "yesno":
        return None if isinstance(value, bool) else f"{question.id} takes yes or no, not {value!r}"
    if not isinstance(value, str):
        return f"{question.id} takes text"
    if len(value) > MAX_TEXT_ANSWER:
        return f"{question.id} is too long ({len(value):,} characters; allowed: {MAX_TEXT_ANSWER:,})"
    return None


def shown_questions(survey: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions a member sees, given their answers so far (show_if is evaluated in order)."""
    real = {k: v for k, v in answers.items() if v is not NA and not is_empty(v)}
    shown: list[Question] = []
    for question in survey.questions:
        if is_shown(question.show_if, {k: v for k, v in real.items() if k in {q.id for q in shown}}):
            shown.append(question)
    return shown


def drop_hidden(survey: SurveyDefinition, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers a member still sees: an answer to a question that a later change hid is dropped.

    A screen keeps answers while the member goes back and forth; before submitting, what
    the conditions now hide must go, or validation would (rightly) refuse it.
    """
    shown = {q.id for q in shown_questions(survey, answers)}
    return {k: v for k, v in answers.items() if k in shown}


def required_message(question: Question) -> str:
    """Why a required question cannot be skipped, and the honest way out when there is one."""
    way_out = f' If it does not apply to you, choose "{question.na}".' if question.na else ""
    return f"This question needs an answer: the survey marks it required, so its results count everyone who took part.{way_out}"


def soft_required_message(question: Question) -> str:
    return "You skipped a question the survey asks everyone to answer. Answer it if you can, or go on: you may leave it empty."


def validate_answers(survey: SurveyDefinition, answers: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Check a whole response; returns (values, not-applicable ids) or raises AnswerError.

    Questions hidden by their show_if, and skipped optional questions, are stored as not
    applicable so that they are left out of that question's counts.
    """
    problems: list[str] = []
    known = {q.id for q in survey.questions}
    for question_id in answers:
        if question_id not in known:
            problems.append(
                f"{question_id!r} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}"
            )
    shown = {q.id for q in shown_questions(survey, answers)}
    values: dict[str, Any] = {}
    na: list[str] = []
    for question in survey.questions:
        value = answers.get(question.id)
        if question.id not in shown:
            if not is_empty(value) and value is not NA:
                problems.append(f"{question.id} is not asked here: its condition ({question.show_if}) is false")
            na.append(question.id)
            continue
        if value is NA:
            if question.na is None:
                problems.append(f"{question.id} has no 'not applicable' answer; give a value")
            na.append(question.id)
            continue
        if is_empty(value):
            if question.required is True:
                way_out = f", or {question.id}=na if it does not apply" if question.na else ""
                problems.append(f"{question.id} is required ({question.text}): give {question.id}=VALUE{way_out}")
            na.append(question.id)
            continue
        problem = check_value(question, value)
        if problem:
            problems.append(problem)
        else:
            values[question.id] = value.strip() if isinstance(value, str) and question.type == "text" else value
    if problems:
        raise AnswerError(problems)
    return values, sorted(na)


def validate_draft(
    survey: SurveyDefinition, answers: Mapping[str, Any], position: int = 0
) -> tuple[dict[str, Any], list[str]]:
    """Check unsent answers as an answer is checked (known questions, values in range, text
    within the limit); returns (values, not-applicable ids) or raises AnswerError.

    Only what a whole response needs is left out: a draft may skip required questions and
    keep an answer that a later change hid (the screen keeps it while the member goes back).
    """
    problems: list[str] = []
    by_id = {q.id: q for q in survey.questions}
    for question_id, value in answers.items():
        question = by_id.get(question_id)
        if question is None:
            problems.append(
                f"{question_id!r} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}"
            )
        elif value is NA:
            if question.na is None:
                problems.append(f"{question.id} has no 'not applicable' answer; give a value")
        elif not is_empty(value):
            problem = check_value(question, value)
            if problem:
                problems.append(problem)
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= len(survey.questions):
        problems.append(f"a draft's position is a question's number, 0 to {len(survey.questions)}, not {position!r}")
    if problems:
        raise AnswerError(problems)
    return split_answers(answers)


def parse_cli_value(question: Question, text: str) -> Any:
    """Turn ``q=value`` text from the command line into a typed answer (checked later)."""
    stripped = text.strip()
    if question.na is not None and stripped.lower() in ("na", "n/a", question.na.lower()):
        return NA
    if question.type != "text" and stripped.lower() in ("na", "n/a"):
        raise AnswerError([f"{question.id} has no 'not applicable' answer; give a value or leave it out"])
    if question.value_range is not None:
        try:
            return int(stripped)
        except ValueError:
            raise AnswerError([f"{question.id} takes a whole number, not {text!r}"]) from None
    if question.type == "yesno":
        lowered = stripped.lower()
        if lowered in ("yes", "y", "true", "1"):
            return True
        if lowered in ("no", "n", "false", "0"):
            return False
        raise AnswerError([f"{question.id} takes yes or no, not {text!r}"])
    if question.type == "multi":
        if stripped in (question.options or []):  # one option that itself holds a comma
            return [stripped]
        return [part.strip() for part in stripped.split(",") if part.strip()]
    if question.type == "single":
        return stripped
    return text
