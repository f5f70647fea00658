"""The workspace: definitions, community and store of one data folder, loaded once.

The definitions are loaded on first use rather than at open: the home screen's first frame
shows the community and needs none of them (docs/benchmarks.md, "Foundation: start-up").

This is the one door to data for screens, the CLI and the SSH server. It knows nothing of
Textual. Who is acting (the member) is not part of it: one workspace serves many sessions.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from coptui.core.community import Community, Member, community_path
from coptui.core.community_cache import load_community_cached
from coptui.core.shared_reads import SharedReads
from coptui.errors import CoptuiError
from coptui.store.hub import Hub
from coptui.store.store import Store

if TYPE_CHECKING:
    # Imported where used: opening a workspace (and the app's first screen) needs no run
    # logic, no definition and no pydantic (the community comes from its cache).
    from coptui.core.definitions import DefinitionSet
    from coptui.core.problems import Problem
    from coptui.core.runs import Runs


class WorkspaceError(CoptuiError):
    """The workspace cannot open; the message says why and what to do."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def details(self) -> list[str]:
        return [str(problem) for problem in self.problems]


def default_data_dir() -> Path:
    env = os.environ.get("COPTUI_DATA")
    if env:
        return Path(env).expanduser()
    # platformdirs only when no folder is given: most starts name one.
    from platformdirs import user_data_dir

    return Path(user_data_dir("coptui", appauthor=False))


def shipped_surveys_dir() -> Path:
    """``definitions.default_surveys_dir()`` (a test checks they agree), without importing
    the definitions: their module imports pydantic, which the first screen does without."""
    packaged = Path(__file__).resolve().parents[1] / "surveys"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "surveys"


@dataclass
class Workspace:
    data_dir: Path
    surveys_dir: Path
    community: Community
    store: Store
    hub: Hub = field(default_factory=Hub)
    # Reads that every session makes at once after a change (coptui.core.shared_reads).
    reads: SharedReads = field(default_factory=SharedReads, repr=False, compare=False)
    _definitions: DefinitionSet | None = field(default=None, repr=False, compare=False)
    # Sessions of `coptui serve` and worker threads share one workspace: the first to ask loads.
    _definitions_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def definitions(self) -> DefinitionSet:
        """The definitions of the surveys folder, with the community's objectives checked against them."""
        if self._definitions is None:
            with self._definitions_lock:
                if self._definitions is None:
                    # pydantic on first use: the first screen is drawn without it (test_startup).
                    from coptui.core.community_schema import check_objectives
                    from coptui.core.definitions import load_definitions

                    definitions = load_definitions(self.surveys_dir)
                    path = community_path(self.surveys_dir)
                    definitions.problems.extend(check_objectives(path, self.community, definitions))
                    self._definitions = definitions
        return self._definitions

    @classmethod
    def open(
        cls, data_dir: Path | None = None, surveys_dir: Path | None = None, *, hub: Hub | None = None
    ) -> Workspace:
        surveys_dir = Path(surveys_dir) if surveys_dir else shipped_surveys_dir()
        data_dir = Path(data_dir) if data_dir else default_data_dir()
        if not surveys_dir.is_dir():
            raise WorkspaceError(f"the surveys folder {surveys_dir} does not exist")
        # Validated as before when the file is new or changed; else built from the cache.
        community, problems = load_community_cached(community_path(surveys_dir), data_dir)
        if community is None:
            raise WorkspaceError(
                f"{community_path(surveys_dir)} cannot be loaded; `coptui validate {surveys_dir}` shows why", problems
            )
        store = Store(data_dir)
        workspace = cls(data_dir, surveys_dir, community, store, hub or Hub())
        store.subscribe(workspace.hub.publish)
        return workspace

    @property
    def runs(self) -> Runs:
        # The run code (and pydantic) on first use: the first screen is drawn without it.
        from coptui.core.runs import Runs

        return Runs(self.store, self.definitions, self.community)

    def member(self, handle: str) -> Member:
        member = self.community.member(handle)
        if member is None:
            handles = ", ".join(m.handle for m in self.community.members)
            raise WorkspaceError(
                f"{handle!r} is not a member of {self.community.name}. Members: {handles}. "
                f"Use --as HANDLE, or add yourself to {community_path(self.surveys_dir)}."
            )
        return member

    @property
    def problems(self) -> list[str]:
        """Everything the user should know about: broken definitions and refused data files."""
        return [str(p) for p in self.definitions.problems] + [str(p) for p in self.store.problems]
