"""The repository: the only way in to the data folder (:class:`Store`), its transactions
(:class:`Tx`) and lock-free snapshots (:class:`Snapshot`).

Reads need no lock: files are only ever swapped whole (files.py). Every read-modify-write
holds the folder's file lock and a process-local lock, and ends in one atomic file write.

A damaged file or one written by a newer coptui is refused: left byte for byte as it is
(a damaged one is also copied to ``quarantine/`` once per version) and reported in
:attr:`Store.problems`; the rest of the folder still opens. A refused file is looked at
again once its bytes change (restored from a backup). Damaged means: not JSON, not a file
(a folder, a FIFO, a symlink: safe_read.py), or JSON whose records do not have the shapes
of tables.py (shapes.py), including a run file that holds another run (an admin's backup
``x.bak.json``). Names in runs/ that are no run id are not data: ignored, and reported.

The index holds only what can be derived from the run files (their records, summaries of
closed runs). So a damaged index is left alone on disk and the runs are listed from their
own files until someone replaces it.

The folder's paths are in layout.py, the tables and record shapes in tables.py, TinyDB in
storage.py.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coptui.store import layout, permissions, shapes
from coptui.store.errors import (
    LockTimeoutError,
    LockUnavailableError,
    StoreError,
    StoreWriteError,
    UnreadableFileError,
)
from coptui.store.files import atomic_write, fsync_dir, plain_record, temp_owner_is_dead
from coptui.store.layout import LOCK_FILE, QUARANTINE_DIR, RUNS_DIR, Change
from coptui.store.safe_read import FileSignature, kind_of, read_file
from coptui.store.safe_read import signature as file_signature
from coptui.store.storage import AtomicJSONStorage, RecordDB, TransactionStorage
from coptui.store.tables import PENDING_TABLE, RUN_META_KEY, RUN_META_TABLE, RUNS_TABLE

# How often a writer that finds the folder locked tries again: short, since writes take ms.
LOCK_POLL_INTERVAL = 0.002


class Tx:
    """The tables of one file inside a transaction."""

    def __init__(self, db: RecordDB) -> None:
        self._db = db
        self._after_commit: list[Callable[[], None]] = []

    def all(self, table: str) -> dict[str, dict[str, Any]]:
        return self._db.records(table).records()

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        return self._db.records(table).record(key)

    def insert(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        """Insert a new record; raises KeyError if the key is taken."""
        self._db.records(table).add(key, plain_record(record))

    def put(self, table: str, key: str, record: Mapping[str, Any]) -> None:
        """Insert or replace the record under ``key`` (the new record replaces the old one whole)."""
        self._db.records(table).put(key, plain_record(record))

    def delete(self, table: str, key: str) -> bool:
        return self._db.records(table).discard(key)

    def count(self, table: str) -> int:
        return len(self._db.records(table))

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
ProblemListener = Callable[["StoreProblem"], None]


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

    # Whether a store checks the shapes of the records it reads (see _check) unless told;
    # tests of the bare mechanics, which store records of no declared shape, turn it off.
    check_shapes = True

    def __init__(self, data_dir: Path, *, lock_timeout: float = 10.0, check_shapes: bool | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.lock_timeout = lock_timeout
        self.problems: list[StoreProblem] = []
        self._refused: dict[Path, _Refusal] = {}
        self._missing_runs: set[str] = set()
        self._run_meta_cache: dict[str, tuple[FileSignature | None, dict[str, Any] | None]] = {}
        self._listeners: list[Listener] = []
        self._problem_listeners: list[ProblemListener] = []
        # The version (signature) of each file whose records passed the shape check: a file
        # is checked once per version, not on every read. Off only for tests of the bare
        # mechanics that store records of no declared shape.
        self._check_shapes = type(self).check_shapes if check_shapes is None else check_shapes
        self._checked: dict[Path, FileSignature] = {}
        self._thread_lock = threading.RLock()
        # Private (0700 and 0600) whatever the umask; looser modes left by an older coptui are
        # tightened, with one warning. A folder that cannot be made is a warning too.
        self.problems.extend(StoreProblem(self.data_dir, line) for line in permissions.open_data_folder(self.data_dir))
        self._make_runs_dir()
        self._file_lock: Any = None  # made on the first write: importing filelock costs start-up time
        self._clean_temp_files()
        self._reconcile()

    def _make_runs_dir(self) -> None:
        runs = layout.runs_dir(self.data_dir)
        try:
            runs.mkdir(exist_ok=True)
        except FileExistsError:
            pass  # something that is not a folder: said just below
        except OSError as error:
            self._add_problem(
                StoreProblem(runs, f"{runs}: cannot be made ({error.strerror or error}); no run can be kept")
            )
            return
        if not runs.is_dir():
            self._add_problem(
                StoreProblem(
                    runs,
                    f"{runs}: is not a folder; no run can be read or kept until it is moved away "
                    f"(coptui then makes an empty {RUNS_DIR}/)",
                )
            )

    # -- paths -----------------------------------------------------------------------

    @property
    def index_path(self) -> Path:
        return layout.path_for(self.data_dir, Change("index"))

    @property
    def actions_path(self) -> Path:
        return layout.path_for(self.data_dir, Change("actions"))

    def run_path(self, run_id: str) -> Path:
        if not layout.is_run_id(run_id):
            raise StoreError(f"{run_id!r} is not a valid run id")
        return layout.run_path(self.data_dir, run_id)

    # -- change listeners (the hub subscribes here) ------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _publish(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    def subscribe_problems(self, listener: ProblemListener) -> Callable[[], None]:
        """Be told of each problem as it is found (after start, too: a damaged file is often
        first met when a screen reads it); called in the thread that found it."""
        self._problem_listeners.append(listener)
        return lambda: self._problem_listeners.remove(listener) if listener in self._problem_listeners else None

    # -- locking and transactions --------------------------------------------------------

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the folder's lock (re-entrant within a thread) for a whole read-modify-write."""
        from filelock import FileLock, Timeout

        with self._thread_lock:
            if self._file_lock is None:
                kind = self._lock_kind()
                if kind:
                    # A .lock that is a folder (or a FIFO ...): nothing can be written, but every
                    # read goes on (reads take no lock).
                    raise LockUnavailableError(
                        f"cannot write to {self.data_dir}: its lock file {LOCK_FILE} cannot be used ({kind})"
                    )
                permissions.probe_lock_file(self.data_dir, layout.lock_path(self.data_dir))
                self._file_lock = FileLock(
                    str(layout.lock_path(self.data_dir)),
                    timeout=self.lock_timeout,
                    poll_interval=LOCK_POLL_INTERVAL,
                    mode=permissions.PRIVATE_FILE_MODE,
                )
            try:
                self._file_lock.acquire()
            except Timeout:
                raise LockTimeoutError(
                    f"the data folder {self.data_dir} is locked by another coptui process "
                    f"(waited {self.lock_timeout:g} s for {LOCK_FILE}); try again"
                ) from None
            except OSError as error:  # a read-only folder, a .lock it cannot open: no write can happen
                raise permissions.folder_not_writable(self.data_dir, error) from None
            try:
                yield
            finally:
                self._file_lock.release()

    def _lock_kind(self) -> str:
        try:
            mode = os.lstat(layout.lock_path(self.data_dir)).st_mode
        except OSError:
            return ""
        return "" if stat.S_ISREG(mode) else f"it is {kind_of(mode)}"

    @contextmanager
    def _transaction(self, change: Change) -> Iterator[Tx]:
        if change.run_id is not None:
            self.run_path(change.run_id)  # refuses an id that is not a run id
        path = layout.path_for(self.data_dir, change)
        with self.locked():
            self._refuse_if_unreadable(path)
            db = RecordDB(path, storage=TransactionStorage, check=self._check)
            storage = db.storage
            assert isinstance(storage, TransactionStorage)
            try:
                storage.load()
            except UnreadableFileError as error:
                self._note_unreadable(error)
                raise
            tx = Tx(db)
            yield tx
            # Only reached when the caller's block ended without an exception: then commit.
            dirty = storage.dirty
            storage.commit()
            if dirty and self._checked.get(path) is not None:
                # What was just written is the checked file plus coptui's own records (whose
                # shapes test_records_written_by_coptui_have_the_shapes_of_tables_py keeps to
                # tables.py): not checked again. A check costs about what a parse costs, and a
                # busy run is written many times a second. Taken under the lock: our own file.
                new = file_signature(path)
                if new is not None:
                    self._checked[path] = new
            for step in tx._after_commit:
                step()
        if dirty:
            self._publish(change)

    def run_tx(self, run_id: str) -> AbstractContextManager[Tx]:
        """A read-modify-write of one run's file."""
        return self._transaction(Change("run", run_id))

    @contextmanager
    def drafts_tx(self, run_id: str) -> Iterator[Tx]:
        """A read-modify-write of one run's drafts (a file apart from the run's own)."""
        self.run_path(run_id)  # refuses an id that is not a run id
        folder = layout.drafts_path(self.data_dir, run_id).parent
        with self.locked():
            try:
                permissions.make_private_dirs(folder)
            except OSError as error:
                raise StoreWriteError(error, folder, "nothing was changed") from None
            with self._transaction(Change("drafts", run_id)) as tx:
                yield tx

    def index_tx(self) -> AbstractContextManager[Tx]:
        return self._transaction(Change("index"))

    def actions_tx(self) -> AbstractContextManager[Tx]:
        return self._transaction(Change("actions"))

    # -- reads ---------------------------------------------------------------------------

    def _read(self, path: Path) -> Snapshot:
        self._refuse_if_unreadable(path)
        try:
            tables = AtomicJSONStorage(path, self._check).read()
        except UnreadableFileError as error:
            self._note_unreadable(error)
            raise
        return Snapshot(tables or {})

    def read_run(self, run_id: str) -> Snapshot:
        return self._read(self.run_path(run_id))

    def read_index(self) -> Snapshot:
        """The index; while the file on disk is refused, the part derived from the run files."""
        if self.is_refused(self.index_path):
            return Snapshot({RUNS_TABLE: self._records_from_run_files()})
        if not self.index_path.exists() and self.run_ids_on_disk():
            self._reconcile()  # someone deleted it: rebuild it from the run files
        return self._read(self.index_path)

    def read_drafts(self, run_id: str) -> Snapshot:
        self.run_path(run_id)  # refuses an id that is not a run id
        return self._read(layout.drafts_path(self.data_dir, run_id))

    def delete_drafts(self, run_id: str) -> None:
        """Remove a run's drafts file (at the close: a closed run takes no draft)."""
        self.run_path(run_id)
        path = layout.drafts_path(self.data_dir, run_id)
        with self.locked():
            try:
                path.unlink()
            except FileNotFoundError:
                return
            except OSError as error:
                raise StoreWriteError(
                    error, path, "", message=f"could not remove {path}: {error.strerror or error}; the drafts stay"
                ) from None
            with suppress(OSError):  # the removal is done; a lost sync only brings the drafts back
                fsync_dir(path.parent)
        self._publish(Change("drafts", run_id))

    def read_actions(self) -> Snapshot:
        return self._read(self.actions_path)

    def run_exists(self, run_id: str) -> bool:
        return self.run_path(run_id).exists()

    def run_ids_on_disk(self) -> list[str]:
        return layout.run_ids(self.data_dir)

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
            tx.after_commit(lambda: self._index_after_run_file(run_id, record))
            return
        with self.locked():
            self._mark_pending(run_id)
            with self.run_tx(run_id) as run:
                run.put(RUN_META_TABLE, RUN_META_KEY, record)
            self._index_after_run_file(run_id, record)

    def _index_after_run_file(self, run_id: str, record: dict[str, Any]) -> None:
        # The run file is written: the change is made. A failure now must not say otherwise.
        try:
            self._index_run_record(run_id, record)
        except StoreWriteError as error:
            state = f" ({record['state']})" if isinstance(record.get("state"), str) else ""
            raise StoreWriteError(
                error,
                self.index_path,
                "",
                message=f"run {run_id} is saved{state} in {self.run_path(run_id)}, but {self.index_path} could not "
                f"be updated ({error.reason}): lists of runs may show its previous state until coptui next starts "
                "with room to write",
            ) from error

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

    def run_file_readable(self, run_id: str) -> bool:
        """Whether the run's file can be read now (checked once per version of the file);
        if not, its problem is in :attr:`problems`."""
        try:
            self.read_run(run_id)
        except UnreadableFileError:
            return False
        return True

    # -- the shape check -------------------------------------------------------------------

    @property
    def _runs(self) -> Path:
        return layout.runs_dir(self.data_dir)

    def _check(self, path: Path, data: dict[str, Any], signature: FileSignature) -> None:
        """Refuse a file whose records do not have their declared shapes (once per version)."""
        if not self._check_shapes or self._checked.get(path) == signature:
            return
        if path == self.index_path:
            problem = shapes.index_problem(data)
        elif path == self.actions_path:
            problem = shapes.actions_problem(data)
        elif path.parent == self._runs:
            problem = shapes.run_file_problem(data, path.name[: -len(layout.DATA_SUFFIX)])
        else:
            problem = None
        if problem is not None:
            raise UnreadableFileError(path, problem)
        self._checked[path] = signature

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
            self._quarantine(error.path, error.raw)
        self._add_problem(StoreProblem(error.path, str(error)))

    def _quarantine(self, path: Path, raw: bytes | None) -> None:
        """Keep a copy of a damaged file aside, so that nothing can lose what is left of it.

        One copy per damaged version, however many starts meet it: the copy is named by a
        hash of its bytes. The bytes are those that were read and refused (or read again
        here the same safe way), so a symlink is never followed into a file outside.
        """
        quarantine = layout.quarantine_dir(self.data_dir)
        try:
            if raw is None:
                found = read_file(path)
                if found is None:
                    return
                raw = found[0]
            digest = hashlib.sha256(raw).hexdigest()[:16]
            try:
                os.mkdir(quarantine, 0o700)
            except FileExistsError:
                pass
            if not stat.S_ISDIR(os.lstat(quarantine).st_mode):
                raise OSError(f"{QUARANTINE_DIR} is not a folder")
            if any(name.startswith(f"{path.name}.") and name.endswith(f".{digest}") for name in os.listdir(quarantine)):
                return  # this version is kept already
            atomic_write(quarantine / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.{digest}", raw, mode=0o600)
        except (OSError, UnreadableFileError) as error:
            self._add_problem(StoreProblem(path, f"{path}: could not keep a copy in {QUARANTINE_DIR}/ ({error})"))

    def _add_problem(self, problem: StoreProblem) -> None:
        if all(p.message != problem.message for p in self.problems):  # a repeated look adds nothing new
            self.problems.append(problem)
            for listener in list(self._problem_listeners):
                listener(problem)

    def is_refused(self, path: Path) -> bool:
        try:
            self._refuse_if_unreadable(path)
        except UnreadableFileError:
            return True
        return False

    # -- start-up --------------------------------------------------------------------------

    def _clean_temp_files(self) -> None:
        # A temp file is only ever half a write that never got acknowledged.
        for folder in layout.temp_folders(self.data_dir):
            for stray in folder.glob(f"{layout.TEMP_PREFIX}*"):
                try:
                    if temp_owner_is_dead(stray):
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
        for name in layout.stray_names(self.data_dir):
            stray = self._runs / name
            self._add_problem(
                StoreProblem(
                    stray,
                    f"{stray}: not a run file (a run's file is named after its id: lower case letters, "
                    "digits, '-', '_' and '.'); ignored",
                )
            )
        with suppress(UnreadableFileError):
            self._read(self.actions_path)
        try:
            index = self._read(self.index_path)
        except UnreadableFileError:
            return  # refused: read_index() now derives the runs from their files
        on_disk = set(self.run_ids_on_disk())
        indexed = index.all(RUNS_TABLE)
        self._missing_runs = set()
        if not self._runs.is_dir():
            # Said once (runs/ is not a folder), not once per run.
            self._missing_runs = set(indexed)
            return
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
        except StoreError as error:
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
