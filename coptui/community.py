"""The community: members, roles and objectives, loaded from ``community.toml``."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coptui.definitions import COMMUNITY_FILE, DefinitionSet, Identifier, SurveyDefinition, read_toml
from coptui.problems import Problem, problems_from_validation

Stage = Literal["initiation", "building", "maturing", "sustaining"]
Role = Literal["facilitator", "member"]
Metric = Literal["mean", "favourable", "nps", "participation", "action_completion", "roti", "feedback_completion"]
Direction = Literal["at_least", "at_most"]
METRIC_NAMES: dict[str, str] = {
    "mean": "mean score",
    "favourable": "favourable share",
    "nps": "NPS",
    "participation": "participation rate",
    "action_completion": "action completion",
    "roti": "ROTI",
    "feedback_completion": "feedback completion",
}
# Which question types each question-based metric can read.
_METRIC_QUESTION_TYPES: dict[str, frozenset[str]] = {
    "mean": frozenset({"likert", "rating", "nps"}),
    "favourable": frozenset({"likert", "rating"}),
    "nps": frozenset({"nps"}),
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    handle: Identifier
    name: str = Field(min_length=1)
    role: Role = "member"
    title: str = ""
    keys: list[str] = Field(default_factory=list)

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


class Objective(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    metric: Metric
    survey: str | None = None
    question: str | None = None
    target: float
    direction: Direction = "at_least"
    window: int = Field(default=3, ge=1, le=24)
    baseline: float | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> Objective:
        needs_question = self.metric in _METRIC_QUESTION_TYPES
        needs_survey = needs_question or self.metric == "participation"
        if needs_survey and not self.survey:
            raise ValueError(f"a {self.metric} objective needs survey = \"<definition id>\"")
        if needs_question and not self.question:
            raise ValueError(f"a {self.metric} objective needs question = \"<question id>\"")
        if not needs_question and self.question:
            raise ValueError(f"question is not allowed on a {self.metric} objective")
        if self.metric in ("participation", "favourable", "action_completion", "feedback_completion") and not 0 <= self.target <= 1:
            raise ValueError(f"target {self.target} is out of range for a rate; allowed: 0 to 1 (0.6 means 60%)")
        if self.metric == "nps" and not -100 <= self.target <= 100:
            raise ValueError(f"target {self.target} is out of range for NPS; allowed: -100 to 100")
        if self.metric == "roti" and not 1 <= self.target <= 5:
            raise ValueError(f"target {self.target} is out of range for ROTI; allowed: 1 to 5")
        return self


class Community(_Model):
    name: str = Field(min_length=1)
    domain: str = Field(min_length=1)
    stage: Stage = "building"
    description: str = ""
    authorized_keys: str | None = None
    members: list[Member] = Field(min_length=1)
    objectives: list[Objective] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_unique(self) -> Community:
        for what, items, key in (("members", self.members, "handle"), ("objectives", self.objectives, "id")):
            seen: set[str] = set()
            for index, item in enumerate(items):
                value = getattr(item, key)
                if value in seen:
                    raise ValueError(f"{what}[{index}].{key} {value!r} is a duplicate; every {key} must be unique")
                seen.add(value)
        return self

    def member(self, handle: str) -> Member | None:
        return next((m for m in self.members if m.handle == handle), None)

    def is_facilitator(self, handle: str) -> bool:
        """Whether ``handle`` names a member with the facilitator role (unknown handles are not)."""
        member = self.member(handle)
        return member is not None and member.is_facilitator

    @property
    def facilitators(self) -> list[Member]:
        return [m for m in self.members if m.is_facilitator]


def load_community(path: Path) -> tuple[Community | None, list[Problem]]:
    data, problems = read_toml(path)
    if data is None:
        return None, problems
    try:
        return Community.model_validate(data), []
    except ValidationError as error:
        return None, problems_from_validation(path, error)


def check_objectives(path: Path | str, community: Community, definitions: DefinitionSet) -> list[Problem]:
    """Objectives that point at a survey or question that does not exist, or that cannot be measured."""
    problems: list[Problem] = []
    surveys = {d.id: d for d in definitions.of_kind("survey")}
    for index, objective in enumerate(community.objectives):
        where = f"objectives[{index}]"
        if objective.survey is None:
            continue
        survey = surveys.get(objective.survey)
        if survey is None:
            problems.append(
                Problem(str(path), f"{where}.survey", f"{objective.survey!r} is not a known survey; allowed: {', '.join(sorted(surveys)) or 'none'}")
            )
            continue
        assert isinstance(survey, SurveyDefinition)
        if objective.question is None:
            continue
        question = survey.question(objective.question)
        if question is None:
            problems.append(
                Problem(
                    str(path),
                    f"{where}.question",
                    f"{objective.question!r} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}",
                )
            )
            continue
        allowed = _METRIC_QUESTION_TYPES[objective.metric]
        if question.type not in allowed:
            problems.append(
                Problem(
                    str(path),
                    f"{where}.question",
                    f"{objective.metric} cannot be measured on a {question.type} question; allowed types: {', '.join(sorted(allowed))}",
                )
            )
    return problems


def community_path(surveys_dir: Path) -> Path:
    return surveys_dir / COMMUNITY_FILE


def login_name() -> str:
    """The member a local run acts as when --as is not given: the login name."""
    for variable in ("COPTUI_AS", "USER", "LOGNAME"):
        value = os.environ.get(variable)
        if value:
            return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""
