"""What each subcommand does. The parser lives in cli/main.py; the logic lives in the core."""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coptui.errors import CommandError

if TYPE_CHECKING:
    from coptui.core.definitions import Question, SurveyDefinition
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
    """Every problem in the given files or folders, and how many files were checked.

    Each file is checked once, however it is named (a folder and a file in it, or one path
    given twice). Each folder is checked by :func:`_folder_problems`, the one place to add
    a check of a folder's files."""
    from coptui.core.definitions import COMMUNITY_FILE, definition_files
    from coptui.core.problems import Problem

    problems: list[Problem] = []
    folders: dict[Path, list[Path]] = {}
    seen: set[Path] = set()

    def add(folder: Path, file: Path) -> None:
        try:
            key = file.resolve()
        except (OSError, RuntimeError):  # a symlink loop: reading it says so
            key = file.absolute()
        if key not in seen:
            seen.add(key)
            folders.setdefault(folder, []).append(file)

    for path in paths:
        if path.is_dir():
            files = definition_files(path)
            if (path / COMMUNITY_FILE).exists() or (path / COMMUNITY_FILE).is_symlink():
                files.append(path / COMMUNITY_FILE)
            if not files:
                problems.append(Problem(str(path), "", "holds no .toml files"))
            for file in files:
                add(path, file)
        elif path.exists() or path.is_symlink():
            add(path.parent, path)
        else:
            problems.append(Problem(str(path), "", "does not exist"))
    checked = 0
    for folder, files in folders.items():
        problems.extend(_folder_problems(folder, files))
        checked += len(files)
    return problems, checked


def _folder_problems(folder: Path, files: list[Path]) -> list[Problem]:
    """The problems of some files of one folder: its definitions, and its community file
    with the objectives checked against every definition of the folder."""
    from coptui.core.community import community_path
    from coptui.core.community_schema import check_objectives, load_community
    from coptui.core.definitions import COMMUNITY_FILE, definition_files, load_definitions

    definition_paths = [f for f in files if f.name != COMMUNITY_FILE]
    definitions = load_definitions(folder, definition_paths)
    problems = list(definitions.problems)
    if len(definition_paths) < len(files):
        community, community_problems = load_community(community_path(folder))
        problems.extend(community_problems)
        if community is not None:
            # Objectives may name any definition of the folder, not only those given.
            everything = load_definitions(folder) if definition_paths != definition_files(folder) else definitions
            problems.extend(check_objectives(community_path(folder), community, everything))
    return problems


def member_key_problems(paths: list[Path]) -> tuple[list[Problem], int]:
    """Every problem of the member keys of each community.toml among ``paths`` (the keys listed
    on members and the keys file it names, as `coptui serve` reads them), and how many keys
    files were checked."""
    from coptui.core.community_schema import load_community
    from coptui.core.definitions import COMMUNITY_FILE
    from coptui.serve.keys import read_member_keys

    problems: list[Problem] = []
    checked = 0
    files = {path / COMMUNITY_FILE if path.is_dir() else path for path in paths}
    for file in sorted(f for f in files if f.name == COMMUNITY_FILE and f.is_file()):
        community, _ = load_community(file)  # its own problems are validate_paths' to report
        if community is None or not (community.authorized_keys or any(m.keys for m in community.members)):
            continue  # no key to check: the SSH libraries need not even be loaded
        problems.extend(read_member_keys(file.parent, community).problems)
        checked += bool(community.authorized_keys and (file.parent / community.authorized_keys).is_file())
    return problems, checked


