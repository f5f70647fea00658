"""One SSH session channel: with a PTY, a member's app drawn through an
:class:`~coptui.serve.driver.SSHDriver`; without one (``ssh -T``, ``ssh host cmd``,
``ssh -s host sftp``) one line that says how to connect, and exit status 1.

A crash ends its own session only; an idle timeout closes a session no byte came from for
``--idle-timeout``, unless it is watching a live retro (its screen says so with a true
``watching_live``). Its input reaches the app through the driver's input gate, and its
loop time is metered (:mod:`coptui.serve.fair_share`): a session over its share of the
loop is slowed, and ended (``reason=busy``) if it stays over for ``--busy-timeout``. The
session asks its server (:class:`SessionHost`) for a slot in the limits, the app factory
and the log, and its connection (:class:`SessionLink`) for who the member is.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import asyncssh
from rich.console import Console

from coptui.serve.driver import ColorSystem, SSHDriver, clamp_size, configure_console
from coptui.serve.fair_share import CURRENT_METER, LoopMeter
from coptui.serve.log import EventLog, client_text
from coptui.serve.options import (
    DROPPED_NOTICE,
    DUMB_TERMINAL_MESSAGE,
    MESSAGES,
    NO_PTY_MESSAGE,
    SLOWED_NOTICE,
    ServeOptions,
    duration_text,
)
from coptui.serve.patches import app_error
from coptui.tui.app import NEEDS_A_SCREEN, cannot_draw

# How often a session's loop time is read and judged against its share.
SHARE_INTERVAL = 1.0
# After its end was asked for, how long a session's app may take to close before its task is
# cancelled (an app stuck in work of its own must not outlive its member).
END_GRACE = 10.0

if TYPE_CHECKING:
    from textual.app import App
    from textual.driver import Driver

    from coptui.core.workspace import Workspace
    from coptui.serve.admission import SlotTicket


class AppFactory(Protocol):
    """What the server builds a member's app with (:func:`coptui.tui.app.make_app`, or a
    test's factory)."""

    def __call__(self, *, workspace: Workspace, member: str) -> App[Any]: ...


class SessionHost(Protocol):
    """What a session needs of the server that holds it."""

    workspace: Workspace
    options: ServeOptions
    log: EventLog
    make_app: AppFactory

    @property
    def session_count(self) -> int: ...

    def claim_session(self, session: CoptuiSession) -> tuple[str, int] | None: ...

    def release_session(self, session: CoptuiSession) -> None: ...


class SessionLink(Protocol):
    """What a session needs of the connection it was opened on."""

    @property
    def server(self) -> SessionHost: ...

    conn: asyncssh.SSHServerConnection | None
    peer: str
    handle: str | None
    fingerprint: str | None

    def session_closed(self) -> None: ...


