"""Textual's footer, rebuilt only when the keys it shows change.

Textual's :class:`~textual.widgets.Footer` recomposes (removes and mounts one widget per
key, then restyles them) every time the screen's bindings *may* have changed: on every
focus move, and once per move when several happen in one update. In `coptui serve` all
sessions share one event loop, and on the retro board a phase change moves the focus a
few times per session: measured, a third of a session's CPU for the reveal went to
footers rebuilt with the same keys. This footer rebuilds once per burst, and only when
the keys, their descriptions or their enabled state differ from what it shows.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

KeysShown = tuple[tuple[Any, ...], ...]


class SteadyFooter(Footer):
    """A :class:`Footer` that skips rebuilds which would show the same keys."""

    def __init__(self, *args: Any, wait_for_sync: bool = False, **kwargs: Any) -> None:
        """``wait_for_sync``: show no keys until the screen first calls :meth:`sync` (a screen
        whose keys depend on data it is still loading: the keys are then built once, not twice).
        """
        super().__init__(*args, **kwargs)
        self._keys_shown: KeysShown | None = None
        self._rebuild_pending = False
        self._waiting = wait_for_sync

    def _keys_now(self) -> KeysShown:
        """Everything of the screen's active bindings that the footer draws."""
        keys = tuple(
            (binding.key, binding.key_display, binding.description, binding.action, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return (*keys, (self.show_command_palette, self.compact))

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._keys_shown = self._keys_now()
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # Give each key its final compact state before it mounts. Otherwise its
                # watcher adds the class on mount and the binding to the footer's value
                # takes it off again: two restylings per key (measured: a third of the
                # footer's cost when it rebuilds).
                if not widget.has_class("-command-palette"):  # the one key not bound to the footer's value
                    widget.set_reactive(FooterKey.compact, self.compact)
                widget.set_class(widget.compact, "-compact", update=False)
            yield widget

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if self._waiting:
            return
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        await self.sync()

    async def sync(self) -> None:
        """Show the screen's keys now, if they changed.

        A screen that changes its keys while it redraws calls this in the same update, so
        that the new keys are laid out and drawn with the rest instead of in one more
        layout after it.
        """
        if self._waiting:
            self._waiting = False
            self._bindings_ready = True
        if not (self.is_attached and self._bindings_ready):
            return
        keys = self._keys_now()
        if keys != self._keys_shown:
            self._keys_shown = keys  # set before awaiting, so that a sync meanwhile does not rebuild again
            try:
                # Textual binds each key to its footer while composing, which needs the footer
                # as the active message pump: the screen calling this is not.
                with self._context():
                    await self.recompose()
            except Exception:
                self._keys_shown = None  # try again on the next change
                raise
