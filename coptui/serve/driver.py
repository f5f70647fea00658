"""A Textual driver whose terminal is one SSH channel.

`coptui serve` runs many apps in one process and one event loop. Textual's own drivers
assume a process-wide terminal (stdin, stdout, signals, ``os.environ``); this one does
not:

- output goes to the channel, with a bound on what may wait unsent: a client that stops
  reading is dropped (``on_overflow``) instead of growing the server's memory;
- input bytes from the channel are decoded with an incremental UTF-8 decoder (a
  character may arrive split across two packets) and fed to Textual's XTerm parser,
  which is ticked so that a lone Esc becomes a key after ``ESCAPE_DELAY``;
- input events reach the app through an :class:`~coptui.serve.fair_share.InputGate`: at a
  bounded rate, a bounded number per turn of the loop, and no more than a backlog waiting
  (a typed flood must not hold the loop that every session shares);
- window sizes from the client are clamped (0x0 and 65535x65535 both arrive);
- no suspend (ctrl+z must not stop the server), and ``open_url`` / ``deliver_binary``
  do nothing: they would act on the server's machine, not the member's;
- colours come from the client's TERM / COLORTERM / NO_COLOR (:func:`configure_console`),
  never from the server's environment.

Everything here runs on the event loop thread: asyncssh calls the session from the loop,
so no input thread is needed.
"""

from __future__ import annotations

import asyncio
from codecs import getincrementaldecoder
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol, TextIO

from rich.console import Console
from textual import constants, events
from textual._xterm_parser import XTermParser
from textual.driver import Driver
from textual.geometry import Size
from textual.message import Message

from coptui.serve.colour_depth import downgrade
from coptui.serve.fair_share import PER_TURN, InputGate
from coptui.serve.patches import set_no_color

if TYPE_CHECKING:
    from textual.app import App

# Window sizes outside these bounds are clamped: a 0x0 window cannot be laid out, and a
# 65535x65535 one would make every frame hundreds of megabytes.
MIN_WIDTH, MIN_HEIGHT = 10, 4
MAX_WIDTH, MAX_HEIGHT = 500, 200
DEFAULT_SIZE = (80, 24)
# Unsent output allowed to wait for a client before it is dropped as too slow. A full
# 120x40 truecolour frame is about 60 kB, so this holds several frames.
DEFAULT_MAX_BUFFER = 1024 * 1024
# Keys typed while the app starts are kept (up to this much) and replayed once it runs.
MAX_EARLY_INPUT = 4096
# Bytes from the client wait unparsed up to this much (more are dropped, with a notice), and
# are parsed this many at a time, only as the input gate needs more events: parsing costs
# loop time too (20 KB took a second on a busy machine).
MAX_UNPARSED = 16 * 1024
PARSE_SLICE = 256

# What the driver writes to enter and leave application mode (the same as Textual's
# Linux driver, minus the parts that need a local tty).
ALT_SCREEN_ON, ALT_SCREEN_OFF = "\x1b[?1049h", "\x1b[?1049l"
CURSOR_HIDE, CURSOR_SHOW = "\x1b[?25l", "\x1b[?25h"
MOUSE_ON = "\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h"
MOUSE_OFF = "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l"
PASTE_ON, PASTE_OFF = "\x1b[?2004h", "\x1b[?2004l"
FOCUS_ON, FOCUS_OFF = "\x1b[?1004h", "\x1b[?1004l"
LINE_WRAP_OFF, LINE_WRAP_ON = "\x1b[?7l", "\x1b[?7h"
SYNC_QUERY = "\x1b[?2026$p"
STOP_CODES = PASTE_OFF + MOUSE_OFF + LINE_WRAP_ON + FOCUS_OFF + ALT_SCREEN_OFF + CURSOR_SHOW

ColorSystem = Literal["none", "standard", "256", "truecolor"]  # "none": NO_COLOR
# Terminal types that announce 8 or 16 colours only.
_BASIC_TERMS = ("xterm", "xterm-color", "xterm-16color", "vt100", "vt220", "linux", "screen", "ansi", "rxvt", "cygwin")


class Channel(Protocol):
    """What the driver needs of an SSH channel (asyncssh's ``SSHServerChannel`` opened with encoding=None)."""

    def write(self, data: bytes) -> None: ...

    def get_write_buffer_size(self) -> int: ...


def clamp_size(width: int, height: int) -> tuple[int, int]:
    """A window size the app can lay out, whatever the client claimed."""
    if width <= 0 or height <= 0:
        width, height = width or DEFAULT_SIZE[0], height or DEFAULT_SIZE[1]
    return min(max(width, MIN_WIDTH), MAX_WIDTH), min(max(height, MIN_HEIGHT), MAX_HEIGHT)


