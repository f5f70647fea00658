"""Reads of the store that many screens ask for at once, made once, in a thread.

In `coptui serve` a change reaches every session at the same moment, and each of their
screens reads the same files again to redraw. Each read used to take a thread of its own
(a Textual thread worker) and the loop back (``call_from_thread``): at a reveal with 50
members that hop cost more than the read (docs/benchmarks.md, "SSH serving: fourth pass").
Here the screens that ask for the same thing before its read has begun share that read.
One that asks after it has begun gets a new read: the read in flight may predate the
change that the screen heard of, and a screen must never be left showing the state before.
The reads run in the loop's executor, so the loop never waits on a disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class SharedReads:
    """Coalesces concurrent reads with the same key (see the module's docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # (loop, key) -> the result of the read not yet begun
        self._queued: dict[tuple[asyncio.AbstractEventLoop, Hashable], asyncio.Future[Any]] = {}
        self.reads = 0  # reads begun, for tests and benchmarks

    async def read(self, key: Hashable, read: Callable[[], T]) -> T:
        """``read()``, run in a thread, or the result of a queued read with the same key."""
        loop = asyncio.get_running_loop()
        with self._lock:
            future = self._queued.get((loop, key))
            if future is None:
                future = loop.create_future()
                self._queued[(loop, key)] = future
                loop.run_in_executor(None, self._run, loop, key, read, future)
        # One caller given up (its screen closed) must not cancel the read for the others.
        return await asyncio.shield(future)

    def _run(
        self, loop: asyncio.AbstractEventLoop, key: Hashable, read: Callable[[], T], future: asyncio.Future[T]
    ) -> None:
        with self._lock:
            del self._queued[(loop, key)]  # begun: whoever asks from now on reads again
            self.reads += 1
        # A result travels in a 1-tuple, so that a read may return None and still be told apart
        # from an error.
        outcome: tuple[T] | BaseException
        try:
            outcome = (read(),)
        except BaseException as raised:
            outcome = raised
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits any more
            loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future[T], outcome: tuple[T] | BaseException) -> None:
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome[0])
