"""Test and benchmark harness for `coptui serve`: a real server process and real SSH clients.

- :func:`make_keyed_surveys` copies the shipped surveys and gives chosen members fresh
  ed25519 keys (written to ``keys/<handle>`` for OpenSSH, returned for asyncssh).
- :class:`ServerProcess` runs ``python -m coptui serve --port 0`` and learns its port
  from the JSON log.
- :class:`Client` is an asyncssh client with a PTY that keeps every byte it receives
  and a small :class:`Screen` model of what a terminal would show.

Every wait has a deadline; nothing sleeps for a fixed time to "let things settle".
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

import asyncssh
from rich.cells import get_character_cell_size

from coptui.core.definitions import default_surveys_dir
from coptui.serve.server import STOP_SECONDS
from coptui.serve.workers import Supervisor

REPO = Path(__file__).resolve().parents[2]
# How long a server may take to end after SIGTERM: its own stop sequence (apps, goodbyes,
# closes) twice over for a busy machine, the supervisor's tick to see its workers end
# (--workers), and a few seconds for the interpreter to exit.
STOP_TIMEOUT = 2 * STOP_SECONDS + Supervisor.TICK + 5


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
    ) -> None:
        """``launcher``: what runs the server after ``python`` (a test's own module may wrap
        the real server, e.g. ``("-m", "tests.support.crashing_serve", "chen")``)."""
        self.data_dir = data_dir
        self.surveys_dir = surveys_dir
        self.log_path = data_dir.parent / f"{data_dir.name}-serve.log"
        self.stderr_path = data_dir.parent / f"{data_dir.name}-serve.stderr"
        self.port = 0
        process_env = {k: v for k, v in os.environ.items() if k not in ("COLORTERM", "NO_COLOR")}
        process_env.update(env or {})
        command = [
            sys.executable, *launcher, "serve", "--host", "127.0.0.1", "--port", "0",
            "--data", str(data_dir), "--surveys", str(surveys_dir), "--log", str(self.log_path),
            "--connect-rate", "200", *extra_args,
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


class Screen:
    """Just enough of a terminal to read Textual's output: cursor moves, text, clears."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def resize(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.rows = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def feed(self, text: str) -> None:
        pos = 0
        for match in _SEQUENCE.finditer(text):
            self._text(text[pos : match.start()])
            pos = match.end()
            if match.group(2):
                self._csi(match.group(1), match.group(2))
        self._text(text[pos:])

    def _csi(self, params: str, final: str) -> None:
        if final == "H" and not params.startswith("?"):
            parts = [int(p) if p.isdigit() else 1 for p in (params.split(";") if params else [])]
            row, col = ([*parts, 1, 1])[:2]
            self.y, self.x = min(max(row - 1, 0), self.height - 1), min(max(col - 1, 0), self.width - 1)
        elif final == "J" and params in ("2", "3"):
            self.rows = [[" "] * self.width for _ in range(self.height)]
        elif final == "K":
            for col in range(self.x, self.width):
                self.rows[self.y][col] = " "
        elif final == "h" and params == "?1049":
            self.rows = [[" "] * self.width for _ in range(self.height)]

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
                self.x += max(get_character_cell_size(char), 1)

    @property
    def text(self) -> str:
        return "\n".join("".join(row).rstrip() for row in self.rows)


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

    def __post_init__(self) -> None:
        self.screen = Screen(self.width, self.height)
        self._changed = asyncio.Event()
        self._closed = asyncio.Event()
        self._decoder = __import__("codecs").getincrementaldecoder("utf-8")(errors="replace")

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
            if self.track_screen:
                self.screen.feed(self._decoder.decode(data))
            self.stamps.append((time.perf_counter(), len(self.output)))
        self._changed.set()

    @property
    def text(self) -> str:
        return self.screen.text

    async def wait_for(self, predicate: Callable[[Client], bool], timeout: float = 10, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = self.text if self.track_screen else repr(bytes(self.output[-600:]))
                raise TimeoutError(f"waited {timeout}s for {what or predicate}; screen:\n{shown}")
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

    async def settle(self, quiet: float = 0.2, timeout: float = 5) -> None:
        """Wait until the server has drawn what it was drawing (no bytes for ``quiet`` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), quiet)
            except TimeoutError:
                return

    async def wait_text(self, text: str, timeout: float = 10) -> None:
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

    async def wait_text(self, text: str, timeout: float = 15) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.capture()
            if text in shown:
                return shown
            await asyncio.sleep(0.1)
        raise TimeoutError(f"{text!r} not in tmux pane {self.name} within {timeout}s:\n{self.capture()}")

    async def settle(self, quiet: float = 0.4, timeout: float = 5) -> str:
        """The pane once it stopped changing for ``quiet`` seconds (styles included)."""
        deadline = time.monotonic() + timeout
        shown, since = self.capture(styles=True), time.monotonic()
        while time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            now = self.capture(styles=True)
            if now != shown:
                shown, since = now, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return shown
        return shown

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
