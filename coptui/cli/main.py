"""The command line: every subcommand, its options and its help (README.md, "Commands").

Handlers return an exit code and never let a traceback reach the user for bad input:
user-facing errors are one line on stderr and exit code 1 (2 for a wrong command line).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from coptui import __version__
from coptui.errors import CoptuiError
from coptui.text import one_line


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD") from None


def _common(parser: argparse.ArgumentParser, *, member: bool = True, top: bool = False) -> None:
    # Options may come before or after the subcommand. On subcommands they default to
    # SUPPRESS, so that `coptui --data D runs` keeps the D given before the subcommand.
    default = None if top else argparse.SUPPRESS
    parser.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        default=default,
        help="data folder (default: $COPTUI_DATA, else the user data folder)",
    )
    parser.add_argument(
        "--surveys",
        type=Path,
        metavar="DIR",
        default=default,
        help="definitions folder with community.toml (default: the shipped demo)",
    )
    if member:
        parser.add_argument(
            "--as",
            dest="member",
            metavar="HANDLE",
            default=default,
            help="act as this member (default: your login name)",
        )


ANSWER_SYNTAX = """\
values:
  likert, rating, nps         a whole number: mood=4
  yesno                        yes or no (also y, n, true, false, 1, 0): again=yes
  single                       the option as written: format="office hours"
  multi                        options separated by commas: topics=ci,iac
                               or the question repeated, one option or list each time:
                               topics=ci topics=iac. An option that itself holds a comma
                               is given alone: topics="Ops, and more" topics=ci
  text                         anything, in UTF-8: notes="went well"
  na (or the question's own    not applicable, where the question allows it: mood=na
  'not applicable' option)
A question left out is skipped (refused if it is required).

example:
  coptui answer RUN_ID --as chen mood=4 topics=ci,iac "notes=More demos, please"
  printf 'notes=long text\\nmood=4\\n' | coptui answer RUN_ID --as chen -
