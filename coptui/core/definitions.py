"""Survey, retro and feedback definitions: pydantic models and TOML loading with clear errors.

A definition is a TOML file under ``surveys/``. Loading never raises on bad user input:
every problem becomes a :class:`~coptui.core.problems.Problem` (file, field path, message) and
the valid files of the folder still load.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from coptui.core.conditions import check_show_if
from coptui.core.problems import Problem, problems_from_validation

COMMUNITY_FILE = "community.toml"

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
QuestionType = Literal["likert", "rating", "nps", "single", "multi", "text", "yesno"]
QUESTION_TYPES: tuple[str, ...] = ("likert", "rating", "nps", "single", "multi", "text", "yesno")
KINDS: tuple[str, ...] = ("survey", "retro", "feedback")
RetroPhase = Literal["review", "write", "reveal", "group", "vote", "discuss", "actions", "close"]
RETRO_PHASES: tuple[RetroPhase, ...] = ("review", "write", "reveal", "group", "vote", "discuss", "actions", "close")

SCALE_RANGES: dict[str, tuple[int, int]] = {"likert": (3, 7), "rating": (2, 10)}
DEFAULT_LIKERT_LABELS: dict[int, list[str]] = {
    3: ["Disagree", "Neutral", "Agree"],
    4: ["Strongly disagree", "Disagree", "Agree", "Strongly agree"],
    5: ["Strongly disagree", "Disagree", "Neutral", "Agree", "Strongly agree"],
    6: ["Strongly disagree", "Disagree", "Somewhat disagree", "Somewhat agree", "Agree", "Strongly agree"],
    7: [
        "Strongly disagree",
        "Disagree",
        "Somewhat disagree",
        "Neutral",
        "Somewhat agree",
        "Agree",
        "Strongly agree",
    ],
}
ANONYMOUS_MIN_RESPONSES = 3


class _Model(BaseModel):
    # Schemas are built on first use, not at import: the home screen needs no definition,
    # and building them all costs tens of milliseconds of every start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Question(_Model):
    id: Identifier
    type: QuestionType
    text: str = Field(min_length=1)
    help: str = ""
    scale: int | None = None
    labels: list[str] | None = None
    options: list[str] | None = None
    na: str | None = None
    required: bool | Literal["soft"] = False
    show_if: str | None = None

    @model_validator(mode="after")
    def _check_shape(self) -> Question:
        if self.type in SCALE_RANGES:
            low, high = SCALE_RANGES[self.type]
            scale = self.scale if self.scale is not None else 5
            if not low <= scale <= high:
                raise ValueError(f"scale {scale} is out of range for a {self.type} question; allowed: {low} to {high}")
            object.__setattr__(self, "scale", scale)
            if self.labels is not None and len(self.labels) not in (2, scale):
                raise ValueError(f"labels must have 2 entries (low, high) or {scale} (one per point)")
        elif self.scale is not None:
            fixed = " (nps is always 0 to 10)" if self.type == "nps" else ""
            raise ValueError(f"scale is not allowed on a {self.type} question{fixed}")
        if self.type in ("single", "multi"):
            if not self.options or len(self.options) < 2:
                raise ValueError(f"a {self.type} question needs options = [...] with at least 2 entries")
            if len(set(self.options)) != len(self.options):
                raise ValueError("options must be unique")
        elif self.options is not None:
            raise ValueError(f"options are only allowed on single and multi questions, not on {self.type}")
        if self.type == "text" and self.na is not None:
            raise ValueError("na is not allowed on a text question; leave it optional instead")
        return self

    @property
    def value_range(self) -> tuple[int, int] | None:
        """The allowed integer answers of a scale question, else None."""
        if self.type == "nps":
            return (0, 10)
        if self.type in SCALE_RANGES:
            assert self.scale is not None
            return (1, self.scale)
        return None

    @property
    def point_labels(self) -> list[str]:
        """One label per scale point (numbers where the definition names only the ends)."""
        span = self.value_range
        if span is None:
            return []
        points = list(range(span[0], span[1] + 1))
        if self.labels and len(self.labels) == len(points):
            return list(self.labels)
        if self.type == "likert" and not self.labels:
            return DEFAULT_LIKERT_LABELS[len(points)]
        names = [str(p) for p in points]
        if self.labels:
            names[0] = f"{points[0]} {self.labels[0]}"
            names[-1] = f"{points[-1]} {self.labels[1]}"
        return names


def _unique_ids(items: Iterable[Any], what: str) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise ValueError(f"{what}[{index}].id {item.id!r} is a duplicate; every {what[:-1]} id must be unique")
        seen.add(item.id)


class SurveyDefinition(_Model):
    id: Identifier
    kind: Literal["survey"]
    title: str = Field(min_length=1)
    description: str = ""
    anonymous: bool = False
    min_responses: int = Field(default=5, ge=1, le=1000)
    min_text_responses: int | None = Field(default=None, ge=1, le=1000)
    allow_edit: bool = False
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_rules(self) -> SurveyDefinition:
        _unique_ids(self.questions, "questions")
        if self.anonymous and self.min_responses < ANONYMOUS_MIN_RESPONSES:
            raise ValueError(
                f"min_responses {self.min_responses} is too low for an anonymous survey; "
                f"allowed: {ANONYMOUS_MIN_RESPONSES} or more"
            )
        text_floor = self.min_text_responses if self.min_text_responses is not None else max(5, self.min_responses)
        if text_floor < self.min_responses:
            raise ValueError(
                f"min_text_responses {text_floor} is below min_responses {self.min_responses}; "
                "allowed: min_responses or more"
            )
        object.__setattr__(self, "min_text_responses", text_floor)
        if self.anonymous and self.allow_edit:
            raise ValueError(
                "allow_edit is not allowed on an anonymous survey (an answer cannot be traced back to edit)"
            )
        return self

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


class RetroColumn(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    prompt: str = ""


class RetroDefinition(_Model):
    id: Identifier
    kind: Literal["retro"]
    title: str = Field(min_length=1)
    description: str = ""
    anonymous_cards: bool = False
    votes_per_person: int = Field(default=3, ge=1, le=20)
    phases: list[RetroPhase] = Field(default_factory=lambda: list(RETRO_PHASES))
    write_minutes: int = Field(default=7, ge=1, le=120)
    discuss_minutes: int = Field(default=5, ge=1, le=120)
    columns: list[RetroColumn] = Field(min_length=1, max_length=8)

    @model_validator(mode="after")
    def _check_rules(self) -> RetroDefinition:
        _unique_ids(self.columns, "columns")
        if len(set(self.phases)) != len(self.phases):
            raise ValueError("phases must not repeat")
        if "write" not in self.phases or "close" not in self.phases:
            raise ValueError("phases must include write and close")
        order = [RETRO_PHASES.index(p) for p in self.phases]
        if order != sorted(order):
            raise ValueError(f"phases must keep this order: {', '.join(RETRO_PHASES)}")
        return self


class FeedbackField(_Model):
    id: Identifier
    title: str = Field(min_length=1)
    prompt: str = ""
    required: bool = True


FEEDBACK_MODELS: dict[str, list[dict[str, Any]]] = {
    "sbi": [
        {"id": "situation", "title": "Situation", "prompt": "When and where did it happen?"},
        {"id": "behaviour", "title": "Behaviour", "prompt": "What did they do, exactly as you saw it?"},
        {"id": "impact", "title": "Impact", "prompt": "What effect did it have on you or the group?"},
    ],
    "kudos": [{"id": "message", "title": "Kudos", "prompt": "What do you want to thank them for?"}],
    "keep-start-stop": [
        {"id": "keep", "title": "Keep", "prompt": "What should they keep doing?", "required": False},
        {"id": "start", "title": "Start", "prompt": "What could they start doing?", "required": False},
        {"id": "stop", "title": "Stop", "prompt": "What could they stop doing?", "required": False},
    ],
}


class FeedbackDefinition(_Model):
    id: Identifier
    kind: Literal["feedback"]
    title: str = Field(min_length=1)
    description: str = ""
    model: Literal["sbi", "kudos", "keep-start-stop"] = "sbi"
    anonymous: bool = False
    min_responses: int = Field(default=3, ge=1, le=100)
    fields: list[FeedbackField] | None = None

    @model_validator(mode="after")
    def _check_rules(self) -> FeedbackDefinition:
        if self.fields is None:
            object.__setattr__(self, "fields", [FeedbackField(**spec) for spec in FEEDBACK_MODELS[self.model]])
        else:
            _unique_ids(self.fields, "fields")
        if self.anonymous and self.min_responses < 2:
            raise ValueError("min_responses must be 2 or more in an anonymous feedback form")
        return self


Definition = Annotated[SurveyDefinition | RetroDefinition | FeedbackDefinition, Field(discriminator="kind")]
_MODELS: dict[str, type[_Model]] = {
    "survey": SurveyDefinition,
    "retro": RetroDefinition,
    "feedback": FeedbackDefinition,
}


def read_toml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read a TOML file; a syntax error becomes one Problem naming the line."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), []
    except tomllib.TOMLDecodeError as error:
        return None, [Problem(str(path), "", f"TOML syntax error: {error}")]
    except UnicodeDecodeError:
        return None, [Problem(str(path), "", "is not UTF-8 text")]
    except OSError as error:
        return None, [Problem(str(path), "", f"cannot be read: {error.strerror or error}")]


def parse_definition(
    path: Path | str, data: dict[str, Any]
) -> tuple[SurveyDefinition | RetroDefinition | FeedbackDefinition | None, list[Problem]]:
    kind = data.get("kind")
    if kind is None:
        return None, [Problem(str(path), "kind", f"is required but missing; allowed: {', '.join(KINDS)}")]
    if not isinstance(kind, str) or kind not in _MODELS:
        return None, [Problem(str(path), "kind", f"{kind!r} is not allowed; allowed: {', '.join(KINDS)}")]
    problems = _unknown_question_types(path, data)
    if problems:
        return None, problems
    try:
        definition = _MODELS[kind].model_validate(data)
    except ValidationError as error:
        return None, problems_from_validation(path, error)
    assert isinstance(definition, (SurveyDefinition, RetroDefinition, FeedbackDefinition))
    problems = _check_conditions(path, definition)
    return (None, problems) if problems else (definition, [])


def _unknown_question_types(path: Path | str, data: dict[str, Any]) -> list[Problem]:
    questions = data.get("questions")
    if data.get("kind") != "survey" or not isinstance(questions, list):
        return []
    problems = []
    for index, question in enumerate(questions):
        kind = question.get("type") if isinstance(question, dict) else None
        if isinstance(kind, str) and kind not in QUESTION_TYPES:
            problems.append(
                Problem(
                    str(path),
                    f"questions[{index}].type",
                    f"{kind!r} is not a question type; allowed: {', '.join(QUESTION_TYPES)}",
                )
            )
    return problems


def _check_conditions(path: Path | str, definition: _Model) -> list[Problem]:
    """Check every show_if against the questions before it (see coptui.core.conditions)."""
    if not isinstance(definition, SurveyDefinition):
        return []
    problems = []
    for index, question in enumerate(definition.questions):
        if question.show_if is None:
            continue
        later = [q.id for q in definition.questions[index:]]
        for message in check_show_if(question.show_if, definition.questions[:index], later):
            problems.append(Problem(str(path), f"questions[{index}].show_if", message))
    return problems


def load_definition_file(
    path: Path,
) -> tuple[SurveyDefinition | RetroDefinition | FeedbackDefinition | None, list[Problem]]:
    data, problems = read_toml(path)
    if data is None:
        return None, problems
    return parse_definition(path, data)


AnyDefinition = SurveyDefinition | RetroDefinition | FeedbackDefinition


@dataclass
class DefinitionSet:
    """The definitions of a folder that loaded, and the problems of those that did not."""

    directory: Path | None = None
    definitions: dict[str, AnyDefinition] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def get(self, definition_id: str) -> AnyDefinition | None:
        return self.definitions.get(definition_id)

    def of_kind(self, kind: str) -> list[AnyDefinition]:
        return [d for d in self.definitions.values() if d.kind == kind]

    def add(self, path: Path, definition: AnyDefinition) -> None:
        if definition.id in self.definitions:
            first = self.sources[definition.id]
            self.problems.append(
                Problem(str(path), "id", f"{definition.id!r} is a duplicate; {first.name} already uses it")
            )
            return
        self.definitions[definition.id] = definition
        self.sources[definition.id] = path


def definition_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.toml") if p.name != COMMUNITY_FILE)


def load_definitions(directory: Path, files: Iterable[Path] | None = None) -> DefinitionSet:
    result = DefinitionSet(directory=directory)
    for path in files if files is not None else definition_files(directory):
        definition, problems = load_definition_file(path)
        result.problems.extend(problems)
        if definition is not None:
            result.add(path, definition)
    return result


def default_surveys_dir() -> Path:
    """The definitions shipped with coptui: inside the wheel, or the repository's surveys/."""
    packaged = Path(str(resources.files("coptui"))) / "surveys"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "surveys"
