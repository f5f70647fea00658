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

KeysShown = tuple[tuple[Any, ...], ...]


class SteadyFooter(Footer):
    """A :class:`Footer` that skips rebuilds which would show the same keys."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._keys_shown: KeysShown | None = None
        self._rebuild_pending = False

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
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild_if_changed)

    async def _rebuild_if_changed(self) -> None:
        self._rebuild_pending = False
        if self.is_attached and self._keys_now() != self._keys_shown:
            await self.recompose()
