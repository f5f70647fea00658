"""Time from launching coptui to its first screen, next to a hello-world Textual app.

Both apps run the same way, in the same benchmark run: a real pseudo-terminal (80x24,
TERM=xterm-256color), the clock starting just before the process is spawned and stopping
when a known text first appears in what the app wrote to the terminal: the community's
name for coptui (its home screen), "Hello, world" for the baseline (Header, Static,
Footer). Runs alternate between the two, so both see the same machine load; both load
compiled bytecode, as an installed app does. coptui opens
a data folder of 100,000 responses in 200 runs. Target (issue 2): at most 1.5x.

coptui keeps the validated community in a cache in the data folder (community_cache.py):
the usual start finds it (warm). The first start after ``community.toml`` changed
validates the file again (cold): before each cold launch the benchmark appends a comment
line to ``community.toml`` (a new one each time, so its bytes are new), and restores the
file at the end. Rounds run hello world, coptui cold, coptui warm (the cache the cold
launch just wrote), and the ``--before`` tree.

    .venv/bin/python benchmarks/bench_startup.py [--folder DIR] [--repeat 7] [--before SRC]

``--before SRC`` also launches, in the same alternation, the coptui package found in the
folder SRC (for example an older commit: ``git archive OLD coptui | tar -x -C SRC``), so a
change is measured before and after under the same load.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import build_big_data_folder, machine, make_surveys

HELLO = """
from textual.app import App
from textual.widgets import Footer, Header, Static

class Hello(App):
    def compose(self):
        yield Header()
        yield Static("Hello, world")
        yield Footer()

Hello().run()
"""
COMMUNITY_NAME = "Platform Engineering Guild"
# Shown once the home screen's worker has read the runs: the title of an open run.
OPEN_RUN_TITLE = "CoP health check"
TIMEOUT = 60.0
_ESCAPES = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def time_until(command: list[str], markers: list[bytes], env: dict[str, str], cwd: Path | None = None) -> list[float]:
    """Seconds from spawning ``command`` in a pty until each marker first appears on screen."""
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=secondary, stdout=secondary, stderr=secondary, env=env, cwd=cwd, start_new_session=True
    )
    os.close(secondary)
    seen = b""
    found: dict[bytes, float] = {}
    try:
        while len(found) < len(markers):
            remaining = TIMEOUT - (time.perf_counter() - began)
            if remaining <= 0:
                raise TimeoutError(f"{command} showed {[m for m in markers if m not in found]} not within {TIMEOUT} s")
            ready, _, _ = select.select([primary], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the app exited
                raise RuntimeError(f"{command} exited early: {_ESCAPES.sub(b'', seen)[-400:]!r}") from None
            now = time.perf_counter()
            seen += chunk
            # Cursor moves and colours split the text; compare on what remains without them.
            plain = _ESCAPES.sub(b"", seen)
            for marker in markers:
                if marker not in found and marker in plain:
                    found[marker] = now - began
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        os.close(primary)
    return [found[m] for m in markers]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="keep the generated data here (reused when it exists)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--before", type=Path, metavar="SRC", help="also time the coptui package in this folder")
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL", "COPTUI", "PYTHONDONTWRITEBYTECODE"))}
    env.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        # Both apps load compiled bytecode, as after `pip install` (which compiles it). A
        # private cache keeps the source tree clean; the warm-up launches below fill it for
        # Textual and coptui alike. (Without it, a PYTHONDONTWRITEBYTECODE environment would
        # recompile coptui's sources on every launch while Textual's came precompiled.)
        env["PYTHONPYCACHEPREFIX"] = str(Path(scratch) / "pycache")
        folder = args.folder or Path(scratch)
        data, surveys = folder / "data", folder / "surveys"
        if not data.exists():
            began = time.perf_counter()
            make_surveys(surveys)
            build_big_data_folder(data, surveys)
            print(f"built the data folder in {time.perf_counter() - began:.1f} s")
        coptui = [sys.executable, "-m", "coptui", "--data", str(data), "--surveys", str(surveys), "--as", "ada"]
        hello = [sys.executable, "-c", HELLO]
        markers = [COMMUNITY_NAME.encode(), OPEN_RUN_TITLE.encode()]
        # `python -m` puts the working folder first on sys.path: every launch runs in the
        # scratch folder, and PYTHONPATH names the source tree to time (this one, or --before).
        cwd = Path(scratch)
        this_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
        before_env = {**env, "PYTHONPATH": str(args.before.resolve())} if args.before else env
        # One untimed launch each: warm file caches, bytecode compiled.
        time_until(hello, [b"Hello, world"], env, cwd)
        time_until(coptui, markers, this_env, cwd)
        if args.before:
            time_until(coptui, markers, before_env, cwd)
        hello_times, first_screen, data_shown, before_first, before_data, cold_first = [], [], [], [], [], []
        community_file = surveys / "community.toml"
        original = community_file.read_bytes()
        try:
            for round_ in range(args.repeat):
                hello_times.extend(time_until(hello, [b"Hello, world"], env, cwd))
                # community.toml changed since the cache was written: validated again.
                community_file.write_bytes(original + f"\n# bench_startup edit {round_} {time.time_ns()}\n".encode())
                cold_first.append(time_until(coptui, markers[:1], this_env, cwd)[0])
                first, loaded = time_until(coptui, markers, this_env, cwd)
                first_screen.append(first)
                data_shown.append(loaded)
                if args.before:
                    # The community cache holds this tree's key now; the other tree's first
                    # launch would be a cold one. One untimed launch gives it a warm cache too.
                    time_until(coptui, markers[:1], before_env, cwd)
                    first, loaded = time_until(coptui, markers, before_env, cwd)
                    before_first.append(first)
                    before_data.append(loaded)
        finally:
            community_file.write_bytes(original)
        print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
        print(f"data folder: {folder} (100,000 responses in 200 runs); {args.repeat} launches each, alternating")
        h, c, d = (statistics.median(x) for x in (hello_times, first_screen, data_shown))
        print(
            f"hello-world Textual app, first screen: median {h * 1000:.0f} ms  (all: {', '.join(f'{t * 1000:.0f}' for t in hello_times)})"
        )
        print(
            f"coptui, first screen (warm cache):      median {c * 1000:.0f} ms  (all: {', '.join(f'{t * 1000:.0f}' for t in first_screen)})"
        )
        print(f"coptui, open runs listed:              median {d * 1000:.0f} ms")
        print(
            f"ratio first screen coptui / hello world: {c / h:.2f}x  (target <= 1.5x: {'met' if c / h <= 1.5 else 'MISSED'})"
        )
        print(f"ratio open runs listed / hello world:    {d / h:.2f}x")
        k = statistics.median(cold_first)
        print(
            f"coptui, first screen after community.toml changed (cold cache): median {k * 1000:.0f} ms ({k / h:.2f}x)  (all: {', '.join(f'{t * 1000:.0f}' for t in cold_first)})"
        )
        if args.before:
            bf, bd = statistics.median(before_first), statistics.median(before_data)
            print(
                f"before ({args.before}): first screen median {bf * 1000:.0f} ms ({bf / h:.2f}x), open runs listed {bd * 1000:.0f} ms ({bd / h:.2f}x)"
            )


if __name__ == "__main__":
    main()
