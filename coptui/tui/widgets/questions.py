"""One input per question type, each with the same small interface: ``value`` and ``Changed``.

A value is what :mod:`coptui.core.runs` stores: an int for scales, a str for single choice and
text, a list for multiple choice, a bool for yes/no, ``NA`` for "not applicable" and None
for no answer yet. Nothing is preselected: an input starts empty unless it is given an
earlier answer (a draft, or the member's own response when editing).

``value`` is the answer as the input shows it at this moment, read from its controls: a key
handled a moment ago counts at once, while ``Changed`` reaches the screen a few messages
later (a member typing "4" and PgDn in one burst must not be told the question has no answer).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, RadioButton, RadioSet, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection
from textual.widgets.text_area import EditResult, Location

from coptui.core.answers import MAX_TEXT_ANSWER
from coptui.core.definitions import Question
from coptui.core.run import NA
from coptui.text import strip_controls
from coptui.tui.text import UserTextArea, literal


class QuestionInput(Vertical):
    """The base of every input: holds the current answer and tells its screen when it changes."""

    DEFAULT_CSS = """
    QuestionInput {
        height: auto;
    }
    QuestionInput .scale-hint {
        color: $text-muted;
        padding: 0 1;
    }
    """

    class Changed(Message):
        def __init__(self, question_input: QuestionInput, value: Any) -> None:
            super().__init__()
            self.question_input = question_input
            self.value = value

        @property
        def control(self) -> QuestionInput:
            return self.question_input

    def __init__(self, question: Question, value: Any = None, *, id: str | None = None) -> None:
        super().__init__(id=id, classes=f"question-input {question.type}-input")
        self.question = question
        self._value = value

    @property
    def value(self) -> Any:
        """The answer shown now (the last one told by ``Changed`` may lag a message behind)."""
        return self._value

    def _set(self, value: Any) -> None:
        if value != self._value or type(value) is not type(self._value):
            self._value = value
            self.post_message(self.Changed(self, value))

    @property
    def answer_control(self) -> Widget:
        """The part of the input that takes the keyboard."""
        return self.query(".answer-control").first()

    def choose(self, value: Any) -> None:
        """Show ``value`` as the answer, as the member would give it (used by tests and shortcuts)."""
        raise NotImplementedError(f"{type(self).__name__} does not say how to choose an answer")


# Chosen and not chosen differ in shape, not only in colour (a monochrome terminal, NO_COLOR).
CHOSEN_MARK = "\u25cf"  # ●
UNCHOSEN_MARK = " "
# On NPS, "1" then "0" within this many seconds gives 10 (one read of the terminal always does).
TEN_WINDOW = 1.0


class ChoiceButton(RadioButton):
    """A radio button that tells its input the moment it is pressed, by key, mouse or code."""

    def __init__(self, label: Text, pressed: bool, index: int, on_pressed: Callable[[int], None]) -> None:
        # Set before the base class sets the initial value (which runs the watcher below).
        self.index = index
        self._on_pressed = on_pressed
        super().__init__(label, value=pressed, id=f"choice-{index}")
        self.BUTTON_INNER = CHOSEN_MARK if pressed else UNCHOSEN_MARK

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = CHOSEN_MARK if self.value else UNCHOSEN_MARK
        if self.value:
            self._on_pressed(self.index)


class ChoiceSet(RadioSet):
    """The buttons of one question, its cursor starting on the answer given (a draft, going back)."""

    def on_mount(self) -> None:
        # RadioSet puts its cursor on the first button when it mounts, after this handler.
        self.call_later(self._cursor_to_answer)

    def _cursor_to_answer(self) -> None:
        for _ in range(max(0, self.pressed_index)):
            self.action_next_button()


class ChoiceInput(QuestionInput):
    """A labelled scale, NPS, single choice or yes/no: radio buttons, none pressed at first."""

    def __init__(self, question: Question, value: Any = None, *, id: str | None = None) -> None:
        super().__init__(question, value, id=id)
        self.choices: list[tuple[Any, Text]] = _choices(question)
        self._one_typed_at: float | None = None

    def compose(self) -> ComposeResult:
        hint = _scale_hint(self.question)
        if hint:
            yield Static(hint, classes="scale-hint")
        buttons = [
            ChoiceButton(label, _same(choice, self._value), index, self._pressed)
            for index, (choice, label) in enumerate(self.choices)
        ]
        classes = "answer-control horizontal" if self.question.type == "nps" else "answer-control"
        yield ChoiceSet(*buttons, classes=classes)

    def _pressed(self, index: int) -> None:
        self._set(self.choices[index][0])

    @on(RadioSet.Changed)
    def _radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()  # the pressed button has told this input already (ChoiceButton)

    def on_key(self, event: events.Key) -> None:
        """Keys that choose: a digit (the point itself on NPS, "1" "0" for 10; else the n-th
        choice), y and n on yes/no, Home and End the first and last point of a scale."""
        index = self._index_for(event)
        if index is not None and 0 <= index < len(self.choices):
            event.stop()
            self.query_one(f"#choice-{index}", RadioButton).value = True

    def _index_for(self, event: events.Key) -> int | None:
        question = self.question
        character = event.character or ""
        if question.type == "yesno" and character in ("y", "n"):
            return 0 if character == "y" else 1
        if event.key in ("home", "end") and question.value_range is not None:
            points = [i for i, (choice, _) in enumerate(self.choices) if choice is not NA]
            return points[0] if event.key == "home" else points[-1]
        if not character.isdigit():
            return None
        digit = int(character)
        if question.type != "nps":
            return digit - 1
        now = time.monotonic()
        ten = digit == 0 and self._one_typed_at is not None and now - self._one_typed_at <= TEN_WINDOW
        self._one_typed_at = now if digit == 1 else None
        return 10 if ten else digit

    def choose(self, value: Any) -> None:
        """Press the button of a value (used by tests and by shortcuts)."""
        for index, (choice, _) in enumerate(self.choices):
            if _same(choice, value):
                self.query_one(f"#choice-{index}", RadioButton).value = True
                return
        raise ValueError(f"{value!r} is not a choice of {self.question.id}")


class AnswerList(SelectionList[str]):
    """A list of check boxes whose Space, Enter or click ticks the highlighted option at once.

    The stock list ticks it a message later, whichever option is highlighted by then: a Space
    and a Down (or PgDn) typed in one burst could tick the next option, or none before PgDn."""

    def action_select(self) -> None:
        if self.highlighted is not None:
            self.toggle(self.get_option_at_index(self.highlighted))


class MarkedCheckbox(Checkbox):
    """A check box whose mark shows only when it is ticked (the stock one differs in colour only)."""

    def __init__(self, label: Text, value: bool, *, id: str) -> None:
        super().__init__(label, value, id=id)
        self.BUTTON_INNER = "\u2713" if value else UNCHOSEN_MARK

    def watch_value(self) -> None:
        super().watch_value()
        self.BUTTON_INNER = "\u2713" if self.value else UNCHOSEN_MARK


def _ticked(option: str, ticked: bool) -> Text:
    # The list's own box differs only in colour between ticked and not: a mark in the label too.
    return Text.assemble(("\u2713 " if ticked else "  ", "bold"), literal(option))


class MultiInput(QuestionInput):
    """Multiple choice: a list of check boxes, plus "not applicable" when the question has it."""

    @property
    def value(self) -> Any:
        try:
            selected = self.query_one(SelectionList).selected
        except NoMatches:  # not composed yet
            return self._value
        ordered = [option for option in self.question.options or [] if option in selected]
        if ordered:
            return ordered
        if self.question.na and self.query_one("#not-applicable", Checkbox).value:
            return NA
        return None

    def on_key(self, event: events.Key) -> None:
        """A digit ticks or unticks the n-th option (1-9)."""
        character = event.character or ""
        options = self.question.options or []
        if character.isdigit() and 1 <= int(character) <= len(options):
            event.stop()
            self.query_one(AnswerList).toggle(options[int(character) - 1])

    def compose(self) -> ComposeResult:
        chosen = self._value if isinstance(self._value, list) else []
        selections = [
            Selection(_ticked(option, option in chosen), option, option in chosen)
            for option in self.question.options or []
        ]
        yield AnswerList(*selections, classes="answer-control")
        if self.question.na:
            yield MarkedCheckbox(literal(self.question.na), self._value is NA, id="not-applicable")

    @on(SelectionList.SelectedChanged)
    def _toggled(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        selected = list(event.selection_list.selected)
        for index, option in enumerate(self.question.options or []):
            event.selection_list.replace_option_prompt_at_index(index, _ticked(option, option in selected))
        # Keep the definition's order, whatever order they were ticked in.
        ordered = [option for option in self.question.options or [] if option in selected]
        if ordered and self.question.na:
            self.query_one("#not-applicable", Checkbox).value = False
        if ordered or self._value is not NA:
            self._set(ordered or None)

    @on(Checkbox.Changed, "#not-applicable")
    def _not_applicable(self, event: Checkbox.Changed) -> None:
        event.stop()
        if event.value:
            self.query_one(SelectionList).deselect_all()
            self._set(NA)
        elif self._value is NA:
            self._set(None)

    def choose(self, value: Any) -> None:
        if value is NA:
            self.query_one("#not-applicable", Checkbox).value = True
            return
        selection_list = self.query_one(SelectionList)
        selection_list.deselect_all()
        for option in value:
            selection_list.select(option)


class AnswerTextArea(UserTextArea):
    """A text area that takes no more than ``limit`` characters from the keyboard or a paste.

    An answer longer than the limit is refused when it is sent (core/answers.py); stopping
    the typing there says so while the member can still act on it, not after."""

    def __init__(self, text: str, *, limit: int, on_refused: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(text, **kwargs)
        self.limit = limit
        self._on_refused = on_refused

    def _replace_via_keyboard(self, insert: str, start: Location, end: Location) -> EditResult | None:
        # Every key that types and every paste goes through here (Textual's TextArea).
        room = self.limit - (len(self.text) - len(self.get_text_range(start, end)))
        if len(insert) > room:
            insert = insert[: max(room, 0)]
            self._on_refused()
            if not insert and start == end:
                return None
        return super()._replace_via_keyboard(insert, start, end)


class TextInput(QuestionInput):
    """Free text over several lines, up to the length of an answer. What is typed is kept
    exactly; it is shown as plain text."""

    DEFAULT_CSS = """
    TextInput .scale-hint.at-limit {
        color: $warning;
    }
    """
    HINT = "Enter starts a new line; PgDn goes on."
    # From this share of the limit on, the hint counts the characters.
    COUNT_FROM = 0.9

    def __init__(self, question: Question, value: Any = None, *, id: str | None = None) -> None:
        super().__init__(question, value, id=id)
        self.limit = MAX_TEXT_ANSWER

    @property
    def value(self) -> Any:
        try:
            text = self.query_one(TextArea).text
        except NoMatches:  # not composed yet
            return self._value
        return text if text.strip() else None

    def compose(self) -> ComposeResult:
        text = self._value if isinstance(self._value, str) else ""
        yield AnswerTextArea(text, limit=self.limit, on_refused=self._refused, classes="answer-control", soft_wrap=True)
        yield Static(self._hint(len(text)), classes="scale-hint", id="text-hint")

    def _hint(self, length: int, refused: bool = False) -> str:
        if refused or length >= self.limit:
            return f"{length:,} of {self.limit:,} characters: an answer holds no more, so typing stops here."
        if length >= self.limit * self.COUNT_FROM:
            return f"{self.HINT} {length:,} of {self.limit:,} characters."
        return self.HINT

    def _show_hint(self, length: int, refused: bool = False) -> None:
        hint = self.query_one("#text-hint", Static)
        hint.update(self._hint(length, refused))
        hint.set_class(refused or length >= self.limit, "at-limit")

    def _refused(self) -> None:
        self.app.bell()
        self._show_hint(len(self.query_one(TextArea).text), refused=True)

    @on(TextArea.Changed)
    def _typed(self, event: TextArea.Changed) -> None:
        event.stop()
        text = event.text_area.text
        self._show_hint(len(text))
        self._set(text if text.strip() else None)

    def choose(self, value: Any) -> None:
        self.query_one(TextArea).load_text(value or "")


def make_input(question: Question, value: Any = None, *, id: str | None = None) -> QuestionInput:
    """The input fitted to a question's type."""
    if question.type == "multi":
        return MultiInput(question, value, id=id)
    if question.type == "text":
        return TextInput(question, value, id=id)
    return ChoiceInput(question, value, id=id)


