"""Survey, retro and feedback definitions: pydantic models and TOML loading with clear errors.

A definition is a TOML file under ``surveys/``. Loading never raises on bad user input:
every problem becomes a :class:`~coptui.core.problems.Problem` (file, field path, message) and
the valid files of the folder still load.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from coptui.core.conditions import check_show_if
from coptui.core.problems import Problem, problems_from_validation, rule, shorten
from coptui.core.toml_files import TomlFileError, load_toml_file

COMMUNITY_FILE = "community.toml"
EDITOR_LOCK_PREFIX = ".#"

# Rules added after runs were first stored: they apply to the files a user writes (the
# validation context FILE_RULES), not to the definitions frozen into runs opened before
# them, which must still load as they were (a likert's labels left on an nps question, say).
FILE_RULES: dict[str, bool] = {"coptui_file": True}
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ID_RULE = "1 to 64 lower-case letters, digits, '-' or '_', starting with a letter or a digit"


def from_file(info: ValidationInfo) -> bool:
    """Whether this validation is of a user's file (the newer rules apply) or of a stored run."""
    return bool(info.context and info.context.get("coptui_file"))


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise rule(f"{shorten(value)} is not a valid id; an id is {ID_RULE}")
    return value


def _check_text(value: str, info: ValidationInfo) -> str:
    if from_file(info) and not value.strip():
        raise rule("is blank; write the text shown to members")
    return value


def _no_bool(what: str) -> BeforeValidator:
    def refuse(value: Any) -> Any:
        # pydantic takes true for 1 in a number field; in TOML a bool there is always a slip.
        if isinstance(value, bool):
            raise rule(f"takes {what}, not {'true' if value else 'false'}")
        return value

    return BeforeValidator(refuse)


Identifier = Annotated[str, AfterValidator(_check_id)]
# Text a member reads as a heading (a title, a question): not empty, and in a file not blank.
Title = Annotated[str, Field(min_length=1), AfterValidator(_check_text)]
Whole = Annotated[int, _no_bool("a whole number")]
# nan and inf are TOML floats, and no target or baseline (nan compares false with everything).
Number = Annotated[float, _no_bool("a number"), Field(allow_inf_nan=False)]
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
# A condition is a line or two; a longer one is no condition a person wrote, and each screen
# of the survey parses it again.
MAX_CONDITION_LENGTH = 2_000


class _Model(BaseModel):
    # Schemas are built on first use, not at import: the home screen needs no definition,
    # and building them all costs tens of milliseconds of every start.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _question_type(value: Any) -> Any:
    if isinstance(value, str) and value not in QUESTION_TYPES:
        raise rule(f"{shorten(value)} is not a question type; allowed: {', '.join(QUESTION_TYPES)}")
    return value


def _required(value: Any) -> Any:
    if isinstance(value, bool) or value == "soft":
        return value
    raise rule(f'takes true, false or "soft", not {shorten(value)}')


