"""The key bar at the bottom of the busiest screens: one widget that draws its keys as one line.

Textual's :class:`~textual.widgets.Footer` is a container of one widget per key, and it
recomposes (removes, mounts and restyles every key) whenever the screen's bindings may
have changed. In `coptui serve` all sessions share one event loop; on the retro board a
phase change changes the keys on every screen at once, and profiled with 20 sessions,
rebuilding footers took half of the reveal's CPU. This footer looks the same, draws
the same keys in the same order, and when they change it repaints one line.
"""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget

from coptui.tui.shared.shared_lines import SharedLines, blank, wrapped

# (key, key as shown, description, action, enabled) for each key drawn.
KeyShown = tuple[str, str, str, str, bool]


class LabelStyles(NamedTuple):
    base: Style
    key: Style
    description: Style
    separator: Style


# (keys, palette key, width, styles) -> the drawn line and the x ranges of its keys
_DRAWN: LRUCache[tuple[object, ...], tuple[Strip, tuple[tuple[int, int, KeyShown], ...]]] = LRUCache(256)


def _label(key: KeyShown, styles: LabelStyles, *, compact: bool = False) -> Text:
    """ " esc Back " as Textual's footer draws a key; compact (its command palette key): "^p palette"."""
    _key, display, description, _action, enabled = key
    key_text = display if compact else f" {display} "
    text = Text.assemble((key_text, styles.key))
    if description:
        text.append(f" {description}" if compact else f"{description} ", styles.description)
    if not enabled:
        text.stylize(Style(dim=True))
    return text


def _draw(
    keys: tuple[KeyShown, ...], palette: KeyShown | None, width: int, styles: LabelStyles
) -> tuple[Text, tuple[tuple[int, int, KeyShown], ...]]:
    """The keys from the left, as many as fit, and the palette's key at the right."""
    spans: list[tuple[int, int, KeyShown]] = []
    right = Text()
    if palette is not None:
        label = _label(palette, styles, compact=True)
        right = Text("▏", styles.separator)
        right.append_text(label)
        right.append(" ")
        spans.append((width - label.cell_len - 1, width - 1, palette))
    room = max(0, width - right.cell_len)
    left = Text(end="")
    for key in keys:
        if left.cell_len >= room:
            break
        label = _label(key, styles)
        spans.append((left.cell_len, min(room, left.cell_len + label.cell_len), key))
        left.append_text(label)
    left.truncate(room, pad=True)
    return Text.assemble(left, right, no_wrap=True, end=""), tuple(spans)


class SteadyFooter(SharedLines, Widget, can_focus=False):
    """The screen's active keys (those with ``show``), the command palette's at the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description", "footer-key--separator"}
    DEFAULT_CSS = """
    SteadyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    SteadyFooter > .footer-key--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    SteadyFooter > .footer-key--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    SteadyFooter > .footer-key--separator {
        color: $foreground 20%;
    }
    """

    def __init__(
        self, *, wait_for_sync: bool = False, show_command_palette: bool = True, id: str | None = None
    ) -> None:
        """``wait_for_sync``: show no keys until the screen first calls :meth:`sync` (a screen
        whose keys depend on data it is still loading: the keys are then drawn once, not twice).
        """
        super().__init__(id=id)
        self.show_command_palette = show_command_palette
        self._waiting = wait_for_sync
        self._keys: tuple[KeyShown, ...] = ()
        self._palette: KeyShown | None = None
        self._spans: tuple[tuple[int, int, KeyShown], ...] = ()  # x ranges of the drawn keys, for clicks
        self._styles: LabelStyles | None = None
        self._sync_pending = False

    # -- which keys ------------------------------------------------------------------------------

    def _keys_now(self) -> tuple[tuple[KeyShown, ...], KeyShown | None]:
        active = self.screen.active_bindings
        shown: dict[str, KeyShown] = {}  # one key per action, the first bound, as Textual's footer
        palette_key = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else None
        palette: KeyShown | None = None
        for key, (_, binding, enabled, _tooltip) in active.items():
            if key == palette_key and self.show_command_palette:
                palette = self._key(binding, enabled)
            elif binding.show and binding.action not in shown:
                shown[binding.action] = self._key(binding, enabled)
        return tuple(shown.values()), palette

    def _key(self, binding: Binding, enabled: bool) -> KeyShown:
        return (binding.key, self.app.get_key_display(binding), binding.description, binding.action, enabled)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        if not self._waiting:
            self.call_after_refresh(self.sync)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._waiting or not self.is_attached or screen is not self.screen or self._sync_pending:
            return
        self._sync_pending = True  # once per burst of changes
        self.call_after_refresh(self.sync)

    async def sync(self) -> None:
        """Show the screen's keys now, if they changed (a repaint of this line, no layout)."""
        self._sync_pending = False
        self._waiting = False
        if not self.is_attached:
            return
        keys, palette = self._keys_now()
        if (keys, palette) != (self._keys, self._palette):
            self._keys, self._palette = keys, palette
            self.refresh()

    # -- drawing ---------------------------------------------------------------------------------------

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles = None

    def _label_styles(self) -> LabelStyles:
        if self._styles is None:
            part = partial(self.get_component_rich_style, partial=True)
            self._styles = LabelStyles(
                self.rich_style, part("footer-key--key"), part("footer-key--description"), part("footer-key--separator")
            )
        return self._styles

    def render_line(self, y: int) -> Strip:
        # The line is drawn once per process for each set of keys, width and colours: a
        # phase change gives every session of `coptui serve` the same new keys at once.
        width = self.line_width()
        styles = self._label_styles()
        key = (self._keys, self._palette, width, styles)
        drawn = _DRAWN.get(key)
        if drawn is None:
            text, spans = _draw(self._keys, self._palette, width, styles)
            drawn = _DRAWN[key] = (wrapped(self.app.console, text, max(width, 1), styles.base)[0], spans)
        line, self._spans = drawn
        return line if y == 0 else blank(width, styles.base)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key[4]:
                    self.app.simulate_key(key[0])
                else:
                    self.app.bell()
                return
