"""Widgets drawing shared lines (BoardList, SharedText): the cells Textual's path draws, strips shared."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import App, ComposeResult
from textual.filter import Monochrome
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from coptui.tui.shared.board_list import BoardItem, BoardList
from coptui.tui.shared.shared_text import SharedText
from tests.support.waits import settle

ITEMS = [
    BoardItem("h", "heading", Text("Mad")),
    BoardItem("c1", "card", Text("Deploys take a whole afternoon and nobody knows why"), "-mine"),
    BoardItem("c2", "card", Text("[red]markup[/] stays literal")),
    BoardItem("t1", "theme", Text("Flaky tests\n· retry storms\n· slow CI"), "-current"),
    BoardItem("n", "note", Text("2 more cards are hidden until the reveal")),
    *(BoardItem(f"x{i}", "card", Text(f"card {i}")) for i in range(12)),
]


class OneList(App[None]):
    CSS = "BoardList { width: 36; }"

    def __init__(self, *, no_color: bool = False) -> None:
        super().__init__()
        if no_color:
            self._filters.append(Monochrome())

    def compose(self) -> ComposeResult:
        yield BoardList(id="list")

    def on_mount(self) -> None:
        board = self.query_one(BoardList)
        board.set_items(ITEMS)
        board.focus()


def laid_out(app: App[None]) -> bool:
    """The app's list (or texts) have their place on the screen."""
    widgets = list(app.query(BoardList)) + list(app.query(SharedText))
    return bool(widgets) and all(widget.outer_size.width > 0 and widget.outer_size.height > 0 for widget in widgets)


def cells(strip: Strip) -> list[tuple[str, Style | None]]:
    return [(char, segment.style) for segment in strip for char in segment.text if not segment.control]


def textual_lines(widget: Widget, crop: Region) -> list[Strip]:
    """What Textual's own path (its styles cache) draws for ``crop``."""
    widget._styles_cache.clear()
    return widget._styles_cache.render_widget(widget, crop)


async def _same_cells_as_textual(no_color: bool) -> None:
    app = OneList(no_color=no_color)
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, lambda: laid_out(app))
        board = app.query_one(BoardList)
        width, height = board.outer_size
        await pilot.press("down", "down")  # the cursor on the theme: heavy frame, boost background
        await settle(pilot, until=lambda: board.current is not None and board.current.id == "t1")
        for crop in (Region(0, 0, width, height), Region(3, 2, width - 5, 6), Region(0, height - 1, width, 1)):
            mine, theirs = board.render_lines(crop), textual_lines(board, crop)
            assert [cells(s) for s in mine] == [cells(s) for s in theirs], crop
            assert all(s.cell_length == crop.width for s in mine)
        board.scroll_end(animate=False, immediate=True)
        await settle(pilot, until=lambda: board.scroll_offset.y == board.max_scroll_y > 0)
        crop = Region(0, 0, width, height)
        assert [cells(s) for s in board.render_lines(crop)] == [cells(s) for s in textual_lines(board, crop)]


async def test_its_lines_have_the_cells_textual_would_draw() -> None:
    await _same_cells_as_textual(no_color=False)


async def test_its_lines_have_the_cells_textual_would_draw_with_no_color() -> None:
    await _same_cells_as_textual(no_color=True)


async def test_two_sessions_showing_the_same_board_share_the_strips() -> None:
    first, second = OneList(no_color=True), OneList(no_color=True)  # each its own filter object
    async with first.run_test(size=(60, 20)) as one, second.run_test(size=(60, 20)) as two:
        await settle([one, two], lambda: laid_out(first) and laid_out(second))
        drawn = []
        for app in (first, second):
            board = app.query_one(BoardList)
            with app._context():  # as in each session's own task: its app, its filters
                drawn.append(board.render_lines(Region(0, 0, *board.outer_size)))
        mine, theirs = drawn
        assert all(a is b for a, b in zip(mine, theirs)), "each line is one object for both sessions"


HINT = Text.assemble(
    ("Phase 3/8 · ", "dim"), ("Reveal", "bold"), " Everyone's cards are on the board; [b]markup[/b] stays as typed."
)


class TwoTexts(App[None]):
    CSS = """
    #plain { width: 30; color: $text-muted; background: $boost; }
    #padded { width: 30; padding: 0 2; border: round $primary; }
    """

    def compose(self) -> ComposeResult:
        yield SharedText(HINT, id="plain")
        yield SharedText(HINT, id="padded")


async def test_shared_text_wraps_to_its_width_and_is_as_tall_as_its_lines() -> None:
    app = TwoTexts()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, lambda: laid_out(app))
        text = app.query_one("#plain", SharedText)
        lines = text.lines(30)
        assert len(lines) == 3 and text.outer_size == (30, 3)
        assert "".join(s.text for s in lines).split() == HINT.plain.split()
        text.update(Text("short"))
        await settle(pilot, until=lambda: text.outer_size == (30, 1))


async def test_shared_text_has_the_cells_textual_would_draw_and_falls_back_when_styled_with_a_frame() -> None:
    app = TwoTexts()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, lambda: laid_out(app))
        for widget in app.query(SharedText):
            width, height = widget.outer_size
            for crop in (Region(0, 0, width, height), Region(2, 1, width - 4, 2)):
                mine, theirs = widget.render_lines(crop), textual_lines(widget, crop)
                assert [cells(s) for s in mine] == [cells(s) for s in theirs], (widget.id, crop)
        padded = app.query_one("#padded", SharedText)
        assert padded.render_lines(Region(0, 0, 30, 1))[0].text.startswith("╭"), "its border is drawn"


async def test_a_new_theme_reaches_the_shared_lines() -> None:
    app = OneList()
    async with app.run_test(size=(60, 20)) as pilot:
        await settle(pilot, lambda: laid_out(app))
        board = app.query_one(BoardList)
        crop = Region(0, 0, *board.outer_size)
        dark = [cells(s) for s in board.render_lines(crop)]
        app.theme = "textual-light"
        await settle(pilot, until=lambda: [cells(s) for s in board.render_lines(crop)] != dark)
        light = [cells(s) for s in board.render_lines(crop)]
        assert light == [cells(s) for s in textual_lines(board, crop)]