"""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, whose errors quote the command line cleaned (an argument may hold
    escape codes or bytes that are not UTF-8). Subcommands' parsers are of the same class."""

    def error(self, message: str) -> NoReturn:
        super().error(one_line(message))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coptui",
        description="Surveys, live retrospectives and trend charts for Communities of Practice.",
    )
    parser.add_argument("--version", action="version", version=f"coptui {__version__}")
    _common(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="open coptui on a demo community with a year of history")
    demo.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where to keep the demo data (default: a fresh temporary folder)",
    )
    demo.add_argument(
        "--as",
        dest="member",
        metavar="HANDLE",
        default=argparse.SUPPRESS,
        help="demo member to act as (default: the facilitator)",
    )

    seed = commands.add_parser("seed-demo", help="write a year of demo history into a data folder and exit")
    seed.add_argument("--data", type=Path, metavar="DIR", required=True, help="data folder to fill (must hold no runs)")
    seed.add_argument(
        "--surveys",
        type=Path,
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="definitions folder (default: the shipped demo)",
    )
    seed.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="the day the history ends (default: today)")

    validate = commands.add_parser(
        "validate", help="check definitions, community.toml and member keys; exit 1 on problems"
    )
    validate.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="files or folders (default: the shipped surveys)"
    )

    runs = commands.add_parser("runs", help="list runs, or open and close one")
    _common(runs)
    action = runs.add_mutually_exclusive_group()
    action.add_argument(
        "--open", metavar="DEF_ID", help="open a run of this definition; prints the run id on the last line"
    )
    action.add_argument("--close", metavar="RUN_ID", help="close this run")
    runs.add_argument("--closes-on", type=_date, metavar="YYYY-MM-DD", help="with --open: last day for answers")

    answer = commands.add_parser(
        "answer",
        help="submit a response from a script",
        description="Submit one response to an open survey run, checked like an answer on the screen.",
        epilog=ANSWER_SYNTAX,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(answer)
    answer.add_argument("run_id", metavar="RUN_ID")
    answer.add_argument(
        "answers",
        nargs="*",
        metavar="QUESTION=VALUE",
        help="one answer each (see below); - reads more, one per line, from stdin",
    )

    serve = commands.add_parser("serve", help="the SSH server for live sessions")
    _common(serve, member=False)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=2222, help="port to listen on (default: 2222)")
    serve.add_argument(
        "--log",
        type=Path,
        metavar="FILE",
        help="JSON-lines log of connects, refusals, disconnects (default: serve.log in the data folder; - for stderr)",
    )
    serve.add_argument("--max-sessions", type=int, metavar="N", help="sessions in total (default: 100)")
    serve.add_argument("--max-per-key", type=int, metavar="N", help="sessions per member key (default: 3)")
    serve.add_argument(
        "--idle-timeout",
        type=float,
        metavar="SECONDS",
        help="close a session after this long without input (default: 1800)",
    )
    serve.add_argument(
        "--login-timeout",
        type=float,
        metavar="SECONDS",
        help="time to log in, and to open a session after logging in (default: 30)",
    )
    serve.add_argument(
        "--keepalive-interval",
        type=float,
        metavar="SECONDS",
        help="keepalive probe interval; 3 unanswered drop the client (default: 30)",
    )
    serve.add_argument(
        "--connect-rate", type=int, metavar="N", help="new connections per second from one address (default: 20)"
    )
    serve.add_argument(
        "--max-startups", type=int, metavar="N", help="connections logging in at once, in total (default: 100)"
    )
    serve.add_argument(
        "--max-startups-per-address",
        type=int,
        metavar="N",
        help="connections logging in at once from one address (an IPv6 /64) (default: 10)",
    )
    serve.add_argument(
        "--max-output",
        type=int,
        metavar="BYTES",
        help="unsent output a session may queue before it is dropped as too slow (default: 1048576)",
    )
    serve.add_argument(
        "--input-rate",
        type=float,
        metavar="N",
        help="keys (and mouse events, pastes) a session's app takes per second (default: 60)",
    )
    serve.add_argument(
        "--input-burst", type=int, metavar="N", help="keys a session's app takes at once after a pause (default: 120)"
    )
    serve.add_argument(
        "--input-backlog",
        type=int,
        metavar="N",
        help="keys that may wait beyond the rate; more are dropped with a notice (default: 1000)",
    )
    serve.add_argument(
        "--max-loop-share",
        type=float,
        metavar="FRACTION",
        help="share of the server's time one session may take before it is slowed (default: 0.5)",
    )
    serve.add_argument(
        "--busy-timeout",
        type=float,
        metavar="SECONDS",
        help="how long a session may stay over its share before it is closed (default: 10)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="server processes sharing the port: one per core for big retros; 50 members on 2 cores need 2 (default: 1)",
    )

    report = commands.add_parser("report", help="objectives and trend charts on stdout")
    _common(report)
    report.add_argument("--objective", metavar="ID", help="one objective only")
    report.add_argument("--width", type=int, metavar="N", help="chart width in columns (default: the terminal's)")
    report.add_argument("--format", choices=["text", "md"], default="text")

    export = commands.add_parser("export", help="a run's results as Markdown, CSV or JSON")
    _common(export)
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument("--format", choices=["md", "csv", "json"], default="md")
    export.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here instead of stdout")
    return parser


def _handler(command: str | None) -> Callable[[argparse.Namespace], int]:
    from coptui.cli import commands

    return {
        None: commands.run_tui,
        "demo": commands.run_demo,
        "seed-demo": commands.run_seed_demo,
        "validate": commands.run_validate,
        "runs": commands.run_runs,
        "answer": commands.run_answer,
        "serve": commands.run_serve,
        "report": commands.run_report,
        "export": commands.run_export,
    }[command]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # `answer RUN_ID --as X q=v ...`: answers may follow options, which plain argparse refuses.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command == "answer" and not any(item.startswith("-") and item != "-" for item in extra):
        args.answers = [*args.answers, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    _console_never_fails()
    try:
        return _handler(args.command)(args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        if not _print_user_error(error):
            raise
        return 1


def _console_never_fails() -> None:
    """A terminal or a pipe whose encoding cannot hold a character (a name, an em dash, under
    LANG=C on an old system or PYTHONIOENCODING=ascii) shows it escaped, never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _print_user_error(error: Exception) -> bool:
    """Print a user-facing error as coptui's one line (and a workspace's problems); False for a bug.

    Every such error derives from :class:`coptui.errors.CoptuiError`."""
    if not isinstance(error, CoptuiError):
        return False
    # A message may quote user text (a name, a title, an argument): one line each, cleaned.
    for line in error.lines():
        print(f"coptui: {one_line(line)}", file=sys.stderr)
    for detail in error.details():
        print(f"  {one_line(detail)}", file=sys.stderr)
    return True
