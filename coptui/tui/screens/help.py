"""Help for the screen underneath: what it is for, and every key it answers to."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GENERAL_HELP = (
    "coptui works with the keyboard alone: Tab and shift+Tab move between parts of a screen, "
    "arrows move within them, Enter opens or confirms, Esc goes back. ctrl+p opens the command "
    "palette, where every action can be found by name."
)


def describe_keys(screen: Screen) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    seen: set[str] = set()
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or (binding.description in seen and key in seen):
            continue
        seen.add(key)
        label = screen.app.get_key_display(binding)
        table.add_row(label, binding.description)
    return table


class HelpScreen(ModalScreen[None]):
    CSS_PATH = "help.tcss"
    BINDINGS = [
        Binding("escape,q,f1,question_mark", "dismiss_help", "Close help"),
    ]

    def __init__(self, about: Screen) -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        title = getattr(self.about, "HELP_TITLE", None) or type(self.about).__name__.removesuffix("Screen")
        purpose = getattr(self.about, "HELP", None) or ""
        with VerticalScroll(id="help-dialog"):
            yield Static(Text(f"Help: {title}", style="bold"), id="help-title")
            if purpose:
                yield Static(purpose, id="help-purpose", markup=False)
            yield Static(Text("Keys", style="bold"), classes="help-heading")
            yield Static(describe_keys(self.about), id="help-keys")
            yield Static(GENERAL_HELP, id="help-general", markup=False)
            yield Static(Text("Esc closes this help.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