def color_system_for(term: str | None, env: Mapping[str, str]) -> tuple[ColorSystem, bool]:
    """The colour depth and NO_COLOR wish of one client, from what its SSH session sent.

    COLORTERM=truecolor/24bit means 24-bit colour; a TERM naming 256 colours, or one we
    do not know, gets 256 (the common case today); the old 8/16-colour names get the
    standard palette. NO_COLOR (set and not empty, as no-color.org says) asks for no colour
    at all: "none", whatever the terminal could show.
    """
    if env.get("NO_COLOR"):
        return "none", True
    no_color = False
    colorterm = env.get("COLORTERM", "").strip().lower()
    term_name = (term or "").strip().lower()
    if colorterm in ("truecolor", "24bit"):
        return "truecolor", no_color
    if "256" in term_name or not term_name:
        return "256", no_color
    if term_name in _BASIC_TERMS or term_name == "dumb":
        return "standard", no_color or term_name == "dumb"
    return "256", no_color


def configure_console(app: App[Any], term: str | None, env: Mapping[str, str]) -> ColorSystem:
    """Give ``app`` a console for this client's terminal instead of the server's.

    Textual builds ``app.console`` and the NO_COLOR filter from ``os.environ`` in
    ``App.__init__``; in a server that would give every member the colour depth of
    whoever started the server. Call before the app runs.

    The console renders in truecolor whatever the client has: rendered codes are cached
    on objects all sessions share (see :mod:`coptui.serve.colour_depth`), so every session
    renders the same codes and :class:`SSHDriver` fits them to its client. Returns the
    client's colour depth, for the driver.
    """
    color_system, no_color = color_system_for(term, env)
    console_env = {"TERM": term or "xterm-256color"}
    if "COLORTERM" in env:
        console_env["COLORTERM"] = env["COLORTERM"]
    app.console = Console(
        color_system="truecolor",
        file=app.console.file,
        markup=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ=console_env,
        force_terminal=True,
        safe_box=False,
        soft_wrap=False,
    )
    set_no_color(app, no_color)
    return color_system


