"""What each subcommand does. The parser lives in cli/main.py; the logic lives in the core."""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from coptui.errors import CommandError

if TYPE_CHECKING:
    from coptui.core.problems import Problem
    from coptui.core.workspace import Workspace

# The core modules are imported inside each command, not here: run_tui imports them with
# the garbage collector off (see _collector_off_until_first_frame).


def open_workspace(args: argparse.Namespace) -> Workspace:
    from coptui.core.workspace import Workspace

    return Workspace.open(getattr(args, "data", None), getattr(args, "surveys", None))


def acting_member(args: argparse.Namespace, workspace: Workspace) -> str:
    from coptui.core.community import login_name

    handle = getattr(args, "member", None) or login_name()
    return workspace.member(handle).handle


def run_tui(args: argparse.Namespace) -> int:
    with _collector_off_until_first_frame() as paused:
        workspace = open_workspace(args)
        return _run_app(workspace, acting_member(args, workspace), paused)


def run_demo(args: argparse.Namespace) -> int:
    from coptui.core.definitions import default_surveys_dir
    from coptui.core.workspace import Workspace
    from coptui.demo.history import seed_demo

    data_dir = args.data or Path(tempfile.mkdtemp(prefix="coptui-demo-"))
    surveys_dir = default_surveys_dir()
    if not any((data_dir / "runs").glob("*.json")):
        seed_demo(data_dir, surveys_dir)
    with _collector_off_until_first_frame() as paused:
        workspace = Workspace.open(data_dir, surveys_dir)
        handle = args.member or workspace.community.facilitators[0].handle
        code = _run_app(workspace, workspace.member(handle).handle, paused)
    print(f"The demo data is in {data_dir}; open it again with: coptui --data {data_dir} --as {handle}")
    return code


