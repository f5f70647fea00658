"""tests.support.waits: a wait returns once its condition holds and, when it never does, says what the screen showed."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button, Static

from tests.support.waits import click, screen_text, settle


class Greeting(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.pressed = 0

    def compose(self) -> ComposeResult:
        yield Static("hello  there", id="greeting")
        yield Button("Press me", id="press")

    def on_button_pressed(self) -> None:
        self.pressed += 1


async def test_a_wait_that_never_holds_fails_with_the_screen_and_the_focus() -> None:
    app = Greeting()
    async with app.run_test(size=(40, 6)) as pilot:
        with pytest.raises(AssertionError) as failure:
            await settle(pilot, until=lambda: app.pressed > 0, timeout=0.2)
    message = str(failure.value)
    assert "app.pressed > 0" in message and "did not hold within 0.2 s" in message
    assert "Greeting on Screen, focus on Button(id='press'" in message
    assert "| hello  there" in message and "|     Press me" in message  # the text in its columns


async def test_a_wait_returns_once_its_condition_holds_and_counts_a_missing_widget_as_not_yet() -> None:
    app = Greeting()
    async with app.run_test(size=(40, 6)) as pilot:
        await settle(pilot, until=lambda: app.query_one("#greeting", Static) is not None)
        await app.mount(Static("late", id="late"))
        await settle(pilot, until=lambda: "late" in str(app.query_one("#late", Static).content))
        await click(pilot, "#press")
        await settle(pilot, until=lambda: app.pressed == 1)
        assert "Press me" in screen_text(app)
