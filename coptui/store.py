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
coptui is refused: left byte for byte as it is, copied to ``quarantine/`` once, and
reported in :attr:`Store.problems`; the rest of the folder still opens.

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
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

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
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")


class StoreError(Exception):
    """A store problem with a message meant for the user."""


class UnreadableFileError(StoreError):
    """A file that is damaged or written by a newer coptui: refused, never overwritten."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}; it was left untouched (a copy is in {QUARANTINE_DIR}/)")
        self.path = path
        self.reason = reason


class LockTimeoutError(StoreError):
    pass


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

    The temp file lives beside the target (``os.replace`` is only atomic within one
    filesystem); an error at any step removes it and leaves the target as it was.
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
    except BaseException:
        if fd >= 0:
            os.close(fd)
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(directory)


def encode(data: Mapping[str, Any]) -> bytes:
    """Serialise a whole file. Keys are sorted so that record order reveals nothing."""
    return orjson.dumps({META_KEY: {"schema": SCHEMA_VERSION}, **data}, option=orjson.OPT_SORT_KEYS)


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
    elif isinstance(meta, dict) and isinstance(meta.get("schema"), int):
        version = meta["schema"]
    else:
        raise UnreadableFileError(path, "has a damaged _meta header")
    if version > SCHEMA_VERSION:
        raise UnreadableFileError(
            path, f"was written by a newer coptui (schema {version}; this one reads up to {SCHEMA_VERSION}): upgrade coptui"
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

    def read(self) -> dict[str, Any] | None:
        if not self._loaded:
            self._data = super().read()
            self._loaded = True
        return None if self._data is None else {k: dict(v) for k, v in self._data.items()}

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


class _DB(TinyDB):
    table_class = RecordTable


class Tx:
    """The tables of one file inside a transaction."""

    def __init__(self, db: TinyDB) -> None:
        self._db = db

    def all(self, table: str) -> dict[str, dict[str, Any]]:
        return {doc.doc_id: dict(doc) for doc in self._db.table(table).all()}

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        doc = self._db.table(table).get(doc_id=key)
        return None if doc is None else dict(doc)

    def insert(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        """Insert a new record; raises KeyError if the key is taken."""
        try:
            self._db.table(table).insert(Document(dict(record), doc_id=key))
        except ValueError:
            raise KeyError(key) from None

    def put(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        self._db.table(table).upsert(Document(dict(record), doc_id=key))

    def delete(self, table: str, key: str) -> bool:
        target = self._db.table(table)
        if target.contains(doc_id=key):
            target.remove(doc_ids=[key])
            return True
        return False

    def count(self, table: str) -> int:
        return len(self._db.table(table))


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


class Store:
    """The repository: the only way in to the data folder.

    Reads need no lock (files are only ever swapped whole); every read-modify-write holds
    the folder's file lock and a process-local lock, and ends in one atomic file write.
    """

    def __init__(self, data_dir: Path, *, lock_timeout: float = 10.0) -> None:
        self.data_dir = Path(data_dir)
        self.lock_timeout = lock_timeout
        self.problems: list[StoreProblem] = []
        self._refused: dict[Path, str] = {}
        self._index_from_runs: dict[str, dict[str, Any]] = {}
        self._listeners: list[Listener] = []
        self._thread_lock = threading.RLock()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / RUNS_DIR).mkdir(exist_ok=True)
        self._file_lock = FileLock(str(self.data_dir / LOCK_FILE), timeout=lock_timeout)
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
        with self._thread_lock:
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
            storage_holder: list[_TransactionStorage] = []

            def make_storage(path_arg: str) -> _TransactionStorage:
                storage = _TransactionStorage(path_arg)
                storage_holder.append(storage)
                return storage

            try:
                db = _DB(str(path), storage=make_storage)
            except UnreadableFileError as error:
                self._note_unreadable(error)
                raise
            yield Tx(db)
            dirty = storage_holder[0].dirty
            storage_holder[0].commit()
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
        return self._read(self.index_path)

    def read_actions(self) -> Snapshot:
        return self._read(self.actions_path)

    def run_exists(self, run_id: str) -> bool:
        return self.run_path(run_id).exists()

    def run_ids_on_disk(self) -> list[str]:
        return sorted(p.stem for p in (self.data_dir / RUNS_DIR).glob("*.json") if not p.name.startswith(TEMP_PREFIX))

    # -- writing a run record: run file first, then the index ----------------------------

    def write_run_record(self, run_id: str, record: Mapping[str, Any], tx: Tx | None = None) -> None:
        """Store a run's record in its own file (the truth) and then in the index (a copy)."""
        if tx is not None:
            tx.put(RUN_META_TABLE, RUN_META_KEY, record)
        else:
            with self.run_tx(run_id) as run:
                run.put(RUN_META_TABLE, RUN_META_KEY, record)
        if self.is_refused(self.index_path):
            # The damaged index stays untouched; the run file alone holds the truth.
            self._index_from_runs[run_id] = dict(record)
            return
        with self.index_tx() as index:
            index.put("runs", run_id, record)

    # -- refusing damaged files ------------------------------------------------------------

    def _refuse_if_unreadable(self, path: Path) -> None:
        reason = self._refused.get(path)
        if reason is not None:
            raise UnreadableFileError(path, reason)

    def _note_unreadable(self, error: UnreadableFileError) -> None:
        if error.path in self._refused:
            return
        self._refused[error.path] = error.reason
        quarantine = self.data_dir / QUARANTINE_DIR
        quarantine.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        copy = quarantine / f"{error.path.name}.{stamp}"
        if error.path.exists() and not copy.exists():
            shutil.copy2(error.path, copy)
        self.problems.append(StoreProblem(error.path, str(error)))

    def is_refused(self, path: Path) -> bool:
        return path in self._refused

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

    def _reconcile(self) -> None:
        """Make the index agree with the run files (a crash may fall between the two writes)."""
        try:
            index = self.read_index()
        except UnreadableFileError:
            index = None
        for path in (self.actions_path,):
            try:
                self._read(path)
            except UnreadableFileError:
                pass
        if index is None:
            self._rebuild_index_aside()
            return
        indexed = index.all("runs")
        fixes: dict[str, dict[str, Any] | None] = {}
        for run_id in self.run_ids_on_disk():
            try:
                record = self.read_run(run_id).get(RUN_META_TABLE, RUN_META_KEY)
            except UnreadableFileError:
                continue
            if record is None:
                continue
            if indexed.get(run_id) != record:
                fixes[run_id] = record
        for run_id in indexed:
            if not self.run_path(run_id).exists():
                self.problems.append(
                    StoreProblem(self.run_path(run_id), f"{self.run_path(run_id)}: the run {run_id} is in the index but its file is missing")
                )
        if fixes:
            with self.index_tx() as tx:
                for run_id, record in fixes.items():
                    if record is not None:
                        tx.put("runs", run_id, record)

    def _rebuild_index_aside(self) -> None:
        """The index is damaged: it stays untouched on disk; the runs are listed from their own files."""
        self._index_from_runs = {}
        for run_id in self.run_ids_on_disk():
            try:
                record = self.read_run(run_id).get(RUN_META_TABLE, RUN_META_KEY)
            except UnreadableFileError:
                continue
            if record is not None:
                self._index_from_runs[run_id] = record

    def run_records(self) -> dict[str, dict[str, Any]]:
        """Every run's record, from the index (or from the run files when the index is refused)."""
        if self.is_refused(self.index_path):
            return dict(self._index_from_runs)
        return self.read_index().all("runs")


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
