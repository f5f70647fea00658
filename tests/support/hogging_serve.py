"""`coptui serve` whose app, for one member, holds the event loop on every key: for the test that
a session taking more than its share of the loop is slowed, then ended, and the server lives on.

Run as ``python -m tests.support.hogging_serve HANDLE serve [options of coptui serve]``. The
server is the real one; only its app factory differs (``serve_main(make_app=...)``).
"""

from __future__ import annotations

import sys
import time
from typing import Any

from textual import events
from textual.app import App

from coptui.cli.main import build_parser
from coptui.core.workspace import Workspace
from coptui.serve.server import serve_main
from coptui.serve.session import AppFactory
from coptui.tui.app import make_app

# Loop time each key of the hogging member takes: far past any share of the loop.
HOLD_SECONDS = 0.1


def hogging_for(handle: str) -> AppFactory:
    """An app factory like :func:`~coptui.tui.app.make_app` whose app for ``handle`` spins on
    the loop for :data:`HOLD_SECONDS` on every key it is given."""

    def factory(*, workspace: Workspace, member: str) -> App[Any]:
        app = make_app(workspace=workspace, member=member)
        if member == handle:
            original = app.on_event

            async def on_event(event: events.Event) -> None:
                if isinstance(event, events.Key):
                    end = time.perf_counter() + HOLD_SECONDS
                    while time.perf_counter() < end:
                        pass
                await original(event)

            app.on_event = on_event  # type: ignore[method-assign]  # this test's app only
        return app

    return factory


def main(argv: list[str]) -> int:
    handle, *serve_argv = argv
    args = build_parser().parse_args(serve_argv)
    return serve_main(args, make_app=hogging_for(handle))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
