"""Keys typed ahead: each goes where the focus is by the time its turn comes.

Over SSH (and when a member types ahead of a busy server) the keys of one read are all
queued for the widget focused when they arrived, before the first is handled. When that
first key moves the focus (a new column, the card composer opening or closing, the next
survey page), the keys after it belong to the widget focused now; left where they were
queued, the card's text would run the board's bindings, a card's text typed after Esc would
vanish into the closed composer, and an answer typed after PgDn would land on the page left.

One mechanism serves the retro board and the survey, on Textual's public API:

- :func:`pass_on`: a key handled by a widget that no longer has the focus goes on to the one
  that has it (the retro's lists and composer do this in their ``on_key``);
- :func:`bind_now`: a key's binding runs at the key's own turn, looked up in
  ``Screen.active_bindings`` and run with ``App.run_action``. Textual runs a non-priority
  binding only once the key has bubbled up to the app, behind the keys queued after it, and
  from the focus at that time (Textualize/textual#6605; PR #6631, open, runs a widget's own
  bindings inline, for Input and TextArea only);
- :class:`KeyBuffer`: while a screen changes what is shown (a survey page), the keyboard is
  held and the keys wait, in order, to be handed to whatever has the focus afterwards;
  :class:`CaughtUp`, posted behind the keys already handed to a widget, tells when those are
  handled.

The burst tests (tests/tui/test_retro_screen.py, tests/tui/test_survey_screen.py, with
tests/support/keys.py) are the contract: they post a whole read of keys before the first is
handled.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from textual import events
from textual.app import App
from textual.binding import ActiveBinding
from textual.dom import DOMNode
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, TextArea
from textual.widgets.input import Selection

# Something a screen does in its turn among the keys: a survey's change of page.
Step = Callable[[], Awaitable[None]]


def pass_on(event: events.Key, widget: Widget) -> None:
    """Hand ``event``, queued for another widget, to ``widget`` (the focused one now)."""
    event.stop()
    event.prevent_default()
    widget.post_message(events.Key(event.key, event.character))


def text_field_shown(screen: Screen[Any]) -> bool:
    """Whether ``screen`` shows a field to type text in (a hidden composer does not count)."""
    return any(_displayed(field, screen) for field in screen.query("Input, TextArea"))


def _displayed(node: DOMNode, screen: Screen[Any]) -> bool:
    while node is not screen:
        if not node.display or node.parent is None:
            return False
        node = node.parent
    return True


def meant_for_typing(
    screen: Screen[Any], event: events.Key, bindings: Mapping[str, ActiveBinding] | None = None
) -> bool:
    """Whether ``event`` is a character typed on a form while no text field has the focus.

    Such a key is never a shortcut: a member who typed "At the Terraform meetup" after one
    Tab too many meant words, not Trends, Facilitate and Quit. Space and a key of the focused
    widget's own (a list's or a button's) still work. ``bindings``: the screen's active
    bindings now, when the caller has them already.
    """
    if not event.is_printable or event.key == "space":
        return False
    if isinstance(screen.focused, (Input, TextArea)):
        return False
    active = (bindings if bindings is not None else screen.active_bindings).get(event.key)
    if active is not None and not isinstance(active.node, (App, Screen)):
        return False
    return text_field_shown(screen)


async def bind_now(widget: Widget, event: events.Key, bindings: Mapping[str, ActiveBinding] | None = None) -> bool:
    """Run the binding of ``event`` (queued for ``widget``) now, in the order the keys came.

    ``bindings``: the screen's active bindings as they were when the key was typed (the
    focus has moved since); by default as they are now, from the focus up to the app.
    A priority binding ran when the key arrived and is not run again. Returns whether a
    binding ran (the key is then stopped: the app does not run one more for it).
    """
    # On every key of the retro board: the bindings of now are looked up once, for both.
    now = widget.screen.active_bindings if bindings is None else None
    if meant_for_typing(widget.screen, event, now):
        return False  # the screen keeps it from the bindings (CoptuiScreen._keep_letters_for_typing)
    active = (bindings if bindings is not None else now or {}).get(event.key)
    if active is None or active.binding.priority:
        return False
    if await widget.app.run_action(active.binding.action, active.node):
        event.stop()
        event.prevent_default()
        return True
    return False


class KeyBuffer(Widget):
    """Holds the keyboard while a screen changes what it shows.

    While this widget has the focus (``holding``) it keeps the keys and pastes the app hands
    it, in order, with the steps asked for between them (a second PgDn), so that the screen
    can give them to what it shows next instead of to what it is taking down. Keys are kept
    when the app hands them over (``post_message``), not when this widget's turn comes, so
    none can overtake another.
    """

    def __init__(self) -> None:
        super().__init__(id="key-buffer")
        self.holding = False
        self.items: deque[events.Key | events.Paste | Step] = deque()

    def allow_focus(self) -> bool:
        return self.holding

    def post_message(self, message: Message) -> bool:
        if self.holding and isinstance(message, (events.Key, events.Paste)):
            self.items.append(message)
            return True
        return super().post_message(message)

    def take_typed(self) -> list[events.Key | events.Paste]:
        """The keys and pastes at the front, up to the next step."""
        typed: list[events.Key | events.Paste] = []
        while self.items and isinstance(self.items[0], (events.Key, events.Paste)):
            item = self.items.popleft()
            assert isinstance(item, (events.Key, events.Paste))
            typed.append(item)
        return typed

    def take_step(self) -> Step | None:
        """The step at the front, if the front is a step."""
        if self.items and not isinstance(self.items[0], (events.Key, events.Paste)):
            step = self.items.popleft()
            assert not isinstance(step, (events.Key, events.Paste))
            return step
        return None


class CaughtUp(Message):
    """Posted to a widget behind the keys it was given: it bubbles up to the screen once they are handled."""


class ComposerInput(Input):
    """The retro's text box (cards, theme names): keys typed ahead go where the focus is.

    Enter posts :class:`Sent` with the text and what it is for (``purpose``) as they are at
    that key: a key typed after it (Esc closing the composer, the next card's text) may run
    before the message is handled.
    """

    @dataclass
    class Sent(Message):
        composer: ComposerInput
        purpose: tuple[str, str]
        text: str

        @property
        def control(self) -> ComposerInput:
            return self.composer

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.purpose: tuple[str, str] | None = None  # what the text is for, (kind, target); None: closed
        self.clear_on_send = False  # ready for the next text at once (cards)
        self.go_on_typing = False  # at the next focus, the cursor after the text (not all of it selected)

    def on_focus(self, event: events.Focus) -> None:
        # Input's own focus handler selects all the text (an edited card's: typing replaces
        # it). Text given back (a restored draft) is to be typed on: the cursor goes after it
        # once this focus is handled, before any key queued behind it.
        if self.go_on_typing:
            self.go_on_typing = False
            self.call_next(self._cursor_after_text)

    def _cursor_after_text(self) -> None:
        self.selection = Selection.cursor(len(self.value))

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
