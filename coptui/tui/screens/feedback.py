"""Giving feedback in one round: whom I still owe, a form fitted to the model, drafts, submit.

The screen holds only the giver's own view of the round (:class:`coptui.core.feedback.GiverRound`)
and the text they are typing: never a piece of feedback someone else gave or received.
Every read and write goes through :mod:`coptui.core.feedback` in a thread worker. Text is saved
as a draft a moment after the giver stops typing, and when they move to another recipient.
"""

from __future__ import annotations

import asyncio
from functools import partial

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Footer, Header, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from coptui.core import feedback
from coptui.core.feedback import GiverRound, Recipient
from coptui.core.feedback.model import PAIRING_LABELS
from coptui.errors import CoptuiError
from coptui.tui.base import CoptuiScreen
from coptui.tui.messages import DataChanged
from coptui.tui.screens.feedback_round import RoundCountsScreen
from coptui.tui.text import UserTextArea, literal

# Typing saves the draft this long after the last key, not on every key.
DRAFT_SAVE_DELAY = 1.0
STATUS_MARKS = {"to do": ("○", ""), "draft": ("◐", "italic"), "given": ("●", "dim")}


def privacy_note(view: GiverRound) -> str:
    """What the giver should know before writing: who will see their name, and when it arrives."""
    if view.anonymous:
        return (
            "Anonymous: the recipient never sees your name. They read their feedback after the round "
            f"closes, and only if at least {view.min_responses} people gave them some."
        )
    return "Named: the recipient sees that it is from you, as soon as you submit."


def load_summary(view: GiverRound) -> str:
    if view.mode == "free":
        return f"You gave {view.given}; you are asked for {view.owed}, to anyone you choose."
    return f"You gave {view.given} of {view.owed}."


