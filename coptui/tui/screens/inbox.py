"""My feedback: what I still owe in open rounds, what I received across rounds, thanks.

The screen renders one :class:`coptui.core.feedback.Inbox`: the member's own, already filtered
by the release rules in the core, so it cannot show anyone else's feedback, or an
anonymous piece before its round closed with enough givers.
"""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Static

from coptui.core import feedback
from coptui.core.feedback import Inbox, ReceivedPiece
from coptui.text import fit, one_line
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.text import literal


def piece_key(piece: ReceivedPiece) -> str:
    return f"{piece.run_id}/{piece.piece_id}"


def render_piece(piece: ReceivedPiece) -> Group:
    """One piece of feedback as its recipient reads it: every written field, literally."""
    giver = piece.giver or "Anonymous"
    when = f", {piece.day}" if piece.day else ""
    parts: list[Text] = [
        Text.assemble(literal(piece.round_title, "bold"), (f" · round of {piece.round_opened}", "dim")),
        Text.assemble(("From: ", "dim"), literal(giver + when)),
    ]
    for title, text in piece.fields:
        parts.append(Text(""))
        parts.append(literal(title, "bold"))
        parts.append(literal(text))
    parts.append(Text(""))
    parts.append(Text("You thanked the giver." if piece.thanked else "Press k to thank the giver.", style="dim italic"))
    return Group(*parts)


