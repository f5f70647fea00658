"""Unit tests of the SSH-channel driver: input decoding, Esc tick, size clamps, output bound, colours."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual import events
from textual.app import App
from textual.filter import Monochrome, NoColor
from textual.message import Message

from coptui.serve.driver import (
    ALT_SCREEN_ON,
    MAX_HEIGHT,
    MAX_WIDTH,
    MIN_HEIGHT,
    MIN_WIDTH,
    STOP_CODES,
    SSHDriver,
    clamp_size,
    color_system_for,
    configure_console,
)


class FakeChannel:
    """An SSH channel that keeps what is written and reports a chosen unsent backlog."""

    def __init__(self, backlog: int = 0) -> None:
        self.written = bytearray()
        self.backlog = backlog
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.written += data
        self.writes += 1

    def get_write_buffer_size(self) -> int:
        return self.backlog


class RecordingApp(App[None]):
    """An app that is never run: records the messages the driver posts to it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def post_message(self, message: Message) -> bool:
        if isinstance(message, events.Callback):
            # What the input gate asks to run once the app has handled its keys: at once.
            asyncio.get_running_loop().call_soon(message.callback)
            return True
        self.messages.append(message)
        return True

    def keys(self) -> list[str]:
        return [m.key for m in self.messages if isinstance(m, events.Key)]

    async def until_keys(self, count: int) -> list[str]:
        """The keys once ``count`` have come (the input gate hands them on in the loop's next turn)."""
        deadline = asyncio.get_running_loop().time() + 5
        while len(self.keys()) < count and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        return self.keys()


def _driver(channel: FakeChannel, app: RecordingApp, overflows: list[int] | None = None, **options: Any) -> SSHDriver:
    sink = overflows if overflows is not None else []
    return SSHDriver(app, channel=channel, on_overflow=lambda: sink.append(1), **options)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ((100, 30), (100, 30)),
        ((0, 0), (80, 24)),
        ((65535, 65535), (MAX_WIDTH, MAX_HEIGHT)),
        ((1, 1), (MIN_WIDTH, MIN_HEIGHT)),
        ((0, 50), (80, 50)),
    ],
)
def test_window_sizes_are_clamped(given: tuple[int, int], expected: tuple[int, int]) -> None:
    assert clamp_size(*given) == expected


@pytest.mark.parametrize(
    ("term", "env", "expected"),
    [
        ("xterm-256color", {}, ("256", False)),
        ("xterm-256color", {"COLORTERM": "truecolor"}, ("truecolor", False)),
        ("xterm-256color", {"COLORTERM": "24bit"}, ("truecolor", False)),
        ("tmux-256color", {"NO_COLOR": ""}, ("256", False)),  # empty is not set (no-color.org)
        ("tmux-256color", {"NO_COLOR": "1", "COLORTERM": "truecolor"}, ("none", True)),
        ("xterm", {}, ("standard", False)),
        ("vt100", {}, ("standard", False)),
        ("dumb", {}, ("standard", True)),
        (None, {}, ("256", False)),
        ("alacritty", {}, ("256", False)),
    ],
)
def test_colour_depth_comes_from_the_client(term: str | None, env: dict[str, str], expected: tuple[str, bool]) -> None:
    assert color_system_for(term, env) == expected


def test_the_console_ignores_the_servers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLORTERM", "truecolor")
    monkeypatch.setenv("NO_COLOR", "1")
    app: App[None] = App()
    assert app.no_color  # Textual read the server's environment ...
    assert configure_console(app, "xterm-256color", {}) == "256"  # ... the session's does not
    assert app.console.color_system == "truecolor"  # rendered in truecolor, fitted by the driver
    assert not app.no_color
    assert not any(isinstance(f, Monochrome) for f in app._filters)
    assert configure_console(app, "xterm-256color", {"NO_COLOR": "1", "COLORTERM": "truecolor"}) == "none"
    assert app.no_color and any(isinstance(f, NoColor) for f in app._filters)  # not greys
    assert not any(isinstance(f, Monochrome) for f in app._filters)


