"""The dialog for a new retro action: what, who, by when. Returns an ActionDraft or None."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Select, Static

from coptui.core.retro import MAX_ACTION_CHARS, RetroError, parse_due
from coptui.tui.base import CoptuiModalScreen
from coptui.tui.text import literal


@dataclass(frozen=True)
class ActionDraft:
    text: str
    owner: str
    due: date | None


class ActionDialog(CoptuiModalScreen[ActionDraft | None]):
    DEFAULT_CSS = """
    ActionDialog {
        align: center middle;
    }
    ActionDialog > Vertical {
        width: 72;
        max-width: 100%;
        height: auto;
        border: round $accent;
        background: $surface;
        padding: 0 1;
    }
    ActionDialog .dialog-title {
        text-style: bold;
        margin-bottom: 1;
    }
    ActionDialog Label {
        margin-top: 1;
        color: $text-muted;
    }
    ActionDialog .dialog-error {
        color: $error;
        height: auto;
    }
    ActionDialog Horizontal {
        height: auto;
        margin-top: 1;
    }
    ActionDialog Button {
        margin-right: 1;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(
        self,
        members: list[tuple[str, str]],
        owner: str,
        today: date,
        about: str = "",
        *,
        text: str = "",
        due: str = "+14",
        on_change: Callable[[], None] | None = None,
    ) -> None:
        """``text``, ``due``: what the fields open with (a draft given back); ``on_change``:
        called at each change of a field (the board keeps the unsent action as a draft)."""
        super().__init__()
        self.members = members
        self.owner = owner if any(handle == owner for handle, _ in members) else (members[0][0] if members else owner)
        self.today = today
        self.about = about
        self._start_text = text
        self._start_due = due
        self._on_change = on_change
        self._fields: tuple[Input, Select[str], Input] | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("New action", classes="dialog-title")
            if self.about:
                yield Static(literal(f"About: {self.about}"))
            yield Label("What will be done")
            yield Input(
                self._start_text,
                placeholder="e.g. Send the meetup agenda two days before",
                max_length=MAX_ACTION_CHARS,
                id="action-text",
                compact=True,
            )
            yield Label("Owner")
            yield Select(
                [(name, handle) for handle, name in self.members],
                value=self.owner,
                allow_blank=False,
                id="action-owner",
                compact=True,
            )
            yield Label("Due (YYYY-MM-DD, or +N days; empty for none)")
            yield Input(value=self._start_due, id="action-due", compact=True)
            yield Static("", classes="dialog-error", id="action-error")
            with Horizontal():
                yield Button("Save (enter)", variant="primary", id="save", compact=True)
                yield Button("Cancel (esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        # Held for the end of the session: by then the fields are gone from queries.
        fields = (
            self.query_one("#action-text", Input),
            self.query_one("#action-owner", Select),
            self.query_one("#action-due", Input),
        )
        self._fields = fields

    def unsent(self) -> tuple[str, str, str]:
        """What the fields hold now, as typed: (what, owner, due)."""
        if self._fields is None:
            return self._start_text, self.owner, self._start_due
        text, owner, due = self._fields
        return text.value, str(owner.value), due.value

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = " ".join(self.query_one("#action-text", Input).value.split())
        if not text:
            self._error("Write what will be done.")
            self.query_one("#action-text", Input).focus()
            return
        try:
            due = parse_due(self.query_one("#action-due", Input).value, self.today)
        except RetroError as error:
            self._error(str(error))
            return
        if due is not None and due < self.today:
            self._error(f"{due} is in the past.")
            return
        owner = self.query_one("#action-owner", Select).value
        self.dismiss(ActionDraft(text, str(owner), due))

    def _error(self, message: str) -> None:
        self.query_one("#action-error", Static).update(literal(message))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
