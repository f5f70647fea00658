"""`coptui serve` whose app crashes for one member once it runs: for the test that a crash ends
that member's session only.

Run as ``python -m tests.support.crashing_serve HANDLE serve [options of coptui serve]``.
The server is the real one; only its app factory differs (``serve_main(make_app=...)``).
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App

from coptui.cli.main import build_parser
from coptui.core.workspace import Workspace
from coptui.serve.server import serve_main
from coptui.serve.session import AppFactory
from coptui.tui.app import make_app


class RequestedCrash(RuntimeError):
    """Raised in the app of the member named on the command line."""


def crashing_for(handle: str) -> AppFactory:
    """An app factory like :func:`~coptui.tui.app.make_app` whose app for ``handle`` raises
    once it is running (so the session's terminal was set up, and must be restored)."""

    def factory(*, workspace: Workspace, member: str) -> App[Any]:
        app = make_app(workspace=workspace, member=member)
        if member == handle:
            app.call_later(_crash, member)
        return app

    return factory


def _crash(member: str) -> None:
    raise RequestedCrash(f"crash requested for {member}")


def main(argv: list[str]) -> int:
    handle, *serve_argv = argv
    args = build_parser().parse_args(serve_argv)
    return serve_main(args, make_app=crashing_for(handle))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
