"""Run lifecycle and the rules of answering: open, close, drafts, submit, participation.

A run freezes what it needs of its definition (the questions, the anonymity thresholds)
when it opens, so editing the TOML later cannot change or weaken a run in progress.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from coptui.core.community import Community
from coptui.core.conditions import is_shown
from coptui.core.definitions import (
    AnyDefinition,
    Definition,
    DefinitionSet,
    FeedbackDefinition,
    Question,
    RetroDefinition,
    SurveyDefinition,
)
from coptui.errors import CoptuiError
from coptui.store.store import RUN_META_KEY, RUN_META_TABLE, Snapshot, Store, Tx

RunState = Literal["open", "closed"]
RESPONSES = "responses"
PARTICIPANTS = "participants"
DRAFTS = "drafts"
SUMMARIES = "summaries"


@cache
def _definition_adapter() -> TypeAdapter[AnyDefinition]:
    # Built on first use: most starts never validate a frozen definition.
    return TypeAdapter(Definition)


class RunError(CoptuiError):
    """A rule of runs was broken; the message is for the user."""


class AnswerError(RunError):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def lines(self) -> list[str]:
        return list(self.problems)


class _NotApplicable:
    """The answer "not applicable": stored apart from values, never counted in a mean."""

    _instance: _NotApplicable | None = None

    def __new__(cls) -> _NotApplicable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"


NA = _NotApplicable()


class Run(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    definition_id: str
    kind: Literal["survey", "retro", "feedback"]
    title: str
    state: RunState = "open"
    opened_on: date
    opened_by: str
    closes_on: date | None = None
    closed_on: date | None = None
    anonymous: bool = False
    min_responses: int = 1
    min_text_responses: int = 1
    members: int = Field(ge=0, description="community size when the run opened: the participation denominator")
    definition: dict[str, Any]
    settings: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.state == "open"

    def frozen_definition(self) -> AnyDefinition:
        return _definition_adapter().validate_python(self.definition)

    def survey(self) -> SurveyDefinition:
        definition = self.frozen_definition()
        if not isinstance(definition, SurveyDefinition):
            raise RunError(f"run {self.id} is a {self.kind}, not a survey")
        return definition


def now_utc() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class MemberRunStatus:
    run: Run
    status: Literal["to do", "draft", "answered"]


class Runs:
    """Opening, closing and answering runs, for screens, the CLI and the server alike."""

    def __init__(self, store: Store, definitions: DefinitionSet, community: Community) -> None:
        self.store = store
        self.definitions = definitions
        self.community = community

    # -- listing -------------------------------------------------------------------------

    def list_runs(self, *, kind: str | None = None, state: RunState | None = None) -> list[Run]:
        runs = [Run.model_validate(record) for record in self.store.run_records().values()]
        runs = [r for r in runs if (kind is None or r.kind == kind) and (state is None or r.state == state)]
        return sorted(runs, key=lambda r: (r.opened_on, r.id))

    def get(self, run_id: str) -> Run:
        try:
            snapshot = self.store.read_run(run_id) if self.store.run_exists(run_id) else None
        except ValueError:
            snapshot = None
        record = snapshot.get(RUN_META_TABLE, RUN_META_KEY) if snapshot else None
        if record is None:
            raise RunError(f"there is no run {run_id!r}; `coptui runs` lists them")
        return Run.model_validate(record)

    def response_count(self, run_id: str) -> int:
        return self.store.read_run(run_id).count(PARTICIPANTS)

    def status_for(self, run: Run, handle: str, snapshot: Snapshot | None = None) -> MemberRunStatus:
        snapshot = snapshot or self.store.read_run(run.id)
        if snapshot.get(PARTICIPANTS, handle) is not None:
            return MemberRunStatus(run, "answered")
        if snapshot.get(DRAFTS, handle) is not None:
            return MemberRunStatus(run, "draft")
        return MemberRunStatus(run, "to do")

    def open_surveys_for(self, handle: str) -> list[MemberRunStatus]:
        return [self.status_for(run, handle) for run in self.list_runs(kind="survey", state="open")]

    # -- lifecycle ------------------------------------------------------------------------

    def _require_facilitator(self, handle: str, action: str) -> None:
        if not self.community.is_facilitator(handle):
            raise RunError(f"only a facilitator can {action}; {handle} is not one in community.toml")

    def new_run_id(self, definition_id: str, on: date) -> str:
        base = f"{definition_id}-{on.isoformat()}"
        taken = set(self.store.run_ids_on_disk()) | set(self.store.run_records())
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        return candidate

    def open_run(
        self,
        definition_id: str,
        *,
        by: str,
        closes_on: date | None = None,
        today: date | None = None,
        settings: Mapping[str, Any] | None = None,
    ) -> Run:
        self._require_facilitator(by, "open a run")
        definition = self.definitions.get(definition_id)
        if definition is None:
            known = ", ".join(sorted(self.definitions.definitions)) or "none"
            raise RunError(f"there is no definition {definition_id!r}; known: {known}")
        today = today or date.today()
        if closes_on is not None and closes_on < today:
            raise RunError(f"the closing date {closes_on} is in the past")
        anonymous, min_responses, min_text = _privacy_of(definition)
        members = len(self.community.members)
        if anonymous and members < min_responses:
            raise RunError(
                f"{definition.id} is anonymous with min_responses = {min_responses}, but the community has only "
                f"{members} members, so nobody's answer could stay anonymous; add members to community.toml "
                "or make the survey non-anonymous"
            )
        run = Run(
            id=self.new_run_id(definition.id, today),
            definition_id=definition.id,
            kind=definition.kind,  # type: ignore[arg-type]
            title=definition.title,
            opened_on=today,
            opened_by=by,
            closes_on=closes_on,
            anonymous=anonymous,
            min_responses=min_responses,
            min_text_responses=min_text,
            members=members,
            definition=definition.model_dump(mode="json"),
            settings=dict(settings or {}),
        )
        self.store.write_run_record(run.id, run.model_dump(mode="json"))
        return run

    def close_run(self, run_id: str, *, by: str, today: date | None = None) -> Run:
        self._require_facilitator(by, "close a run")
        with self.store.run_tx(run_id) as tx:
            record = tx.get(RUN_META_TABLE, RUN_META_KEY)
            if record is None:
                raise RunError(f"there is no run {run_id!r}")
            run = Run.model_validate(record)
            if not run.is_open:
                raise RunError(f"run {run_id} is already closed (on {run.closed_on})")
            run = run.model_copy(update={"state": "closed", "closed_on": today or date.today()})
            # Drafts of a closed run can never be submitted; keeping them would keep text for nothing.
            for handle in list(tx.all(DRAFTS)):
                tx.delete(DRAFTS, handle)
            self.store.write_run_record(run_id, run.model_dump(mode="json"), tx=tx)
        if run.kind == "survey":
            self._write_summary(run)
        return run

    # -- summaries of closed runs (what trends read, so they never open every run file) ------

    def summary(self, run: Run, index: Snapshot | None = None) -> dict[str, Any] | None:
        """The gated counts of a closed survey run, from the index (rebuilt if a crash lost it).

        Pass ``index`` (one ``store.read_index()``) when asking for many runs: the index is
        read and parsed once instead of once per run.
        """
        if run.is_open or run.kind != "survey":
            return None
        summary = (index or self.store.read_index()).get(SUMMARIES, run.id)
        return summary if summary is not None else self._write_summary(run)

    def _write_summary(self, run: Run) -> dict[str, Any]:
        from coptui.core.results import run_results, summarize

        summary = summarize(run_results(self.store, run))
        if not self.store.is_refused(self.store.index_path):
            with self.store.index_tx() as tx:
                tx.put(SUMMARIES, run.id, summary)
        return summary

    def _open_run_for_answers(self, run_id: str, tx: Tx) -> Run:
        """The run, read inside the caller's transaction: a run closed a moment ago takes no answer."""
        record = tx.get(RUN_META_TABLE, RUN_META_KEY)
        if record is None:
            raise RunError(f"there is no run {run_id!r}; `coptui runs` lists them")
        run = Run.model_validate(record)
        if not run.is_open:
            raise RunError(f"run {run_id} is closed (since {run.closed_on}); answers are no longer taken")
        if run.closes_on is not None and date.today() > run.closes_on:
            raise RunError(f"run {run_id} closed for answers on {run.closes_on}")
        return run

    def _require_member(self, handle: str) -> None:
        if self.community.member(handle) is None:
            raise RunError(f"{handle!r} is not a member of {self.community.name} (see community.toml)")

    # -- drafts ----------------------------------------------------------------------------

    def save_draft(self, run_id: str, handle: str, answers: Mapping[str, Any], position: int = 0) -> None:
        self._require_member(handle)
        values, na = split_answers(answers)
        with self.store.run_tx(run_id) as tx:
            run = self._open_run_for_answers(run_id, tx)
            if tx.get(PARTICIPANTS, handle) is not None and not _can_edit(run):
                raise RunError(f"you have already answered {run.title}")
            tx.put(DRAFTS, handle, {"answers": values, "na": na, "position": position})

    def load_draft(self, run_id: str, handle: str) -> tuple[dict[str, Any], int] | None:
        draft = self.store.read_run(run_id).get(DRAFTS, handle)
        if draft is None:
            return None
        answers: dict[str, Any] = dict(draft.get("answers", {}))
        for question_id in draft.get("na", []):
            answers[question_id] = NA
        return answers, int(draft.get("position", 0))

    def discard_draft(self, run_id: str, handle: str) -> None:
        with self.store.run_tx(run_id) as tx:
            tx.delete(DRAFTS, handle)

    # -- submitting ------------------------------------------------------------------------

    def submit_response(
        self, run_id: str, handle: str, answers: Mapping[str, Any], *, now: datetime | None = None
    ) -> str:
        """Validate and store one member's response; returns the response id."""
        self._require_member(handle)
        response_id = uuid.uuid4().hex
        with self.store.run_tx(run_id) as tx:
            run = self._open_run_for_answers(run_id, tx)
            values, na = validate_answers(run.survey(), answers)
            previous = tx.get(PARTICIPANTS, handle)
            if previous is not None and not _can_edit(run):
                raise RunError(f"{handle} has already answered {run_id}; a member answers once")
            if run.anonymous:
                # No handle, no time finer than the run's date, a random id: nothing links it back.
                record: dict[str, Any] = {"answers": values, "na": na, "date": run.opened_on.isoformat()}
                tx.insert(PARTICIPANTS, handle, {"answered": True})
            else:
                stamp = (now or now_utc()).isoformat(timespec="seconds")
                if previous is not None:
                    tx.delete(RESPONSES, previous["response"])
                record = {"answers": values, "na": na, "member": handle, "submitted_at": stamp}
                tx.put(PARTICIPANTS, handle, {"answered": True, "response": response_id, "submitted_at": stamp})
            tx.insert(RESPONSES, response_id, record)
            tx.delete(DRAFTS, handle)
        return response_id

    def own_response(self, run_id: str, handle: str) -> dict[str, Any] | None:
        """A member's own stored answers (named runs only: anonymous ones cannot be traced)."""
        snapshot = self.store.read_run(run_id)
        participant = snapshot.get(PARTICIPANTS, handle)
        if not participant or "response" not in participant:
            return None
        record = snapshot.get(RESPONSES, participant["response"])
        if record is None:
            return None
        answers = dict(record["answers"])
        answers.update({q: NA for q in record.get("na", [])})
        return answers


def _can_edit(run: Run) -> bool:
    return not run.anonymous and bool(run.definition.get("allow_edit"))


def _privacy_of(definition: AnyDefinition) -> tuple[bool, int, int]:
    if isinstance(definition, SurveyDefinition):
        assert definition.min_text_responses is not None
        return definition.anonymous, definition.min_responses, definition.min_text_responses
    if isinstance(definition, FeedbackDefinition):
        return definition.anonymous, definition.min_responses, definition.min_responses
    assert isinstance(definition, RetroDefinition)
    return definition.anonymous_cards, 1, 1


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
    if len(value) > 10_000:
        return f"{question.id} is too long ({len(value)} characters; allowed: 10,000)"
    return None


def shown_questions(survey: SurveyDefinition, answers: Mapping[str, Any]) -> list[Question]:
    """The questions a member sees, given their answers so far (show_if is evaluated in order)."""
    real = {k: v for k, v in answers.items() if v is not NA and not is_empty(v)}
    shown = []
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
