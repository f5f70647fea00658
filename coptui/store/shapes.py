"""Whether a file's records have the shapes tables.py declares: the check that turns valid JSON
of the wrong shape into a damaged file, refused like one cut short.

The checks are built from the ``TypedDict`` declarations themselves (so a new field is
checked the day it is declared) and run once per version of a file (the store remembers
the signature of each file that passed). What is checked:

- every table the file's shape declares holds objects of one of the declared record shapes:
  each required field present, each declared field of its declared type (a whole number is
  never ``true``; a text never ``null`` unless declared so); fields not declared are left
  alone, except in a run's record, which must hold exactly its fields;
- a run's record: its kind and state among the known ones, its dates real dates;
- the index: every key a run id, every record of ``runs`` the record of the run it is filed
  under; a run file: its record is the run its file is named after.

Tables a shape does not declare are not looked at.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, Literal, Union

from coptui.store import tables
from coptui.store.layout import is_run_id

# A check returns what is wrong, in words, or None.
Check = Callable[[Any], str | None]

_WORDS: dict[type, str] = {
    str: "a text",
    int: "a whole number",
    bool: "true or false",
    float: "a number",
    type(None): "null",
    dict: "an object",
    list: "a list",
}


def _what(value: Any) -> str:
    if isinstance(value, float):
        return "a number"
    return _WORDS.get(type(value), "a value")


def _plain(expected: type) -> Check:
    word = _WORDS[expected]

    def check(value: Any) -> str | None:
        # type() rather than isinstance: JSON's true is no whole number here.
        return None if type(value) is expected else f"is {_what(value)}, not {word}"

    return check


def _any(value: Any) -> str | None:
    return None


def _compile(shape: Any) -> Check:
    if shape is Any:
        return _any
    if shape in _WORDS:
        return _plain(shape)
    if shape is None:
        return _plain(type(None))
    origin = typing.get_origin(shape)
    if origin is Literal:
        allowed = typing.get_args(shape)
        listed = ", ".join(repr(a) for a in allowed)
        return lambda value: None if value in allowed and type(value) is str else f"is not one of {listed}"
    if origin in (Union, types.UnionType):
        arms = [_compile(arm) for arm in typing.get_args(shape)]

        def one_of(value: Any) -> str | None:
            first = None
            for arm in arms:
                problem = arm(value)
                if problem is None:
                    return None
                first = first or problem
            return first

        return one_of
    if origin is dict:
        _, value_shape = typing.get_args(shape)
        return _mapping(_compile(value_shape))
    if origin is list:
        (item_shape,) = typing.get_args(shape)
        item = _compile(item_shape)

        def items(value: Any) -> str | None:
            if type(value) is not list:
                return f"is {_what(value)}, not a list"
            for n, element in enumerate(value):
                problem = item(element)
                if problem is not None:
                    return f"item {n} {problem}"
            return None

        return items
    if typing.is_typeddict(shape):
        return _record(shape)
    raise TypeError(f"tables.py declares a type the shape check does not know: {shape!r}")


def _mapping(value_check: Check) -> Check:
    def mapping(value: Any) -> str | None:
        if type(value) is not dict:
            return f"is {_what(value)}, not an object"
        for key, element in value.items():
            problem = value_check(element)
            if problem is not None:
                return f"[{_short(key)}] {problem}"
        return None

    return mapping


def _record(shape: Any) -> Check:
    hints = typing.get_type_hints(shape)
    fields = {name: _compile(hint) for name, hint in hints.items()}
    required = frozenset(shape.__required_keys__)
    exact = shape is tables.RunRecord
    extra_check = _EXTRA_CHECKS.get(shape)

    def record(value: Any) -> str | None:
        if type(value) is not dict:
            return f"is {_what(value)}, not an object"
        missing = sorted(required - value.keys())
        if missing:
            return f"has no field {missing[0]!r}"
        for name, element in value.items():
            check = fields.get(name)
            if check is None:
                if exact:
                    return f"has a field {_short(name)!r} that a run's record does not have"
                continue
            problem = check(element)
            if problem is not None:
                return f"field {name!r} {problem}"
        return extra_check(value) if extra_check else None

    return record


def _run_record_values(record: dict[str, Any]) -> str | None:
    for name in ("opened_on", "closes_on", "closed_on"):
        value = record.get(name)
        if value is None and name != "opened_on":
            continue
        try:
            date.fromisoformat(str(value))
        except (TypeError, ValueError):
            return f"field {name!r} is not a date (YYYY-MM-DD)"
    if record["members"] < 0:
        return "field 'members' is below 0"
    return None


_EXTRA_CHECKS: dict[Any, Callable[[dict[str, Any]], str | None]] = {tables.RunRecord: _run_record_values}


def _short(text: Any, limit: int = 40) -> str:
    """A key or value as a message may quote it: never the whole of a long one."""
    shown = str(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@cache
def _table_checks(file_shape: Any) -> dict[str, Check]:
    hints = typing.get_type_hints(file_shape)
    return {name: _compile(hint) for name, hint in hints.items() if name != tables.META_KEY}


def _tables_problem(file_shape: Any, data: dict[str, Any]) -> str | None:
    for name, check in _table_checks(file_shape).items():
        if name in data:
            problem = check(data[name])
            if problem is not None:
                return _wrong_shape(f"{name}{problem if problem.startswith('[') else ' ' + problem}")
    return None


def _wrong_shape(problem: str) -> str:
    return f"holds records of the wrong shape ({problem})"


def index_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the records of an index, in words that follow the file's name; or None."""
    for name in (tables.RUNS_TABLE, tables.PENDING_TABLE, tables.SUMMARIES):
        table = data.get(name)
        if isinstance(table, dict):
            for key in table:
                if not is_run_id(key):
                    return _wrong_shape(f"{name}[{_short(key)}]: the key is not a run id")
    problem = _tables_problem(tables.IndexFile, data)
    if problem is not None:
        return problem
    for run_id, record in data.get(tables.RUNS_TABLE, {}).items():
        if record["id"] != run_id:
            return f"files the run {_short(record['id'])!r} under {run_id!r}"
    return None


def actions_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with the records of actions.json, or None."""
    return _tables_problem(tables.ActionsFile, data)


def run_file_problem(data: dict[str, Any], run_id: str) -> str | None:
    """What is wrong with the records of the file of ``run_id``, or None."""
    problem = _tables_problem(tables.RunFile, data)
    if problem is not None:
        return problem
    meta = data.get(tables.RUN_META_TABLE, {})
    for key in meta:
        if key != tables.RUN_META_KEY:
            return _wrong_shape(f"{tables.RUN_META_TABLE}[{_short(key)}]: only {tables.RUN_META_KEY!r} belongs there")
    record = meta.get(tables.RUN_META_KEY)
    if record is not None and record["id"] != run_id:
        # An admin's copy (x.bak.json) of another run's file: taken for that run, it would
        # take answers meant for it and could release its results while it is still open.
        return f"holds the run {_short(record['id'])!r}, not {run_id!r} (a copy of another run's file?)"
    return None
