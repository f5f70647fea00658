"""User text on screen: a Rich Text that shows exactly what was typed, never markup; a text
field that never shows a control character."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.widgets import TextArea

from coptui.text import strip_controls


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly as typed (no markup, no escape codes)."""
    return Text(strip_controls(str(value)), style=style)


class UserTextArea(TextArea):
    """A TextArea for user text. Textual draws a field's text as it is, so an answer stored
    with escape codes (`coptui answer` takes any text) or a paste holding them would reach the
    terminal: what it is given and what is pasted is cleaned first. What the member sees is
    what they submit."""

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(strip_controls(text), **kwargs)

    def load_text(self, text: str) -> None:
        super().load_text(strip_controls(text))

    async def _on_paste(self, event: events.Paste) -> None:
        # Textual calls this before TextArea's own handler, which inserts event.text.
        event.text = strip_controls(event.text)
