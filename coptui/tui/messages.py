"""Messages heard across the app: the app posts them, screens handle them.

They live apart from :mod:`coptui.tui.app` so that screens can import them without
importing the app (which imports the screens).
"""

from __future__ import annotations

from textual.message import Message

from coptui.store.layout import Change


class DataChanged(Message):
    """Something in the data folder changed (this session, another session, another process)."""

    def __init__(self, changes: frozenset[Change]) -> None:
        super().__init__()
        self.changes = changes