async def test_a_character_split_across_packets_is_one_key() -> None:
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app)
    driver.start_application_mode()
    driver.feed(b"\xc3")
    driver.feed(b"\xa9")
    driver.feed("ü€".encode())
    await app.until_keys(3)
    assert [m.character for m in app.messages if isinstance(m, events.Key)] == ["é", "ü", "€"]


async def test_a_lone_escape_becomes_a_key_after_the_tick() -> None:
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app)
    driver.start_application_mode()
    driver.feed(b"\x1b")
    assert app.keys() == []  # it might start a sequence ...
    deadline = asyncio.get_running_loop().time() + 2
    while not app.keys() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)
    assert app.keys() == ["escape"]  # ... until the tick says it did not
    driver.feed(b"\x1b[A")
    assert (await app.until_keys(2))[-1] == "up"


async def test_keys_typed_before_the_app_runs_are_replayed() -> None:
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app)
    driver.feed(b"q")
    assert app.keys() == []
    driver.start_application_mode()
    assert await app.until_keys(1) == ["q"]


async def test_resizes_are_clamped_and_reach_the_app() -> None:
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app, size=(100, 30))
    driver.start_application_mode()
    driver.resize(0, 0)
    driver.resize(65535, 65535)
    sizes = [(m.size.width, m.size.height) for m in app.messages if isinstance(m, events.Resize)]
    assert sizes == [(100, 30), (80, 24), (MAX_WIDTH, MAX_HEIGHT)]


async def test_output_is_one_write_per_flush_with_start_and_stop_codes() -> None:
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app)
    driver.start_application_mode()
    assert channel.written.startswith(ALT_SCREEN_ON.encode())
    writes = channel.writes
    driver.write("frame ")
    driver.write("é")
    assert channel.writes == writes  # nothing sent before the flush
    driver.flush()
    assert channel.writes == writes + 1 and channel.written.endswith("frame é".encode())
    driver.stop_application_mode()
    assert channel.written.endswith(STOP_CODES.encode())


async def test_a_client_past_the_output_bound_is_reported_once_and_gets_nothing_more() -> None:
    app, channel, overflows = RecordingApp(), FakeChannel(), list[int]()
    driver = _driver(channel, app, overflows, max_buffer=1000)
    driver.start_application_mode()
    channel.backlog = 1001
    driver.write("x")
    driver.flush()
    assert overflows == [1] and driver.overflowed
    size = len(channel.written)
    driver.write("more")
    driver.flush()
    driver.stop_application_mode()
    assert len(channel.written) == size and overflows == [1]


async def test_nothing_acts_on_the_servers_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    import webbrowser

    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url))
    app, channel = RecordingApp(), FakeChannel()
    driver = _driver(channel, app)
    driver.open_url("https://example.org")
    assert opened == []
    assert not driver.can_suspend
    driver.suspend_application_mode()  # ctrl+z: nothing stops, nothing is written
    assert channel.written == b""


async def test_a_flood_is_parsed_as_needed_cut_past_its_bound_and_told() -> None:
    from coptui.serve.driver import MAX_UNPARSED

    app, channel = RecordingApp(), FakeChannel()
    dropped: list[int] = []
    driver = _driver(channel, app, input_rate=1000, input_burst=50, input_backlog=100, on_dropped=dropped.append)
    driver.start_application_mode()
    driver.feed(b"x" * (MAX_UNPARSED + 4000))
    assert dropped == [4000]  # one notice for the bytes past the bound
    keys = await app.until_keys(50)
    assert len(keys) <= 50 + 16  # the burst (and one batch): the rest waits, mostly unparsed
    assert driver.gate.waiting <= 100
    driver.disable_input()  # the session ends: what waits is dropped, nothing more can reach the app
    assert driver.gate.waiting == 0 and not driver._unparsed
    driver.gate.put(events.Key("x", "x"))
    assert driver.gate.waiting == 0