class SSHDriver(Driver):
    """Drives one app through one SSH channel. Built by Textual via ``app.driver_class``.

    Textual builds its driver itself (``driver_class(app, debug=, mouse=, size=)``), so the
    session sets ``app.driver_class`` to a function that binds the channel. The session
    feeds the driver with :meth:`feed` (bytes from the client) and :meth:`resize`.
    """

    def __init__(
        self,
        app: App[Any],
        *,
        channel: Channel,
        on_overflow: Callable[[], None],
        max_buffer: int = DEFAULT_MAX_BUFFER,
        debug: bool = False,
        mouse: bool = True,
        size: tuple[int, int] | None = None,
        color_system: str = "truecolor",
        input_rate: float = 60,
        input_burst: int = 120,
        input_backlog: int = 1000,
        on_dropped: Callable[[int], None] = lambda count: None,
    ) -> None:
        """``color_system``: the client's colour depth; the app renders in truecolor and
        output is fitted to the client here (:func:`configure_console`). ``input_*``: the
        input gate's bounds (:class:`~coptui.serve.options.ServeOptions`); ``on_dropped``
        hears when the gate dropped events (a flood)."""
        super().__init__(app, debug=debug, mouse=mouse, size=clamp_size(*(size or DEFAULT_SIZE)))
        self._channel = channel
        self._color_system = color_system
        self._on_overflow = on_overflow
        self._max_buffer = max_buffer
        self._pending: list[str] = []
        self._decode = getincrementaldecoder("utf-8")(errors="replace").decode
        self._parser = XTermParser(debug)
        self._tick_handle: asyncio.TimerHandle | None = None
        self._input_enabled = False
        self._early_input = bytearray()  # typed before the app was ready
        self._output_open = True
        self._overflowed = False
        self._unparsed = bytearray()
        self._parse_handle: asyncio.Handle | None = None
        self.gate = InputGate(
            self.process_message,
            rate=input_rate,
            burst=input_burst,
            backlog=input_backlog,
            on_dropped=on_dropped,
            on_short=self._parse_later,
            after_handled=self._app.call_later,
        )

    # -- output -------------------------------------------------------------------------------

    def write(self, data: str) -> None:
        if self._output_open:
            self._pending.append(data)

    def flush(self) -> None:
        """Send what was written since the last flush as one channel write (one SSH packet or a few)."""
        if not self._pending or not self._output_open:
            return
        data, self._pending = downgrade("".join(self._pending), self._color_system), []
        try:
            self._channel.write(data.encode("utf-8", "replace"))
        except (OSError, RuntimeError):  # the channel is closing: nobody is left to read it
            self._output_open = False
            return
        if self._channel.get_write_buffer_size() > self._max_buffer:
            self._output_open = False
            if not self._overflowed:
                self._overflowed = True
                self._on_overflow()

    @property
    def overflowed(self) -> bool:
        """True once the client fell further behind than the buffer bound allows."""
        return self._overflowed

    def close_output(self) -> None:
        """Write nothing more to the channel (it is being closed or is unusable)."""
        self._pending.clear()
        self._output_open = False

    # -- application mode ---------------------------------------------------------------------

    def start_application_mode(self) -> None:
        self._input_enabled = True
        width, height = self._size or DEFAULT_SIZE
        self._post_resize(width, height)
        self.write(ALT_SCREEN_ON)
        if self._mouse:
            self.write(MOUSE_ON)
        self.write(CURSOR_HIDE + FOCUS_ON + PASTE_ON + LINE_WRAP_OFF + SYNC_QUERY)
        self.flush()
        if self._early_input:
            early, self._early_input = bytes(self._early_input), bytearray()
            self.feed(early)

    def disable_input(self) -> None:
        self._input_enabled = False
        self.gate.close()  # what was typed and not yet handled dies with the session
        self._unparsed.clear()
        if self._parse_handle is not None:
            self._parse_handle.cancel()
            self._parse_handle = None
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None

    def stop_application_mode(self) -> None:
        self.disable_input()
        self.write(STOP_CODES)
        self.flush()

    def close(self) -> None:
        self.disable_input()

    @property
    def can_suspend(self) -> bool:
        return False  # ctrl+z must never stop the server process

    def suspend_application_mode(self) -> None:
        """Never suspend: there is no local terminal to hand back."""

    def resume_application_mode(self) -> None:
        """Never suspended, so nothing to resume."""

    def open_url(self, url: str, new_tab: bool = True) -> None:
        """Do nothing: a browser would open on the server's machine, not the member's."""

    def deliver_binary(
        self,
        binary: BinaryIO | TextIO,
        *,
        delivery_key: str,
        save_path: Path,
        open_method: Literal["browser", "download"] = "download",
        encoding: str | None = None,
        mime_type: str | None = None,
        name: str | None = None,
    ) -> None:
        """Refuse: the file would land on the server's disk. The app hears that delivery failed."""
        binary.close()
        self._app.post_message(
            events.DeliveryFailed(key=delivery_key, exception=PermissionError("no file delivery over SSH"), name=name)
        )

    # -- input --------------------------------------------------------------------------------

    def send_message(self, message: Message) -> None:
        # Called on the loop thread (asyncssh delivers data there), so no thread hop is needed.
        self._app.post_message(message)

    def feed(self, data: bytes) -> None:
        """Bytes the client typed or pasted."""
        if not self._input_enabled:
            if len(self._early_input) + len(data) <= MAX_EARLY_INPUT:
                self._early_input += data
            return
        room = MAX_UNPARSED - len(self._unparsed)
        if len(data) > room:
            self.gate.drop(len(data) - room)  # a flood: its newest bytes go, with a notice
            data = data[: max(room, 0)]
        self._unparsed += data
        self._parse()

    def _parse_later(self) -> None:
        if self._unparsed and self._parse_handle is None and self._input_enabled:
            self._parse_handle = self._loop.call_soon(self._parse)

    def _parse(self) -> None:
        """Parse one slice of what waits, if the gate is short of events."""
        self._parse_handle = None
        if not self._input_enabled or self.gate.waiting >= PER_TURN:
            return  # the gate asks for more (on_short) once it has handed these on
        chunk = bytes(self._unparsed[:PARSE_SLICE])
        del self._unparsed[:PARSE_SLICE]
        text = self._decode(chunk)
        if text:
            for event in self._parser.feed(text):
                self.gate.put(event)
        if self._unparsed:
            self._parse_later()
        else:
            self._schedule_tick()  # only once all is parsed: a lone Esc at the end becomes a key

    def _schedule_tick(self) -> None:
        # The parser holds a lone Esc (it may start a sequence) until ESCAPE_DELAY passes
        # with nothing after it; only a tick turns it into a key.
        if self._tick_handle is not None:
            self._tick_handle.cancel()
        self._tick_handle = self._loop.call_later(constants.ESCAPE_DELAY + 0.01, self._tick)

    def _tick(self) -> None:
        self._tick_handle = None
        if not self._input_enabled:
            return
        for event in self._parser.tick():
            self.gate.put(event)

    def resize(self, width: int, height: int) -> None:
        """The client's window changed."""
        width, height = clamp_size(width, height)
        if (width, height) == self._size:
            return
        self._size = (width, height)
        self._post_resize(width, height)

    def _post_resize(self, width: int, height: int) -> None:
        size = Size(width, height)
        self._app.post_message(events.Resize(size, size))
