"""Lines drawn once per process and shared by every session of `coptui serve`.

All sessions show the same board, hints and keys at a few widths. A widget drawn the usual
way builds new strips for every line, for every session, at every change: at a reveal that
was most of a session's CPU on the loop they all share. Widgets built on
:class:`SharedLines` draw their lines from process-wide caches instead. Textual's own
caches on a strip (filtered copies, crops, divisions into the compositor's cuts, escape
codes) then serve every session too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.color import Color
from textual.filter import LineFilter
from textual.geometry import Region
from textual.strip import Strip

if TYPE_CHECKING:
    from rich.console import Console
    from textual.widget import Widget

    # The type checker sees the mixin as the widget it is mixed into; at run time it adds
    # only its methods (in front of the widget class in the bases).
    _WidgetMixin = Widget
else:
    _WidgetMixin = object

# (text key, width, style) -> wrapped lines
_WRAPPED: LRUCache[tuple[object, ...], list[Strip]] = LRUCache(4096)
_BLANKS: LRUCache[tuple[int, Style], Strip] = LRUCache(64)
_FILTERS: dict[tuple[object, ...], LineFilter] = {}


def text_key(text: Text) -> tuple[object, ...]:
    """What decides how ``text`` is drawn, as a dictionary key."""
    return (text.plain, text.style, tuple(text.spans), text.justify, text.overflow, text.no_wrap)


def wrapped(console: Console, text: Text, width: int, style: Style) -> list[Strip]:
    """``text`` wrapped to ``width`` over ``style``: each line exactly ``width`` cells."""
    key = (text_key(text), width, style)
    lines = _WRAPPED.get(key)
    if lines is None:
        options = console.options.update(width=width, height=None, highlight=False)
        rendered = console.render_lines(text, options, style=style, pad=True)
        lines = _WRAPPED[key] = [Strip(segments, width) for segments in rendered]
    return lines


def blank(width: int, style: Style) -> Strip:
    strip = _BLANKS.get((width, style))
    if strip is None:
        strip = _BLANKS[(width, style)] = Strip.blank(width, style)
    return strip


def shared_filter(line_filter: LineFilter) -> LineFilter:
    """One filter object per kind and settings in the process, in place of each app's own.

    A strip caches what a filter made of it under the filter object, so the shared strips
    serve every session only if the sessions pass the same filter objects.
    """
    try:
        key = (type(line_filter), *sorted(vars(line_filter).items()))
        return _FILTERS.setdefault(key, line_filter)
    except TypeError:  # a setting that cannot be a key: keep the app's own
        return line_filter


@lru_cache(maxsize=64)
def _background_style(background: Color) -> Style:
    return Style(bgcolor=background.rich_color)


class SharedLines(_WidgetMixin):
    """Mixin for a widget whose ``render_line`` returns shared strips (see the module).

    It replaces Textual's per-line styling (``_styles_cache``: borders, padding, tint,
    opacity, ...) with what a widget without those needs: each line extended to the
    widget's width, passed through the app's filters (ANSI to truecolor, NO_COLOR) and
    cropped. A widget given a border, padding, outline, tint or opacity in CSS is drawn
    the usual way.
    """

    def line_width(self) -> int:
        """The width of the lines ``render_line`` draws: inside any padding and border."""
        return max(0, self.outer_size.width - self.styles.gutter.width)

    _shared_plan: tuple[bool, Style, Color] | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._shared_plan = None

    def _plan(self) -> tuple[bool, Style, Color]:
        """Whether the lines can be drawn here, the style that pads them and the background
        the filters see; kept until the styles change (as Textual keeps ``rich_style``)."""
        plan = self._shared_plan
        if plan is None:
            styles = self.styles
            plain = not (
                any(styles.gutter)
                or any(edge for edge, _ in styles.outline)
                or styles.tint.a
                or styles.text_opacity != 1.0
            )
            base_background, background = self.background_colors
            plan = self._shared_plan = (plain, _background_style(base_background + background), background)
        return plan

    def render_lines(self, crop: Region) -> list[Strip]:
        # The one place that replaces Textual's drawing of a widget's lines: its per-line
        # styling built a new strip for every line of every session and so defeated every
        # cache on the shared strips (docs/benchmarks.md, "SSH serving", "Shared lines").
        # A widget it cannot draw the same way is left to Textual (Widget.render_lines).
        plain, pad, background = self._plan()
        if not plain or self.opacity != 1.0:
            return super().render_lines(crop)
        full = self.outer_size.width
        strips = []
        for y in crop.line_range:
            strip = self.render_line(y)
            strips.append(strip if strip.cell_length == full else strip.crop_extend(0, full, pad))
        for line_filter in map(shared_filter, self.app.get_line_filters()):
            strips = [strip.apply_filter(line_filter, background) for strip in strips]
        x1, x2 = crop.column_span
        if (x1, x2) != (0, full):
            strips = [strip.crop(x1, x2) for strip in strips]
        return strips