class CoptuiSession(asyncssh.SSHServerSession[bytes]):
    """One SSH session channel: a member's app, or a one-line refusal."""

    def __init__(self, connection: SessionLink) -> None:
        self.connection = connection
        self.server = connection.server
        self.handle = connection.handle
        self.fingerprint = connection.fingerprint
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term: str | None = None
        self.size = (80, 24)
        self.env: dict[str, str] = {}
        self._has_pty = False
        self._request: str | None = None  # "exec" or "subsystem" when not a shell
        self.app: App[Any] | None = None
        self.driver: SSHDriver | None = None
        self.task: asyncio.Task[None] | None = None
        self.reason: str | None = None
        self._started_at = time.monotonic()
        self._last_input = time.monotonic()
        self._idle_timer: asyncio.TimerHandle | None = None
        self._channel_open = True
        self._early_input = bytearray()
        self.ticket: SlotTicket | None = None  # its slots in the session limits
        self.color_system: ColorSystem = "truecolor"  # the client's colour depth (configure_console)
        self.meter = LoopMeter()  # the loop time this session's app takes (fair_share)
        self._share_timer: asyncio.TimerHandle | None = None
        self._share_checked = time.monotonic()
        self._over_since: float | None = None  # when it went over its loop share, while it is
        self._end_timer: asyncio.TimerHandle | None = None
        self._forced = False  # its app's task was cancelled after END_GRACE
        self._finished = False

    # -- requests before the session starts ------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(
        self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Mapping[int, int]
    ) -> bool:
        self._has_pty = True
        self.term = term_type
        self.size = clamp_size(term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        # Accepted only to answer with the one-line explanation: nothing is ever run.
        self._request = "exec"
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        self._request = "subsystem"
        return True

    def session_started(self) -> None:
        assert self.chan is not None
        self.env = {str(k): str(v) for k, v in self.chan.get_environment().items()}
        refusal = self._request or (None if self._has_pty else "no-pty")
        if refusal is not None:
            host, port = self.chan.get_extra_info("sockname")[:2]
            self._refuse(refusal, NO_PTY_MESSAGE.format(port=port, host=host), stderr=True)
            return
        if cannot_draw(self.term):
            host, port = self.chan.get_extra_info("sockname")[:2]
            message = DUMB_TERMINAL_MESSAGE.format(needs=NEEDS_A_SCREEN, port=port, host=host)
            self._refuse("dumb-terminal", message, stderr=True)
            return
        over = self.server.claim_session(self)
        if over is not None:
            reason, count = over
            self._refuse(reason, MESSAGES[reason].format(count=count))
            return
        self.server.log.write(
            "connect",
            peer=self.connection.peer,
            handle=self.handle,
            fingerprint=self.fingerprint,
            term=client_text(self.term),
            size=f"{self.size[0]}x{self.size[1]}",
            sessions=self.server.session_count,
        )
        self._arm_idle_timer()
        self._arm_share_timer()
        # A fresh context: this app's context variables (Textual's active app) must not
        # leak from, or into, the connection that asyncssh is serving.
        # The context carries this session's loop meter: everything the app runs on the
        # loop (its tasks, timers, callbacks) inherits it and is charged to the session.
        context = contextvars.Context()
        context.run(CURRENT_METER.set, self.meter)
        self.task = asyncio.get_running_loop().create_task(self._run_app(), context=context)
        self.task.add_done_callback(self._task_done)

    def _refuse(self, reason: str, message: str, *, stderr: bool = False) -> None:
        assert self.chan is not None
        self.server.log.write(
            "refused", peer=self.connection.peer, handle=self.handle, fingerprint=self.fingerprint, reason=reason
        )
        line = (message + "\r\n").encode()
        try:
            if stderr:
                self.chan.write_stderr(line)
            else:
                self.chan.write(line)
            self.chan.exit(1)
        except OSError:
            pass

    # -- the app -------------------------------------------------------------------------------

    def _make_driver(self, app: Any, **options: Any) -> SSHDriver:
        assert self.chan is not None
        self.driver = SSHDriver(
            app,
            channel=self.chan,
            on_overflow=self._on_overflow,
            max_buffer=self.server.options.max_output,
            color_system=self.color_system,
            input_rate=self.server.options.input_rate,
            input_burst=self.server.options.input_burst,
            input_backlog=self.server.options.input_backlog,
            on_dropped=self._on_input_dropped,
            **options,
        )
        if self._early_input:
            self.driver.feed(bytes(self._early_input))
            self._early_input.clear()
        return self.driver

    async def _run_app(self) -> None:
        exit_code = 0
        error: BaseException | None = None
        try:
            assert self.handle is not None
            app = self.app = self.server.make_app(workspace=self.server.workspace, member=self.handle)
            self.color_system = configure_console(app, self.term, self.env)
            # Textual only ever calls driver_class(app, debug=, mouse=, size=): a function that
            # builds this session's driver, bound to its channel, does what a class would.
            app.driver_class = cast("type[Driver]", self._make_driver)
            # A traceback may hold what a member typed: it goes nowhere near a channel or the log.
            app.error_console = Console(file=io.StringIO(), markup=False, highlight=False)
            await app.run_async(size=self.size)
            error = app_error(app)
            exit_code = app.return_code or 0
        except asyncio.CancelledError:
            if not self._forced:
                raise
            # Cut off by _force_end: the app did not close within END_GRACE of being asked.
            exit_code = 1
        except Exception as failure:
            error = failure
        if error is not None:
            exit_code = 1
            self.reason = self.reason or "crash"
            self._report_crash(error)
        self.reason = self.reason or "quit"
        self._finish(exit_code)

    def _report_crash(self, error: BaseException) -> None:
        frames = traceback.extract_tb(error.__traceback__)
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else None
        # Type and place only: the message of an exception may quote user text.
        self.server.log.write(
            "error", handle=self.handle, fingerprint=self.fingerprint, error=type(error).__name__, where=where
        )

    def _task_done(self, task: asyncio.Task[None]) -> None:
        # A task cancelled before its first step never ran _run_app's own ending.
        if not self._finished:
            self.reason = self.reason or "closed"
            self._finish(1)

    def _finish(self, exit_code: int) -> None:
        if self._finished:
            return
        self._finished = True
        self._cancel_idle_timer()
        self._cancel_share_timer()
        if self._end_timer is not None:
            self._end_timer.cancel()
            self._end_timer = None
        self.server.release_session(self)
        self.server.log.write(
            "disconnect",
            peer=self.connection.peer,
            handle=self.handle,
            fingerprint=self.fingerprint,
            term=client_text(self.term),
            size=f"{self.size[0]}x{self.size[1]}",
            duration=round(time.monotonic() - self._started_at, 1),
            reason=self.reason,
        )
        if self.chan is None or not self._channel_open:
            return
        if self.reason == "slow":
            # Whatever we send would wait behind what the client is not reading.
            if self.connection.conn is not None:
                self.connection.conn.abort()
            return
        message = MESSAGES.get(self.reason or "")
        try:
            if message:
                idle = duration_text(self.server.options.idle_timeout)
                self.chan.write(("\r\n" + message.format(idle=idle) + "\r\n").encode())
            self.chan.exit(exit_code)
        except OSError:
            pass

    def end(self, reason: str) -> asyncio.Task[None] | None:
        """Close this session's app for ``reason`` (idle, slow, busy, closed, server-stop); returns its task."""
        if self.reason is None:
            self.reason = reason
        if self.driver is not None:
            self.driver.gate.close()  # keys still waiting are not handled: the session is ending
        if self.task is not None and not self.task.done() and self.app is None:
            self._force_end()  # its app is not made yet: nothing to ask, nothing to lose
        elif self.app is not None and self.task is not None and not self.task.done():
            self.app.exit()
            if self._end_timer is None:
                self._end_timer = asyncio.get_running_loop().call_later(END_GRACE, self._force_end)
        return self.task

    def _force_end(self) -> None:
        self._end_timer = None
        if self.task is not None and not self.task.done():
            self._forced = True
            self.task.cancel()

    def _on_overflow(self) -> None:
        self.end("slow")

    # -- a fair share of the loop ------------------------------------------------------------------

    def _notify(self, text: str) -> None:
        # Run in the app's own context (Textual looks its active app up there).
        if self.app is not None and self.task is not None and not self.task.done():
            self.app.call_later(self.app.notify, text, severity="warning", timeout=5, markup=False)

    def _on_input_dropped(self, count: int) -> None:
        self._notify(DROPPED_NOTICE.format(count=count))

    def _arm_share_timer(self) -> None:
        self._share_timer = asyncio.get_running_loop().call_later(SHARE_INTERVAL, self._check_share)

    def _cancel_share_timer(self) -> None:
        if self._share_timer is not None:
            self._share_timer.cancel()
            self._share_timer = None

    def _check_share(self) -> None:
        now = time.monotonic()
        elapsed, self._share_checked = max(now - self._share_checked, 1e-6), now
        share = self.meter.take() / elapsed
        options = self.server.options
        # A share is taken from the others: a member alone on the server (or on their worker)
        # is never slowed or ended, however slow the machine makes their screens.
        if share <= options.max_loop_share or self.server.session_count < 2:
            self._over_since = None
            if self.driver is not None:
                self.driver.gate.set_slowed(False)
        elif self._over_since is None:
            self._over_since = now - elapsed  # over for the whole interval just measured
            if self.driver is not None:
                self.driver.gate.set_slowed(True)
            self._notify(SLOWED_NOTICE)
        elif now - self._over_since >= options.busy_timeout:
            self._share_timer = None
            self.end("busy")
            return
        self._arm_share_timer()

    # -- input, resizes, idle --------------------------------------------------------------------

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._last_input = time.monotonic()
        if self.driver is not None:
            self.driver.feed(data)
        elif self.task is not None and len(self._early_input) < 4096:
            self._early_input += data  # typed while the app starts: the driver does not exist yet

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = clamp_size(width, height)
        if self.driver is not None:
            self.driver.resize(width, height)

    def eof_received(self) -> bool:
        return True  # keep the channel: the member may still read the screen

    def break_received(self, msec: int) -> bool:
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._channel_open = False
        if self.driver is not None:
            self.driver.close_output()
        # A peer that stopped answering keepalives (a suspended laptop, a stopped ssh) is
        # told apart from one that closed the connection.
        self.end("keepalive" if exc is not None and "keepalive" in str(exc).lower() else "closed")
        self.connection.session_closed()

    def _arm_idle_timer(self, delay: float | None = None) -> None:
        loop = asyncio.get_running_loop()
        self._idle_timer = loop.call_later(
            delay if delay is not None else self.server.options.idle_timeout, self._check_idle
        )

    def _cancel_idle_timer(self) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None

    def watching_live(self) -> bool:
        """True while the member's screen shows something live (a retro that is open): they
        may be following it without a key for a long time, and are not idle."""
        if self.app is None:
            return False
        # A dialog or the command palette over the retro board leaves the board in view.
        for screen in reversed(self.app.screen_stack):
            if not screen.is_modal:
                return bool(getattr(screen, "watching_live", False))
        return False

    def _check_idle(self) -> None:
        # Keepalives are not input: only bytes from the member count as activity. A member
        # following a live retro counts as present: their idle time starts once it is not live.
        if self.watching_live():
            self._last_input = time.monotonic()
        remaining = self.server.options.idle_timeout - (time.monotonic() - self._last_input)
        if remaining > 0:
            self._arm_idle_timer(remaining)
        else:
            self._idle_timer = None
            self.end("idle")
