"""One item of a retro board: a card, a theme of cards, an action, or a heading between them."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.message import Message
from textual.widgets import Static


class RetroItem(Static):
    """A focusable block on the board. The screen builds its text (user text goes through ``literal``)."""

    DEFAULT_CSS = """
    RetroItem {
        height: auto;
        padding: 0 1;
        margin: 0 0 1 0;
        border: round $primary 40%;
    }
    RetroItem:focus {
        /* A heavier line, not only a colour: the focus shows on NO_COLOR terminals too. */
        border: heavy $accent;
        background: $boost;
    }
    RetroItem.-heading {
        border: none;
        margin: 1 0 0 0;
        padding: 0;
        text-style: bold;
        color: $accent;
    }
    RetroItem.-note {
        border: none;
        margin: 0;
        color: $text-muted;
    }
    RetroItem.-mine {
        border: round $success 60%;
    }
    RetroItem.-mine:focus {
        border: heavy $success;
    }
    RetroItem.-picked, RetroItem.-picked:focus {
        border: double $warning;
    }
    RetroItem.-current {
        border: round $accent;
    }
    RetroItem.-current:focus {
        border: heavy $accent;
    }
    RetroItem.-done {
        color: $text-muted;
    }
    """

    class Chosen(Message):
        """The item was clicked: the screen decides what a click means in its phase."""

        def __init__(self, item: RetroItem) -> None:
            super().__init__()
            self.item = item

    def __init__(self, item_id: str, kind: str, content: Text, *, focusable: bool = True, classes: str = "") -> None:
        super().__init__(content, classes=classes)
        self.item_id = item_id
        self.kind = kind
        self.can_focus = focusable
        self._content = content

    def show(self, content: Text, classes: str) -> None:
        """Update in place (no remount: focus and scroll stay where they are)."""
        if content != self._content:
            self._content = content
            self.update(content)
        self.apply_flags(classes)

    def apply_flags(self, classes: str) -> None:
        wanted = set(classes.split())
        for name in ("-heading", "-note", "-mine", "-picked", "-current", "-done"):
            self.set_class(name in wanted, name)

    def on_click(self, event: events.Click) -> None:
        if self.can_focus:
            self.focus()
        self.post_message(self.Chosen(self))
