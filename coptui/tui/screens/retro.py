"""The live retro board: one screen per member, all following the phase the facilitator sets.

The screen draws only from :func:`coptui.core.retro.board_for`, the view of the member at this
terminal: others' unrevealed cards are never in it, so their text never reaches this
terminal. Every read and write runs in a thread worker; the event loop only draws.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from functools import partial

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.events import DescendantFocus
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Header, Input, Label, Static

from coptui.core import retro, retro_phases
from coptui.core.retro import PHASE_HINTS, ActionStatus, ActionView, CardView, ComposerDraft, RetroBoard, ThemeView
from coptui.core.run import RunError
from coptui.errors import CoptuiError
from coptui.store.errors import StoreError
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.screens.dialogs import ConfirmDialog
from coptui.tui.shared.board_list import BoardItem, BoardList
from coptui.tui.shared.shared_text import SharedText
from coptui.tui.shared.steady_footer import SteadyFooter
from coptui.tui.text import literal
from coptui.tui.typed_ahead import ComposerInput
from coptui.tui.widgets.action_dialog import ActionDialog, ActionDraft
from coptui.tui.widgets.countdown import Countdown

BOARD_PHASES = ("write", "reveal", "group", "vote")
# Unsent composer text is stored this long after the member's last key (and when they leave or
# their session ends): a dropped connection or a server stop loses none of it.
DRAFT_SAVE_DELAY = 2.0
STATUS_MARKS = {"open": "☐", "done": "✓", "dropped": "✗"}


class BoardColumn(Vertical):
    """A board column: its title and its cards (or themes)."""

    def __init__(self, index: int, column_id: str, title: Widget) -> None:
        self.list = BoardList(classes="column-items")
        super().__init__(title, self.list, classes="retro-column")
        self.index = index
        self.column_id = column_id


def on_the_board(board: RetroBoard) -> bool:
    """Whether the board shows columns of cards (else one list: actions, themes, ROTI)."""
    return board.is_open and board.phase in BOARD_PHASES


def _author(card: CardView) -> Text:
    return literal(f" — {card.author}", "dim") if card.author else Text()


def theme_text(theme: ThemeView, board: RetroBoard, *, picked: bool = False) -> Text:
    text = Text()
    if picked:
        text.append("moving… ", "bold reverse")
    grouped = bool(theme.name) or len(theme.cards) > 1
    if theme.name:
        text.append_text(literal(theme.name, "bold"))
    elif grouped:
        text.append("(unnamed theme)", "italic dim")
    for index, card in enumerate(theme.cards):
        if grouped or index:
            text.append("\n• ")
        text.append_text(literal(card.text))
        text.append_text(_author(card))
    if board.phase == "vote" and board.is_open:
        if theme.my_votes:
            text.append("\n" + "● " * theme.my_votes, "bold green")
    elif theme.votes is not None:
        text.append(f"\n▲ {theme.votes} vote{'s' if theme.votes != 1 else ''}", "bold")
    if not board.revealed or board.phase in ("discuss", "actions") or not board.is_open:
        text.append_text(literal(f"  [{board.column_title(theme.column)}]", "dim"))
    return text


def action_text(action: ActionView, today: date) -> Text:
    text = Text(f"{STATUS_MARKS.get(action.status, '?')} ", "bold")
    text.append_text(literal(action.text, "strike" if action.status == "dropped" else ""))
    details = [action.owner_name, f"due {action.due.isoformat()}" if action.due else "no due date"]
    if action.overdue(today):
        details[-1] += " (overdue)"
    if action.status != "open":
        details.append(action.status)
    text.append_text(literal("\n" + " · ".join(details) + f" · from {action.source_title}", "dim"))
    return text


def _heading(key: str, title: str) -> BoardItem:
    return BoardItem(f"h-{key}", "heading", Text(title))


def _note(key: str, message: str) -> BoardItem:
    return BoardItem(f"n-{key}", "note", Text(message))


def list_entries(board: RetroBoard, today: date) -> list[BoardItem]:
    """What the list layout shows in the review, discuss, actions and close phases, and once closed."""
    entries: list[BoardItem] = []

    def actions(actions: tuple[ActionView, ...], title: str, empty: str) -> None:
        entries.append(_heading("actions", title))
        if not actions:
            entries.append(_note("actions", empty))
        for action in actions:
            entries.append(
                BoardItem(action.id, "action", action_text(action, today), "-done" if action.status != "open" else "")
            )

    def themes(title: str) -> None:
        entries.append(_heading("themes", title))
        if not board.themes:
            entries.append(_note("themes", "No cards were written."))
        for theme in board.themes:
            current = theme.id == board.discuss_theme
            content = theme_text(theme, board)
            if current:
                content = Text.assemble(("▶ Now discussing\n", "bold"), content)
            entries.append(BoardItem(theme.id, "theme", content, "-current" if current else ""))

    if not board.is_open:
        themes("Themes, most voted first" if board.votes_visible else "Themes")
        actions(board.actions, "Actions agreed", "No actions were agreed.")
        entries.append(_heading("roti", "Return on time invested"))
        entries.append(_note("roti", roti_summary(board.roti_scores, board.roti_count)))
    elif board.phase == "review":
        actions(board.review_actions, "Open actions from earlier retros", "No open actions from earlier retros.")
    elif board.phase in ("discuss", "actions"):
        themes("Themes, most voted first" if board.votes_visible else "Themes")
        actions(board.actions, "Actions agreed so far", "No actions yet: press a to add one.")
    elif board.phase == "close":
        entries.append(_heading("roti", "Return on time invested"))
        if board.roti_given:
            entries.append(_note("roti", f"Thank you, your ROTI is in (anonymous). {board.roti_count} given so far."))
        else:
            entries.append(
                _note(
                    "roti",
                    f"Was this retro worth your time? Press 1 (waste) to 5 (excellent). Anonymous. {board.roti_count} given so far.",
                )
            )
        actions(board.actions, "Actions agreed", "No actions were agreed.")
    return entries


def roti_summary(scores: tuple[int, ...], given: int) -> str:
    """``scores``: those that may be shown (none below the threshold); ``given``: how many."""
    if not scores:
        return retro.held_back_tally(given) if given else "No ROTI was given."
    mean = sum(scores) / len(scores)
    spread = ", ".join(f"{score}: {scores.count(score)}" for score in range(5, 0, -1) if score in scores)
    return f"Mean {mean:.1f} from {len(scores)} answers ({spread})"


def column_entries(board: RetroBoard, column_id: str, picked: str | None) -> list[BoardItem]:
    if not board.revealed:
        return [
            BoardItem(card.id, "card", literal(card.text), "-mine")
            for card in board.my_cards
            if card.column == column_id
        ]
    return [
        BoardItem(
            theme.id,
            "theme",
            theme_text(theme, board, picked=theme.id == picked),
            "-picked" if theme.id == picked else "",
        )
        for theme in board.themes
        if theme.column == column_id
    ]


class RetroScreen(CoptuiScreen[None]):
    CSS_PATH = "retro.tcss"
    HELP_TITLE = "Retro"
    HELP = (
        "A live retrospective. The facilitator moves everyone through the phases: review of open actions, "
        "write (your cards stay private), reveal, group (m picks a theme up and drops it on another to merge, "
        "e names it), vote (v / u; votes stay hidden until the vote ends), discuss (most voted first, with a "
        "countdown), actions (a adds one: what, who, by when) and close (ROTI 1 to 5, anonymous). "
        "The facilitator's n moves everyone to the next phase, s skips the next phase, + adds a minute to the "
        "countdown and ] moves the discussion to the next theme. "
        "Arrows move between columns and cards; the mouse works too."
    )
    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("a", "add_card", "Add card"),
        Binding("a", "add_action", "Add action"),
        Binding("e", "edit_card", "Edit"),
        Binding("e", "name_theme", "Name"),
        Binding("d", "mark_done", "Done"),
        Binding("x,delete", "delete_card", "Delete"),
        Binding("m,enter", "move", "Move"),
        Binding("u", "ungroup", "Ungroup"),
        Binding("v", "vote", "Vote"),
        Binding("u,backspace", "unvote", "Unvote"),
        Binding("x", "mark_dropped", "Drop"),
        Binding("1", "roti(1)", "ROTI", key_display="1-5"),
        Binding("2", "roti(2)", "ROTI 2", show=False),
        Binding("3", "roti(3)", "ROTI 3", show=False),
        Binding("4", "roti(4)", "ROTI 4", show=False),
        Binding("5", "roti(5)", "ROTI 5", show=False),
        Binding("n", "reveal", "Reveal"),
        Binding("n", "next_phase", "Next phase"),
        Binding("n", "finish", "Finish"),
        Binding("s", "skip_phase", "Skip next"),
        Binding("plus,equals_sign", "extend_timer", "+1 min", key_display="+"),
        Binding("right_square_bracket", "next_theme", "Next theme", key_display="]"),
        Binding("left", "column(-1)", "Previous column", show=False),
        Binding("right", "column(1)", "Next column", show=False),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.board: RetroBoard | None = None
        self.picked: str | None = None  # the theme being moved in the group phase
        self.column_index = 0
        self._columns: list[BoardColumn] = []
        self._render_lock = asyncio.Lock()
        self._shown: dict[str, object] = {}  # what each banner part shows: unchanged parts are not redrawn
        # Unsent composer text (retro.drafts): what the store holds now, the text the composer
        # opened with (an edited card's, a theme's name: nothing new to keep), the pending save.
        self._draft_stored: ComposerDraft | None = None
        self._draft_checked = False  # the stored draft was looked for (once, on the first load)
        self._opened_with = ""
        self._draft_timer: Timer | None = None
        self._action_dialog: ActionDialog | None = None  # the new action being written, while open

    # -- layout ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="retro-banner"):
            with Horizontal(id="phase-row"):
                yield SharedText("Loading the retro…", id="phase-line")
                yield SharedText("", id="votes-left")
                yield Countdown(id="countdown")
            yield SharedText("", id="phase-hint")
        yield Horizontal(id="retro-columns")
        yield BoardList(id="retro-list")
        with Horizontal(id="composer"):
            yield Label("", id="composer-label")
            yield ComposerInput(id="composer-input", max_length=retro.MAX_CARD_CHARS)
        yield SteadyFooter(wait_for_sync=True)  # its keys depend on the board: built once it is drawn

    def on_mount(self) -> None:
        # Kept for the end of the session: by the screen's unmount its widgets are gone from queries.
        self._composer = self.query_one("#composer-input", ComposerInput)
        self.query_one("#composer").display = False
        self.query_one("#retro-list").display = False
        self.load()

    @property
    def handle(self) -> str:
        return self.member.handle

    @property
    def watching_live(self) -> bool:
        """True while the retro shown is open: `coptui serve` does not end a member following it as idle."""
        return self.board is not None and self.board.is_open

    # -- loading --------------------------------------------------------------------------------

    @work(exclusive=True, group="retro-load", exit_on_error=False)
    async def load(self) -> None:
        # The files are read in a thread, once for all the sessions that ask at the same time.
        try:
            files = await self.workspace.reads.read(
                ("retro", self.run_id), partial(retro.read_retro, self.workspace, self.run_id)
            )
            board = retro.board_from(self.workspace, self.run_id, files, self.handle)
        except (RunError, StoreError) as error:
            self._show_error(str(error))
            return
        # A newer load cancels this one, but not a drawing begun: the next waits for it.
        await asyncio.shield(self.show_board(board))
        if not self._draft_checked and self.board is board:
            self._draft_checked = True
            self._restore_draft(board, retro.draft_in(self.workspace.store, self.run_id, self.handle, files.run))

    def _show_error(self, message: str) -> None:
        self._put("#phase-line", literal(message))
        self.run_worker(self.query_one(SteadyFooter).sync(), group="retro-draw")  # Back and Help at least

    def on_data_changed(self, message: DataChanged) -> None:
        if any(c.area == "actions" or (c.area == "run" and c.run_id == self.run_id) for c in message.changes):
            self.load()

    async def show_board(self, board: RetroBoard) -> None:
        async with self._render_lock:
            if not self.is_attached:
                return  # the member left the board while this drawing waited its turn
            # One layout and one render for the whole change, not one per mount or removal
            # awaited while drawing: each costs every SSH session CPU on the shared loop.
            with self.app.batch_update():
                await self._draw(board)
            self.check_idle()  # the screen's refresh, held back during the batch, runs now

    async def _draw(self, board: RetroBoard) -> None:
        if self.board is None or [c.column_id for c in self._columns] != [c.id for c in board.columns]:
            await self._build_columns(board)
        self.board = board
        if self.picked is not None and (board.phase != "group" or board.theme(self.picked) is None):
            self.picked = None
        self._show_banner(board)
        on_board = on_the_board(board)
        self.query_one("#retro-columns").display = on_board
        self.query_one("#retro-list").display = not on_board
        if on_board:
            empty = "No cards yet. Press a to write one." if board.phase == "write" else "No cards."
            for column in self._columns:
                column.list.set_items(column_entries(board, column.column_id, self.picked), empty)
            self._mark_current_column()
        else:
            self.query_one("#retro-list", BoardList).set_items(list_entries(board, date.today()))
        if self.composer_mode is not None and not retro_phases.text_still_taken(board, self.composer_mode[0]):
            unsent = self.query_one("#composer-input", Input).value.strip()
            self._draft_stored = None  # the change of phase dropped it from the store
            self._close_composer()
            if unsent:
                self.notify(
                    f"The retro moved on to {board.phase_title.lower()}; this was not saved: {unsent}",
                    severity="warning",
                    markup=False,
                )
        self._restore_focus()
        self._refresh_bindings_if_changed()
        await self.query_one(SteadyFooter).sync()

    async def _build_columns(self, board: RetroBoard) -> None:
        holder = self.query_one("#retro-columns", Horizontal)
        await holder.remove_children()
        self._columns = [
            BoardColumn(
                index,
                column.id,
                Static(
                    Text.assemble(literal(column.title, "bold"), "\n", literal(column.prompt, "dim")),
                    classes="column-title",
                ),
            )
            for index, column in enumerate(board.columns)
        ]
        await holder.mount_all(self._columns)
        self.column_index = min(self.column_index, len(self._columns) - 1)

    def _put(self, selector: str, content: Text) -> None:
        """Update a banner part only when its content changed, and lay the screen out again
        only when the part's size changes.

        In the write phase every card someone writes changes the count in the hint on every
        other member's screen: a repaint of that line, not a layout of the whole board.
        """
        if self._shown.get(selector) == content:
            return
        self._shown[selector] = content
        widget = self.query_one(selector, SharedText)
        width, height = widget.content_size
        widget.update(content, layout=False)
        if not width or (widget.styles.width is not None and widget.styles.width.is_auto):
            widget.refresh(layout=True)  # not laid out yet, or as wide as its text
        else:
            minimum = widget.styles.min_height
            needed = len(widget.lines(width))
            if max(needed, int(minimum.value) if minimum is not None and minimum.is_cells else 0) != height:
                widget.refresh(layout=True)  # the text wraps to more or fewer lines than there is room for

    def _show_banner(self, board: RetroBoard) -> None:
        self.title = board.title
        line = Text()
        if board.is_open:
            line.append(f"Phase {board.phase_index + 1}/{len(board.phases)} · ", "dim")
            line.append(board.phase_title, "bold")
            current = board.theme(board.discuss_theme) if board.discuss_theme else None
            if current is not None:
                line.append(" · now: ", "dim")
                line.append_text(literal(current.title[:60]))
        else:
            line.append(f"Closed on {board.closed_on.isoformat() if board.closed_on else '?'}", "bold")
        self._put("#phase-line", line)
        self.query_one("#votes-left", SharedText).display = board.is_open and board.phase == "vote"
        self._put("#votes-left", Text(f"Votes left: {board.votes_left}/{board.votes_per_person}", "bold"))
        self.query_one("#countdown", Countdown).deadline = board.timer_deadline
        if board.is_open:
            hint = Text(PHASE_HINTS[board.phase])
        else:
            hint = Text(f"This retro is closed. ROTI: {roti_summary(board.roti_scores, board.roti_count)}")
        if board.is_open and board.phase == "write" and board.hidden_cards:
            hint.append(
                f" Others have written {board.hidden_cards} card{'s' if board.hidden_cards != 1 else ''} so far.", "dim"
            )
        if board.is_open and board.phase == "vote":
            hint.append(f" {board.voters} member{'s' if board.voters != 1 else ''} voted so far.", "dim")
        if board.is_open and board.anonymous_cards and board.phase == "write":
            hint.append(" Cards are anonymous.", "italic")
        if self.picked is not None and board.theme(self.picked) is not None:
            hint = Text("Moving a theme: go to the theme to merge it into and press m (Esc cancels).", "bold")
        self._put("#phase-hint", hint)
        # The phase is on the phase line, not in the header: a new sub-title repaints the
        # whole screen (Screen.sub_title is a repainting reactive), on every session at once.
        self.sub_title = "live retro" if board.is_open else "closed"

    # -- focus and navigation -----------------------------------------------------------------------

    def _lists(self) -> list[BoardList]:
        """The lists shown now: the columns' on the board, else the one list."""
        if self.board is not None and on_the_board(self.board):
            return [column.list for column in self._columns]
        return [self.query_one("#retro-list", BoardList)]

    def _restore_focus(self) -> None:
        if self.composer_mode is not None:
            return
        lists = self._lists()
        if isinstance(self.focused, BoardList) and self.focused in lists:
            return  # the common case: the cursor stays where it was, on the same item
        target = lists[min(self.column_index, len(lists) - 1)] if lists else None
        if target is not None:
            self.set_focus(target, scroll_visible=False)  # at once, as in action_column
        else:
            self.set_focus(None)

    def _mark_current_column(self) -> None:
        for column in self._columns:
            column.set_class(column.index == self.column_index, "-current")

    @on(DescendantFocus)
    def _follow_focus(self, event: DescendantFocus) -> None:
        if event.widget is not self.focused:
            return  # the focus has moved on since (keys typed ahead): the column is already current
        column = event.widget.parent
        if isinstance(column, BoardColumn) and column.index != self.column_index:
            self.column_index = column.index
            self._mark_current_column()

    def on_click(self, event: events.Click) -> None:
        widget = event.widget
        column = widget if isinstance(widget, BoardColumn) else (widget.parent if widget is not None else None)
        if isinstance(column, BoardColumn) and self.focused is not column.list:
            column.list.focus()

    def action_column(self, delta: int) -> None:
        if not self._columns or not self.query_one("#retro-columns").display:
            return
        current = self._columns[self.column_index].list
        row = current.position if self.focused is current else 0
        self.column_index = (self.column_index + delta) % len(self._columns)
        self._mark_current_column()
        target = self._columns[self.column_index].list
        target.move_to_position(row)
        # At once, not after the keys already queued (Widget.focus waits its turn): keys typed
        # with the arrow in one burst, as over SSH, go to the column moved to.
        self.set_focus(target)

    def _focused(self, kind: str) -> BoardItem | None:
        if (
            isinstance(self.focused, BoardList)
            and self.focused.current is not None
            and self.focused.current.kind == kind
        ):
            return self.focused.current
        return None

    # -- which keys apply now ---------------------------------------------------------------------------

    def _refresh_bindings_if_changed(self) -> None:
        # Recomposing the footer costs more than the rest of a board update, and in `coptui
        # serve` every session redraws on every card and vote: only when the keys change.
        state = tuple(
            self.check_action(b.action.partition("(")[0], ()) for b in self.BINDINGS if isinstance(b, Binding)
        )
        if state != getattr(self, "_binding_state", None):
            self._binding_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in retro_phases.COMMANDS:
            return True  # Back, the column moves
        board = self.board
        if board is None or not retro_phases.allowed(board, action):
            return False
        return None if retro_phases.spent(board, action) else True  # None: shown greyed (out of votes)

    # -- writing through the core, off the event loop -------------------------------------------------

    def write(
        self, change: Callable[[], object], done: str | None = None, then: Callable[[], None] | None = None
    ) -> None:
        """Run ``change`` (a retro command) in a thread; the board follows from the data change it makes."""
        self.run_core(change, done=done, then=(lambda _: then()) if then is not None else None, group="retro-write")

    # -- composer (card text and theme names) -----------------------------------------------------------

    @property
    def composer_mode(self) -> tuple[str, str] | None:
        """What the composer is open for: ("card", column) | ("edit", card) | ("name", theme); None when closed."""
        return self.query_one("#composer-input", ComposerInput).purpose

    def _open_composer(
        self, mode: tuple[str, str], label: str, value: str = "", opened_with: str | None = None
    ) -> None:
        """``opened_with``: the text there is nothing new in (default ``value``; a restored
        draft opens with its text, and the card's or theme's own as ``opened_with``)."""
        composer = self.query_one("#composer")
        composer.display = True
        self.query_one("#composer-label", Label).update(literal(label))
        field = self.query_one("#composer-input", ComposerInput)
        field.max_length = retro.MAX_NAME_CHARS if mode[0] == "name" else retro.MAX_CARD_CHARS
        self._opened_with = value if opened_with is None else opened_with
        field.value = value
        field.purpose = mode
        field.clear_on_send = mode[0] == "card"  # ready for the next card at once; the text comes back on an error
        self.set_focus(field)  # at once: the text typed in the same read as the "a" follows (BoardList.on_key)

    def _close_composer(self) -> None:
        self.query_one("#composer").display = False
        field = self.query_one("#composer-input", ComposerInput)
        field.value = ""
        field.purpose = None
        self._opened_with = ""
        self._store_draft()  # nothing to keep now: a stored draft is dropped
        self._restore_focus()
        self.refresh_bindings()

    # -- unsent text: kept in the store while the composer is open (retro.drafts) ----------------

    def _draft_now(self) -> ComposerDraft | None:
        """What the composer (or the new action's dialog) holds that is worth keeping: None
        when closed, empty or unchanged."""
        if self._action_dialog is not None:
            text, owner, due = self._action_dialog.unsent()
            return ComposerDraft("action", owner, text, due) if text.strip() else None
        field = self._composer
        if field.purpose is None or not field.value.strip() or field.value == self._opened_with:
            return None
        kind, target = field.purpose
        return ComposerDraft(kind, target, field.value)

    @on(Input.Changed, "#composer-input")
    def _composer_typed(self) -> None:
        """A change to keep: stored once the member pauses (the composer, the action's dialog)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(DRAFT_SAVE_DELAY, self._store_draft)

    def _store_draft(self) -> None:
        """Bring the stored draft in line with the composer, in a thread (no write if it already is)."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        wanted = self._draft_now()
        if wanted == self._draft_stored:
            return
        self._draft_stored = wanted
        self.run_core(partial(self._write_draft, wanted), refused=lambda _: None, group="retro-draft")

    def _write_draft(self, draft: ComposerDraft | None) -> None:
        """In a thread: store ``draft``, or drop the stored one (None). Refused once the phase moved on."""
        if draft is None:
            retro.drop_draft(self.workspace, self.run_id, self.handle)
        else:
            retro.keep_draft(self.workspace, self.run_id, self.handle, draft)

    async def on_unmount(self) -> None:
        # The member left the board (Esc closed the composer first: nothing is kept then), or
        # their session ended: a dropped connection, a server stop. Textual waits for this
        # before the app ends, and the screen's own workers are gone by now: written here.
        # (An action's dialog above the board was unmounted first; its fields still read.)
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        wanted = self._draft_now()
        if wanted is None or wanted == self._draft_stored:
            return
        self._draft_stored = wanted
        try:
            await asyncio.to_thread(self._write_draft, wanted)
        except CoptuiError:
            pass  # the retro moved on meanwhile: the text is no longer taken

    def _restore_draft(self, board: RetroBoard, draft: ComposerDraft | None) -> None:
        """Open the composer again on what the member was writing when they left."""
        if draft is None or self.composer_mode is not None or self._action_dialog is not None:
            return
        self._draft_stored = draft
        if draft.kind == "action":
            if retro_phases.allowed(board, "add_action"):
                self._open_action_dialog(board, text=draft.text, owner=draft.target, due=draft.due)
                self.notify("The action you were writing is back: Enter saves it, Esc drops it.", timeout=4)
                return
            self._store_draft()
            self.notify(f"The retro moved on; this action was not added: {draft.text.strip()}", severity="warning")
            return
        label, opened_with = self._draft_place(board, draft)
        if label is None:
            self._store_draft()  # what it was for is gone (the phase moved on, the card deleted): dropped
            if draft.text.strip():
                self.notify(
                    f"What you were writing is for something no longer on the board: {draft.text.strip()}",
                    severity="warning",
                    markup=False,
                )
            return
        self._composer.go_on_typing = True
        self._open_composer((draft.kind, draft.target), label, draft.text, opened_with=opened_with)
        self.refresh_bindings()
        self.notify("What you were writing is back: Enter sends it, Esc drops it.", timeout=4)

    def _draft_place(self, board: RetroBoard, draft: ComposerDraft) -> tuple[str | None, str]:
        """The composer's label for ``draft`` and the text it opens with; (None, "") if it no longer applies."""
        if not retro_phases.text_still_taken(board, draft.kind):
            return None, ""
        if draft.kind == "card":
            index = next((i for i, c in enumerate(board.columns) if c.id == draft.target), None)
            if index is None:
                return None, ""
            self.column_index = index
            self._mark_current_column()
            return f"{board.columns[index].title}:", ""
        if draft.kind == "edit":
            card = next((c for c in board.my_cards if c.id == draft.target), None)
            return ("Edit card:", card.text) if card is not None else (None, "")
        theme = board.theme(draft.target)
        return ("Theme name:", theme.name) if theme is not None else (None, "")

    @on(ComposerInput.Sent, "#composer-input")
    def _composer_submitted(self, message: ComposerInput.Sent) -> None:
        # What the text was for when Enter was pressed: an Esc typed right after it may have
        # closed the composer by now, and the text must still be written.
        ws, run_id, handle = self.workspace, self.run_id, self.handle
        kind, target = message.purpose
        text = message.text
        if kind == "card":
            self._write_card(target, text)
        elif kind == "edit":
            self.write(partial(retro.edit_card, ws, run_id, handle, target, text), then=self._close_composer)
        elif kind == "name":
            self.write(partial(retro.name_theme, ws, run_id, handle, target, text), then=self._close_composer)

    def _write_card(self, column: str, text: str) -> None:
        # The card is ready for the next one at once (clear_on_send): a draft of this one goes.
        stored, self._draft_stored = self._draft_stored, None
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None

        def send() -> None:
            retro.add_card(self.workspace, self.run_id, self.handle, column, text)
            if stored is not None:
                retro.drop_draft(self.workspace, self.run_id, self.handle, sent=stored.text)

        self.run_core(
            send,
            refused=lambda error: self._card_refused(text, str(error)),
            group="retro-write",
        )

    def _card_refused(self, text: str, message: str) -> None:
        field = self.query_one("#composer-input", Input)
        if self.composer_mode is not None and not field.value:
            field.value = text
        self.notify(message, severity="warning", markup=False)

    # -- actions: everyone -------------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.composer_mode is not None:
            self._close_composer()
        elif self.picked is not None:
            self.picked = None
            if self.board is not None:
                self.run_worker(self.show_board(self.board), group="retro-draw")
        else:
            self.app.pop_screen()

    def action_add_card(self) -> None:
        if self.board is None or not self._columns:
            return
        column = self.board.columns[self.column_index]
        self._open_composer(("card", column.id), f"{column.title}:")

    def action_edit_card(self) -> None:
        item = self._focused("card")
        if item is None or self.board is None:
            self.notify("Move to one of your cards first (arrows).", severity="warning")
            return
        card = next((c for c in self.board.my_cards if c.id == item.id), None)
        if card is not None:
            self._open_composer(("edit", card.id), "Edit card:", card.text)

    def action_delete_card(self) -> None:
        item = self._focused("card")
        if item is not None:
            self.write(
                partial(retro.delete_card, self.workspace, self.run_id, self.handle, item.id), done="Card deleted."
            )

    def action_move(self) -> None:
        item = self._focused("theme")
        if item is None or self.board is None:
            self.notify("Move to a theme first (arrows).", severity="warning")
            return
        if self.picked is None:
            self.picked = item.id
        elif self.picked == item.id:
            self.picked = None
        else:
            source, self.picked = self.picked, None
            self.write(partial(retro.merge_themes, self.workspace, self.run_id, self.handle, source, item.id))
        self.run_worker(self.show_board(self.board), group="retro-draw")

    def action_name_theme(self) -> None:
        item = self._focused("theme")
        theme = self.board.theme(item.id) if item is not None and self.board is not None else None
        if theme is None:
            self.notify("Move to a theme first (arrows).", severity="warning")
            return
        self._open_composer(("name", theme.id), "Theme name:", theme.name)

    def action_ungroup(self) -> None:
        item = self._focused("theme")
        if item is not None:
            self.write(partial(retro.ungroup_theme, self.workspace, self.run_id, self.handle, item.id))

    def action_vote(self) -> None:
        item = self._focused("theme")
        if item is not None:
            self.write(partial(retro.vote, self.workspace, self.run_id, self.handle, item.id))

    def action_unvote(self) -> None:
        item = self._focused("theme")
        if item is not None:
            self.write(partial(retro.unvote, self.workspace, self.run_id, self.handle, item.id))

    def _set_status(self, status: ActionStatus) -> None:
        item = self._focused("action")
        if item is not None:
            change = partial(retro.set_action_status, self.workspace, item.id, self.handle, status, in_run=self.run_id)
            self.write(change, done=f"Action marked {status}.")

    def action_mark_done(self) -> None:
        self._set_status("done")

    def action_mark_dropped(self) -> None:
        self._set_status("dropped")

    def action_roti(self, score: int) -> None:
        self.write(
            partial(retro.give_roti, self.workspace, self.run_id, self.handle, score),
            done=f"ROTI {score} recorded, anonymously.",
        )

    def action_add_action(self) -> None:
        board = self.board
        if board is None:
            return
        about = ""
        item = self._focused("theme")
        theme = board.theme(item.id) if item is not None else board.theme(board.discuss_theme or "")
        if theme is not None:
            about = theme.title
        self._open_action_dialog(board, about=about)

    def _open_action_dialog(
        self, board: RetroBoard, *, about: str = "", text: str = "", owner: str | None = None, due: str | None = None
    ) -> None:
        dialog = ActionDialog(
            list(board.members),
            owner or self.handle,
            date.today(),
            about,
            text=text,
            due="+14" if due is None else due,
            on_change=self._composer_typed,
        )
        self._action_dialog = dialog
        self.app.push_screen(dialog, self._action_drafted)

    def _action_drafted(self, draft: ActionDraft | None) -> None:
        self._action_dialog = None
        if draft is None:
            self._store_draft()  # given up: a stored draft is dropped
            return
        stored, self._draft_stored = self._draft_stored, None
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        ws, run_id, handle = self.workspace, self.run_id, self.handle

        def add() -> None:
            retro.add_action(ws, run_id, handle, draft.text, draft.owner, draft.due)
            if stored is not None:
                retro.drop_draft(ws, run_id, handle, sent=stored.text)

        self.write(add, done="Action added.")

    @on(BoardList.Chosen)
    def _clicked(self, event: BoardList.Chosen) -> None:
        if event.item.kind != "theme":
            return
        if self.board is not None and self.board.is_open and self.board.phase == "group":
            self.action_move()

    # -- actions: facilitator ----------------------------------------------------------------------------

    def action_next_phase(self) -> None:
        self.write(partial(retro.next_phase, self.workspace, self.run_id, self.handle))

    def action_reveal(self) -> None:
        self.action_next_phase()

    def action_skip_phase(self) -> None:
        self.write(partial(retro.skip_phase, self.workspace, self.run_id, self.handle))

    def action_extend_timer(self) -> None:
        self.write(partial(retro.extend_timer, self.workspace, self.run_id, self.handle), done="One more minute.")

    def action_next_theme(self) -> None:
        self.write(partial(retro.next_theme, self.workspace, self.run_id, self.handle))

    def action_finish(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.write(
                    partial(retro.finish_retro, self.workspace, self.run_id, self.handle), done="The retro is closed."
                )

        question = "Close this retro? Its cards, votes and ROTI are kept; nothing can change afterwards."
        self.app.push_screen(ConfirmDialog(question, yes="Close", no="Not yet"), confirmed)