def run_validate(args: argparse.Namespace) -> int:
    from coptui.core.definitions import default_surveys_dir

    paths = args.paths or [default_surveys_dir()]
    problems, checked = validate_paths(paths)
    key_problems, keys_files = member_key_problems(paths)
    problems, checked = problems + key_problems, checked + keys_files
    for problem in problems:
        print(problem)
    if problems:
        files = len({problem.file for problem in problems})
        print(
            f"{_count(len(problems), 'problem')} in {_count(files, 'file')} ({_count(checked, 'file')} checked)",
            file=sys.stderr,
        )
        return 1
    print(f"{_count(checked, 'file')} checked: all valid")
    return 0


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def run_runs(args: argparse.Namespace) -> int:
    from coptui.text import strip_controls

    workspace = open_workspace(args)
    runs = workspace.runs
    if args.open:
        handle = acting_member(args, workspace)
        run = runs.open_run(args.open, by=handle, closes_on=args.closes_on)
        closing = f", closes on {run.closes_on}" if run.closes_on else ""
        print(strip_controls(f"Opened {run.title}{closing}."))
        print(run.id)
        return 0
    if args.close:
        handle = acting_member(args, workspace)
        run = runs.close_run(args.close, by=handle)
        print(f"Closed {run.id} with {runs.response_count(run.id)} responses.")
        return 0
    # A broken definition is one warning; the runs of the others are listed all the same.
    for definition_problem in workspace.definitions.problems:
        print(f"warning: {definition_problem}", file=sys.stderr)
    listing = runs.list_runs(check_files=True)  # the counts below read every run's file anyway
    if not listing:
        print("No runs yet. Open one with: coptui runs --open DEF_ID")
        for problem in workspace.store.problems:
            print(f"warning: {problem}", file=sys.stderr)
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
        print(strip_controls("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()))
    for problem in workspace.store.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return 0


def run_answer(args: argparse.Namespace) -> int:
    """Submit one response. Each QUESTION=VALUE is checked like an answer on the screen; a
    multi question may be repeated, each time with one option or a comma-separated list, so
    that an option holding a comma can be chosen (``topics="Ops, and more" topics=ci``)."""
    from coptui.core.run import AnswerError
    from coptui.text import one_line

    workspace = open_workspace(args)
    if not args.member:
        raise CommandError("answer needs --as HANDLE: whose answer is it?")
    handle = workspace.member(args.member).handle
    runs = workspace.runs
    run = runs.get(args.run_id)
    survey = run.survey()
    items = list(args.answers)
    if items.count("-") > 1:
        raise CommandError("give - once: stdin is read once")
    if "-" in items:
        at = items.index("-")
        items[at : at + 1] = _answers_from_stdin()
    answers, problems = _parse_answers(survey, items)
    if problems:
        raise AnswerError(problems)
    runs.submit_response(run.id, handle, answers)
    print(one_line(f"Thank you, {workspace.member(handle).name}: your answer to {run.title} is stored."))
    return 0


def _answers_from_stdin() -> list[str]:
    """``-`` among the answers: one QUESTION=VALUE per line of stdin (blank lines skipped),
    read as UTF-8 whatever the locale, since the answers are stored as UTF-8."""
    data = sys.stdin.buffer.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise CommandError(
            f"the answers on stdin are not UTF-8 text (byte 0x{data[error.start]:02X} on line {line}); "
            "convert them to UTF-8 (iconv -t UTF-8)"
        ) from None
    return [line.removesuffix("\r") for line in text.split("\n") if line.strip()]


def _not_utf8(item: str) -> str | None:
    """Why a command-line answer is not text, or None. Python hands on bytes that are not
    UTF-8 as lone surrogates; they cannot be stored, so the answer is refused, naming the byte."""
    for index, char in enumerate(item):
        if "\ud800" <= char <= "\udfff":
            where = item[:index].partition("=")
            label = where[0] if where[1] else "an answer"
            # U+DC80 to U+DCFF stand for the bytes 0x80 to 0xFF; any other came as a surrogate itself.
            shown = f"0x{ord(char) - 0xDC00:02X}" if "\udc80" <= char <= "\udcff" else "a lone surrogate"
            return (
                f"{label!r} is not UTF-8 text ({shown} at character {index + 1}); "
                "give answers in UTF-8 (check the terminal's or the script's encoding)"
            )
    return None


def _parse_answers(survey: SurveyDefinition, items: list[str]) -> tuple[dict[str, Any], list[str]]:
    """The typed answers of QUESTION=VALUE items, and every problem with them (all at once)."""
    from coptui.core.answers import parse_cli_value
    from coptui.core.run import NA, AnswerError

    answers: dict[str, Any] = {}
    problems: list[str] = []
    for item in items:
        problem = _not_utf8(item)
        if problem:
            problems.append(problem)
            continue
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
        try:
            parsed = parse_cli_value(question, value)
        except AnswerError as error:
            problems.extend(error.problems)
            continue
        if question.type == "multi" and isinstance(parsed, list):
            problems.extend(_comma_hint(question, value, parsed))
        if question.id not in answers:
            answers[question.id] = parsed
        elif question.type != "multi":
            problems.append(f"{question.id} is given twice; give each question once")
        elif parsed is NA or answers[question.id] is NA:
            problems.append(f"{question.id}: {question.na!r} cannot be chosen with other options")
        else:
            answers[question.id] = [*answers[question.id], *parsed]
    return answers, problems


def _comma_hint(question: Question, value: str, parsed: list[str]) -> list[str]:
    """When a value split at its commas names no option but an option holds a comma, say how
    to choose it: the split is what the member typed, the hint is what they meant."""
    options = question.options or []
    with_comma = [option for option in options if "," in option]
    if not with_comma or all(part in options for part in parsed):
        return []
    unknown = ", ".join(repr(part) for part in parsed if part not in options)
    return [
        f"{question.id}: {unknown} not an option; an option that holds a comma is given alone, "
        f"and {question.id}= repeated for each other option ({question.id}={with_comma[0]!r} "
        f"{question.id}=...); allowed: {', '.join(map(repr, options))}"
    ]


def run_serve(args: argparse.Namespace) -> int:
    from coptui.serve.server import serve_main

    return serve_main(args)


def run_report(args: argparse.Namespace) -> int:
    from coptui.cli.report import report_main

    return report_main(args)


def run_export(args: argparse.Namespace) -> int:
    from coptui.exports.run import export_run
    from coptui.text import strip_controls

    workspace = open_workspace(args)
    run = workspace.runs.get(args.run_id)
    handle = acting_member(args, workspace) if run.kind == "feedback" else None
    text = export_run(workspace, run, args.format, handle)
    if args.output is None:
        _write_utf8(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {args.output}: {error.strerror or error}") from None
    print(strip_controls(f"Wrote {run.title} ({args.format}) to {args.output}"), file=sys.stderr)
    return 0


def _write_utf8(text: str) -> None:
    """An export on stdout is the same UTF-8 document as one written with --output, whatever
    the locale's encoding (which may not hold a name or an em dash)."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()
