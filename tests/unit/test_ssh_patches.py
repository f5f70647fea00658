"""The private names of Textual, Rich and asyncssh that `coptui serve` relies on are still there,
and `coptui.serve.patches` patches nothing on a version it was not checked against.

Each guard names the module that uses the name: if one fails after an upgrade, read what
the library does now, adapt that place, and check the new version in patches.CHECKED.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import asyncssh
import pytest
from rich.console import Console
from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.driver import Driver
from textual.filter import Monochrome, NoColor

from coptui.serve import patches
from coptui.serve.driver import SSHDriver

# -- the names ----------------------------------------------------------------------------------


def test_stylesheet_parse_rules_is_a_method_and_a_stylesheet_has_its_variables() -> None:
    """patches.share_css_parsing wraps ``Stylesheet._parse_rules`` and keys on ``_variables``."""
    assert inspect.isfunction(Stylesheet.__dict__["_parse_rules"])
    assert isinstance(Stylesheet()._variables, dict)


def test_an_app_keeps_its_line_filters_and_its_exception() -> None:
    """patches.set_no_color edits ``App._filters``; patches.app_error reads ``App._exception``."""
    app: App[None] = App()
    assert isinstance(app._filters, list)
    assert hasattr(app, "_exception") and app._exception is None
    assert isinstance(app.native_ansi_color, bool)


def test_an_asyncssh_server_connection_answers_agent_forwarding_in_create_agent_listener() -> None:
    """patches.refuse_agent_forwarding replaces it on one connection."""
    method = getattr(asyncssh.SSHServerConnection, "create_agent_listener", None)
    assert method is not None and inspect.iscoroutinefunction(method)
    assert list(inspect.signature(method).parameters) == ["self"]


def test_rich_console_takes_an_environment_of_its_own() -> None:
    """driver.configure_console gives each session's console its client's TERM (``_environ``)."""
    environ = {"TERM": "xterm-256color", "COLUMNS": "33", "LINES": "7"}
    console = Console(_environ=environ, force_terminal=True, color_system="truecolor")
    assert (console.width, console.height) == (33, 7)  # read from the given environment, not the process's


def test_textual_xterm_parser_feeds_and_ticks() -> None:
    """driver.SSHDriver parses input with Textual's private ``_xterm_parser.XTermParser``."""
    from textual._xterm_parser import XTermParser

    parser = XTermParser(False)
    keys = list(parser.feed("a"))
    assert keys and getattr(keys[0], "key", None) == "a"
    assert callable(parser.tick)  # a lone Esc becomes a key on a tick (tests/unit/test_ssh_driver.py)


async def test_a_driver_keeps_what_its_subclasses_read() -> None:
    """driver.SSHDriver reads ``_app``, ``_size``, ``_loop`` and ``_mouse`` of Textual's Driver."""
    app: App[None] = App()
    driver = SSHDriver(app, channel=_NullChannel(), on_overflow=lambda: None, size=(90, 20), mouse=False)
    assert isinstance(driver, Driver)
    assert driver._app is app and driver._size == (90, 20) and driver._mouse is False
    assert hasattr(driver, "_loop")


class _NullChannel:
    def write(self, data: bytes) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


# -- the patches ----------------------------------------------------------------------------------


@pytest.fixture
def textual_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    # Put Textual's own parser back after the test: the rest of this worker's tests use it.
    monkeypatch.setattr(Stylesheet, "_parse_rules", Stylesheet._parse_rules)


def test_shared_parsing_passes_arguments_on_as_they_came_and_shares_the_result(textual_parser: None) -> None:
    original = Stylesheet._parse_rules
    patches.share_css_parsing()
    patches.share_css_parsing()
    wrapped = Stylesheet._parse_rules
    assert wrapped is not original and inspect.unwrap(wrapped) is original  # wrapped once
    css = "Label { color: red; }"
    first = Stylesheet()._parse_rules(css, ("test.tcss", ""), scope="")
    again = Stylesheet()._parse_rules(css, ("test.tcss", ""), scope="")
    assert first is again and first  # another stylesheet, the same parsed rules
    other = Stylesheet(variables={"accent": "red"})._parse_rules(css, ("test.tcss", ""), scope="")
    assert other is not first  # other variables: parsed anew


@pytest.fixture
def unchecked_textual(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    real = patches.version
    monkeypatch.setattr(patches, "version", lambda name: "0.0.1" if name == "textual" else real(name))
    monkeypatch.setattr(patches, "_warned", False)
    patches.unchecked_versions.cache_clear()
    yield
    patches.unchecked_versions.cache_clear()


def test_an_unchecked_version_is_served_unpatched_with_one_warning(
    unchecked_textual: None, textual_parser: None
) -> None:
    original = Stylesheet._parse_rules
    warnings: list[str] = []
    assert patches.apply(warnings.append) is False
    assert patches.apply(warnings.append) is False
    assert Stylesheet._parse_rules is original
    assert len(warnings) == 1 and "textual 0.0.1 (checked: 8.2.8)" in warnings[0]

    app: App[None] = App()
    filters = list(app._filters)
    patches.set_no_color(app, True)
    assert app._filters == filters and app.no_color is True

    connection = _Connection()
    patches.refuse_agent_forwarding(connection, _refuse)  # type: ignore[arg-type]  # a stand-in connection
    assert "create_agent_listener" not in vars(connection)


def test_on_the_checked_versions_a_clients_no_color_replaces_the_servers() -> None:
    if not patches.patching_allowed():
        pytest.skip(f"not the checked versions: {patches.unchecked_versions()}")
    app: App[None] = App()
    app._filters.append(Monochrome())  # as Textual adds it when the server has NO_COLOR
    patches.set_no_color(app, False)
    assert not [f for f in app._filters if isinstance(f, (Monochrome, NoColor))]
    patches.set_no_color(app, True)
    assert len([f for f in app._filters if isinstance(f, (Monochrome, NoColor))]) == 1


def test_the_exception_an_app_ended_with_is_read_or_none() -> None:
    app: App[None] = App()
    assert patches.app_error(app) is None
    app._exception = RuntimeError("boom")
    assert isinstance(patches.app_error(app), RuntimeError)


class _Connection:
    """Stands for an asyncssh connection: only what refuse_agent_forwarding sets."""


async def _refuse() -> bool:
    return False
