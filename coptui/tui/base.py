"""The base of coptui's screens: the app they run in, its workspace and member, typed, and
the one way a screen calls the core off the event loop.

Every screen runs inside a :class:`~coptui.tui.app.CoptuiApp`. That module imports the
screens, so this one does not import it (not even for the type checker: no import cycles,
see pyproject.toml): :class:`CoptuiAppServices` names what the screens use of it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from textual import events, on
from textual.screen import ModalScreen, Screen
from textual.worker import Worker

from coptui.errors import CoptuiError
from coptui.store.errors import StoreError
from coptui.store.layout import Change
from coptui.tui.messages import DataChanged
from coptui.tui.typed_ahead import meant_for_typing

# A member typing on a form with the focus off its fields is told once in this many seconds.
TYPING_HINT_INTERVAL = 5.0

if TYPE_CHECKING:
    from coptui.core.community import Member
    from coptui.core.workspace import Workspace

ResultType = TypeVar("ResultType")
T = TypeVar("T")


class CoptuiAppServices(Protocol):
    """What a screen uses of the app it runs in (coptui.tui.app.CoptuiApp)."""

    @property
    def workspace(self) -> Workspace: ...

    @property
    def member(self) -> Member: ...

    def open_run(self, run_id: str) -> None:
        """Open a run in the screen that fits its kind."""


class CoptuiScreen(Screen[ResultType]):
    """A screen of the coptui app.

    Data changes reach the screen shown as :class:`DataChanged`; a screen underneath keeps
    them (:meth:`missed`) and hears them all at once when it is shown again.
    """

    def __init__(self, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._missed_changes: set[Change] = set()
        self._typing_hint_at = -TYPING_HINT_INTERVAL

    def missed(self, changes: frozenset[Change]) -> None:
        """Changes made while another screen was shown over this one."""
        self._missed_changes |= changes

    @on(events.Key)
    def _keep_letters_for_typing(self, event: events.Key) -> None:
        # The key has bubbled up to the screen: stopped here, no binding (the screen's or the
        # app's) runs for it. See typed_ahead.meant_for_typing.
        if not meant_for_typing(self, event):
            return
        event.stop()
        event.prevent_default()
        now = time.monotonic()
        if now - self._typing_hint_at >= TYPING_HINT_INTERVAL:
            self._typing_hint_at = now
            self.notify("No text field has the focus: press Tab to reach one.", timeout=3)

    @on(events.ScreenResume)
    def _catch_up_on_changes(self) -> None:
        if self._missed_changes:
            changes, self._missed_changes = frozenset(self._missed_changes), set()
            self.post_message(DataChanged(changes))

    @property
    def coptui_app(self) -> CoptuiAppServices:
        return cast("CoptuiAppServices", self.app)

    @property
    def workspace(self) -> Workspace:
        """The community's files, shared by every session of the process."""
        return self.coptui_app.workspace

    @property
    def member(self) -> Member:
        """The member at this terminal."""
        return self.coptui_app.member

    def run_core(
        self,
        call: Callable[[], T],
        *,
        done: str | Callable[[T], str] | None = None,
        then: Callable[[T], object] | None = None,
        refused: Callable[[CoptuiError], object] | None = None,
        group: str = "core",
        exclusive: bool = False,
    ) -> Worker[None]:
        """Run ``call`` (a read or write of the core) in a thread, then come back to the loop.

        On success: notify ``done`` if given (a text, or made from the result), then call
        ``then(result)``. A :class:`CoptuiError` is for the member to read: ``refused(error)``
        if given, else a notification of its message (a file that could not be written says
        so in its title). Any other exception is a bug: it propagates as the worker's error,
        and Textual ends the app with it. ``then`` and ``refused`` are skipped once the
        screen has been left (they draw on it); notifications are the app's and still shown.
        """

        def work() -> None:
            try:
                result = call()
            except CoptuiError as error:
                if refused is None:
                    self._on_loop(self.notify_refusal, error)
                else:
                    self._on_loop(self._if_attached(refused), error)
                return
            if done:
                self._on_loop(self.notify, done if isinstance(done, str) else done(result), markup=False)
            if then is not None:
                self._on_loop(self._if_attached(then), result)

        return self.run_worker(work, thread=True, group=group, exclusive=exclusive)

    def _on_loop(self, callback: Callable[..., object], *args: object, **kwargs: object) -> None:
        # An app that has ended takes no more calls: what the thread found is of no use now.
        if self.app.is_running:
            self.app.call_from_thread(callback, *args, **kwargs)

    def _if_attached(self, callback: Callable[[T], object]) -> Callable[[T], None]:
        def call(value: T) -> None:
            if self.is_attached:
                callback(value)

        return call

    def notify_refusal(self, error: CoptuiError) -> None:
        """Tell the member why the core refused (or could not save) what they asked."""
        if isinstance(error, StoreError):
            self.notify(str(error), title="Not saved", severity="error", markup=False)
        else:
            self.notify(str(error), severity="warning", markup=False)


class CoptuiModalScreen(CoptuiScreen[ResultType], ModalScreen[ResultType]):
    """A modal screen (a dialog) of the coptui app."""
