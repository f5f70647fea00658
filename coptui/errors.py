"""One base class for every error a user is meant to read.

Each layer raises its own subclass (a broken rule of runs, a damaged file, a server that
cannot start), and the command line prints any of them the same way: ``coptui: <line>`` for
each of :meth:`CoptuiError.lines`, then the :meth:`CoptuiError.details` indented, exit code 1.
Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations


class CoptuiError(Exception):
    """An error whose message is for the user: what went wrong and what to do."""

    def lines(self) -> list[str]:
        """The message, one line each (several problems with one answer read like validate's)."""
        return [str(self)]

    def details(self) -> list[str]:
        """Indented lines printed under the message (the problems of a workspace, say)."""
        return []


class CommandError(CoptuiError):
    """A command was asked for what is not there or cannot be done (an unknown objective, a
    file it cannot write)."""
