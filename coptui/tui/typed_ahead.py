"""Keys typed ahead: each goes where the focus is by the time its turn comes.

Over SSH (and when a member types ahead of a busy server) the keys of one read are all
queued for the widget focused when they arrived, before the first is handled. When that
first key moves the focus (a new column, the card composer opening or closing), the keys
after it belong to the widget focused now; left where they were queued, the card's text
would run the board's bindings, or a card's text typed after Esc would vanish into the
closed composer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual import events
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input


def pass_on(event: events.Key, widget: Widget) -> None:
    """Hand ``event``, queued for another widget, to ``widget`` (the focused one now)."""
    event.stop()
    event.prevent_default()
    widget.post_message(events.Key(event.key, event.character))


async def bind_now(widget: Widget, event: events.Key) -> bool:
    """Run the binding of ``event`` (queued for ``widget``) now, in the order the keys came.

    Textual runs a key's binding once the key has bubbled up to the app, behind every key
    queued after it: a binding that moves the focus would not take those keys along. This is
    the app's own lookup (the binding chain from the focus up), made at the key's turn.
    The chain is private to Textual (bounded to 8.x in pyproject.toml); should it go, keys
    fall back to Textual's own order, and the burst tests in tests/test_retro_screen.py fail.
    """
    chain = getattr(widget.screen, "_modal_binding_chain", None)
    if chain is None:
        return False
    for namespace, bindings in chain:
        for binding in bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await widget.app.run_action(binding.action, namespace):
                event.stop()
                event.prevent_default()
                return True
    return False


class ComposerInput(Input):
    """The retro's text box (cards, theme names): keys typed ahead go where the focus is.

    Enter posts :class:`Sent` with the text and what it is for (``purpose``) as they are at
    that key: a key typed after it (Esc closing the composer, the next card's text) may run
    before the message is handled.
    """

    @dataclass
    class Sent(Message):
        composer: ComposerInput
        purpose: object
        text: str

        @property
        def control(self) -> ComposerInput:
            return self.composer

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.purpose: object | None = None  # what the text is for; None: nothing (closed)
        self.clear_on_send = False  # ready for the next text at once (cards)

    async def action_submit(self) -> None:
        if self.purpose is None:
            return
        self.post_message(self.Sent(self, self.purpose, self.value))
        if self.clear_on_send:
            self.value = ""

    async def on_key(self, event: events.Key) -> None:
        focused = self.screen.focused
        if focused is not None and focused is not self:
            pass_on(event, focused)  # typed after Esc closed the composer
        elif not self.check_consume_key(event.key, event.character):
            await bind_now(self, event)  # Esc, Enter, arrows: at their turn, before the text after them
