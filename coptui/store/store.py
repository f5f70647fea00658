"""TinyDB persistence: crash-safe files, a cross-process lock, one file per run.

Layout of a data folder::

    index.json          runs (a copy of each run's record) and summaries of closed runs
    actions.json        retro actions, which live past their retro
    runs/<run>.json     everything put into one run: responses, cards, votes, feedback ...
    .lock               the file lock held around every read-modify-write
    quarantine/         copies of damaged files, kept for a human to look at

Every file is a TinyDB document store written by :class:`AtomicJSONStorage`: serialised
with orjson (keys sorted, so record order tells nothing about insertion order), written to
a temp file in the same folder, fsynced, swapped in with ``os.replace``, then the folder is
fsynced. A crash at any moment leaves either the old or the new file, never a torn one.

Each file carries ``{"_meta": {"schema": N}}``. A damaged file or one written by a newer
coptui is refused: left byte for byte as it is (a damaged one is also copied to
``quarantine/`` once) and reported in :attr:`Store.problems`; the rest of the folder still
opens. A refused file is looked at again once its bytes change (restored from a backup).

The index holds only what can be derived from the run files (their records, summaries of
closed runs). So a damaged index is left alone on disk and the runs are listed from their
own files until someone replaces it.

This is the only module that imports tinydb.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from coptui.errors import CoptuiError

SCHEMA_VERSION = 1
META_KEY = "_meta"
INDEX_FILE = "index.json"
ACTIONS_FILE = "actions.json"
RUNS_DIR = "runs"
LOCK_FILE = ".lock"
QUARANTINE_DIR = "quarantine"
TEMP_PREFIX = ".tmp-"
RUN_META_TABLE = "meta"
RUN_META_KEY = "run"
# Index tables: a copy of each run's record, and runs whose record is being written.
RUNS_TABLE = "runs"
PENDING_TABLE = "pending"
# How often a writer that finds the folder locked tries again: short, since writes take ms.
LOCK_POLL_INTERVAL = 0.002
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")


class StoreError(CoptuiError):
    """A store problem with a message meant for the user."""


class UnreadableFileError(StoreError):
    """A file that is damaged or written by a newer coptui: refused, never overwritten."""

    def __init__(self, path: Path, reason: str, *, damaged: bool = True) -> None:
        kept = f" (a copy is in {QUARANTINE_DIR}/)" if damaged else ""
        super().__init__(f"{path}: {reason}; it was left untouched{kept}")
        self.path = path
        self.reason = reason
        self.damaged = damaged


class LockTimeoutError(StoreError):
    pass


class StoreWriteError(StoreError, OSError):
    """The operating system refused a write (disk full, I/O error): the message says what survived."""

    def __init__(self, error: OSError, path: Path, outcome: str) -> None:
        super().__init__(error.errno, f"could not save {path}: {error.strerror or error}; {outcome}")
        self.path = path

    def __str__(self) -> str:
        return str(self.strerror)


@dataclass(frozen=True, slots=True)
class Change:
    """What a write touched: published on the hub after the file is safely on disk."""

    area: str  # "run" | "index" | "actions"
    run_id: str | None = None


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes, *, mode: int | None = None) -> None:
    """Write ``payload`` to ``path`` so that a crash leaves the old or the new bytes.

    Order: write the temp file, fsync it, ``os.replace`` it over the target, fsync the
    folder (so the rename itself survives a power cut). The temp file lives beside the
    target (``os.replace`` is only atomic within one filesystem); an error at any step
    before the rename removes it and leaves the target as it was.
    """
    directory = path.parent
    fd = -1
    temp = directory / f"{TEMP_PREFIX}{path.name}.{os.getpid()}.{threading.get_ident()}"
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        view = memoryview(payload)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        if mode is None:
            try:
                mode = os.stat(path).st_mode & 0o777
            except FileNotFoundError:
                mode = 0o644
        os.fchmod(fd, mode)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(temp, path)
    except BaseException as error:
        if fd >= 0:
            os.close(fd)
        with suppress(FileNotFoundError):
            os.unlink(temp)
        if isinstance(error, OSError) and not isinstance(error, StoreWriteError):
            raise StoreWriteError(error, path, "nothing was changed") from error
        raise
    try:
        fsync_dir(directory)
    except OSError as error:
        raise StoreWriteError(
            error,
            path,
            "the new file is in place but the folder could not be synced, so it may not survive a power cut",
        ) from error


def encode(data: Mapping[str, Any]) -> bytes:
    """Serialise a whole file. Keys are sorted so that record order reveals nothing."""
    return orjson.dumps({META_KEY: {"schema": SCHEMA_VERSION}, **data}, option=orjson.OPT_SORT_KEYS)


def plain_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A deep JSON copy of a record: fails at once (TypeError) on a value a file cannot hold.

    Copying also means a caller who changes its dict afterwards cannot change what is stored.
    """
    try:
        return orjson.loads(orjson.dumps(record))
    except TypeError as error:
        raise TypeError(f"a record must hold JSON values only: {error}") from None


