""" "Your actions" on the home screen: the open retro actions the member owns.

The widget only shows and asks: the home screen reads the actions (when the actions file
changed) and hands them to :meth:`OpenActions.show`; a key on an action posts
:class:`OpenActions.StatusChosen` or :class:`OpenActions.SourceChosen` for the screen to act on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from coptui.text import fit
from coptui.tui.text import literal

if TYPE_CHECKING:
    # For the type checker only: the home screen's first frame needs none of the retro code.
    from coptui.core.retro import ActionStatus, ActionView


# The source retro's title is cut to this many cells: the action's own text gets the room.
SOURCE_WIDTH = 20


class OpenActions(Vertical):
    DEFAULT_CSS = """
    OpenActions {
        height: auto;
    }
    OpenActions > .section-title {
        text-style: bold;
        color: $accent;
        margin-top: 1;
    }
    OpenActions > .empty {
        color: $text-muted;
        padding: 0 1;
    }
    OpenActions > DataTable {
        height: auto;
        max-height: 10;
    }
    """
    BINDINGS = [
        Binding("d", "set_status('done')", "Done"),
        Binding("x", "set_status('dropped')", "Drop"),
    ]

    @dataclass
    class StatusChosen(Message):
        """The member marked their action ``action_id`` done or dropped."""

        action_id: str
        status: ActionStatus

    @dataclass
    class SourceChosen(Message):
        """The member chose to open ``run_id``, the retro an action came from."""

        run_id: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._sources: dict[str, str] = {}  # action id -> the retro it came from

    def compose(self) -> ComposeResult:
        yield Static("Your actions", classes="section-title")
        yield DataTable(id="actions-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="actions-empty", classes="empty")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Action", "From", "Due (! late)")
        table.display = False

    def show(self, actions: list[ActionView], today: date) -> None:
        table = self.query_one(DataTable)
        selected = table.cursor_row
        table.clear()
        self._sources = {action.id: action.source_run for action in actions}
        for action in actions:
            due = Text("-")
            if action.due is not None:
                # Overdue is marked with a sign as well as a colour (NO_COLOR terminals).
                late = action.overdue(today)
                due = Text(("!" if late else "") + action.due.isoformat(), style="bold red" if late else "")
            table.add_row(literal(action.text), literal(fit(action.source_title, SOURCE_WIDTH)), due, key=action.id)
        if actions:
            table.move_cursor(row=min(selected, len(actions) - 1))
        table.display = bool(actions)
        empty = self.query_one("#actions-empty", Static)
        empty.update("" if actions else "No open actions. Actions agreed in retros show up here.")
        empty.display = not actions

    def _selected_action(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return row_key.value

    def action_set_status(self, status: ActionStatus) -> None:
        action_id = self._selected_action()
        if action_id is not None:
            self.post_message(self.StatusChosen(action_id, status))

    @on(DataTable.RowSelected)
    def _open_source(self, event: DataTable.RowSelected) -> None:
        # Enter on an action opens the retro it came from (not a run of the same key).
        event.stop()
        source = self._sources.get(event.row_key.value or "")
        if source:
            self.post_message(self.SourceChosen(source))
