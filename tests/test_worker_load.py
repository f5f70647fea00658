"""How the supervisor of `coptui serve --workers N` shares connections out (serve_workers)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from coptui.serve_workers import BALANCE_SLACK, WorkerLoad, _hand_out, _next_in_line, _read_load

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


def test_a_worker_holds_what_it_reported_plus_what_was_handed_since() -> None:
    load = WorkerLoad(handed=5)
    assert load.connections == 5
    load.reported(b"3 2")  # had taken 3 of the 5, and one of those has ended since
    assert load.connections == 2 + 5 - 3
    load.reported(b"not a count")
    load.reported(b"7")
    assert load.connections == 4, "a malformed report changes nothing"


def test_only_workers_near_the_least_loaded_are_in_line() -> None:
    load = [WorkerLoad(holding=3 + BALANCE_SLACK), WorkerLoad(holding=3), WorkerLoad(holding=3 + BALANCE_SLACK + 1)]
    assert _next_in_line(load) == [1, 0]


def test_a_full_queue_keeps_the_connection_waiting_instead_of_overloading_another_worker(links: list[Link]) -> None:
    load = [WorkerLoad(), WorkerLoad(holding=100_000)]  # worker 1 is never in line
    connection, other = socket.socketpair()
    try:
        handed = 0
        while _hand_out(connection, links, load):
            handed += 1
        assert handed > 0 and load[0].handed == handed and load[1].handed == 0
        assert not _hand_out(connection, links, load), "worker 0's queue is full and worker 1 holds more"
        assert _hand_out(connection, links, load, anyone=True), "a stalled line lets any worker with room take it"
        assert load[1].handed == 1
    finally:
        connection.close()
        other.close()


def test_a_burst_is_shared_evenly_when_one_worker_takes_its_connections_slowly(links: list[Link]) -> None:
    # Worker 0 takes everything at once and reports; worker 1 takes one connection a round
    # and reports only every fourth round. Shares by last report alone went 21 to 29.
    load = [WorkerLoad(), WorkerLoad()]
    taken = [0, 0]
    waiting = 50
    rounds = 0
    while waiting or any(worker.connections != taken[i] for i, worker in enumerate(load)):
        rounds += 1
        assert rounds < 500
        connection, other = socket.socketpair()
        try:
            while waiting and _hand_out(connection, links, load):
                waiting -= 1
        finally:
            connection.close()
            other.close()
        taken[0] += _take(links[0], 1000)
        links[0][1].send(f"{taken[0]} {taken[0]}".encode())
        taken[1] += _take(links[1], 1)
        if rounds % 4 == 0 or not waiting:
            links[1][1].send(f"{taken[1]} {taken[1]}".encode())
        for index, link in enumerate(links):
            _read_load(link[0], links, load)
            assert load[index].connections >= taken[index]
    assert sum(taken) == 50 and abs(taken[0] - taken[1]) <= BALANCE_SLACK + 1, taken