def decode(path: Path, raw: bytes) -> tuple[dict[str, Any], bool]:
    """Parse a file's bytes; returns (tables, needs_migration). Raises UnreadableFileError."""
    if not raw.strip():
        raise UnreadableFileError(path, "is empty (0 bytes of data)")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise UnreadableFileError(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise UnreadableFileError(path, "does not hold a JSON object")
    meta = data.pop(META_KEY, None)
    if meta is None:
        # A plain TinyDB file (schema 0): tables only. Migrated on its next write.
        version = 0
    elif isinstance(meta, dict) and type(meta.get("schema")) is int:
        version = meta["schema"]
    else:
        raise UnreadableFileError(path, "has a damaged _meta header")
    if version > SCHEMA_VERSION:
        raise UnreadableFileError(
            path,
            f"was written by a newer coptui (schema {version}; this one reads up to {SCHEMA_VERSION}): upgrade coptui",
            damaged=False,
        )
    for name, table in data.items():
        if not isinstance(table, dict):
            raise UnreadableFileError(path, f"table {name!r} is not a JSON object")
    return data, version < SCHEMA_VERSION


class AtomicJSONStorage(Storage):
    """A TinyDB storage that rereads its file on every read and writes atomically.

    Rereading matters: TinyDB's JSONStorage keeps a handle open, which goes on reading
    the old inode after another process swapped the file.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def read(self) -> dict[str, Any] | None:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        data, _ = decode(self.path, raw)
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write(self.path, encode(data))

    def close(self) -> None:
        pass


class _TransactionStorage(AtomicJSONStorage):
    """Reads the file once and keeps every change in memory until :meth:`commit`.

    One transaction is one atomic file write, however many TinyDB calls it made.
    """

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._data: dict[str, Any] | None = None
        self._loaded = False
        self.dirty = False

    def load(self) -> None:
        """Read the file now, so that a damaged one is refused before the caller's code runs."""
        if not self._loaded:
            self._data = super().read()
            self._loaded = True

    def read(self) -> dict[str, Any] | None:
        self.load()
        # TinyDB replaces a whole table on each change: copying the table map is enough.
        return None if self._data is None else dict(self._data)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        self._data = data
        self.dirty = True

    def commit(self) -> None:
        if self.dirty:
            AtomicJSONStorage.write(self, self._data or {})
            self.dirty = False


class _NoCache(dict):
    """TinyDB's query cache goes stale when another process writes: cache nothing."""

    def __init__(self, capacity: int | None = None) -> None:
        super().__init__()

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


class RecordTable(Table):
    """Records keyed by our own string ids (TinyDB's per-process counter collides across processes)."""

    document_id_class = str
    query_cache_class = _NoCache

    def _get_next_id(self) -> str:  # pragma: no cover - a programming error, never user input
        raise StoreError("records need an explicit key; use Tx.insert(table, key, record)")

    def _update_table(self, updater: Callable[[dict[str, Any]], None]) -> None:
        # TinyDB's own version rebuilds the table twice to convert ids to and from
        # document_id_class; ours are strings already, and a C-level copy is enough.
        tables = self._storage.read() or {}
        table = dict(tables.get(self.name, {}))
        updater(table)
        tables[self.name] = table
        self._storage.write(tables)
        self.clear_cache()

    def replace(self, key: str, record: dict[str, Any]) -> None:
        """Store ``record`` under ``key`` whole (TinyDB's upsert would merge it into the old one)."""

        def updater(table: dict[str, Any]) -> None:
            table[key] = record

        self._update_table(updater)


class _DB(TinyDB):
    table_class = RecordTable


class Tx:
    """The tables of one file inside a transaction."""

    def __init__(self, db: TinyDB) -> None:
        self._db = db
        self._after_commit: list[Callable[[], None]] = []

    def _table(self, table: str) -> RecordTable:
        return self._db.table(table)  # type: ignore[return-value]

    def all(self, table: str) -> dict[str, dict[str, Any]]:
        return {key: dict(record) for key, record in self._table(table)._read_table().items()}

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        doc = self._table(table).get(doc_id=key)
        return None if doc is None else dict(doc)

    def insert(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        """Insert a new record; raises KeyError if the key is taken."""
        try:
            self._table(table).insert(Document(plain_record(record), doc_id=key))
        except ValueError:
            raise KeyError(key) from None

    def put(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        """Insert or replace the record under ``key`` (the new record replaces the old one whole)."""
        self._table(table).replace(key, plain_record(record))

    def delete(self, table: str, key: str) -> bool:
        target = self._table(table)
        if target.contains(doc_id=key):
            target.remove(doc_ids=[key])
            return True
        return False

    def count(self, table: str) -> int:
        return len(self._table(table))

    def after_commit(self, step: Callable[[], None]) -> None:
        """Run ``step`` once this transaction's file is on disk, still holding the lock."""
        self._after_commit.append(step)


@dataclass
class StoreProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Snapshot:
    """A read-only view of one file's tables, read without taking the lock."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def all(self, table: str) -> dict[str, dict[str, Any]]:
        return self.tables.get(table, {})

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        return self.tables.get(table, {}).get(key)

    def count(self, table: str) -> int:
        return len(self.tables.get(table, {}))


Listener = Callable[[Change], None]
# What identifies one version of a file on disk: a write always makes a new inode.
FileSignature = tuple[int, int, int]


def file_signature(path: Path) -> FileSignature | None:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@dataclass
class _Refusal:
    reason: str
    damaged: bool
    signature: FileSignature | None


class Store:
    """The repository: the only way in to the data folder.

    Reads need no lock (files are only ever swapped whole); every read-modify-write holds
    the folder's file lock and a process-local lock, and ends in one atomic file write.
    """

    def __init__(self, data_dir: Path, *, lock_timeout: float = 10.0) -> None:
        self.data_dir = Path(data_dir)
        self.lock_timeout = lock_timeout
        self.problems: list[StoreProblem] = []
        self._refused: dict[Path, _Refusal] = {}
        self._missing_runs: set[str] = set()
        self._run_meta_cache: dict[str, tuple[FileSignature | None, dict[str, Any] | None]] = {}
        self._listeners: list[Listener] = []
        self._thread_lock = threading.RLock()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / RUNS_DIR).mkdir(exist_ok=True)
        self._file_lock: Any = None  # made on the first write: importing filelock costs start-up time
        self._clean_temp_files()
        self._reconcile()

    # -- paths -----------------------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return self.data_dir / INDEX_FILE

    @property
    def actions_path(self) -> Path:
        return self.data_dir / ACTIONS_FILE

    def run_path(self, run_id: str) -> Path:
        if not _SAFE_NAME.match(run_id):
            raise StoreError(f"{run_id!r} is not a valid run id")
        return self.data_dir / RUNS_DIR / f"{run_id}.json"

    def _area_path(self, area: str, run_id: str | None) -> Path:
        if area == "run":
            assert run_id is not None
            return self.run_path(run_id)
        return self.index_path if area == "index" else self.actions_path

    # -- change listeners (the hub subscribes here) ------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- locking and transactions --------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (re-entrant within a thread) for a whole read-modify-write."""
        from filelock import FileLock, Timeout

        with self._thread_lock:
            if self._file_lock is None:
                self._file_lock = FileLock(
                    str(self.data_dir / LOCK_FILE), timeout=self.lock_timeout, poll_interval=LOCK_POLL_INTERVAL
                )
            try:
                self._file_lock.acquire()
            except Timeout:
                raise LockTimeoutError(
                    f"the data folder {self.data_dir} is locked by another coptui process "
                    f"(waited {self.lock_timeout:g} s for {LOCK_FILE}); try again"
                ) from None
            try:
                yield
            finally:
                self._file_lock.release()

    @contextmanager
    def _transaction(self, area: str, run_id: str | None = None) -> Iterator[Tx]:
        path = self._area_path(area, run_id)
        with self.locked():
            self._refuse_if_unreadable(path)
            storage = _TransactionStorage(path)
            try:
                storage.load()
            except UnreadableFileError as error:
                self._note_unreadable(error)
                raise
            tx = Tx(_DB(storage=lambda: storage))
            yield tx
            # Only reached when the caller's block ended without an exception: then commit.
            dirty = storage.dirty
            storage.commit()
            for step in tx._after_commit:
                step()
        if dirty:
            self._publish(Change(area, run_id))

    def run_tx(self, run_id: str) -> AbstractContextManager[Tx]:
        """A read-modify-write of one run's file."""
        return self._transaction("run", run_id)

    def index_tx(self) -> AbstractContextManager[Tx]:
        return self._transaction("index")

    def actions_tx(self) -> AbstractContextManager[Tx]:
        return self._transaction("actions")

    # -- reads ---------------------------------------------------------------------------

    def _read(self, path: Path) -> Snapshot:
        self._refuse_if_unreadable(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return Snapshot()
        try:
            tables, _ = decode(path, raw)
        except UnreadableFileError as error:
            self._note_unreadable(error)
            raise
        return Snapshot(tables)

    def read_run(self, run_id: str) -> Snapshot:
        return self._read(self.run_path(run_id))

    def read_index(self) -> Snapshot:
        """The index; while the file on disk is refused, the part derived from the run files."""
        if self.is_refused(self.index_path):
            return Snapshot({RUNS_TABLE: self._records_from_run_files()})
        if not self.index_path.exists() and self.run_ids_on_disk():
            self._reconcile()  # someone deleted it: rebuild it from the run files
        return self._read(self.index_path)

    def read_actions(self) -> Snapshot:
        return self._read(self.actions_path)

    def run_exists(self, run_id: str) -> bool:
        return self.run_path(run_id).exists()

    def run_ids_on_disk(self) -> list[str]:
        return sorted(p.stem for p in (self.data_dir / RUNS_DIR).glob("*.json") if not p.name.startswith(TEMP_PREFIX))

    # -- writing a run record: run file first, then the index ----------------------------

    def write_run_record(self, run_id: str, record: Mapping[str, Any], tx: Tx | None = None) -> None:
        """Store a run's record in its own file (the truth) and then in the index (a copy).

        Three steps under one hold of the lock: mark the run pending in the index, write
        the run file, copy the record into the index and clear the mark. A crash leaves the
        mark behind, and :meth:`_reconcile` then reads that one run file at the next start
        (instead of every run file of the history on every start). Pass ``tx`` when the
        caller is inside a transaction of that run: the index is written after it commits.
        """
        record = plain_record(record)
        if tx is not None:
            self._mark_pending(run_id)
            tx.put(RUN_META_TABLE, RUN_META_KEY, record)
            tx.after_commit(lambda: self._index_run_record(run_id, record))
            return
        with self.locked():
            self._mark_pending(run_id)
            with self.run_tx(run_id) as run:
                run.put(RUN_META_TABLE, RUN_META_KEY, record)
            self._index_run_record(run_id, record)

    def _mark_pending(self, run_id: str) -> None:
        if self.is_refused(self.index_path):
            return
        with self.index_tx() as index:
            index.put(PENDING_TABLE, run_id, {})

    def _index_run_record(self, run_id: str, record: dict[str, Any]) -> None:
        if self.is_refused(self.index_path):
            # The damaged index stays untouched; runs are listed from their own files meanwhile.
            return
        with self.index_tx() as index:
            index.put(RUNS_TABLE, run_id, record)
            index.delete(PENDING_TABLE, run_id)

    def run_records(self) -> dict[str, dict[str, Any]]:
        """Every run's record, from the index (or from the run files while the index is refused)."""
        records = self.read_index().all(RUNS_TABLE)
        if self._missing_runs:
            records = {run_id: r for run_id, r in records.items() if run_id not in self._missing_runs}
        return records

    # -- refusing damaged files ------------------------------------------------------------

    def _refuse_if_unreadable(self, path: Path) -> None:
        refusal = self._refused.get(path)
        if refusal is None:
            return
        if file_signature(path) == refusal.signature:
            raise UnreadableFileError(path, refusal.reason, damaged=refusal.damaged)
        # Someone replaced the file (a backup, a newer coptui's migration): look at it afresh.
        del self._refused[path]
        self.problems = [p for p in self.problems if p.path != path]
        if path == self.index_path:
            self._reconcile()

    def _note_unreadable(self, error: UnreadableFileError) -> None:
        if error.path in self._refused:
            return
        self._refused[error.path] = _Refusal(error.reason, error.damaged, file_signature(error.path))
        if error.damaged:
            self._quarantine(error.path)
        self._add_problem(StoreProblem(error.path, str(error)))

    def _quarantine(self, path: Path) -> None:
        """Keep a copy of a damaged file aside, so that nothing can lose what is left of it."""
        quarantine = self.data_dir / QUARANTINE_DIR
        copy = quarantine / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}"
        try:
            quarantine.mkdir(exist_ok=True)
            if path.exists() and not copy.exists():
                shutil.copy2(path, copy)
        except OSError as error:
            self._add_problem(StoreProblem(path, f"{path}: could not copy it to {QUARANTINE_DIR}/ ({error})"))

    def _add_problem(self, problem: StoreProblem) -> None:
        if all(p.message != problem.message for p in self.problems):  # a repeated look adds nothing new
            self.problems.append(problem)

    def is_refused(self, path: Path) -> bool:
        try:
            self._refuse_if_unreadable(path)
        except UnreadableFileError:
            return True
        return False

    # -- start-up --------------------------------------------------------------------------

    def _clean_temp_files(self) -> None:
        # A temp file is only ever half a write that never got acknowledged.
        for folder in (self.data_dir, self.data_dir / RUNS_DIR):
            for stray in folder.glob(f"{TEMP_PREFIX}*"):
                try:
                    if _temp_owner_is_dead(stray):
                        stray.unlink()
                except OSError:
                    pass

    def _records_from_run_files(self) -> dict[str, dict[str, Any]]:
        """Each run's record read from its own file (re-parsed only when the file changed)."""
        records: dict[str, dict[str, Any]] = {}
        for run_id in self.run_ids_on_disk():
            path = self.run_path(run_id)
            signature = file_signature(path)
            cached = self._run_meta_cache.get(run_id)
            if cached is not None and cached[0] == signature:
                record = cached[1]
            else:
                try:
                    record = self.read_run(run_id).get(RUN_META_TABLE, RUN_META_KEY)
                except UnreadableFileError:
                    record = None
                self._run_meta_cache[run_id] = (signature, record)
            if record is not None:
                records[run_id] = record
        return records

    def _reconcile(self) -> None:
        """Make the index agree with the run files (a crash may fall between the two writes).

        Reads only the run files that need it: those the index does not list, and those
        marked pending (a write of their record began and may not have reached the index).
        A missing index.json is rebuilt from all run files.
        """
        with suppress(UnreadableFileError):
            self._read(self.actions_path)
        try:
            index = self._read(self.index_path)
        except UnreadableFileError:
            return  # refused: read_index() now derives the runs from their files
        on_disk = set(self.run_ids_on_disk())
        indexed = index.all(RUNS_TABLE)
        self._missing_runs = set()
        for run_id in sorted(set(indexed) - on_disk):
            path = self.run_path(run_id)
            self._missing_runs.add(run_id)
            self._add_problem(
                StoreProblem(
                    path, f"{path}: the run {run_id} is in the index but its file is missing; it is not listed"
                )
            )
        if not (on_disk - set(indexed)) and not index.all(PENDING_TABLE):
            return
        try:
            with self.locked():
                # Looked at again under the lock: another process may be between its two writes.
                self._repair_index(on_disk)
        except (LockTimeoutError, StoreWriteError, UnreadableFileError) as error:
            self._add_problem(
                StoreProblem(self.index_path, f"{self.index_path}: could not bring it up to date ({error})")
            )

    def _repair_index(self, on_disk: set[str]) -> None:
        with self.index_tx() as tx:
            indexed = tx.all(RUNS_TABLE)
            pending = tx.all(PENDING_TABLE)
            for run_id in sorted((on_disk - set(indexed)) | (set(pending) & on_disk)):
                try:
                    record = self.read_run(run_id).get(RUN_META_TABLE, RUN_META_KEY)
                except UnreadableFileError:
                    continue  # reported; the mark stays until the file can be read
                if record is not None and indexed.get(run_id) != record:
                    tx.put(RUNS_TABLE, run_id, record)
                tx.delete(PENDING_TABLE, run_id)
            for run_id in set(pending) - on_disk:
                tx.delete(PENDING_TABLE, run_id)  # a run whose first write never happened


def _temp_owner_is_dead(path: Path) -> bool:
    """Temp names carry the writer's pid; a live writer's temp is left alone."""
    parts = path.name.split(".")
    try:
        pid = int(parts[-2])
    except (IndexError, ValueError):
        return True
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    # A live process with that pid may be a coptui writer; temps older than a minute are stale anyway.
    return time.time() - path.stat().st_mtime > 60


def is_disk_full(error: OSError) -> bool:
    return error.errno in (errno.ENOSPC, errno.EDQUOT)
