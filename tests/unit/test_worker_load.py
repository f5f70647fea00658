"""How the supervisor of `coptui serve --workers N` shares connections out (serve_workers)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from coptui.serve.workers import BALANCE_SLACK, WorkerLoad, hand_out, next_in_line, read_load

Link = tuple[socket.socket, socket.socket]


@pytest.fixture
def links() -> Iterator[list[Link]]:
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM) for _ in range(2)]
    for supervisor_end, worker_end in pairs:
        supervisor_end.setblocking(False)
        worker_end.setblocking(False)
    yield pairs
    for pair in pairs:
        for end in pair:
            end.close()


def _take(link: Link, at_most: int) -> int:
    """What a worker does with its end: take up to ``at_most`` handed connections."""
    taken = 0
    while taken < at_most:
        try:
            _, fds, _, _ = socket.recv_fds(link[1], 16, 8)
        except BlockingIOError:
            break
        for fd in fds:
            socket.socket(fileno=fd).close()
        taken += 1
    return taken


def test_a_worker_holds_what_was_handed_to_it_less_what_it_said_ended() -> None:
    load = WorkerLoad(handed=5)
    assert load.connections == 5, "handed connections count at once, before the worker takes them"
    load.reported(b"2")
    assert load.connections == 3
    load.reported(b"1")  # an older count arriving late
    load.reported(b"not a count")
    assert load.connections == 3


def test_only_workers_near_the_least_loaded_are_in_line() -> None:
    load = [WorkerLoad(handed=3 + BALANCE_SLACK), WorkerLoad(handed=3), WorkerLoad(handed=3 + BALANCE_SLACK + 1)]
    assert next_in_line(load) == [1, 0]


def test_a_full_queue_keeps_the_connection_waiting_instead_of_overloading_another_worker(links: list[Link]) -> None:
    load = [WorkerLoad(), WorkerLoad(handed=100_000)]  # worker 1 is never in line
    connection, other = socket.socketpair()
    try:
        handed = 0
        while hand_out(connection, links, load):
            handed += 1
        assert handed > 0 and load[0].handed == handed and load[1].handed == 100_000
        assert not hand_out(connection, links, load), "worker 0's queue is full and worker 1 holds more"
        assert hand_out(connection, links, load, anyone=True), "a stalled line lets any worker with room take it"
        assert load[1].handed == 100_001
    finally:
        connection.close()
        other.close()


def test_a_burst_is_shared_evenly_however_slowly_a_worker_takes_its_connections(links: list[Link]) -> None:
    # Worker 0 takes its connections at once, worker 1 one a round; neither says anything.
    load = [WorkerLoad(), WorkerLoad()]
    taken = [0, 0]
    waiting = 50
    connection, other = socket.socketpair()
    try:
        while waiting:
            while waiting and hand_out(connection, links, load):
                waiting -= 1
            taken[0] += _take(links[0], 1000)
            taken[1] += _take(links[1], 1)
        assert [worker.connections for worker in load] == [25, 25]
        # Ten of worker 0's end (members refused, or gone): the next ten go to worker 0.
        links[0][1].send(b"10")
        read_load(links[0][0], links, load)
        for _ in range(10):
            assert hand_out(connection, links, load)
        assert [worker.connections for worker in load] == [25, 25]
        assert [worker.handed for worker in load] == [35, 25]
    finally:
        connection.close()
        other.close()
