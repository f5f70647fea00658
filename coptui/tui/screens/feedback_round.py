"""The facilitator's side of feedback rounds: starting one, and following it in counts only.

Neither screen ever reads a word of feedback: :class:`RoundCountsScreen` renders
:class:`coptui.core.feedback.RoundCounts`, which holds numbers and names, nothing else.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Header, Input, Label, RadioButton, RadioSet, Static

from coptui.core import feedback
from coptui.core.definitions import FeedbackDefinition
from coptui.core.feedback import FeedbackError, RoundCounts
from coptui.core.feedback.model import PAIRING_LABELS
from coptui.tui.base import CoptuiModalScreen, CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.text import literal

MODE_CHOICES: tuple[tuple[str, str], ...] = (
    ("rotation", "Rotation: each member gives to N others, never themselves"),
    ("all", "Everyone to everyone"),
    ("free", "Free choice: each member gives N pieces to anyone they choose"),
)


def default_choice(definition: FeedbackDefinition) -> tuple[str, int]:
    """Anonymous forms rotate (enough givers per member to pass the threshold); named ones are free."""
    if definition.anonymous:
        return "rotation", max(3, definition.min_responses)
    return "free", 1


class StartRoundScreen(CoptuiModalScreen[str | None]):
    """Options of a new feedback round; returns the new run's id, or None when cancelled."""

    CSS_PATH = "feedback_round.tcss"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, definition_id: str) -> None:
        super().__init__()
        self.definition_id = definition_id

    def _definition(self) -> FeedbackDefinition:
        definition = self.workspace.definitions.get(self.definition_id)
        if not isinstance(definition, FeedbackDefinition):
            raise FeedbackError(f"{self.definition_id} is not a feedback form")
        return definition

    def compose(self) -> ComposeResult:
        definition = self._definition()
        mode, per_member = default_choice(definition)
        members = len(self.workspace.community.members)
        if definition.anonymous:
            privacy = (
                f"Anonymous: recipients read their feedback after the round closes, and only with at least "
                f"{definition.min_responses} pieces."
            )
        else:
            privacy = "Named: recipients see who gave each piece, as soon as it is given."
        with Vertical(classes="dialog", id="start-round"):
            yield Static(
                Text.assemble(("Start a feedback round: ", "bold"), literal(definition.title, "bold")),
                classes="dialog-question",
            )
            yield Static(literal(privacy), id="round-privacy")
            yield Label(f"Who gives feedback to whom ({members} members):")
            with RadioSet(id="pairing"):
                for value, label in MODE_CHOICES:
                    yield RadioButton(label, value=value == mode, name=value)
            with Horizontal(classes="round-field"):
                yield Label("N per member:", classes="round-label")
                yield Input(str(per_member), id="per-member", type="integer", max_length=3)
                yield Label("Last day (optional):", classes="round-label")
                yield Input(placeholder="YYYY-MM-DD", id="closes-on", max_length=10)
            yield Static("", id="round-error", classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start (ctrl+s)", variant="primary", id="start")
                yield Button("Cancel (esc)", id="cancel")

    def on_mount(self) -> None:
        self._sync_per_member()
        self.query_one("#pairing", RadioSet).focus()

    def _mode(self) -> str:
        pressed = self.query_one("#pairing", RadioSet).pressed_button
        return pressed.name if pressed is not None and pressed.name else "rotation"

    @on(RadioSet.Changed, "#pairing")
    def _sync_per_member(self) -> None:
        # Everyone to everyone has no N: each member gives to all the others.
        self.query_one("#per-member", Input).disabled = self._mode() == "all"

    def _error(self, message: str) -> None:
        self.query_one("#round-error", Static).update(literal(message))

    @on(Input.Submitted)
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        mode = self._mode()
        per_member: int | None = None
        if mode != "all":
            text = self.query_one("#per-member", Input).value.strip()
            try:
                per_member = int(text)
            except ValueError:
                self._error(f"N must be a whole number, not {text!r}")
                return
        closes_text = self.query_one("#closes-on", Input).value.strip()
        closes_on = None
        if closes_text:
            try:
                closes_on = date.fromisoformat(closes_text)
            except ValueError:
                self._error(f"{closes_text!r} is not a date; use YYYY-MM-DD, e.g. {date.today().isoformat()}")
                return
        self._error("")
        self.start(mode, per_member, closes_on)

    def start(self, mode: str, per_member: int | None, closes_on: date | None) -> None:
        self.run_core(
            partial(
                feedback.start_round,
                self.workspace,
                self.definition_id,
                self.member.handle,
                mode,
                per_member,
                closes_on,
            ),
            then=lambda run: self.dismiss(run.id),
            refused=lambda error: self._error(str(error)),
            group="start-round",
            exclusive=True,
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class RoundCountsScreen(CoptuiScreen[None]):
    """How a round is going: owed and given per member, and the completion rate. Never text."""

    CSS_PATH = "feedback_round.tcss"
    HELP_TITLE = "Feedback round counts"
    HELP = (
        "For facilitators: how many pieces each member was asked to give and has given, and the round's "
        "completion rate. The feedback itself is for its recipients alone and never shows here."
    )
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("r", "refresh", "Refresh"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="round-counts"):
            yield Static("", id="counts-title")
            yield Static("", id="counts-summary")
            yield DataTable(id="counts", cursor_type="row", zebra_stripes=True)
            yield Static(
                "Counts only: what was written is for each recipient alone.", id="counts-note", classes="empty"
            )
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Feedback round counts"
        self.query_one("#counts", DataTable).add_columns("Member", "Asked", "Given", "Left")
        self.load()

    def load(self) -> None:
        self.run_core(
            partial(feedback.round_counts, self.workspace, self.run_id, self.member.handle),
            then=self.show,
            refused=lambda error: self._refused(str(error)),
            group="counts-load",
            exclusive=True,
        )

    def _refused(self, message: str) -> None:
        self.query_one("#counts-title", Static).update(literal(message))
        self.query_one("#counts", DataTable).display = False

    def show(self, counts: RoundCounts) -> None:
        run = counts.run
        state = (
            f"closed {run.closed_on}"
            if run.closed_on
            else (f"open, last day {run.closes_on}" if run.closes_on else "open")
        )
        self.query_one("#counts-title", Static).update(
            Text.assemble(
                literal(run.title, "bold"),
                (f"  ·  {run.id}  ·  {PAIRING_LABELS[counts.mode]}  ·  {state}", "dim"),
            )
        )
        rate = "-" if counts.rate is None else f"{counts.rate:.0%}"
        self.query_one("#counts-summary", Static).update(
            f"Completion: {counts.given} of {counts.owed} pieces given ({rate})"
        )
        table = self.query_one("#counts", DataTable)
        table.clear()
        for row in counts.members:
            left = max(0, row.owed - row.given)
            table.add_row(
                literal(row.name), str(row.owed), str(row.given), str(left) if left else "done", key=row.handle
            )

    def action_refresh(self) -> None:
        self.load()

    def on_data_changed(self, message: DataChanged) -> None:
        if any(change.run_id == self.run_id for change in message.changes):
            self.load()
