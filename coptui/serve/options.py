"""What `coptui serve` is told and what it says: its options from the command line, its
error for a setup it cannot serve, and the lines members read when a session is refused
or ends."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from coptui.errors import CoptuiError
from coptui.serve.driver import DEFAULT_MAX_BUFFER

NO_PTY_MESSAGE = "coptui needs an interactive terminal: ssh -p {port} {host}"
DUMB_TERMINAL_MESSAGE = "{needs}: connect from a terminal emulator with ssh -p {port} {host}"
MESSAGES = {
    "idle": "coptui: closed after {idle} without input. Your drafts are kept: reconnect any time.",
    "server-stop": "coptui: server stopping. Your work is saved: reconnect when it is back.",
    "crash": "coptui: your session hit an error and was closed; the server and everyone else carry on. Reconnect to go on.",
    "limit-key": "coptui: this key is already connected {count} times; close one of those sessions first.",
    "limit-total": "coptui: the server is full ({count} sessions); try again in a few minutes.",
    "busy": "coptui: your session kept the server busy for too long and was closed; everyone else carries on. "
    "Your drafts are kept: reconnect any time.",
}
# What a member is told, once, inside their session.
DROPPED_NOTICE = "Typing faster than the server takes keys: {count} were dropped."
SLOWED_NOTICE = "This session is using more than its share of the server: its keys are slowed down."


class ServeError(CoptuiError):
    """The server cannot start; the message says why and what to do."""


@dataclass(frozen=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 2222
    data_dir: Path | None = None
    surveys_dir: Path | None = None
    log_path: Path | None = None  # default: serve.log in the data folder; "-" for stderr
    max_sessions: int = 100
    max_per_key: int = 3
    # Logins in progress (connections that have not logged in yet): in total, and from one
    # address, so that one address holding connections open cannot take every place.
    max_startups: int = 100
    max_startups_per_address: int = 10
    connect_rate: int = 20  # new connections per second from one address
    idle_timeout: float = 30 * 60
    login_timeout: float = 30
    keepalive_interval: float = 30
    keepalive_count_max: int = 3
    max_output: int = DEFAULT_MAX_BUFFER
    workers: int = 1  # server processes sharing the port (coptui/serve/workers.py)
    # One member cannot freeze everyone (coptui/serve/fair_share.py): input events (keys,
    # mouse, pastes) a session's app is given per second, and at once after a pause...
    input_rate: float = 60
    input_burst: int = 120
    # ...how many may wait beyond that before the rest are dropped (with one notice)...
    input_backlog: int = 1000
    # ...the share of the loop's time one session may take (measured each second) before it
    # is slowed, and how long it may stay over before it is ended (reason=busy).
    max_loop_share: float = 0.5
    busy_timeout: float = 10

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ServeOptions:
        defaults = cls()
        return cls(
            host=args.host,
            port=args.port,
            data_dir=getattr(args, "data", None),
            surveys_dir=getattr(args, "surveys", None),
            log_path=getattr(args, "log", None),
            max_sessions=getattr(args, "max_sessions", None) or defaults.max_sessions,
            max_per_key=getattr(args, "max_per_key", None) or defaults.max_per_key,
            connect_rate=getattr(args, "connect_rate", None) or defaults.connect_rate,
            max_startups=getattr(args, "max_startups", None) or defaults.max_startups,
            max_startups_per_address=getattr(args, "max_startups_per_address", None)
            or defaults.max_startups_per_address,
            idle_timeout=getattr(args, "idle_timeout", None) or defaults.idle_timeout,
            login_timeout=getattr(args, "login_timeout", None) or defaults.login_timeout,
            keepalive_interval=getattr(args, "keepalive_interval", None) or defaults.keepalive_interval,
            max_output=getattr(args, "max_output", None) or defaults.max_output,
            workers=max(1, getattr(args, "workers", None) or defaults.workers),
            input_rate=getattr(args, "input_rate", None) or defaults.input_rate,
            input_burst=getattr(args, "input_burst", None) or defaults.input_burst,
            input_backlog=getattr(args, "input_backlog", None) or defaults.input_backlog,
            max_loop_share=getattr(args, "max_loop_share", None) or defaults.max_loop_share,
            busy_timeout=getattr(args, "busy_timeout", None) or defaults.busy_timeout,
        )


def duration_text(seconds: float) -> str:
    """A timeout as members read it in a goodbye line: "30 minutes", "45 seconds"."""
    if seconds >= 120:
        return f"{round(seconds / 60)} minutes"
    return f"{round(seconds)} seconds"
