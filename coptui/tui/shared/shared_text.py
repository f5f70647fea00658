"""A line or two of text whose drawn lines every session shares (see shared_lines)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from coptui.tui.shared.shared_lines import SharedLines, blank, wrapped


class SharedText(SharedLines, Widget):
    """Shows a :class:`~rich.text.Text`, wrapped to the widget's width, like a Static.

    The retro board's phase line and hint change on every session at once (a phase change,
    a new card count); drawn as Statics, each session built its own lines for the same text.
    """

    DEFAULT_CSS = """
    SharedText {
        height: auto;
    }
    """

    def __init__(self, text: Text | str = "", *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.text = Text(text) if isinstance(text, str) else text
        self._base: Style | None = None

    def update(self, text: Text, *, layout: bool = True) -> None:
        """Show ``text``; ``layout=False`` when its size cannot have changed (a repaint only)."""
        self.text = text
        self.refresh(layout=layout)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    @property
    def base_style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def lines(self, width: int) -> list[Strip]:
        """The text wrapped to ``width``."""
        return wrapped(self.app.console, self.text, max(width, 1), self.base_style)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((cell_len(line) for line in self.text.plain.splitlines()), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def render_line(self, y: int) -> Strip:
        width = self.line_width()
        lines = self.lines(width)
        return lines[y] if y < len(lines) else blank(width, self.base_style)
