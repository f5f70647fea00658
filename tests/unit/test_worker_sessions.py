"""What the supervisor knows of each worker's sessions, from the worker's messages."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from coptui.serve.admission import SessionSlots
from coptui.serve.relay import ChangeRelay
from coptui.serve.workers import WorkerContext, WorkerLoad, read_load


def test_the_supervisor_follows_the_sessions_a_worker_starts_and_ends(tmp_path: Path) -> None:
    supervisor_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    inbox, _ = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    worker = WorkerContext(0, ChangeRelay(inbox, []), SessionSlots(tmp_path), worker_end)
    links, load = [(supervisor_end, worker_end)], [WorkerLoad(handed=2)]
    supervisor_end.setblocking(False)
    worker.session_started("1", handle="chen", fingerprint="SHA256:x", peer="10.0.0.1", term="xterm", size="80x24")
    worker.session_started("2", handle="dana", fingerprint="SHA256:y", peer="10.0.0.2", term="xterm", size="80x24")
    worker.session_ended("1")
    worker.connection_ended()
    read_load(supervisor_end, links, load)
    assert list(load[0].sessions) == ["2"] and load[0].sessions["2"]["handle"] == "dana"
    assert load[0].connections == 1  # the count of ended connections still reads as before


def test_messages_that_are_not_news_change_nothing() -> None:
    load = WorkerLoad(handed=1)
    for message in (b"{", b'{"no": "session"}', json.dumps(["a"]).encode(), b"x"):
        load.reported(message)
    assert load.sessions == {} and load.ended == 0
