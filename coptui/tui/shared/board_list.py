"""A list of boxed items drawn line by line: one column of the retro board, or its list.

Each item used to be a widget of its own. In `coptui serve` every session redraws its
board on the one event loop that all sessions share, and mounting, styling and laying out
a widget per card cost each session about 60 ms at the reveal. Here a column is one
widget: items are wrapped once (the wrapped lines are shared by every session in the
process, since they all show the same cards), boxes are assembled from those lines when a
line is drawn, and only the lines on screen are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from coptui.tui.shared.shared_lines import SharedLines, blank, text_key, wrapped
from coptui.tui.typed_ahead import bind_now, pass_on

BOXED = frozenset({"card", "theme", "action"})
# Box-drawing characters: top-left, horizontal, top-right, vertical, bottom-left, bottom-right.
# The focused item has a heavier line, not only another colour: NO_COLOR terminals see it too.
ROUND = "╭─╮│╰╯"
HEAVY = "┏━┓┃┗┛"
DOUBLE = "╔═╗║╚╝"

# Boxed items, shared by every BoardList in the process (see coptui.tui.shared.shared_lines):
# (text key, width, style, frame, border) -> box lines.
_BOXES: LRUCache[tuple[object, ...], list[Strip]] = LRUCache(4096)


@dataclass(frozen=True)
class BoardItem:
    """One thing to draw: a card, a theme of cards, an action (boxed, can take the cursor),
    a heading or a note. ``flags``: -mine, -picked, -current, -done."""

    id: str
    kind: str
    content: Text
    flags: str = ""

    @property
    def selectable(self) -> bool:
        return self.kind in BOXED

    def key(self) -> tuple[object, ...]:
        return (self.id, self.kind, self.flags, text_key(self.content))


# What each virtual line shows: (item index, row); rows of a box: TOP, body lines 0.., BOTTOM, GAP.
TOP, BOTTOM, GAP = -1, -2, -3


class BoardList(SharedLines, ScrollView, can_focus=True, inherit_bindings=False):
    """Boxed items with a cursor. Up/down (and page keys, home, end) move the cursor; a click
    puts it on an item and posts :class:`BoardList.Chosen`."""

    BINDINGS = [
        Binding("up", "cursor(-1)", "Previous card", show=False),
        Binding("down", "cursor(1)", "Next card", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home", "edge(-1)", "First card", show=False),
        Binding("end", "edge(1)", "Last card", show=False),
    ]
    COMPONENT_CLASSES = {
        "board-list--border",
        "board-list--mine",
        "board-list--current",
        "board-list--picked",
        "board-list--cursor",
        "board-list--mine-cursor",
        "board-list--heading",
        "board-list--note",
        "board-list--done",
    }
    DEFAULT_CSS = """
    BoardList {
        height: 1fr;
        scrollbar-size-vertical: 1;
        scrollbar-gutter: stable;
        overflow-x: hidden;
        background: transparent;
    }
    BoardList > .board-list--border { color: $primary 40%; }
    BoardList > .board-list--mine { color: $success 60%; }
    BoardList > .board-list--current { color: $accent; }
    BoardList > .board-list--picked { color: $warning; }
    BoardList > .board-list--cursor { color: $accent; background: $boost; }
    BoardList > .board-list--mine-cursor { color: $success; background: $boost; }
    BoardList > .board-list--heading { color: $accent; text-style: bold; }
    BoardList > .board-list--note { color: $text-muted; }
    BoardList > .board-list--done { color: $text-muted; }
    """

    class Chosen(Message):
        """An item was clicked: the screen decides what a click means in its phase."""

        def __init__(self, board_list: BoardList, item: BoardItem) -> None:
            super().__init__()
            self.board_list = board_list
            self.item = item

        @property
        def control(self) -> BoardList:
            return self.board_list

    def __init__(self, *, empty: str = "", id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.items: list[BoardItem] = []
        self.empty = empty
        self.cursor: int | None = None  # index into items, on a selectable item
        self._keys: list[tuple[object, ...]] | None = None
        self._rows: list[tuple[int, int]] = []  # virtual line -> (item index, row)
        self._tops: list[int] = []  # item index -> its first virtual line
        self._laid_out_width = -1
        self._styles: dict[str, Style] = {}  # this widget's base and component styles, until restyled

    # -- what it shows -------------------------------------------------------------------------

    @property
    def current(self) -> BoardItem | None:
        return self.items[self.cursor] if self.cursor is not None else None

    @property
    def _selectable(self) -> list[int]:
        """The indexes of the items that can take the cursor."""
        return [index for index, item in enumerate(self.items) if item.selectable]

    def set_items(self, items: list[BoardItem], empty: str | None = None) -> None:
        """Show ``items``; the cursor stays on the item with the same id if it is still there."""
        if empty is not None and empty != self.empty:
            self.empty = empty
            self._keys = None  # force the redraw of the empty note
        keys = [item.key() for item in items]
        if keys == self._keys:
            return
        was = self.current
        self.items, self._keys = items, keys
        self.cursor = None
        if was is not None:
            self.cursor = next((i for i, item in enumerate(items) if item.id == was.id and item.selectable), None)
        if self.cursor is None:
            self.cursor = self._nearest(0)
        self._lay_out()

    def move_to_position(self, position: int) -> None:
        """Put the cursor on the selectable item at ``position`` (clamped)."""
        indexes = self._selectable
        if indexes:
            self._set_cursor(indexes[max(0, min(position, len(indexes) - 1))])

    @property
    def position(self) -> int:
        """The cursor's place among the selectable items (0 when there is none)."""
        return self._selectable.index(self.cursor) if self.cursor is not None else 0

    # -- cursor --------------------------------------------------------------------------------------

    def _nearest(self, start: int, direction: int = 1) -> int | None:
        """The selectable item nearest ``start``: looking in ``direction`` first, then back."""
        indexes = self._selectable
        ahead = [i for i in indexes if i >= start] if direction > 0 else [i for i in reversed(indexes) if i <= start]
        behind = [i for i in reversed(indexes) if i < start] if direction > 0 else [i for i in indexes if i > start]
        return next(iter(ahead + behind), None)

    def _set_cursor(self, index: int | None) -> None:
        if index == self.cursor:
            return
        self.cursor = index
        self.refresh()
        self._scroll_to_cursor()

    def _scroll_to_cursor(self) -> None:
        if self.cursor is None or not self._tops:
            return
        top = self._tops[self.cursor]
        end = self._tops[self.cursor + 1] if self.cursor + 1 < len(self._tops) else len(self._rows)
        self.scroll_to_region(Region(0, top, 1, max(1, end - top)), animate=False, immediate=True)

    def action_cursor(self, delta: int) -> None:
        indexes = self._selectable
        if not indexes:
            return
        if self.cursor not in indexes:
            self._set_cursor(indexes[0])
            return
        place = indexes.index(self.cursor) + delta
        self._set_cursor(indexes[max(0, min(len(indexes) - 1, place))])

    def action_page(self, direction: int) -> None:
        if self.cursor is None:
            return
        target = self._tops[self.cursor] + direction * max(1, self.container_size.height - 1)
        index = self._item_at(max(0, min(len(self._rows) - 1, target)))
        if index is not None:
            self._set_cursor(self._nearest(index, direction))

    def action_edge(self, direction: int) -> None:
        indexes = self._selectable
        if indexes:
            self._set_cursor(indexes[-1] if direction > 0 else indexes[0])

    def _item_at(self, line: int) -> int | None:
        if 0 <= line < len(self._rows):
            return self._rows[line][0]
        return None

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = self._item_at(offset.y + self.scroll_offset.y)
        if index is None or index < 0:
            return
        item = self.items[index]
        if item.selectable:
            self._set_cursor(index)
        self.focus()
        self.post_message(self.Chosen(self, item))

    def on_focus(self) -> None:
        self.refresh()

    # -- keys typed ahead ---------------------------------------------------------------------------

    async def on_key(self, event: events.Key) -> None:
        """Each key goes where the focus is by its turn (coptui.tui.typed_ahead): after "a"
        opened the card composer, the card's letters ran board bindings (a facilitator's "n"
        moves the retro on), and after a move to the next column, "down" moved the cursor in
        the column left behind."""
        focused = self.screen.focused
        if focused is not None and focused is not self and not isinstance(focused, BoardList):
            pass_on(event, focused)  # the composer's text
        else:
            await bind_now(self, event)

    def on_blur(self) -> None:
        self.refresh()

    # -- layout and drawing --------------------------------------------------------------------------

    @property
    def _width(self) -> int:
        # From the size the compositor gave (the gutter for the scrollbar is always kept, see
        # the CSS): the region properties look the widget up on its screen each time, which
        # cost more than drawing the lines.
        return max(0, self.container_size.width - self.styles.scrollbar_size_vertical)

    def on_resize(self) -> None:
        if self._width != self._laid_out_width:
            self._lay_out()
        else:
            self.virtual_size = Size(self._width, max(len(self._rows), self.container_size.height))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._laid_out_width = -1  # styles (and so wrapped lines) may differ

    def _style(self, name: str) -> Style:
        style = self._styles.get(name)
        if style is None:
            if name == "base":
                style = self.rich_style
            else:
                style = self._style("base") + self.get_component_rich_style(name, partial=True)
            self._styles[name] = style
        return style

    def _body_style(self, item: BoardItem, index: int) -> Style:
        if item.kind == "heading":
            style = self._style("board-list--heading")
        elif item.kind == "note":
            style = self._style("board-list--note")
        elif "-done" in item.flags:
            style = self._style("board-list--done")
        else:
            style = self._style("base")
        if index == self.cursor and self.has_focus:
            style += Style(bgcolor=self._cursor_style(item).bgcolor)
        return style

    def _cursor_style(self, item: BoardItem) -> Style:
        return self._style("board-list--mine-cursor" if "-mine" in item.flags else "board-list--cursor")

    def _body(self, index: int) -> list[Strip]:
        item = self.items[index]
        inner = self._width - (4 if item.selectable else 2 if item.kind == "note" else 0)
        return wrapped(self.app.console, item.content, max(inner, 1), self._body_style(item, index))

    def _lay_out(self) -> None:
        self._compute_rows()
        self.refresh()
        if self.cursor is not None:
            self.call_after_refresh(self._scroll_to_cursor)

    def _compute_rows(self) -> None:
        width = self._width
        self._laid_out_width = width
        rows: list[tuple[int, int]] = []
        tops: list[int] = []
        if width > 0:
            for index, item in enumerate(self.items):
                tops.append(len(rows))
                if item.kind == "heading":
                    rows.append((index, GAP))
                body = len(self._body(index))
                if item.selectable:
                    rows.append((index, TOP))
                rows.extend((index, row) for row in range(body))
                if item.selectable:
                    rows.extend([(index, BOTTOM), (index, GAP)])
            if not self.items and self.empty:
                rows.extend((-1, row) for row in range(len(self._empty_lines())))
        self._rows, self._tops = rows, tops
        # At least as tall as the widget: a board whose items still fit keeps its virtual
        # size, and a new virtual size means a layout of the whole screen (every session's,
        # at a reveal), where a repaint of the changed lines is enough.
        self.virtual_size = Size(width, max(len(rows), self.container_size.height))

    def _empty_lines(self) -> list[Strip]:
        return wrapped(self.app.console, Text(self.empty), max(self._width - 2, 1), self._style("board-list--note"))

    def render_line(self, y: int) -> Strip:
        width = self._width
        if width != self._laid_out_width:
            self._compute_rows()  # resized since the items were wrapped
        line = self.scroll_offset.y + y
        strip = self._render_virtual_line(line, width)
        return strip if strip.cell_length == width else strip.crop_extend(0, width, self._style("base"))

    def _render_virtual_line(self, line: int, width: int) -> Strip:
        if line >= len(self._rows):
            return blank(width, self._style("base"))
        index, row = self._rows[line]
        if index < 0:
            return self._padded_lines(self._empty_lines(), Text(self.empty), self._style("board-list--note"))[row]
        item = self.items[index]
        if row == GAP:
            return blank(width, self._style("base"))
        if item.kind == "note":
            return self._padded_lines(self._body(index), item.content, self._body_style(item, index))[row]
        if not item.selectable:
            return self._body(index)[row]
        return self._box(index)[row + 1]  # TOP is -1: the box's first line

    def _padded_lines(self, body: list[Strip], text: Text, style: Style) -> list[Strip]:
        key = ("padded", text_key(text), self._width, style)
        lines = _BOXES.get(key)
        if lines is None:
            pad = Segment(" ", style)
            lines = _BOXES[key] = [Strip([pad, *line, pad], line.cell_length + 2) for line in body]
        return lines

    def _box(self, index: int) -> list[Strip]:
        """The item's lines in its frame: top border, body lines, bottom border."""
        item = self.items[index]
        width = self._width
        inside = self._body_style(item, index)
        chars, border = self._frame(item, index)
        key = (text_key(item.content), width, inside, chars, border)
        lines = _BOXES.get(key)
        if lines is None:
            left, horizontal, right, vertical, bottom_left, bottom_right = tuple(chars)
            pad, side = Segment(" ", inside), Segment(vertical, border)
            lines = [Strip([Segment(left + horizontal * (width - 2) + right, border)], width)]
            lines.extend(Strip([side, pad, *body, pad, side], width) for body in self._body(index))
            lines.append(Strip([Segment(bottom_left + horizontal * (width - 2) + bottom_right, border)], width))
            _BOXES[key] = lines
        return lines

    def _frame(self, item: BoardItem, index: int) -> tuple[str, Style]:
        if "-picked" in item.flags:
            return DOUBLE, self._style("board-list--picked")
        if index == self.cursor and self.has_focus:
            return HEAVY, self._cursor_style(item)
        if "-mine" in item.flags:
            return ROUND, self._style("board-list--mine")
        if "-current" in item.flags:
            return ROUND, self._style("board-list--current")
        return ROUND, self._style("board-list--border")