class InboxScreen(CoptuiScreen[None]):
    CSS_PATH = "inbox.tcss"
    HELP_TITLE = "Feedback inbox"
    HELP = (
        "Feedback you still owe in open rounds (Enter opens the round), and the feedback you received. "
        "Anonymous feedback appears after its round closes, and only when enough people gave you some, "
        "so that nobody can tell who wrote what. Thank the giver of a piece with k: in an anonymous round "
        "they learn that you said thank you, and you never learn who they are."
    )
    BINDINGS = [
        Binding("k", "thank", "Thank giver"),
        Binding("enter", "open_selected", "Open", show=False),
        Binding("r", "refresh", "Refresh", show=False),
        Binding("escape", "app.pop_screen", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.inbox: Inbox | None = None
        self._pieces: dict[str, ReceivedPiece] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="inbox"):
            yield Static("To give", classes="section-title")
            yield DataTable(id="owed", cursor_type="row", zebra_stripes=True)
            yield Static("", id="owed-empty", classes="empty")
            yield Static("Received", classes="section-title")
            yield Static("", id="received-empty", classes="empty")
            with Horizontal(id="received-row"):
                yield DataTable(id="received", cursor_type="row", zebra_stripes=True)
                with VerticalScroll(id="piece-pane"):
                    yield Static("", id="piece")
                    with Horizontal(id="piece-buttons"):
                        yield Button("Thank the giver (k)", id="thank")
            with VerticalScroll(id="notes"):
                yield Static("Held back", id="held-title", classes="section-title")
                yield Static("", id="held")
                yield Static("Thanks you received", id="thanks-title", classes="section-title")
                yield Static("", id="thanks")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Feedback inbox"
        self.query_one("#owed", DataTable).add_columns("Round", "Last day", "Given", "Left")
        self.query_one("#received", DataTable).add_columns("Round", "Opened", "From", "♥")
        self.query_one("#piece-buttons").display = False
        self.load()

    # -- loading -----------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="inbox-load", exit_on_error=False)
    def load(self) -> None:
        workspace = self.workspace
        handle = self.member.handle
        self.app.call_from_thread(self.show, feedback.inbox(workspace, handle))

    def show(self, inbox: Inbox) -> None:
        first = self.inbox is None
        self.inbox = inbox
        owed = self.query_one("#owed", DataTable)
        owed.clear()
        for item in inbox.owed:
            owed.add_row(
                literal(item.round_title),
                item.closes_on.isoformat() if item.closes_on else "-",
                f"{item.given} of {item.owed}",
                str(item.remaining),
                key=item.run_id,
            )
        owed.display = bool(inbox.owed)
        self._empty("#owed-empty", "" if inbox.owed else "Nothing to give right now.")

        received = self.query_one("#received", DataTable)
        selected = self._selected_key()
        received.clear()
        self._pieces = {piece_key(p): p for p in inbox.received}
        for piece in inbox.received:
            received.add_row(
                literal(fit(one_line(piece.round_title), 16)),
                piece.round_opened.isoformat(),
                literal(fit(one_line(piece.giver or "anonymous"), 16)),
                Text("♥", style="red") if piece.thanked else "",
                key=piece_key(piece),
            )
        self.query_one("#received-row").display = bool(inbox.received)
        self._empty("#received-empty", "" if inbox.received else "No feedback to read yet.")
        if selected in self._pieces:
            received.move_cursor(row=received.get_row_index(selected))
        self._show_piece(self._selected_key())

        held: list[Text] = []
        for round_held in inbox.held:
            held.append(
                Text.assemble(
                    literal(round_held.round_title, "bold"), (f" · round of {round_held.round_opened}", "dim")
                )
            )
            held.append(literal(round_held.reason, "dim"))
        self.query_one("#held", Static).update(Group(*held))
        for selector in ("#held-title", "#held"):
            self.query_one(selector).display = bool(held)
        thanks: list[Text] = []
        for note in inbox.thanks:
            thanks.append(Text.assemble(("♥ ", "red"), literal(note.text), literal(f" ({note.round_title})", "dim")))
        self.query_one("#thanks", Static).update(Group(*thanks))
        for selector in ("#thanks-title", "#thanks"):
            self.query_one(selector).display = bool(thanks)
        self.query_one("#notes").display = bool(held or thanks)
        if first:
            self.query_one("#owed" if inbox.owed else "#received", DataTable).focus()

    def _empty(self, selector: str, message: str) -> None:
        widget = self.query_one(selector, Static)
        widget.update(message)
        widget.display = bool(message)

    def _selected_key(self) -> str | None:
        table = self.query_one("#received", DataTable)
        if not table.row_count:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _show_piece(self, key: str | None) -> None:
        piece = self._pieces.get(key or "")
        panel = self.query_one("#piece", Static)
        self.query_one("#piece-buttons").display = piece is not None and not piece.thanked
        panel.update(render_piece(piece) if piece is not None else "")

    @on(DataTable.RowHighlighted, "#received")
    def _piece_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_piece(event.row_key.value)

    # -- actions -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#owed")
    def _owed_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.coptui_app.open_run(event.row_key.value)

    def action_open_selected(self) -> None:
        table = self.focused if isinstance(self.focused, DataTable) else None
        if table is not None and table.row_count:
            table.action_select_cursor()

    def action_thank(self) -> None:
        piece = self._pieces.get(self._selected_key() or "")
        if piece is None:
            self.notify("Choose a piece of feedback in Received first.", severity="warning")
            return
        if piece.thanked:
            self.notify("You already thanked the giver of this piece.")
            return
        self.thank(piece)

    @on(Button.Pressed, "#thank")
    def _thank_pressed(self) -> None:
        self.action_thank()

    def thank(self, piece: ReceivedPiece) -> None:
        workspace, handle = self.workspace, self.member.handle

        def thank_and_read() -> Inbox:
            feedback.thank(workspace, piece.run_id, handle, piece.piece_id)
            return feedback.inbox(workspace, handle)

        who = piece.giver or "The giver"
        self.run_core(
            thank_and_read,
            done=f"{who} will see that you said thank you.",
            then=self.show,
            refused=lambda error: self.notify(str(error), severity="error", markup=False),
            group="inbox-write",
        )

    def action_refresh(self) -> None:
        self.load()

    def on_data_changed(self, message: DataChanged) -> None:
        self.load()
