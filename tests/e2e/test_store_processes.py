"""The store's promises across processes: kill -9 at random moments, concurrent writers,
no stale reads, the lock. The numbers in test names are those of the guarantees listed in
docs/storage.md.

Child processes are real Python processes running the real store. A crash is a SIGKILL:
no ``finally``, no ``atexit``, no flush. Every wait on a child is bounded.
"""

from __future__ import annotations

import os
import queue
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

from coptui.core.definitions import default_surveys_dir
from coptui.core.workspace import Workspace
from coptui.store.errors import LockTimeoutError
from coptui.store.layout import INDEX_FILE, TEMP_PREFIX
from coptui.store.store import Store
from coptui.store.tables import RUN_META_KEY, RUN_META_TABLE
from tests.support.toy_records import records_of_no_declared_shape  # noqa: F401

WAIT = 30.0  # seconds: the bound on every wait for a child


class Child:
    """A Python child process whose stdout lines are read with a timeout."""

    def __init__(self, code: str, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def expect(self, prefix: str) -> str:
        """The next line, which must start with ``prefix`` (fails with the child's stderr)."""
        try:
            line = self.lines.get(timeout=WAIT)
        except queue.Empty:
            self.kill()
            pytest.fail(f"no line from the child within {WAIT} s")
        if line is None or not line.startswith(prefix):
            self.kill()
            pytest.fail(f"expected {prefix!r}, got {line!r}; stderr:\n{self.stderr()}")
        return line

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def close_input(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def stderr(self) -> str:
        assert self.process.stderr is not None
        try:
            self.process.wait(timeout=5)
            return self.process.stderr.read()
        except subprocess.TimeoutExpired:
            return "(still running)"

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)

    def finish(self) -> int:
        return self.process.wait(timeout=WAIT)


# -- 1. kill -9 at random moments ---------------------------------------------------------------

# One parent imports the store once, then forks a writer per round, so 50 rounds cost
# 50 forks rather than 50 interpreter starts. The writer appends to a log, rewrites a
# blob whose size jumps up and down (the file grows and shrinks), and now and then
# rewrites the run's record (a run file write followed by index writes). After each
# committed write it writes one ack line straight to the pipe (os.write: no buffer that a
# kill could lose or a fork could duplicate).
KILL_WRITER = r"""
import os, sys
from pathlib import Path
from coptui.store.store import Store

data = Path(sys.argv[1])

def size(round_no, i):
    return (0, 10, 2_000, 60_000, 400_000)[(round_no * 7 + i * 3) % 5]

def write_forever(round_no):
    store = Store(data, check_shapes=False)
    for i in range(10**9):
        with store.run_tx("crash") as tx:
            tx.put("blob", "b", {"round": round_no, "i": i, "data": "x" * size(round_no, i)})
            tx.insert("log", f"{round_no}-{i}", {"i": i})
        if i % 4 == 3:
            store.write_run_record("crash", {"round": round_no, "i": i})
        os.write(1, f"ack {round_no} {i}\n".encode())

for line in sys.stdin:
    round_no = int(line)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(round_no)
        finally:
            os._exit(1)
    print(f"child {pid}", flush=True)
    os.waitpid(pid, 0)
    print("reaped", flush=True)
"""


def _size(round_no: int, i: int) -> int:
    return (0, 10, 2_000, 60_000, 400_000)[(round_no * 7 + i * 3) % 5]


@pytest.mark.slow
def test_1_kill_9_at_random_moments_loses_no_acknowledged_write(data_dir: Path) -> None:
    Store(data_dir)
    rng = random.Random(20261125)
    parent = Child(KILL_WRITER, str(data_dir))
    committed_log: set[str] = set()
    run_file = data_dir / "runs" / "crash.json"
    try:
        for round_no in range(50):
            parent.send(str(round_no))
            pid = int(parent.expect("child ").split()[1])
            # Random moments, counted in the writer's progress rather than in wall time (so
            # a busy machine does not shrink the test): after 0 to 15 acknowledged writes,
            # then a random fraction of one more write.
            acked = -1
            for _ in range(rng.randrange(16)):
                assert parent.expect("ack ") == f"ack {round_no} {acked + 1}"
                acked += 1
            time.sleep(rng.uniform(0.0, 0.004))
            os.kill(pid, signal.SIGKILL)
            while (line := parent.expect("")) != "reaped":
                assert line == f"ack {round_no} {acked + 1}", line
                acked += 1

            # The file parses, and it is exactly one committed state: the acknowledged
            # writes, plus at most the one that was being committed when the kill came.
            if not run_file.exists():
                assert acked == -1
                continue
            data = orjson.loads(run_file.read_bytes())
            this_round = sorted(int(key.split("-")[1]) for key in data.get("log", {}) if key.startswith(f"{round_no}-"))
            last = this_round[-1] if this_round else -1
            assert this_round == list(range(last + 1))
            assert last in (acked, acked + 1), (acked, last)
            assert committed_log <= set(data["log"])
            committed_log = set(data["log"])
            if last >= 0:
                assert data["blob"]["b"] == {"round": round_no, "i": last, "data": "x" * _size(round_no, last)}

            store = Store(data_dir)  # what the next start sees: repaired, clean, no problems
            assert store.problems == []
            assert store.read_run("crash").get("blob", "b") == data["blob"]["b"]
            if store.run_records():
                assert store.run_records()["crash"] == store.read_run("crash").get(RUN_META_TABLE, RUN_META_KEY)
            assert list(data_dir.rglob(f"{TEMP_PREFIX}*")) == []
        assert len(committed_log) > 300  # the writer got well into its loop in most rounds
    finally:
        parent.close_input()
        parent.kill()


# -- 5. four processes, 250 responses each, into one run -------------------------------------------

SUBMITTER = r"""
import sys
from pathlib import Path
from coptui.core.workspace import Workspace

data, surveys, run_id, prefix = sys.argv[1:5]
runs = Workspace.open(Path(data), Path(surveys)).runs
for n in range(250):
    response_id = runs.submit_response(run_id, f"{prefix}{n:03d}", {
        "mission": 3, "mission_trend": "better", "learning": 2, "learning_trend": "same", "fun": 3,
        "fun_trend": "same", "support": 1, "support_trend": "worse", "delivering": 2, "delivering_trend": "same",
        "notes": f"note from {prefix}{n:03d}",
    })
    print("submitted", response_id, flush=True)
"""


@pytest.fixture
def big_community(tmp_path: Path) -> Path:
    """The shipped surveys with 1,000 more members (p0000 ... p3249), enough to answer 1,000 times."""
    target = tmp_path / "surveys-big"
    shutil.copytree(default_surveys_dir(), target)
    community = target / "community.toml"
    head, sep, tail = community.read_text().partition("[[objectives]]")
    extra = "".join(
        f'[[members]]\nhandle = "p{p}{n:03d}"\nname = "P {p} {n}"\n\n' for p in range(4) for n in range(250)
    )
    community.write_text(head + extra + sep + tail)
    return target


@pytest.mark.slow
def test_5_four_processes_submit_250_each_and_all_1000_are_found(data_dir: Path, big_community: Path) -> None:
    workspace = Workspace.open(data_dir, big_community)
    run = workspace.runs.open_run("health-check", by="ada")
    children = [Child(SUBMITTER, str(data_dir), str(big_community), run.id, f"p{p}") for p in range(4)]
    returned: set[str] = set()
    # One line per submit, each awaited up to WAIT: the four take turns at the lock, so the
    # whole run takes as long as the machine's load makes it, but no single submit stalls.
    for child in children:
        for _ in range(250):
            returned.add(child.expect("submitted").split()[1])
        assert child.finish() == 0, child.stderr()
    snapshot = workspace.store.read_run(run.id)
    assert snapshot.count("responses") == 1000 and snapshot.count("participants") == 1000
    assert set(snapshot.all("responses")) == returned and len(returned) == 1000
    members = {record["member"] for record in snapshot.all("responses").values()}
    assert members == {f"p{p}{n:03d}" for p in range(4) for n in range(250)}
    assert workspace.runs.response_count(run.id) == 1000


# -- 6. no stale reads ----------------------------------------------------------------------------

UPDATER = r"""
import sys
from pathlib import Path
from coptui.store.store import Store

store = Store(Path(sys.argv[1]), check_shapes=False)
for line in sys.stdin:
    value = int(line)
    with store.run_tx("shared") as tx:
        tx.put("settings", "colour", {"value": value})
    print(f"wrote {value}", flush=True)
"""


def test_6_a_reader_sees_what_another_process_wrote(data_dir: Path) -> None:
    from tinydb import Query

    from coptui.store.storage import AtomicJSONStorage, RecordDB

    store = Store(data_dir)
    with store.run_tx("shared") as tx:
        tx.put("settings", "colour", {"value": 0})
    # A long-lived TinyDB on our storage, as code that searches would hold it: its query
    # cache and an open file handle are the two ways TinyDB goes stale.
    db = RecordDB(store.run_path("shared"), storage=AtomicJSONStorage)
    table = db.table("settings")
    by_value = Query().value.exists()
    assert table.search(by_value) == [{"value": 0}]

    other = Child(UPDATER, str(data_dir))
    try:
        for value in (1, 2, 3):
            inode = store.run_path("shared").stat().st_ino
            other.send(str(value))
            other.expect(f"wrote {value}")
            assert store.run_path("shared").stat().st_ino != inode  # the file we read was swapped away
            assert table.search(by_value) == [{"value": value}]
            assert store.read_run("shared").get("settings", "colour") == {"value": value}
            with store.run_tx("shared") as tx:
                assert tx.get("settings", "colour") == {"value": value}
    finally:
        other.close_input()
        other.kill()


# -- 7. readers during rewrites -------------------------------------------------------------------

REWRITER = r"""
import sys
from pathlib import Path
from coptui.store.store import Store

store = Store(Path(sys.argv[1]), check_shapes=False)
print("ready", flush=True)
for generation in range(1, 10**9):
    with store.run_tx("busy") as tx:
        tx.put("state", "gen", {"n": generation, "pad": "y" * (generation * 7919 % 50_000)})
"""


@pytest.mark.slow
def test_7_a_thousand_reads_during_rewrites_never_fail_or_go_back(data_dir: Path) -> None:
    store = Store(data_dir)
    writer = Child(REWRITER, str(data_dir))
    try:
        writer.expect("ready")
        path = store.run_path("busy")
        seen: list[int] = []
        while len(seen) < 1000:
            if not path.exists():
                continue
            record = store.read_run("busy").get("state", "gen")  # raises on any torn or half-written file
            assert record is not None
            seen.append(record["n"])
        assert store.problems == []
        assert seen == sorted(seen)
        assert seen[-1] > seen[0]  # the writer was really rewriting while we read
    finally:
        writer.kill()


# -- 8. the lock --------------------------------------------------------------------------------

HOLDER = r"""
import sys, time
from pathlib import Path
from coptui.store.store import Store

store = Store(Path(sys.argv[1]), check_shapes=False)
with store.locked():
    print("locked", flush=True)
    time.sleep(600)
"""


def _in_thread_with_bound(action) -> BaseException | None:
    """Run ``action`` in a thread; fail the test if it has not returned within WAIT seconds."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            action()
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(WAIT)
    assert not thread.is_alive(), "the store hung on the lock"
    return outcome[0]


def test_8_live_holder_gives_a_clear_timeout_and_a_killed_one_frees_the_lock(data_dir: Path) -> None:
    store = Store(data_dir, lock_timeout=0.3)
    with store.run_tx("r") as tx:
        tx.put("t", "k", {"v": 1})
    holder = Child(HOLDER, str(data_dir))
    try:
        holder.expect("locked")

        def write() -> None:
            with store.run_tx("r") as tx:
                tx.put("t", "k", {"v": 2})

        error = _in_thread_with_bound(write)
        assert isinstance(error, LockTimeoutError)
        assert "locked by another coptui process" in str(error) and "try again" in str(error)
        assert store.read_run("r").get("t", "k") == {"v": 1}  # reads never wait for the lock

        holder.process.send_signal(signal.SIGKILL)
        holder.finish()
        patient = Store(data_dir, lock_timeout=WAIT)
        assert _in_thread_with_bound(lambda: patient.write_run_record("r", {"id": "r"})) is None
        assert patient.read_run("r").get(RUN_META_TABLE, RUN_META_KEY) == {"id": "r"}
        assert "r" in orjson.loads((data_dir / INDEX_FILE).read_bytes())["runs"]
    finally:
        holder.kill()


def test_8_threads_of_one_process_take_turns(data_dir: Path) -> None:
    store = Store(data_dir)
    errors: list[BaseException] = []

    def add(prefix: str) -> None:
        try:
            for n in range(40):
                with store.run_tx("r") as tx:
                    tx.insert("t", f"{prefix}{n}", {})
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=add, args=(p,)) for p in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert errors == [] and store.read_run("r").count("t") == 120