def _same(choice: Any, value: Any) -> bool:
    # True == 1 in Python: a yes/no answer must not press the "1" of a scale, nor the reverse.
    return choice is value if choice is NA or value is NA else (type(choice) is type(value) and choice == value)


def _choices(question: Question) -> list[tuple[Any, Text]]:
    span = question.value_range
    choices: list[tuple[Any, Text]]
    if span is not None and question.type == "nps":
        choices = [(point, Text(str(point))) for point in range(span[0], span[1] + 1)]
    elif span is not None:
        points = range(span[0], span[1] + 1)
        choices = [(point, literal(label)) for point, label in zip(points, question.point_labels)]
    elif question.type == "yesno":
        choices = [(True, Text("Yes")), (False, Text("No"))]
    else:
        choices = [(option, literal(option)) for option in question.options or []]
    if question.na:
        choices.append((NA, literal(question.na, "italic")))
    return choices


def _scale_hint(question: Question) -> Text | None:
    if question.type == "nps":
        return Text("0 = not at all likely · 10 = extremely likely")
    return None


def describe_answer(question: Question, value: Any) -> Text:
    """An answer as the member sees it on the review page (user text stays literal)."""
    if value is None or value == []:
        return Text("(no answer)", style="dim italic")
    if value is NA:
        return literal(question.na or "Not applicable", "italic")
    if question.type == "yesno":
        return Text("Yes" if value else "No")
    if question.type == "multi":
        return literal(", ".join(value))
    span = question.value_range
    if span is not None:
        if question.type == "nps":
            return Text(f"{value} of 10")
        label = question.point_labels[value - span[0]]
        return literal(label if label.startswith(str(value)) else f"{value} · {label}")
    return literal(strip_controls(str(value)))
