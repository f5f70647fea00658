"""TinyDB, used through its extension points: the only module that imports tinydb.

- :class:`AtomicJSONStorage` is a TinyDB ``Storage``: it rereads its file on every read
  and writes through :func:`~coptui.store.files.atomic_write`. Lock-free snapshots read
  through it too, so a file is decoded by one piece of code whoever reads it.
- :class:`TransactionStorage` reads once and writes once: one transaction, one file write.
- :class:`RecordTable` sets TinyDB's ``Table`` class attributes: string ids chosen by the
  writer (``document_id_class``) and no query cache (``query_cache_class``,
  ``default_query_cache_capacity``).
- :class:`RecordDB` is TinyDB with that table class (``table_class``).

One private TinyDB method is overridden, here and nowhere else: ``Table._update_table``
(see :class:`RecordTable`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import Any, cast

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table
from tinydb.utils import LRUCache

from coptui.store.errors import UnreadableFileError
from coptui.store.files import atomic_write, decode, encode
from coptui.store.safe_read import FileSignature, read_file

# A check of a decoded file's records (the store's shape check): raises UnreadableFileError.
FileCheck = Callable[[Path, dict[str, Any], FileSignature], None]


class AtomicJSONStorage(Storage):
    """A TinyDB storage that rereads its file on every read and writes atomically.

    Rereading matters: TinyDB's JSONStorage keeps a handle open, which goes on reading
    the old inode after another process swapped the file. A damaged or newer file, or
    anything but a plain file at the path (safe_read.py), raises
    :class:`~coptui.store.errors.UnreadableFileError` from :meth:`read`; so does a file whose
    records fail ``check`` (given by the store: the shapes of tables.py).
    """

    def __init__(self, path: str | Path, check: FileCheck | None = None) -> None:
        self.path = Path(path)
        self.check = check

    def read(self) -> dict[str, Any] | None:
        found = read_file(self.path)
        if found is None:
            return None
        raw, signature = found
        try:
            data, _ = decode(self.path, raw)
            if self.check is not None:
                self.check(self.path, data, signature)
        except UnreadableFileError as error:
            error.raw = raw  # the quarantine keeps these very bytes
            raise
        return data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        atomic_write(self.path, encode(data))

    def close(self) -> None:
        pass


class TransactionStorage(AtomicJSONStorage):
    """Reads the file once and keeps every change in memory until :meth:`commit`.

    One transaction is one atomic file write, however many TinyDB calls it made.
    """

    def __init__(self, path: str | Path, check: FileCheck | None = None) -> None:
        super().__init__(path, check)
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
            super().write(self._data or {})
            self.dirty = False


class _NoQueryCache(LRUCache[Any, Any]):
    """Caches nothing, whatever capacity a caller asks for.

    TinyDB's query cache goes stale when another process writes the file; a table made
    with an explicit ``cache_size`` would otherwise get one (``Table.__init__`` binds
    ``default_query_cache_capacity`` as a default argument, so the class attribute alone
    is not enough). With capacity 0 an LRUCache drops each entry as it is set.
    """

    def __init__(self, capacity: int | None = None) -> None:
        super().__init__(capacity=0)


class RecordTable(Table):
    """Records keyed by the writer's own string ids (TinyDB's per-process counter collides
    across processes), with no query cache."""

    document_id_class: type[Any] = str
    query_cache_class = _NoQueryCache
    default_query_cache_capacity = 0

    def _update_table(self, updater: Callable[[dict[int, Mapping[Any, Any]]], None]) -> None:
        # A private TinyDB method, overridden for speed: TinyDB's own version rebuilds the
        # table twice per change to convert ids to and from document_id_class; ours are
        # strings already, so one C-level copy is enough. The figure: docs/benchmarks.md,
        # "Foundation: storing a response" (the paragraph on Table._update_table); one put
        # into a table of 700 responses takes 14 us with it, 214 us without, and a submit
        # makes two or three such changes. Guarded by every Tx test in tests/unit/test_store.py
        # and by test_tinydb_sees_the_records_the_store_wrote (TinyDB's own reads of them).
        tables = self.storage.read() or {}
        table: dict[Any, Any] = dict(tables.get(self.name, {}))  # keyed by str ids, as stored
        updater(table)
        tables[self.name] = table
        self.storage.write(tables)
        self.clear_cache()

    # TinyDB's Document is a dict (a shallow copy of the stored record) that also carries its
    # id: returned as it is, so the caller's changes never reach the stored record.

    def records(self) -> dict[str, dict[str, Any]]:
        """Every record, by key."""
        return {str(document.doc_id): document for document in self}

    def record(self, key: str) -> dict[str, Any] | None:
        document: dict[str, Any] | None = self.get(doc_id=_id(key))
        return document

    def add(self, key: str, record: Mapping[str, Any]) -> None:
        """Insert a new record; raises KeyError if the key is taken."""
        try:
            self.insert(Document(record, doc_id=_id(key)))
        except ValueError:
            raise KeyError(key) from None

    def put(self, key: str, record: Mapping[str, Any]) -> None:
        """Store ``record`` under ``key`` whole (TinyDB's upsert would merge it into the old one)."""

        def replace_whole(stored: MutableMapping[str, Any]) -> None:
            stored.clear()
            stored.update(record)

        # Asked first: TinyDB 4.8 raises on an update of a missing id, 4.9 skips it.
        if self.contains(doc_id=_id(key)):
            self.update(replace_whole, doc_ids=[_id(key)])
        else:
            self.add(key, record)

    def discard(self, key: str) -> bool:
        """Remove the record under ``key``; whether there was one."""
        if not self.contains(doc_id=_id(key)):
            return False
        self.remove(doc_ids=[_id(key)])
        return True


def _id(key: str) -> int:
    """A record's key as TinyDB's annotations spell an id. They say int, but an id is whatever
    ``document_id_class`` makes (str here): nothing is converted, only the static type."""
    return cast(int, key)


class RecordDB(TinyDB):
    """TinyDB whose tables are :class:`RecordTable`. Pass ``storage=AtomicJSONStorage`` (or
    TransactionStorage): TinyDB's own JSONStorage goes on reading a file another process replaced."""

    table_class = RecordTable

    def records(self, name: str) -> RecordTable:
        table = self.table(name)
        assert isinstance(table, RecordTable)
        return table