@contextmanager
def _collector_off_until_first_frame() -> Iterator[bool]:
    """Start-up builds about 100,000 objects that live as long as the app (modules, classes,
    styles, widgets); the garbage collector scanning them again and again as they pile up
    cost about 35 ms of the time to the first screen (docs/benchmarks.md). It is off until
    the app has drawn its first frame and turns it back on; on an error before that, here.
    Yields whether it was paused (not if someone had turned it off already)."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield paused
    finally:
        if paused:
            gc.enable()


def _run_app(workspace: Workspace, handle: str, collector_paused: bool) -> int:
    import os

    from coptui.tui.app import NEEDS_A_SCREEN, cannot_draw, make_app

    if cannot_draw(os.environ.get("TERM")):
        raise CommandError(f"{NEEDS_A_SCREEN}: run it in a terminal emulator, or use `coptui report` for plain text")
    app = make_app(workspace=workspace, member=handle, watch_files=True, collector_paused=collector_paused)
    app.run()
    return app.return_code or 0


def run_seed_demo(args: argparse.Namespace) -> int:
    from coptui.core.definitions import default_surveys_dir
    from coptui.demo.history import seed_demo

    summary = seed_demo(args.data, args.surveys or default_surveys_dir(), today=args.today)
    print(summary)
    return 0


def validate_paths(paths: list[Path]) -> tuple[list[Problem], int]:
    """Every problem in the given files or folders, and how many files were checked."""
    from coptui.core.community import community_path
    from coptui.core.community_schema import check_objectives, load_community
    from coptui.core.definitions import COMMUNITY_FILE, definition_files, load_definitions
    from coptui.core.problems import Problem

    problems: list[Problem] = []
    checked = 0
    folders: dict[Path, list[Path]] = {}
    for path in paths:
        if path.is_dir():
            files = definition_files(path)
            if (path / COMMUNITY_FILE).exists():
                files.append(path / COMMUNITY_FILE)
            if not files:
                problems.append(Problem(str(path), "", "holds no .toml files"))
            folders.setdefault(path, []).extend(files)
        elif path.exists():
            folders.setdefault(path.parent, []).append(path)
        else:
            problems.append(Problem(str(path), "", "does not exist"))
    for folder, files in folders.items():
        definition_paths = [f for f in files if f.name != COMMUNITY_FILE]
        definitions = load_definitions(folder, definition_paths)
        problems.extend(definitions.problems)
        checked += len(files)
        if any(f.name == COMMUNITY_FILE for f in files):
            community, community_problems = load_community(community_path(folder))
            problems.extend(community_problems)
            if community is not None:
                # Objectives may name any definition of the folder, not only those given.
                everything = load_definitions(folder) if definition_paths != definition_files(folder) else definitions
                problems.extend(check_objectives(community_path(folder), community, everything))
    return problems, checked


def run_validate(args: argparse.Namespace) -> int:
    from coptui.core.definitions import default_surveys_dir

    paths = args.paths or [default_surveys_dir()]
    problems, checked = validate_paths(paths)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {checked} files checked", file=sys.stderr)
        return 1
    print(f"{checked} files checked: all valid")
    return 0


def run_runs(args: argparse.Namespace) -> int:
    workspace = open_workspace(args)
    runs = workspace.runs
    if args.open:
        handle = acting_member(args, workspace)
        run = runs.open_run(args.open, by=handle, closes_on=args.closes_on)
        closing = f", closes on {run.closes_on}" if run.closes_on else ""
        print(f"Opened {run.title}{closing}.")
        print(run.id)
        return 0
    if args.close:
        handle = acting_member(args, workspace)
        run = runs.close_run(args.close, by=handle)
        print(f"Closed {run.id} with {runs.response_count(run.id)} responses.")
        return 0
    listing = runs.list_runs()
    if not listing:
        print("No runs yet. Open one with: coptui runs --open DEF_ID")
        return 0
    rows = [("ID", "DEFINITION", "KIND", "STATE", "OPENED", "RESPONSES")]
    for run in listing:
        rows.append(
            (
                run.id,
                run.definition_id,
                run.kind,
                run.state,
                run.opened_on.isoformat(),
                str(runs.response_count(run.id)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    for problem in workspace.store.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def run_answer(args: argparse.Namespace) -> int:
    from coptui.core.answers import parse_cli_value
    from coptui.core.run import AnswerError

    workspace = open_workspace(args)
    if not args.member:
        raise CommandError("answer needs --as HANDLE: whose answer is it?")
    handle = workspace.member(args.member).handle
    runs = workspace.runs
    run = runs.get(args.run_id)
    survey = run.survey()
    answers = {}
    problems = []
    for item in args.answers:
        key, sep, value = item.partition("=")
        if not sep:
            problems.append(f"{item!r} is not QUESTION=VALUE")
            continue
        question = survey.question(key.strip())
        if question is None:
            problems.append(
                f"{key!r} is not a question of {survey.id}; allowed: {', '.join(q.id for q in survey.questions)}"
            )
            continue
        if question.id in answers:
            problems.append(f"{question.id} is given twice; give each question once")
            continue
        try:
            answers[question.id] = parse_cli_value(question, value)
        except AnswerError as error:
            problems.extend(error.problems)
    if problems:
        raise AnswerError(problems)
    runs.submit_response(run.id, handle, answers)
    print(f"Thank you, {workspace.member(handle).name}: your answer to {run.title} is stored.")
    return 0


def run_serve(args: argparse.Namespace) -> int:
    from coptui.serve.server import serve_main

    return serve_main(args)


def run_report(args: argparse.Namespace) -> int:
    from coptui.cli.report import report_main

    return report_main(args)


def run_export(args: argparse.Namespace) -> int:
    from coptui.exports.run import export_run

    workspace = open_workspace(args)
    run = workspace.runs.get(args.run_id)
    handle = acting_member(args, workspace) if run.kind == "feedback" else None
    text = export_run(workspace, run, args.format, handle)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(f"Wrote {run.title} ({args.format}) to {args.output}", file=sys.stderr)
    return 0
