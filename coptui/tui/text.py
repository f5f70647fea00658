"""User text on screen: a Rich Text that shows exactly what was typed, never markup."""

from __future__ import annotations

from rich.text import Text

from coptui.text import strip_controls


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly as typed (no markup, no escape codes)."""
    return Text(strip_controls(str(value)), style=style)
