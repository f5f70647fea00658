"""The validation of ``community.toml``: pydantic models, and the plain community they give.

Only validation lives here. The rest of coptui works with the plain dataclasses of
community.py, which a start with a warm cache (community_cache.py) builds without importing
pydantic at all: pydantic's import alone cost about 60 ms of every start.

The models carry the names of the dataclasses (Member, Objective, Community) because
pydantic names the model in some messages ("... a valid dictionary or instance of Member").
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from coptui.core import community as plain
from coptui.core.community import METRIC_QUESTION_TYPES, Direction, Metric, Role, Stage
from coptui.core.definitions import (
    FILE_RULES,
    DefinitionSet,
    Identifier,
    Number,
    SurveyDefinition,
    Title,
    Whole,
)
from coptui.core.problems import Problem, problems_from_validation, rule, shorten
from coptui.core.toml_files import TomlFileError, parse_toml, read_file_bytes


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    handle: Identifier
    name: Title
    role: Role = "member"
    title: str = ""
    keys: list[str] = Field(default_factory=list)


_RATES = ("participation", "favourable", "action_completion", "feedback_completion")


class Objective(_Model):
    # As in the definitions, each rule validates the field it is about (every problem in one pass).
    id: Identifier
    title: Title
    metric: Metric
    survey: str | None = Field(default=None, validate_default=True)
    question: str | None = Field(default=None, validate_default=True)
    target: Number
    direction: Direction = "at_least"
    window: Whole = Field(default=3, ge=1, le=24)
    baseline: Number | None = None

    @field_validator("survey")
    @classmethod
    def _check_survey(cls, survey: str | None, info: ValidationInfo) -> str | None:
        metric = info.data.get("metric")
        if metric is not None and (metric in METRIC_QUESTION_TYPES or metric == "participation") and not survey:
            raise rule(f'a {metric} objective needs survey = "<definition id>"')
        return survey

    @field_validator("question")
    @classmethod
    def _check_question(cls, question: str | None, info: ValidationInfo) -> str | None:
        metric = info.data.get("metric")
        if metric is None:
            return question
        if metric in METRIC_QUESTION_TYPES and not question:
            raise rule(f'a {metric} objective needs question = "<question id>"')
        if metric not in METRIC_QUESTION_TYPES and question:
            raise rule(f"question is not allowed on a {metric} objective")
        return question

    @field_validator("target")
    @classmethod
    def _check_target(cls, target: float, info: ValidationInfo) -> float:
        metric = info.data.get("metric")
        if metric in _RATES and not 0 <= target <= 1:
            raise rule(f"target {target} is out of range for a rate; allowed: 0 to 1 (0.6 means 60%)")
        if metric == "nps" and not -100 <= target <= 100:
            raise rule(f"target {target} is out of range for NPS; allowed: -100 to 100")
        if metric == "roti" and not 1 <= target <= 5:
            raise rule(f"target {target} is out of range for ROTI; allowed: 1 to 5")
        return target


def _unique(items: list[Member] | list[Objective], what: str, key: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = getattr(item, key)
        if value in seen:
            raise rule(f"{shorten(value)} is a duplicate; every {key} must be unique", index, key)
        seen.add(value)


class Community(_Model):
    name: Title
    domain: Title
    stage: Stage = "building"
    description: str = ""
    authorized_keys: str | None = None
    members: list[Member] = Field(min_length=1)
    objectives: list[Objective] = Field(default_factory=list)

    @field_validator("members")
    @classmethod
    def _check_members(cls, members: list[Member]) -> list[Member]:
        _unique(members, "members", "handle")
        if not any(m.role == "facilitator" for m in members):
            raise rule('no member has role = "facilitator"; at least one is needed to open runs and lead retros')
        return members

    @field_validator("objectives")
    @classmethod
    def _check_objectives(cls, objectives: list[Objective]) -> list[Objective]:
        _unique(objectives, "objectives", "id")
        return objectives

    def to_plain(self) -> plain.Community:
        return plain.Community(
            name=self.name,
            domain=self.domain,
            stage=self.stage,
            description=self.description,
            authorized_keys=self.authorized_keys,
            members=[
                plain.Member(handle=m.handle, name=m.name, role=m.role, title=m.title, keys=list(m.keys))
                for m in self.members
            ],
            objectives=[
                plain.Objective(
                    id=o.id,
                    title=o.title,
                    metric=o.metric,
                    survey=o.survey,
                    question=o.question,
                    target=o.target,
                    direction=o.direction,
                    window=o.window,
                    baseline=o.baseline,
                )
                for o in self.objectives
            ],
        )


def parse_community(path: Path | str, raw: bytes) -> tuple[plain.Community | None, list[Problem]]:
    """Validate the bytes of a community file; every problem is one :class:`Problem`.

    Works on bytes already read, so that the community cache stores what was validated
    from exactly the bytes it hashed. The messages are those of ``definitions.read_toml``."""
    try:
        data = parse_toml(raw)
    except TomlFileError as error:
        return None, [Problem(str(path), "", str(error))]
    try:
        return Community.model_validate(data, context=FILE_RULES).to_plain(), []
    except ValidationError as error:
        return None, problems_from_validation(path, error, data)


def load_community(path: Path) -> tuple[plain.Community | None, list[Problem]]:
    """Read and validate a community file: the community, or None and every problem found."""
    try:
        raw = read_file_bytes(path)
    except TomlFileError as error:
        return None, [Problem(str(path), "", str(error))]
    return parse_community(path, raw)


def check_objectives(path: Path | str, community: plain.Community, definitions: DefinitionSet) -> list[Problem]:
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
                Problem(
                    str(path),
                    f"{where}.survey",
                    f"{shorten(objective.survey)} is not a known survey; allowed: {', '.join(sorted(surveys)) or 'none'}",
                )
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
                    f"{shorten(objective.question)} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}",
                )
            )
            continue
        allowed = METRIC_QUESTION_TYPES[objective.metric]
        if question.type not in allowed:
            problems.append(
                Problem(
                    str(path),
                    f"{where}.question",
                    f"{objective.metric} cannot be measured on a {question.type} question; allowed types: {', '.join(sorted(allowed))}",
                )
            )
    return problems
