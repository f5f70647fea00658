"""The base of coptui's screens: the app they run in, its workspace and member, typed.

Every screen runs inside a :class:`~coptui.tui.app.CoptuiApp`. That module imports the
screens, so this one imports it only for the type checker and casts ``self.app``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from coptui.core.community import Member
    from coptui.core.workspace import Workspace
    from coptui.tui.app import CoptuiApp

ResultType = TypeVar("ResultType")


class CoptuiScreen(Screen[ResultType]):
    """A screen of the coptui app."""

    @property
    def coptui_app(self) -> CoptuiApp:
        return cast("CoptuiApp", self.app)

    @property
    def workspace(self) -> Workspace:
        """The community's files, shared by every session of the process."""
        return self.coptui_app.workspace

    @property
    def member(self) -> Member:
        """The member at this terminal."""
        return self.coptui_app.member


class CoptuiModalScreen(CoptuiScreen[ResultType], ModalScreen[ResultType]):
    """A modal screen (a dialog) of the coptui app."""
