"""Test and benchmark harness for `coptui serve`: a real server process and real SSH clients.

- :func:`make_keyed_surveys` copies the shipped surveys and gives chosen members fresh
  ed25519 keys (written to ``keys/<handle>`` for OpenSSH, returned for asyncssh).
- :class:`ServerProcess` runs ``python -m coptui serve --port 0`` and learns its port
  from the JSON log.
- :class:`Client` is an asyncssh client with a PTY that keeps every byte it receives
  and a small :class:`Screen` model of what a terminal would show, styles included.
- :class:`TmuxPane` runs OpenSSH in tmux and reads the pane into the same model.

Every wait polls a condition on what the screen shows up to a deadline, and a failed wait
says what the screen showed. Nothing sleeps for a fixed time or waits for a quiet period to
"let things settle": a check that something does not happen first waits for the effect of a
later key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import asyncssh
from rich.cells import get_character_cell_size

from coptui.core.definitions import default_surveys_dir
from coptui.serve.driver import SYNC_QUERY as _SYNC_QUERY
from coptui.serve.server import STOP_SECONDS
from coptui.serve.workers import Supervisor

REPO = Path(__file__).resolve().parents[2]
# How long a server may take to end after SIGTERM: its own stop sequence (apps, goodbyes,
# closes) twice over for a busy machine, the supervisor's tick to see its workers end
# (--workers), and a few seconds for the interpreter to exit.
STOP_TIMEOUT = 2 * STOP_SECONDS + Supervisor.TICK + 5
# What the app asks a terminal about synchronized output (DECRQM, mode 2026) and the answer
# of one that has it: "supported, reset".
SYNC_QUERY = _SYNC_QUERY.encode()
SYNC_SUPPORTED = b"\x1b[?2026;2$y"
# How long a screen may take to show what a key or a change did, on a busy machine: a client's
# (asyncssh) and a tmux pane's (OpenSSH in tmux, read by polling capture-pane).
SCREEN_TIMEOUT = 10
PANE_TIMEOUT = 15


# -- community with keys -------------------------------------------------------------------------


@dataclass
class KeyedCommunity:
    surveys_dir: Path
    keys_dir: Path
    keys: dict[str, asyncssh.SSHKey]

    def key_file(self, name: str) -> Path:
        return self.keys_dir / name


def make_keyed_surveys(
    folder: Path,
    handles: Iterable[str],
    *,
    strangers: Iterable[str] = ("stranger",),
    names: dict[str, str] | None = None,
) -> KeyedCommunity:
    """Copy the shipped surveys into ``folder/surveys`` and give ``handles`` new SSH keys.

    ``names`` replaces members' display names (e.g. with markup and escape codes).
    Strangers get keys that belong to no member.
    """
    surveys = folder / "surveys"
    shutil.copytree(default_surveys_dir(), surveys)
    keys_dir = folder / "keys"
    keys_dir.mkdir()
    keys: dict[str, asyncssh.SSHKey] = {}
    path = surveys / "community.toml"
    text = path.read_text(encoding="utf-8")
    for handle in [*handles, *strangers]:
        key = asyncssh.generate_private_key("ssh-ed25519", comment=handle)
        key.write_private_key(keys_dir / handle)
        key.write_public_key(keys_dir / f"{handle}.pub")
        os.chmod(keys_dir / handle, 0o600)
        keys[handle] = key
        if handle in strangers:
            continue
        marker = f'handle = "{handle}"\n'
        assert marker in text, f"{handle} is not a member of the shipped community"
        public = key.export_public_key().decode().strip()
        text = text.replace(marker, f"{marker}keys = [{json.dumps(public)}]\n", 1)
    for handle, name in (names or {}).items():
        line = f"name = {json.dumps(name)}\n".replace("\\", "\\\\")  # a replacement template: backslashes doubled
        text = re.sub(rf'(handle = "{handle}"\n(?:keys = .*\n)?)name = ".*"\n', r"\g<1>" + line, text)
    path.write_text(text, encoding="utf-8")
    return KeyedCommunity(surveys, keys_dir, keys)


def remove_member_key(surveys_dir: Path, handle: str) -> None:
    path = surveys_dir / "community.toml"
    text = path.read_text(encoding="utf-8")
    text = re.sub(rf'(handle = "{handle}"\n)keys = .*\n', r"\1", text)
    path.write_text(text, encoding="utf-8")
    # mtime resolution: make sure the server sees a new stamp even within the same tick.
    stamp = time.time() + 1
    os.utime(path, (stamp, stamp))


# -- the server ----------------------------------------------------------------------------------


def _die_with_parent() -> None:
    """In the server's process: get SIGTERM if the test process dies, so no server outlives a crashed run."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class ServerProcess:
    """`coptui serve` in a subprocess on 127.0.0.1 and a port the OS picks."""

    def __init__(
        self,
        data_dir: Path,
        surveys_dir: Path,
        *,
        extra_args: Iterable[str] = (),
        env: dict[str, str] | None = None,
        launcher: Iterable[str] = ("-m", "coptui"),
        startups_per_address: bool = True,
    ) -> None:
        """``launcher``: what runs the server after ``python`` (a test's own module may wrap
        the real server, e.g. ``("-m", "tests.support.crashing_serve", "chen")``).
        ``startups_per_address``: False for a server from before ``--max-startups-per-address``
        (a benchmark's earlier tree)."""
        self.data_dir = data_dir
        self.surveys_dir = surveys_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self.stderr_path = data_dir.parent / f"{data_dir.name}-serve.stderr"
        self.port = 0
        process_env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
        process_env.update(env or {})
        # Every client of a test comes from 127.0.0.1, as the members of a community would not:
        # the limits per address are raised for them (a test of those limits passes its own).
        per_address = [
            "--connect-rate",
            "200",
            *(["--max-startups-per-address", "200"] if startups_per_address else []),
        ]
        command = [
            sys.executable, *launcher, "serve", "--host", "127.0.0.1", "--port", "0",
            "--data", str(data_dir), "--surveys", str(surveys_dir), "--log", str(self.log_path),
            *per_address, *extra_args,
        ]  # fmt: skip
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            command,
            cwd=REPO,
            env=process_env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, timeout: float = 20) -> ServerProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.log_records():
                if record["event"] == "listening":
                    self.port = record["port"]
                    return self
            if self.process.poll() is not None:
                raise RuntimeError(f"coptui serve exited with {self.process.returncode}: {self.stderr_text()}")
            time.sleep(0.05)
        raise TimeoutError(f"coptui serve did not start within {timeout}s: {self.stderr_text()}")

    def log_records(self) -> list[dict]:
        try:
            lines = self.log_path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    async def wait_log(self, predicate: Callable[[dict], bool], timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for record in self.log_records():
                if predicate(record):
                    return record
            await asyncio.sleep(0.05)
        raise TimeoutError(f"no log record matched within {timeout}s; log: {self.log_records()[-5:]}")

    def wait_sessions_ended(self, timeout: float = 10) -> None:
        """Until every session the log shows starting has ended (bounded; between tests, so
        that per-key limits never leak from one test into the next)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            records = self.log_records()
            started = sum(1 for r in records if r["event"] == "connect")
            ended = sum(1 for r in records if r["event"] == "disconnect" and r.get("reason") != "no-session")
            if started == ended:
                return
            time.sleep(0.05)

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        self.terminate()
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait(5)
        self._stderr.close()
        return code


# -- what a terminal would show --------------------------------------------------------------------

_SEQUENCE = re.compile(
    r"\x1b\[([0-9;?<>=$ ]*)([@-~])"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC
    r"|\x1bP[^\x1b]*\x1b\\"  # DCS
    r"|\x1b[()][0-9A-Za-z]"  # charset
    r"|\x1b[=>78cDEHM]"  # short escapes
)


class Style(NamedTuple):
    """How a terminal draws one cell: colours as ``"256:N"``, ``"rgb:R,G,B"`` or ``"ansi:N"`` (None: the default)."""

    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False


PLAIN = Style()
TALL_EDGE = "▊"  # the left edge of Textual's "tall" border (inputs, text areas, choice lists)
# SGR codes that set or clear attributes (22 clears both bold and dim).
_ATTRIBUTES: dict[int, Callable[[Style], Style]] = {
    1: lambda s: s._replace(bold=True),
    2: lambda s: s._replace(dim=True),
    3: lambda s: s._replace(italic=True),
    4: lambda s: s._replace(underline=True),
    7: lambda s: s._replace(reverse=True),
    21: lambda s: s._replace(bold=False),
    22: lambda s: s._replace(bold=False, dim=False),
    23: lambda s: s._replace(italic=False),
    24: lambda s: s._replace(underline=False),
    27: lambda s: s._replace(reverse=False),
}


def _sgr_params(params: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in params.replace(":", ";").split(";")]


def _colour(params: list[int], i: int) -> tuple[str | None, int]:
    """The extended colour (38/48 ...) at ``params[i]`` and how many parameters it took."""
    if i + 2 < len(params) and params[i + 1] == 5:
        return f"256:{params[i + 2]}", 3
    if i + 4 < len(params) and params[i + 1] == 2:
        return "rgb:{},{},{}".format(*params[i + 2 : i + 5]), 5
    return None, 1


def apply_sgr(style: Style, params: str) -> Style:
    """``style`` after one SGR sequence (``ESC [ params m``)."""
    numbers = _sgr_params(params)
    i = 0
    while i < len(numbers):
        code = numbers[i]
        if code == 0:
            style = PLAIN
        elif code in _ATTRIBUTES:
            style = _ATTRIBUTES[code](style)
        elif code in (38, 48):
            colour, used = _colour(numbers, i)
            style = style._replace(fg=colour) if code == 38 else style._replace(bg=colour)
            i += used
            continue
        elif code == 39:
            style = style._replace(fg=None)
        elif code == 49:
            style = style._replace(bg=None)
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = style._replace(fg=f"ansi:{code - 30 if code < 90 else code - 82}")
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = style._replace(bg=f"ansi:{code - 40 if code < 100 else code - 92}")
        i += 1
    return style


class Screen:
    """Just enough of a terminal to read Textual's output: cursor moves, text, clears, and
    each cell's style (SGR colours and attributes), so a test can see a highlight or a focus.

    ``frames`` counts the synchronized-output frames (``ESC [?2026h`` ... ``ESC [?2026l``)
    completed so far; ``in_frame`` is True while one is half received.
    """

    def __init__(self, width: int, height: int) -> None:
        self.frames = 0
        self.in_frame = False
        self.resize(width, height)

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._clear()
        self.x = self.y = 0
        self.style = PLAIN

    def _clear(self) -> None:
        self.rows = [[" "] * self.width for _ in range(self.height)]
        self.styles = [[PLAIN] * self.width for _ in range(self.height)]

    @classmethod
    def from_capture(cls, captured: str, width: int, height: int) -> Screen:
        """The screen a ``tmux capture-pane -p -e`` dump shows (its lines carry their SGR codes)."""
        screen = cls(width, height)
        screen.feed(captured.replace("\n", "\r\n"))
        return screen

    def feed(self, text: str) -> None:
        pos = 0
        for match in _SEQUENCE.finditer(text):
            self._text(text[pos : match.start()])
            pos = match.end()
            if match.group(2):
                self._csi(match.group(1), match.group(2))
        self._text(text[pos:])

    def _csi(self, params: str, final: str) -> None:
        if final == "m":
            self.style = apply_sgr(self.style, params)
        elif final == "H" and not params.startswith("?"):
            parts = [int(p) if p.isdigit() else 1 for p in (params.split(";") if params else [])]
            row, col = ([*parts, 1, 1])[:2]
            self.y, self.x = min(max(row - 1, 0), self.height - 1), min(max(col - 1, 0), self.width - 1)
        elif final == "J" and params in ("2", "3"):
            self._clear()
        elif final == "K":
            blank = Style(bg=self.style.bg)  # a terminal erases with the current background
            for col in range(self.x, self.width):
                self.rows[self.y][col] = " "
                self.styles[self.y][col] = blank
        elif final == "h" and params == "?1049":
            self._clear()
        elif final == "h" and params == "?2026":
            self.in_frame = True
        elif final == "l" and params == "?2026":
            self.in_frame = False
            self.frames += 1

    def _text(self, text: str) -> None:
        for char in text:
            if char == "\r":
                self.x = 0
            elif char == "\n":
                self.y = min(self.y + 1, self.height - 1)
            elif char < " " or char == "\x7f":
                continue
            else:
                if self.x < self.width:
                    self.rows[self.y][self.x] = char
                    self.styles[self.y][self.x] = self.style
                self.x += max(get_character_cell_size(char), 1)

    @property
    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.rows)

    def find(self, text: str) -> tuple[int, int] | None:
        """The (column, row), from 0, of the first place ``text`` shows, or None."""
        for y, row in enumerate(self.rows):
            x = "".join(row).find(text)
            if x >= 0:
                return x, y
        return None

    def style_of(self, text: str) -> Style | None:
        """The style of the first cell of ``text`` where it first shows, or None (not shown)."""
        place = self.find(text)
        return None if place is None else self.styles[place[1]][place[0]]

    def highlighted(self, text: str) -> bool:
        """True when ``text`` is drawn as a focused widget's cursor (a DataTable's cursor row, a
        choice list's highlighted choice): bold, on a background the cells above and below lack."""
        place = self.find(text)
        if place is None:
            return False
        x, y = place
        style = self.styles[y][x]
        around = [self.styles[row][x].bg for row in (y - 1, y + 1) if 0 <= row < self.height]
        return style.bold and style.bg not in around

    def border_left_of(self, text: str) -> str | None:
        """The first character drawn left of ``text`` on its row past the spaces (a box's edge), or None."""
        place = self.find(text)
        if place is None:
            return None
        row = "".join(self.rows[place[1]][: place[0]]).rstrip()
        return row[-1] if row else None

    def focus_border_shown(self) -> bool:
        """True when a tall left edge (``▊``, the border Textual draws round an input or a choice
        list) shows in a colour of its own: it is drawn in the background's colour unless focused."""
        return any(
            char == TALL_EDGE and style.fg != style.bg
            for chars, styles in zip(self.rows, self.styles, strict=True)
            for char, style in zip(chars, styles, strict=True)
        )

    def chosen(self) -> list[str]:
        """The labels of the choices whose button is lit: only a chosen one holds a ``●``
        (``▐●▌``; an unchosen one is ``▐ ▌``, whatever the colours)."""
        labels = []
        for row in self.rows:
            line = "".join(row)
            for found in re.finditer("▐●▌", line):
                after = line[found.end() :]
                labels.append(re.split(r"\s{2,}|[▐▎│]", after.strip())[0])
        return labels


# -- a client ------------------------------------------------------------------------------------


class _Recorder(asyncssh.SSHClientSession[bytes]):
    def __init__(self, client: Client) -> None:
        self.client = client

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self.client._received(data, stderr=datatype == asyncssh.EXTENDED_DATA_STDERR)

    def connection_lost(self, exc: Exception | None) -> None:
        self.client._closed.set()


@dataclass
class Client:
    """One member at a terminal: an asyncssh connection with a PTY, recording every byte."""

    conn: asyncssh.SSHClientConnection
    width: int = 100
    height: int = 30
    output: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    chan: asyncssh.SSHClientChannel[bytes] | None = None
    stamps: list[tuple[float, int]] = field(default_factory=list)  # (arrival time, output length)
    track_screen: bool = True  # False: keep raw bytes only (cheap, for benchmarks with many clients)
    # Answer the app's question whether the terminal has synchronized output (as most terminals
    # today do): each frame then comes between ESC [?2026h and ESC [?2026l, and a wait reads the
    # screen only between frames, never a half-drawn one.
    answer_sync: bool = True

    def __post_init__(self) -> None:
        self.screen = Screen(self.width, self.height)
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._decoder = __import__("codecs").getincrementaldecoder("utf-8")(errors="replace")
        self._sync_answered = False

    @classmethod
    async def connect(
        cls,
        port: int,
        key: asyncssh.SSHKey,
        *,
        term_type: str | None = "xterm-256color",
        size: tuple[int, int] = (100, 30),
        env: dict[str, str] | None = None,
        command: str | None = None,
        username: str = "member",
        conn: asyncssh.SSHClientConnection | None = None,
        track_screen: bool = True,
    ) -> Client:
        if conn is None:
            conn = await connect(port, key, username=username)
        client = cls(conn, size[0], size[1], track_screen=track_screen)
        session_env: dict[bytes | str, bytes | str] = {name: value for name, value in (env or {}).items()}
        client.chan, _ = await conn.create_session(
            lambda: _Recorder(client),
            command=command,
            term_type=term_type,
            term_size=size if term_type else None,
            env=session_env,
            encoding=None,
        )
        return client

    def _received(self, data: bytes, *, stderr: bool) -> None:
        if stderr:
            self.stderr += data
        else:
            self.output += data
            if self.answer_sync and not self._sync_answered:
                self._answer_sync_query(len(data))
            if self.track_screen:
                self.screen.feed(self._decoder.decode(data))
            self.stamps.append((time.perf_counter(), len(self.output)))
        self._changed.set()

    def _answer_sync_query(self, arrived: int) -> None:
        """Answer DECRQM for mode 2026 ("supported, reset") once the app has asked (its first write)."""
        if SYNC_QUERY in self.output[-(arrived + len(SYNC_QUERY)) :]:
            self._sync_answered = True
            self.send(SYNC_SUPPORTED)

    @property
    def text(self) -> str:
        return self.screen.text

    @property
    def between_frames(self) -> bool:
        """False while a synchronized frame is half received: the screen model is not one the user would see."""
        return not (self.track_screen and self.screen.in_frame)

    async def wait_for(
        self, predicate: Callable[[Client], bool], timeout: float = SCREEN_TIMEOUT, what: str = ""
    ) -> None:
        """Until ``predicate`` holds on a whole frame; a timeout says what the screen showed."""
        deadline = time.monotonic() + timeout
        while not (self.between_frames and predicate(self)):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = self.text if self.track_screen else repr(bytes(self.output[-600:]))
                frames = f" after {self.screen.frames} frames" if self.track_screen else ""
                raise TimeoutError(f"waited {timeout}s for {what or predicate}; screen{frames}:\n{shown}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    def arrival(self, needle: bytes, start: int = 0) -> float | None:
        """When the chunk that completed the first ``needle`` after byte ``start`` arrived."""
        found = self.output.find(needle, start)
        if found < 0:
            return None
        end = found + len(needle)
        return next(at for at, length in self.stamps if length >= end)

    async def wait_bytes(self, needle: bytes, start: int = 0, timeout: float = 10) -> float:
        """Wait for ``needle`` in the raw output after byte ``start``; returns its arrival time."""
        await self.wait_for(lambda c: c.output.find(needle, start) >= 0, timeout, repr(needle))
        arrival = self.arrival(needle, start)
        assert arrival is not None
        return arrival

    async def wait_text(self, text: str, timeout: float = SCREEN_TIMEOUT) -> None:
        await self.wait_for(lambda c: text in c.text, timeout, repr(text))

    async def wait_closed(self, timeout: float = 10) -> int | None:
        await asyncio.wait_for(self._closed.wait(), timeout)
        assert self.chan is not None
        return self.chan.get_exit_status()

    def send(self, data: str | bytes) -> None:
        assert self.chan is not None
        self.chan.write(data.encode() if isinstance(data, str) else data)

    def resize(self, width: int, height: int) -> None:
        assert self.chan is not None
        self.width, self.height = width, height
        # The model follows what the server draws at most (it clamps absurd sizes too).
        self.screen.resize(min(max(width, 1), 500), min(max(height, 1), 200))
        self.chan.change_terminal_size(width, height)

    def close(self) -> None:
        self.conn.close()


async def connect(
    port: int, key: asyncssh.SSHKey, *, username: str = "member", **options: object
) -> asyncssh.SSHClientConnection:
    return await asyncio.wait_for(
        asyncssh.connect(
            "127.0.0.1",
            port,
            username=username,
            client_keys=[key],
            known_hosts=None,
            agent_path=None,
            config=None,
            preferred_auth="publickey",
            **options,
        ),
        20,
    )


KEYS = {
    "up": "\x1b[A",
    "down": "\x1b[B",
    "right": "\x1b[C",
    "left": "\x1b[D",
    "enter": "\r",
    "tab": "\t",
    "shift+tab": "\x1b[Z",
    "escape": "\x1b",
}


# -- OpenSSH in tmux -------------------------------------------------------------------------------


def openssh_command(port: int, key_file: Path, *options: str, user: str = "member") -> str:
    """An `ssh -tt` command line for a tmux pane: this key only, no known_hosts, quiet."""
    return " ".join(
        [
            "ssh", "-tt", "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "IdentitiesOnly=yes", "-i", str(key_file), *options, f"{user}@127.0.0.1",
        ]
    )  # fmt: skip


class TmuxPane:
    """A detached tmux session running one command, read with ``capture-pane``."""

    def __init__(
        self, name: str, command: str, *, width: int = 100, height: int = 30, env: dict[str, str] | None = None
    ) -> None:
        self.name = name
        self.width, self.height = width, height
        setenv = [arg for key, value in (env or {}).items() for arg in ("-e", f"{key}={value}")]
        size = ["-x", str(width), "-y", str(height)]
        # tmux may size the pane a moment after starting the command: a program that reads its
        # size at once can start at 80x24 and miss the resize. Start it once the size is there
        # (polled, at most 5 s), without the COLUMNS and LINES the shell noted meanwhile.
        wait = f'for _ in $(seq 100); do [ "$(stty size)" = "{height} {width}" ] && break; sleep 0.05; done'
        sized = f"{wait}; unset COLUMNS LINES; {command}"
        subprocess.run(["tmux", "new-session", "-d", "-s", name, *size, *setenv, sized], check=True)

    def capture(self, *, styles: bool = False) -> str:
        args = ["tmux", "capture-pane", "-p", *(["-e"] if styles else []), "-t", self.name]
        return subprocess.run(args, capture_output=True, text=True, check=False).stdout

    async def wait_text(self, text: str, timeout: float = PANE_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.capture()
            if text in shown:
                return shown
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{text!r} not in tmux pane {self.name} within {timeout}s:\n{self.capture()}")

    def screen(self) -> Screen:
        """What the pane shows now, styles and all."""
        return Screen.from_capture(self.capture(styles=True), self.width, self.height)

    async def wait_screen(
        self, predicate: Callable[[Screen], bool], what: str, timeout: float = PANE_TIMEOUT
    ) -> Screen:
        """The pane's screen once ``predicate`` holds on it; a timeout says what the pane showed."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if predicate(screen):
                return screen
            if time.monotonic() > deadline:
                raise TimeoutError(f"waited {timeout}s for {what} in tmux pane {self.name}:\n{screen.text}")
            await asyncio.sleep(0.1)

    def send_keys(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *(["-l"] if literal else []), *keys], check=True)

    def kill(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True, check=False)


_SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def colours_used(text: str) -> set[tuple[str, str]]:
    """Every colour an SGR sequence in ``text`` sets, as ("fg" | "bg", "256:N" | "rgb:R,G,B" | "ansi:N")."""
    found: set[tuple[str, str]] = set()
    for match in _SGR.finditer(text):
        params = [int(p) if p.isdigit() else 0 for p in match.group(1).replace(":", ";").split(";")]
        i = 0
        while i < len(params):
            code = params[i]
            if code in (38, 48) and i + 2 < len(params) and params[i + 1] == 5:
                found.add(("fg" if code == 38 else "bg", f"256:{params[i + 2]}"))
                i += 3
                continue
            if code in (38, 48) and i + 4 < len(params) and params[i + 1] == 2:
                found.add(("fg" if code == 38 else "bg", "rgb:{},{},{}".format(*params[i + 2 : i + 5])))
                i += 5
                continue
            if 30 <= code <= 37 or 90 <= code <= 97:
                found.add(("fg", f"ansi:{code - 30 if code < 90 else code - 82}"))
            elif 40 <= code <= 47 or 100 <= code <= 107:
                found.add(("bg", f"ansi:{code - 40 if code < 100 else code - 92}"))
            i += 1
    return found


def is_grey(colour: str) -> bool:
    """True for a colour with red == green == blue (the 256-colour grey ramp and cube greys included)."""
    kind, _, value = colour.partition(":")
    if kind == "rgb":
        red, green, blue = (int(v) for v in value.split(","))
        return red == green == blue
    number = int(value)
    if kind == "ansi":
        return number in (0, 7, 8, 15)
    if number < 16:
        return number in (0, 7, 8, 15)
    if number >= 232:
        return True
    cube = number - 16
    return cube // 36 == (cube // 6) % 6 == cube % 6
