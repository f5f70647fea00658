"""`coptui serve` keeps full garbage collections off the shared loop: long-lived objects are
frozen, and what a session leaves behind is collected once sessions leave."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from collections.abc import Callable

from coptui.serve.server import LongLivedObjects


class Node:
    """An object in a reference cycle: only the cyclic collector can free it."""

    def __init__(self) -> None:
        self.me = self


async def _until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not hold in time")
        await asyncio.sleep(0.01)


async def test_frozen_garbage_waits_for_a_session_to_leave_then_is_collected() -> None:
    keeper = LongLivedObjects()
    keeper.FREEZE_EVERY = 0.02
    keeper.COLLECT_AFTER_LEAVING = 0.05
    gc.unfreeze()
    # An automatic collection between the ``del`` and the first freeze would free the node
    # before it is frozen (it did, under load): only the collections the keeper asks for run.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        node = Node()
        left_behind = weakref.ref(node)
        del node  # garbage now, but only a collection can tell
        before = gc.get_freeze_count()
        keeper.start()
        await _until(lambda: gc.get_freeze_count() > before)
        gc.collect()
        assert left_behind() is not None  # frozen: ordinary collections do not walk it
        keeper.session_left()
        await _until(lambda: left_behind() is None)
        assert gc.get_freeze_count() > 0  # and what lives on is frozen again
    finally:
        keeper.stop()
        if was_enabled:
            gc.enable()
    assert gc.get_freeze_count() == 0
