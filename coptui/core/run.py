"""One run: the record that freezes what it needs of its definition when it opens, its tables, and its errors.

A run freezes the questions and the anonymity thresholds when it opens, so editing the TOML later
cannot change or weaken a run in progress. :func:`load_run` is the one place that says a run is
not there or is not of the kind asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from coptui.core.definitions import (
    AnyDefinition,
    Definition,
    SurveyDefinition,
)
from coptui.errors import CoptuiError
from coptui.store import tables
from coptui.store.store import Snapshot, Tx
from coptui.store.tables import RUN_META_KEY, RUN_META_TABLE

RunState = Literal["open", "closed"]
# The tables a run's file holds: their names and record shapes are the store's (store/tables.py).
RESPONSES = tables.RESPONSES
PARTICIPANTS = tables.PARTICIPANTS
DRAFTS = tables.DRAFTS
SUMMARIES = tables.SUMMARIES


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

    def takes_answers(self, today: date) -> bool:
        """Whether the run still takes answers on ``today``: open, and its closing date (if any) not passed."""
        return self.is_open and (self.closes_on is None or today <= self.closes_on)

    def frozen_definition(self) -> AnyDefinition:
        try:
            return _definition_adapter().validate_python(self.definition)
        except ValidationError as error:
            # Only an edit by hand gets here: coptui froze a valid definition when the run opened.
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "definition"
            raise RunError(
                f"run {self.id}: the definition frozen in its file is damaged ({where}: {first['msg']}); "
                "restore the run's file from a backup"
            ) from None

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


# What each kind is called in a message ("run x is a retro, not a feedback round").
KIND_NAMES: dict[str, str] = {"survey": "survey", "retro": "retro", "feedback": "feedback round"}


def load_run(tables: Snapshot | Tx, run_id: str, *, kind: str | None = None, error: type[RunError] = RunError) -> Run:
    """The run recorded in one run's file (a snapshot or a transaction on it).

    The one place that says a run is not there, or is not of the ``kind`` asked for; each
    domain passes its own error class so its callers catch what they expect.
    """
    record = tables.get(RUN_META_TABLE, RUN_META_KEY)
    if record is None:
        raise error(f"there is no run {run_id!r}; `coptui runs` lists them")
    run = Run.model_validate(record)
    if kind is not None and run.kind != kind:
        raise error(f"run {run_id} is a {KIND_NAMES[run.kind]}, not a {KIND_NAMES[kind]}")
    return run
