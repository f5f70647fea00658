"""SharedReads: one read for the screens that ask together, never a read older than the ask.

An ask is a task; a task's first step runs in the loop's next round, in the order of
``call_soon``. So a step scheduled with ``call_soon`` after the asks runs once every ask
has reached its read: the tests order events that way, not by waiting a while.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

from coptui.core.shared_reads import SharedReads


async def _executor_held_until(released: threading.Event) -> ThreadPoolExecutor:
    executor = ThreadPoolExecutor(max_workers=1)
    asyncio.get_running_loop().set_default_executor(executor)
    asyncio.get_running_loop().run_in_executor(None, released.wait)
    return executor


async def test_screens_that_ask_before_the_read_begins_share_it() -> None:
    released = threading.Event()
    await _executor_held_until(released)
    reads = SharedReads()
    counter = itertools.count(1)
    asks = [asyncio.ensure_future(reads.read(("retro", "r1"), lambda: next(counter))) for _ in range(5)]
    asyncio.get_running_loop().call_soon(released.set)
    assert await asyncio.gather(*asks) == [1] * 5
    assert reads.reads == 1


async def test_a_screen_that_asks_once_the_read_has_begun_gets_a_new_read() -> None:
    reads = SharedReads()
    begun, finish = threading.Event(), threading.Event()
    state = {"cards": 1}

    def read() -> int:
        seen = state["cards"]
        begun.set()
        finish.wait(5)
        return seen

    first = asyncio.ensure_future(reads.read("k", read))
    await asyncio.to_thread(begun.wait, 5)
    state["cards"] = 2  # a change written after the first read took its data
    begun.clear()
    second = asyncio.ensure_future(reads.read("k", read))
    asyncio.get_running_loop().call_soon(finish.set)
    assert (await first, await second) == (1, 2)
    assert reads.reads == 2


async def test_different_keys_are_different_reads() -> None:
    reads = SharedReads()
    assert list(await asyncio.gather(reads.read("a", lambda: "A"), reads.read("b", lambda: "B"))) == ["A", "B"]
    assert reads.reads == 2


async def test_an_error_reaches_every_screen_that_shared_the_read() -> None:
    released = threading.Event()
    await _executor_held_until(released)
    reads = SharedReads()

    def broken() -> None:
        raise OSError("disk gone")

    asks = [asyncio.ensure_future(reads.read("k", broken)) for _ in range(3)]
    asyncio.get_running_loop().call_soon(released.set)
    results = await asyncio.gather(*asks, return_exceptions=True)
    assert all(isinstance(r, OSError) and str(r) == "disk gone" for r in results)
    assert reads.reads == 1


async def test_one_screen_giving_up_does_not_cancel_the_read_for_the_others() -> None:
    released = threading.Event()
    await _executor_held_until(released)
    reads = SharedReads()
    gone = asyncio.ensure_future(reads.read("k", lambda: "board"))
    stays = asyncio.ensure_future(reads.read("k", lambda: "other"))
    asyncio.get_running_loop().call_soon(gone.cancel)
    asyncio.get_running_loop().call_soon(released.set)
    assert await stays == "board"
    assert gone.cancelled()
