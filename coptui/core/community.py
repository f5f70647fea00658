"""The community: members, roles and objectives, loaded from ``community.toml``.

The types are plain frozen dataclasses, and this module imports neither pydantic nor the
definitions: a start with a warm community cache (community_cache.py) builds the community
without them. The file itself is read and validated by community_schema.py (``load_community``,
``check_objectives``), imported only when a file is validated.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    pass

# The same name as definitions.COMMUNITY_FILE (a test checks): spelled here too, so that
# finding the file does not import the definitions and pydantic with them.
COMMUNITY_FILE = "community.toml"

Stage = Literal["initiation", "building", "maturing", "sustaining"]
Role = Literal["facilitator", "member"]
Metric = Literal["mean", "favourable", "nps", "participation", "action_completion", "roti", "feedback_completion"]
Direction = Literal["at_least", "at_most"]
STAGES: tuple[str, ...] = ("initiation", "building", "maturing", "sustaining")
ROLES: tuple[str, ...] = ("facilitator", "member")
METRICS: tuple[str, ...] = (
    "mean",
    "favourable",
    "nps",
    "participation",
    "action_completion",
    "roti",
    "feedback_completion",
)
DIRECTIONS: tuple[str, ...] = ("at_least", "at_most")
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
METRIC_QUESTION_TYPES: dict[str, frozenset[str]] = {
    "mean": frozenset({"likert", "rating", "nps"}),
    "favourable": frozenset({"likert", "rating"}),
    "nps": frozenset({"nps"}),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    handle: str
    name: str
    role: Role = "member"
    title: str = ""
    keys: list[str] = field(default_factory=list)

    @property
    def is_facilitator(self) -> bool:
        return self.role == "facilitator"


@dataclass(frozen=True, slots=True, kw_only=True)
class Objective:
    id: str
    title: str
    metric: Metric
    survey: str | None = None
    question: str | None = None
    target: float
    direction: Direction = "at_least"
    window: int = 3
    baseline: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Community:
    """A validated community: build it with :func:`coptui.core.community_schema.load_community` (or from the cache)."""

    name: str
    domain: str
    stage: Stage = "building"
    description: str = ""
    authorized_keys: str | None = None
    members: list[Member]
    objectives: list[Objective] = field(default_factory=list)

    def member(self, handle: str) -> Member | None:
        return next((m for m in self.members if m.handle == handle), None)

    def is_facilitator(self, handle: str) -> bool:
        """Whether ``handle`` names a member with the facilitator role (unknown handles are not)."""
        member = self.member(handle)
        return member is not None and member.is_facilitator

    @property
    def facilitators(self) -> list[Member]:
        return [m for m in self.members if m.is_facilitator]


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