class Question(_Model):
    # Each rule is a validator of the field it is about, so that pydantic reports every
    # broken rule of a file in one pass; ``info.data`` holds the fields before it that are
    # valid, and a rule whose inputs are broken is skipped (their own problem is reported).
    id: Identifier
    type: Annotated[QuestionType, BeforeValidator(_question_type)]
    text: Title
    help: str = ""
    scale: Whole | None = Field(default=None, validate_default=True)
    labels: list[str] | None = None
    options: list[str] | None = Field(default=None, validate_default=True)
    na: str | None = None
    required: Annotated[bool | Literal["soft"], BeforeValidator(_required)] = False
    show_if: str | None = None

    @field_validator("scale")
    @classmethod
    def _check_scale(cls, scale: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("type")
        if kind in SCALE_RANGES:
            low, high = SCALE_RANGES[kind]
            scale = scale if scale is not None else 5
            if not low <= scale <= high:
                raise rule(f"scale {scale} is out of range for a {kind} question; allowed: {low} to {high}")
        elif scale is not None and kind is not None:
            fixed = " (nps is always 0 to 10)" if kind == "nps" else ""
            raise rule(f"scale is not allowed on a {kind} question{fixed}")
        return scale

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, labels: list[str] | None, info: ValidationInfo) -> list[str] | None:
        kind = info.data.get("type")
        if labels is None or kind is None:
            return labels
        if kind in SCALE_RANGES:
            scale = info.data.get("scale")
            if scale is not None and len(labels) not in (2, scale):
                raise rule(f"labels must have 2 entries (low, high) or {scale} (one per point)")
        elif from_file(info):
            raise rule(f"labels are only used on likert and rating questions, not on {kind}; remove them")
        return labels

    @field_validator("options")
    @classmethod
    def _check_options(cls, options: list[str] | None, info: ValidationInfo) -> list[str] | None:
        kind = info.data.get("type")
        if kind in ("single", "multi"):
            if not options or len(options) < 2:
                raise rule(f"a {kind} question needs options = [...] with at least 2 entries")
            if len(set(options)) != len(options):
                raise rule("options must be unique")
        elif options is not None and kind is not None:
            raise rule(f"options are only allowed on single and multi questions, not on {kind}")
        return options

    @field_validator("na")
    @classmethod
    def _check_na(cls, na: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("type") == "text" and na is not None:
            raise rule("na is not allowed on a text question; leave it optional instead")
        return na

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
    """Raise the first repeated id of a list of validated items (``what``: "questions")."""
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.id in seen:
            raise rule(_duplicate_message(item.id, what), index, "id")
        seen.add(item.id)


def _duplicate_message(value: str, what: str) -> str:
    return f"{shorten(value)} is a duplicate; every {what[:-1]} id must be unique"


class SurveyDefinition(_Model):
    id: Identifier
    kind: Literal["survey"]
    title: Title
    description: str = ""
    anonymous: bool = False
    min_responses: Whole = Field(default=5, ge=1, le=1000)
    min_text_responses: Whole | None = Field(default=None, ge=1, le=1000, validate_default=True)
    allow_edit: bool = False
    questions: list[Question] = Field(min_length=1)

    @field_validator("min_responses")
    @classmethod
    def _check_floor(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("anonymous") and value < ANONYMOUS_MIN_RESPONSES:
            raise rule(
                f"min_responses {value} is too low for an anonymous survey; allowed: {ANONYMOUS_MIN_RESPONSES} or more"
            )
        return value

    @field_validator("min_text_responses")
    @classmethod
    def _check_text_floor(cls, value: int | None, info: ValidationInfo) -> int | None:
        floor = info.data.get("min_responses")
        if floor is None:
            return value
        value = value if value is not None else max(5, floor)
        if value < floor:
            raise rule(f"min_text_responses {value} is below min_responses {floor}; allowed: min_responses or more")
        return value

    @field_validator("allow_edit")
    @classmethod
    def _check_edit(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("anonymous"):
            raise rule("allow_edit is not allowed on an anonymous survey (an answer cannot be traced back to edit)")
        return value

    @field_validator("questions")
    @classmethod
    def _check_questions(cls, questions: list[Question]) -> list[Question]:
        _unique_ids(questions, "questions")
        return questions

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)


class RetroColumn(_Model):
    id: Identifier
    title: Title
    prompt: str = ""


class RetroDefinition(_Model):
    id: Identifier
    kind: Literal["retro"]
    title: Title
    description: str = ""
    anonymous_cards: bool = False
    votes_per_person: Whole = Field(default=3, ge=1, le=20)
    phases: list[RetroPhase] = Field(default_factory=lambda: list(RETRO_PHASES))
    write_minutes: Whole = Field(default=7, ge=1, le=120)
    discuss_minutes: Whole = Field(default=5, ge=1, le=120)
    columns: list[RetroColumn] = Field(min_length=1, max_length=8)

    @field_validator("phases")
    @classmethod
    def _check_phases(cls, phases: list[RetroPhase]) -> list[RetroPhase]:
        if len(set(phases)) != len(phases):
            raise rule("phases must not repeat")
        if "write" not in phases or "close" not in phases:
            raise rule("phases must include write and close")
        order = [RETRO_PHASES.index(p) for p in phases]
        if order != sorted(order):
            raise rule(f"phases must keep this order: {', '.join(RETRO_PHASES)}")
        return phases

    @field_validator("columns")
    @classmethod
    def _check_columns(cls, columns: list[RetroColumn]) -> list[RetroColumn]:
        _unique_ids(columns, "columns")
        return columns


class FeedbackField(_Model):
    id: Identifier
    title: Title
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
    title: Title
    description: str = ""
    model: Literal["sbi", "kudos", "keep-start-stop"] = "sbi"
    anonymous: bool = False
    min_responses: Whole = Field(default=3, ge=1, le=100)
    fields: list[FeedbackField] | None = Field(default=None, validate_default=True)

    @field_validator("min_responses")
    @classmethod
    def _check_floor(cls, value: int, info: ValidationInfo) -> int:
        if info.data.get("anonymous") and value < 2:
            raise rule("min_responses must be 2 or more in an anonymous feedback form")
        return value

    @field_validator("fields")
    @classmethod
    def _check_fields(cls, fields: list[FeedbackField] | None, info: ValidationInfo) -> list[FeedbackField] | None:
        if fields is not None:
            _unique_ids(fields, "fields")
            return fields
        model = info.data.get("model")
        return None if model is None else [FeedbackField(**spec) for spec in FEEDBACK_MODELS[model]]


Definition = Annotated[SurveyDefinition | RetroDefinition | FeedbackDefinition, Field(discriminator="kind")]
_MODELS: dict[str, type[_Model]] = {
    "survey": SurveyDefinition,
    "retro": RetroDefinition,
    "feedback": FeedbackDefinition,
}
# The lists of each kind whose items carry an id that must be unique.
_ID_LISTS: dict[str, str] = {"survey": "questions", "retro": "columns", "feedback": "fields"}


def read_toml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    """Read a TOML file; anything wrong with it (syntax, encoding, size, depth, type) is one Problem."""
    try:
        return load_toml_file(path), []
    except TomlFileError as error:
        return None, [Problem(str(path), "", str(error))]


def parse_definition(
    path: Path | str, data: dict[str, Any]
) -> tuple[SurveyDefinition | RetroDefinition | FeedbackDefinition | None, list[Problem]]:
    """Validate the table of a definition file: the definition, or None and every problem found."""
    kind = data.get("kind")
    if kind is None:
        return None, [Problem(str(path), "kind", f"is required but missing; allowed: {', '.join(KINDS)}")]
    if not isinstance(kind, str) or kind not in _MODELS:
        return None, [Problem(str(path), "kind", f"{shorten(kind)} is not allowed; allowed: {', '.join(KINDS)}")]
    try:
        definition = _MODELS[kind].model_validate(data, context=FILE_RULES)
    except ValidationError as error:
        problems = problems_from_validation(path, error, data)
        # Checks pydantic cannot make once a list holds a broken item.
        problems += _duplicate_ids(path, kind, data) + _check_conditions(path, data)
        return None, _unique(problems)
    assert isinstance(definition, (SurveyDefinition, RetroDefinition, FeedbackDefinition))
    problems = _check_conditions(path, data, definition)
    return (None, problems) if problems else (definition, [])


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


def _duplicate_ids(path: Path | str, kind: str, data: dict[str, Any]) -> list[Problem]:
    """Repeated ids of the questions, columns or fields as written, valid or not."""
    what = _ID_LISTS[kind]
    items = data.get(what)
    if not isinstance(items, list):
        return []
    problems = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        value = item.get("id") if isinstance(item, dict) else None
        if not isinstance(value, str):
            continue
        if value in seen:
            problems.append(Problem(str(path), f"{what}[{index}].id", _duplicate_message(value, what)))
        seen.add(value)
    return problems


def _check_conditions(path: Path | str, data: dict[str, Any], definition: _Model | None = None) -> list[Problem]:
    """Check every show_if against the questions before it (see coptui.core.conditions).

    Also when the survey as a whole is refused: each question is then validated alone, and a
    condition is checked when every question before it is valid (else what it may name is unknown)."""
    if data.get("kind") != "survey" or not isinstance(data.get("questions"), list):
        return []
    raw: list[Any] = data["questions"]
    if isinstance(definition, SurveyDefinition):
        questions: list[Question | None] = list(definition.questions)
    else:
        questions = [_question_alone(item) for item in raw]
    ids = [item.get("id") if isinstance(item, dict) else None for item in raw]
    # Where each id last occurs: an id is "this question or a later one" when that is here or after.
    last = {question_id: index for index, question_id in enumerate(ids) if isinstance(question_id, str)}
    known: dict[str, Question] = {}
    complete = True  # every question so far is valid, so what a condition may name is known
    problems = []
    for index, question in enumerate(questions):
        item = raw[index]
        show_if = item.get("show_if") if isinstance(item, dict) else None
        if isinstance(show_if, str):
            problems += _condition_problems(
                path, index, show_if, known if complete else None, _IdsFrom(last, index), ids[index]
            )
        if question is None:
            complete = False
        else:
            known.setdefault(question.id, question)
    return problems


class _IdsFrom:
    """The ids of the questions from ``index`` on, as a container (no copy per question)."""

    def __init__(self, last: dict[str, int], index: int) -> None:
        self.last = last
        self.index = index

    def __contains__(self, question_id: object) -> bool:
        return isinstance(question_id, str) and self.last.get(question_id, -1) >= self.index


def _condition_problems(
    path: Path | str, index: int, show_if: str, known: dict[str, Question] | None, later: _IdsFrom, itself: Any
) -> list[Problem]:
    where = f"questions[{index}].show_if"
    if len(show_if) > MAX_CONDITION_LENGTH:
        message = f"{shorten(show_if)} is too long for a condition; allowed: {MAX_CONDITION_LENGTH:,} characters"
        return [Problem(str(path), where, message)]
    if known is None:
        return []
    itself = itself if isinstance(itself, str) else None
    return [Problem(str(path), where, message) for message in check_show_if(show_if, known, later, itself)]


def _question_alone(item: Any) -> Question | None:
    try:
        return Question.model_validate(item, context=FILE_RULES)
    except ValidationError:
        return None


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
    """The definition files of a folder: its ``*.toml`` but the community file, and but the
    ``.#name.toml`` lock links Emacs makes while a file is edited (they point nowhere)."""
    return sorted(
        p for p in directory.glob("*.toml") if p.name != COMMUNITY_FILE and not p.name.startswith(EDITOR_LOCK_PREFIX)
    )


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
