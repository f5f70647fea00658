"""Small dialogs that return typed results: confirm, and the options of a new run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from coptui.tui.base import CoptuiModalScreen
from coptui.tui.text import literal


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; returns True for yes."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [
        Binding("escape,n", "answer(False)", "No"),
        Binding("y", "answer(True)", "Yes"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes, self.no = yes, no

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(self.question), classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="primary", id="yes")
                yield Button(f"{self.no} (n)", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


@dataclass(frozen=True)
class OpenRunRequest:
    definition_id: str
    closes_on: date | None


class OpenRunDialog(CoptuiModalScreen[OpenRunRequest | None]):
    """Options of a new survey run: an optional closing date."""

    CSS_PATH = "dialogs.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, definition_id: str, title: str) -> None:
        super().__init__()
        self.definition_id = definition_id
        self.run_title = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(literal(f"Open a run of {self.run_title}"), classes="dialog-question")
            yield Label("Last day for answers (YYYY-MM-DD), or leave empty to close it by hand:")
            yield Input(placeholder="YYYY-MM-DD", id="closes-on")
            yield Static("", id="dialog-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Open (enter)", variant="primary", id="open")
                yield Button("Cancel (esc)", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#open")
    def _submit(self) -> None:
        text = self.query_one("#closes-on", Input).value.strip()
        closes_on = None
        if text:
            try:
                closes_on = date.fromisoformat(text)
            except ValueError:
                self._error(f"{text!r} is not a date; use YYYY-MM-DD, e.g. {date.today().isoformat()}")
                return
            if closes_on < date.today():
                self._error(f"{closes_on} is in the past")
                return
        self.dismiss(OpenRunRequest(self.definition_id, closes_on))

    def _error(self, message: str) -> None:
        self.query_one("#dialog-error", Static).update(literal(message))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