class FeedbackScreen(CoptuiScreen[None]):
    CSS_PATH = "feedback.tcss"
    HELP_TITLE = "Give feedback"
    HELP = (
        "On the left, the people you give feedback to in this round; move between them with the arrows. "
        "On the right, the form: write in each field (Tab moves to the next one). Your text is kept as a "
        "draft as you type, so you can leave and come back. Submit sends it; a sent piece cannot be "
        "changed. Facilitators can see the round's counts (never its text) with ctrl+r."
    )
    # Not priority bindings: the key then travels through the focused text area first, so
    # every character typed before it (a fast typist, a paste, one SSH packet) is in the form.
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit"),
        Binding("f2", "save_draft", "Save draft"),
        # Not a letter: letters on this screen are always text (typed_ahead.meant_for_typing).
        Binding("ctrl+r", "show_counts", "Round counts"),
        Binding("escape", "leave", "Back"),
    ]

    def __init__(self, run_id: str) -> None:
        super().__init__()
        self.run_id = run_id
        self.view: GiverRound | None = None
        self.recipient: Recipient | None = None
        self._saved: dict[str, str] = {}
        self._loading_form = False
        self._save_timer: Timer | None = None
        # The form's text fields, held here: by the screen's unmount (the end of a session)
        # they are gone from queries, and what they hold must still be saved.
        self._areas: list[TextArea] = []
        self._focus_form = False  # after a send: the next form's first field takes the focus

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="feedback"):
            yield Static("", id="round-title")
            yield Static("", id="privacy-note")
            with Horizontal(id="feedback-body"):
                with Vertical(id="recipients-pane"):
                    yield Static("", id="owed-summary")
                    yield OptionList(id="recipients")
                # Scrolled by the fields it holds: focusable, Tab would stop on it, and the
                # letters typed then would run shortcuts instead of going into a field.
                with VerticalScroll(id="form", can_focus=False):
                    yield Static("", id="form-title")
                    yield Static("", id="form-state")
                    yield Vertical(id="fields")
                    with Horizontal(id="form-buttons"):
                        yield Button("Submit (ctrl+s)", variant="primary", id="submit")
                        yield Button("Save draft (F2)", id="save-draft")
            yield Static("", id="form-message")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "Give feedback"
        self.query_one("#form-buttons").display = False
        self.load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "show_counts":
            return bool(self.member.is_facilitator)
        return True

    # -- loading -----------------------------------------------------------------------------

    def load(self) -> None:
        self.run_core(
            partial(feedback.giver_round, self.workspace, self.run_id, self.member.handle),
            then=self.show,
            refused=lambda error: self._show_problem(str(error)),
            group="feedback-load",
            exclusive=True,
        )

    def _show_problem(self, message: str) -> None:
        self.query_one("#round-title", Static).update(literal(message))

    def show(self, view: GiverRound) -> None:
        first = self.view is None
        was_accepting = self.view.accepting if self.view is not None else view.accepting
        self.view = view
        run = view.run
        closes = f" · last day {run.closes_on}" if run.closes_on else ""
        self.query_one("#round-title", Static).update(
            Text.assemble(literal(run.title, "bold"), (f"  ·  {PAIRING_LABELS[view.mode]}{closes}", "dim"))
        )
        self.query_one("#privacy-note", Static).update(literal(privacy_note(view)))
        self.query_one("#owed-summary", Static).update(literal(load_summary(view)))
        options = self.query_one("#recipients", OptionList)
        if first:
            options.add_options([Option(self._prompt(r, view.mode), id=r.handle) for r in view.recipients])
        else:
            for recipient in view.recipients:
                options.replace_option_prompt(recipient.handle, self._prompt(recipient, view.mode))
        if not view.is_participant:
            self._show_state("You are not part of this round: it started before you joined.")
        elif not view.recipients:
            self._show_state("Nobody to give feedback to in this round.")
        if first and view.is_participant and view.recipients:
            start = next((i for i, r in enumerate(view.recipients) if r.status != "given"), 0)
            options.highlighted = start
            options.focus()
            self._choose(view.recipients[start].handle)
        elif self.recipient is not None:
            current = next((r for r in view.recipients if r.handle == self.recipient.handle), None)
            if current is not None and (current.status != self.recipient.status or was_accepting != view.accepting):
                self.recipient = current
                if current.status == "given" or not view.accepting:
                    # Given from another session, or the round just closed: the form goes.
                    self.call_later(self._build_form, current, {})

    @staticmethod
    def _prompt(recipient: Recipient, mode: str) -> Text:
        mark, style = STATUS_MARKS[recipient.status]
        # In free choice nobody in particular is owed: only drafts and given pieces are marked.
        status = "" if mode == "free" and recipient.status == "to do" else f"  {recipient.status}"
        return Text.assemble((f"{mark} ", style), literal(recipient.name, style), (status, "dim"))

    # -- choosing a recipient ------------------------------------------------------------------

    @on(OptionList.OptionHighlighted, "#recipients")
    def _recipient_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id is not None:
            self._choose(event.option.id)

    def _choose(self, handle: str) -> None:
        """Show the form for one recipient (saving what was typed for the previous one)."""
        if self.view is None:
            return
        chosen = next((r for r in self.view.recipients if r.handle == handle), None)
        if chosen is None or (self.recipient is not None and chosen.handle == self.recipient.handle):
            return
        self._flush_draft()
        self.recipient = chosen
        if chosen.status == "draft" and self.view.accepting:
            self.load_draft(chosen)
        else:
            self.call_later(self._build_form, chosen, {})

    @on(OptionList.OptionSelected, "#recipients")
    def _recipient_selected(self) -> None:
        areas = list(self.query("#fields TextArea").results(TextArea))
        if areas:
            areas[0].focus()

    @work(exclusive=True, group="feedback-draft", exit_on_error=False)
    async def load_draft(self, recipient: Recipient) -> None:
        workspace, run_id, handle = self.workspace, self.run_id, self.member.handle
        draft = await asyncio.to_thread(feedback.load_draft, workspace, run_id, handle, recipient.handle)
        # A newer load cancels this one, but not a form being built (it checks who it is for).
        await asyncio.shield(self._build_form(recipient, draft or {}))

    async def _build_form(self, recipient: Recipient, draft: dict[str, str]) -> None:
        assert self.view is not None
        if self.recipient is None or recipient.handle != self.recipient.handle:
            return  # the giver moved on while the draft was loading
        view = self.view
        self.query_one("#form-title", Static).update(
            Text.assemble(("Feedback for ", "bold"), literal(recipient.name, "bold"))
        )
        fields = self.query_one("#fields", Vertical)
        self._areas = []
        await fields.remove_children()
        self.query_one("#form", VerticalScroll).scroll_home(animate=False)
        writable = view.accepting and recipient.status != "given"
        self.query_one("#form-buttons").display = writable
        if recipient.status == "given":
            self._show_state(f"You gave {recipient.name} feedback in this round. A sent piece cannot be changed.")
            self._saved = {}
            return
        if not view.accepting:
            self._show_state("This round is closed: it takes no more feedback.")
            self._saved = {}
            return
        self._show_state("Draft restored." if draft else "")
        self._loading_form = True
        widgets: list[Widget] = []
        for spec in view.fields:
            label = Text.assemble(literal(spec.title, "bold"), (" (optional)" if not spec.required else "", "dim"))
            widgets.append(Static(label, classes="field-title"))
            if spec.prompt:
                widgets.append(Static(literal(spec.prompt), classes="field-prompt"))
            widgets.append(UserTextArea(draft.get(spec.id, ""), name=spec.id, classes="field-text"))
        await fields.mount_all(widgets)
        self._areas = [widget for widget in widgets if isinstance(widget, TextArea)]
        if self._focus_form:
            self._focus_form = False
            next(iter(fields.query(TextArea).results(TextArea))).focus()
        self._saved = {k: v for k, v in draft.items()}
        self.call_after_refresh(self._form_ready)

    def _form_ready(self) -> None:
        self._loading_form = False

    def _show_state(self, message: str) -> None:
        self.query_one("#form-state", Static).update(literal(message))

    def _message(self, message: str, severity: str = "") -> None:
        widget = self.query_one("#form-message", Static)
        widget.update(literal(message))
        widget.set_class(severity == "error", "error")

    # -- drafts --------------------------------------------------------------------------------

    def _form_values(self) -> dict[str, str]:
        assert self.view is not None
        known = {spec.id for spec in self.view.fields}
        return {area.name: area.text for area in self._areas if area.name in known and area.text}

    @on(TextArea.Changed, ".field-text")
    def _typed(self) -> None:
        if self._loading_form:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, self._flush_draft)

    def _flush_draft(self) -> None:
        """Save what is typed for the current recipient, if it changed since the last save."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if self.view is None or self.recipient is None or self.recipient.status == "given" or not self.view.accepting:
            return
        values = self._form_values()
        if values == self._saved:
            return
        self._saved = values
        self.save_draft(self.recipient.handle, values, quiet=True)

    async def on_unmount(self) -> None:
        # The giver left by another way than Esc (a dropped connection, a server stop) within
        # a second of typing: saved here, off the loop. Textual waits for this before the app
        # ends; the screen's own workers are gone by now.
        if self._save_timer is None:
            return
        self._save_timer.stop()
        self._save_timer = None
        if self.view is None or self.recipient is None or self.recipient.status == "given" or not self.view.accepting:
            return
        values = self._form_values()
        if self._loading_form or values == self._saved:
            return
        self._saved = values
        workspace, run_id, handle, recipient = self.workspace, self.run_id, self.member.handle, self.recipient.handle

        def save() -> None:
            if values:
                feedback.save_draft(workspace, run_id, handle, recipient, values)
            else:
                feedback.discard_draft(workspace, run_id, handle, recipient)

        try:
            await asyncio.to_thread(save)
        except CoptuiError:
            pass  # the round closed meanwhile: it takes no more feedback

    def save_draft(self, recipient: str, values: dict[str, str], quiet: bool = False) -> None:
        workspace, run_id, handle = self.workspace, self.run_id, self.member.handle

        def save() -> None:
            if values:
                feedback.save_draft(workspace, run_id, handle, recipient, values)
            else:
                feedback.discard_draft(workspace, run_id, handle, recipient)

        self.run_core(
            save,
            then=None if quiet else (lambda _: self._message("Draft saved. Only you can read it.")),
            refused=self._refused,
            group="feedback-write",
        )

    def _refused(self, error: CoptuiError) -> None:
        self._message(str(error), "error")

    def action_save_draft(self) -> None:
        if self.view is None or self.recipient is None or self.recipient.status == "given" or not self.view.accepting:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        values = self._form_values()
        self._saved = values
        self.save_draft(self.recipient.handle, values)

    @on(Button.Pressed, "#save-draft")
    def _save_pressed(self) -> None:
        self.action_save_draft()

    # -- submitting ----------------------------------------------------------------------------

    def action_submit(self) -> None:
        if self.view is None or self.recipient is None or self.recipient.status == "given" or not self.view.accepting:
            return
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        self.submit(self.recipient, self._form_values())

    @on(Button.Pressed, "#submit")
    def _submit_pressed(self) -> None:
        self.action_submit()

    def submit(self, recipient: Recipient, values: dict[str, str]) -> None:
        workspace, run_id, handle = self.workspace, self.run_id, self.member.handle

        def send() -> GiverRound:
            feedback.submit(workspace, run_id, handle, recipient.handle, values)
            return feedback.giver_round(workspace, run_id, handle)

        self.run_core(send, then=partial(self._submitted, recipient), refused=self._refused, group="feedback-write")

    def _submitted(self, recipient: Recipient, view: GiverRound) -> None:
        self._saved = {}
        self._message(f"Feedback sent to {recipient.name}.")
        self.show(view)
        following = next((i for i, r in enumerate(view.recipients) if r.status != "given"), None)
        options = self.query_one("#recipients", OptionList)
        if following is None:
            options.focus()
            return
        self._focus_form = True
        options.highlighted = following

    # -- elsewhere -----------------------------------------------------------------------------

    def action_show_counts(self) -> None:
        self.app.push_screen(RoundCountsScreen(self.run_id))

    def action_leave(self) -> None:
        self._flush_draft()
        self.app.pop_screen()

    def on_data_changed(self, message: DataChanged) -> None:
        if any(change.run_id == self.run_id for change in message.changes) or any(
            c.area == "index" for c in message.changes
        ):
            self.load()
