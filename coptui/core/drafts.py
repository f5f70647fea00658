"""Where unsent answers live: one drafts file per run, apart from the run's own file.

A draft must be kept under its writer's name (they come back to it), so it cannot be as
anonymous as what is sent. It is kept in ``drafts/<run>.json`` (table ``drafts``: a survey's
drafts by handle, a feedback round's by ``giver>recipient``), never in ``runs/<run>.json``
beside the responses, cards and pieces: the file that holds what was sent never holds a
name next to answers. Submitting deletes the draft under the same hold of the lock as the
response is stored, and closing the run removes its drafts file.

An older coptui kept drafts in the run file's own ``drafts`` table: they are still read, are
moved out at their next save and deleted with the rest, so nobody loses a draft by upgrading.

A damaged drafts file is refused like any other (``Store.problems`` says so) and reads as no
drafts: it can cost an unsent draft, never an answer or the survey itself.
"""

from __future__ import annotations

from typing import Any

from coptui.core.run import DRAFTS
from coptui.store import layout
from coptui.store.errors import StoreWriteError, UnreadableFileError
from coptui.store.store import Snapshot, Store


def _file_drafts(store: Store, run_id: str) -> dict[str, dict[str, Any]]:
    try:
        return store.read_drafts(run_id).all(DRAFTS)
    except UnreadableFileError:
        return {}  # refused and reported in store.problems


def draft(store: Store, run_id: str, key: str, run: Snapshot | None = None) -> dict[str, Any] | None:
    """The draft under ``key``; ``run`` is the run file when the caller has read it already."""
    found = _file_drafts(store, run_id).get(key)
    if found is not None:
        return found
    return (run or store.read_run(run_id)).get(DRAFTS, key)  # kept by an older coptui


def records(store: Store, run_id: str, run: Snapshot) -> dict[str, dict[str, Any]]:
    """Every draft of a run by key, read once (``run``: the run file, read by the caller);
    one in the drafts file wins over a copy an older coptui kept in the run file."""
    return {**run.all(DRAFTS), **_file_drafts(store, run_id)}


def keys(store: Store, run_id: str, run: Snapshot) -> set[str]:
    """The keys of every draft of a run (``run``: the run file, read by the caller)."""
    return set(records(store, run_id, run))


def put(store: Store, run_id: str, key: str, record: dict[str, Any]) -> None:
    """Store a draft. The caller holds the lock and has checked, in the run's transaction,
    that the run takes it (and has deleted any copy an older coptui kept in the run file)."""
    with store.drafts_tx(run_id) as tx:
        tx.put(DRAFTS, key, record)


def drop(store: Store, run_id: str, key: str) -> None:
    """Delete one draft; the last one takes its file with it, so no empty file is left to say
    that someone once had a draft."""
    path = layout.drafts_path(store.data_dir, run_id)
    with store.locked():
        if not path.exists():
            return  # nothing to delete, and no file to make for it
        current = store.read_drafts(run_id).all(DRAFTS)
        if key not in current:
            return
        if set(current) == {key}:
            store.delete_drafts(run_id)
            return
        with store.drafts_tx(run_id) as tx:
            tx.delete(DRAFTS, key)


def drop_after_sending(store: Store, run_id: str, key: str, what: str) -> None:
    """Delete the draft of what was just stored (the caller still holds the lock).

    What was sent is saved by then: a failure here must say so, not that nothing happened.
    A refused drafts file is left alone (it is reported, and removed with the run's drafts
    at the close).
    """
    try:
        drop(store, run_id, key)
    except UnreadableFileError:
        pass
    except StoreWriteError as error:
        raise StoreWriteError(
            error,
            layout.drafts_path(store.data_dir, run_id),
            "",
            message=f"{what} is saved, but its draft could not be deleted ({error.reason}); "
            "it is removed when the run closes",
        ) from error


def drop_all(store: Store, run_id: str) -> None:
    """Remove every draft of a closed run: its drafts file (the caller deletes, in its own
    transaction, any that an older coptui kept in the run file)."""
    try:
        store.delete_drafts(run_id)
    except StoreWriteError as error:
        raise StoreWriteError(
            error,
            layout.drafts_path(store.data_dir, run_id),
            "",
            message=f"run {run_id} is closed, but its drafts could not be removed ({error.reason}); "
            f"delete {layout.drafts_path(store.data_dir, run_id)} by hand",
        ) from error
