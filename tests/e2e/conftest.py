"""Every test in this folder starts real processes or servers: it is marked e2e, so that
``pytest -m "not e2e"`` leaves the whole folder out (CONTRIBUTING.md, the fast loop)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.ssh import KeyedCommunity, ServerProcess

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def start_server(community: KeyedCommunity, tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start `coptui serve` for the module's ``community`` (each test module defines that
    fixture), ready for clients; every server started is stopped after the test.

    ``start(*args)``: extra options of `coptui serve`; ``launcher``: what runs after
    ``python`` (a test's own module may wrap the server); ``data`` and ``surveys_dir``: other
    folders than a fresh one and the community's."""
    started: list[ServerProcess] = []

    def start(
        *args: str,
        launcher: tuple[str, ...] = ("-m", "coptui"),
        data: Path | None = None,
        surveys_dir: Path | None = None,
    ) -> ServerProcess:
        process = ServerProcess(
            data or tmp_path / f"data{len(started)}",
            surveys_dir or community.surveys_dir,
            extra_args=args,
            launcher=launcher,
        )
        started.append(process)
        return process.wait_ready()

    yield start
    for process in started:
        process.stop()
