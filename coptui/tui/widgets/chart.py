"""A plotext chart that follows the app's theme and its own size, redrawn with ``replot()``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import RenderResult
from textual_plotext import PlotextPlot

# Draws into a plotext figure at a given width and height (the functions of coptui.charts.figures).
ChartDrawer = Callable[[Any, int, int], None]


class ChartPlot(PlotextPlot):
    """Keeps what to draw (a drawer from :mod:`coptui.charts.figures`) and draws it at its current size.

    The axes, ticks and legend room depend on the size, so a new size redraws the whole
    figure rather than only rescaling it; a theme change is handled by ``PlotextPlot``.
    The figure is drawn and built only when the widget is rendered, at the size it is
    rendered at: a chart laid out at a passing size (while the screen fills in around
    it), or hidden, costs nothing until it is shown.
    """

    DEFAULT_CSS = """
    ChartPlot {
        width: 1fr;
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._drawer: ChartDrawer | None = None
        self._key: object = None
        self._version = 0  # bumped by every replot
        self._drawn: tuple[int, object] | None = None  # (version, size) the figure holds
        self._rendered: tuple[tuple[object, ...], RenderResult] | None = None

    @property
    def has_chart(self) -> bool:
        return self._drawer is not None

    def show_chart(self, drawer: ChartDrawer | None, key: object = None) -> None:
        """Draw with ``drawer``; a ``key`` equal to the current chart's skips a redraw of the same thing."""
        if key is not None and key == self._key and self._drawer is not None:
            return
        self._drawer, self._key = drawer, key
        self.replot()

    def replot(self) -> None:
        """Draw again (at the next render): what the drawer draws has changed."""
        self._version += 1
        self.refresh()

    def render(self) -> RenderResult:
        if self._drawer is None or not (self.size.width and self.size.height):
            return ""
        # Building a plotext figure takes milliseconds to tens of them, and Textual renders
        # a widget whenever anything around it refreshes: draw once per drawing and size,
        # build once per drawing, size and theme.
        if self._drawn != (self._version, self.size):
            self.plt.clear_figure()
            self._drawer(self.plt, self.size.width, self.size.height)
            self._drawn = (self._version, self.size)
        key = (self._version, self.size, self.app.theme, self.theme)
        if self._rendered is None or self._rendered[0] != key:
            self._rendered = (key, super().render())
        return self._rendered[1]
