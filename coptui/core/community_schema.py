"""The validation of ``community.toml``: pydantic models, and the plain community they give.

Only validation lives here. The rest of coptui works with the plain dataclasses of
community.py, which a start with a warm cache (community_cache.py) builds without importing
pydantic at all: pydantic's import alone cost about 60 ms of every start.

The models carry the names of the dataclasses (Member, Objective, Community) because
pydantic names the model in some messages ("... a valid dictionary or instance of Member").
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coptui.core import community as plain
from coptui.core.community import METRIC_QUESTION_TYPES, Direction, Metric, Role, Stage
from coptui.core.definitions import DefinitionSet, Identifier, SurveyDefinition
from coptui.core.problems import Problem, problems_from_validation


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Member(_Model):
    handle: Identifier
    name: str = Field(min_length=1)
    role: Role = "member"
    title: str = ""
    keys: list[str] = Field(default_factory=list)


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
        needs_question = self.metric in METRIC_QUESTION_TYPES
        needs_survey = needs_question or self.metric == "participation"
        if needs_survey and not self.survey:
            raise ValueError(f'a {self.metric} objective needs survey = "<definition id>"')
        if needs_question and not self.question:
            raise ValueError(f'a {self.metric} objective needs question = "<question id>"')
        if not needs_question and self.question:
            raise ValueError(f"question is not allowed on a {self.metric} objective")
        if (
            self.metric in ("participation", "favourable", "action_completion", "feedback_completion")
            and not 0 <= self.target <= 1
        ):
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
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, [Problem(str(path), "", "is not UTF-8 text")]
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(str(path), "", f"TOML syntax error: {error}")]
    try:
        return Community.model_validate(data).to_plain(), []
    except ValidationError as error:
        return None, problems_from_validation(path, error)


def load_community(path: Path) -> tuple[plain.Community | None, list[Problem]]:
    """Read and validate a community file: the community, or None and every problem found."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        return None, [Problem(str(path), "", f"cannot be read: {error.strerror or error}")]
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
                    f"{objective.survey!r} is not a known survey; allowed: {', '.join(sorted(surveys)) or 'none'}",
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
                    f"{objective.question!r} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}",
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
