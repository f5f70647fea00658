"""`coptui serve` ends its process at once after it stopped: no teardown of every session's objects."""

from __future__ import annotations

import argparse
from typing import Any

import pytest

from coptui.serve import server


class Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _args(**extra: Any) -> argparse.Namespace:
    return argparse.Namespace(host="127.0.0.1", port=0, **extra)


@pytest.fixture
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    def exit_now(code: int) -> None:
        raise Exited(code)

    monkeypatch.setattr(server.os, "_exit", exit_now)


async def _stopped(options: object, **_: object) -> int:
    return 0


@pytest.mark.usefixtures("exits")
def test_a_stopped_server_ends_its_process_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "serve", _stopped)
    with pytest.raises(Exited) as ended:
        server.serve_main(_args())
    assert ended.value.code == 0
    assert server.serve_main(_args(), exit_when_stopped=False) == 0  # a caller that goes on


@pytest.mark.usefixtures("exits")
def test_the_supervisor_of_workers_ends_its_process_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server.Supervisor, "run", lambda self: 3)
    with pytest.raises(Exited) as ended:
        server.serve_main(_args(workers=2))
    assert ended.value.code == 3
