"""One shape for every problem found in a user's files: file, field path, what is wrong.

A problem is one line whatever the file holds: a value echoed in a message is cut to a few
dozen characters (a 400 KB condition is named by its start and its length), a key with
spaces or newlines is quoted, and no message runs past :data:`MAX_MESSAGE`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from coptui.text import ELLIPSIS, one_line

# How much of a user's value a message echoes, and how long any message may be.
MAX_ECHO = 60
MAX_MESSAGE = 600
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The error type of the rules in definitions.py and community_schema.py: their own message,
# and where under the field it points (a duplicate id is at questions[3].id, not at questions).
RULE = "coptui_rule"


def rule(message: str, *at: str | int) -> PydanticCustomError:
    """A broken rule, for a validator to raise: ``message`` as it is, at the field plus ``at``."""
    # The message travels in the context, not as the template: a template's {braces} would be
    # filled in, and a message quotes user text.
    return PydanticCustomError(RULE, "{message}", {"message": message, "at": list(at)})


def shorten(value: Any, limit: int = MAX_ECHO) -> str:
    """``repr(value)`` for a message, cut to about ``limit`` characters with the full length named."""
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}{ELLIPSIS} ({len(value):,} characters)"
    if isinstance(value, (dict, list)):
        kind = "table" if isinstance(value, dict) else "list"
        text = repr(value) if len(value) <= 8 and _small(value) else ""
        if text and len(text) <= limit:
            return text
        return f"a {kind} of {len(value):,} entries"
    if isinstance(value, int) and not -(10**limit) < value < 10**limit:
        # Python cannot print a whole number of more than 4,300 digits at all.
        return f"a whole number of {value.bit_length():,} bits"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + ELLIPSIS


def listing(names: Collection[str], most: int = 12) -> str:
    """Names joined for an "allowed: ..." list: the first ``most``, then how many in all."""
    shown = [name if len(name) <= 30 else name[:30] + ELLIPSIS for name in islice(names, most)]
    more = f", … ({len(names):,} in all)" if len(names) > len(shown) else ""
    return ", ".join(shown) + more


def _small(value: dict[Any, Any] | list[Any]) -> bool:
    items = value.values() if isinstance(value, dict) else value
    return all(
        not isinstance(item, (dict, list)) and not (isinstance(item, str) and len(item) > MAX_ECHO) for item in items
    )


@dataclass(frozen=True, slots=True)
class Problem:
    """A single, user-facing problem: one line of `coptui validate` output."""

    file: str
    path: str
    message: str

    def __post_init__(self) -> None:
        # Whatever built it, a problem prints as one line of bounded length.
        message = " ".join(_CONTROL.sub(" ", self.message).split())
        if len(message) > MAX_MESSAGE:
            message = message[:MAX_MESSAGE] + ELLIPSIS
        object.__setattr__(self, "message", message)
        if _CONTROL.search(self.file):
            object.__setattr__(self, "file", repr(self.file)[1:-1])
        if _CONTROL.search(self.path):
            object.__setattr__(self, "path", repr(self.path)[1:-1])

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        # A file name, a key or a value quoted from the file may hold escape codes or line breaks.
        return one_line(f"{where}: {self.message}")


def field_path(loc: Sequence[str | int]) -> str:
    """Turn a location such as ('questions', 2, 'scale') into questions[2].scale.

    A key that is not a plain name (spaces, dots, newlines, or very long) is quoted and cut."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        name = part if _PLAIN_KEY.fullmatch(part) else shorten(part, 30)
        out = f"{out}.{name}" if out else name
    return out


def _clean_loc(loc: Sequence[str | int], data: Any) -> list[str | int]:
    """The part of a pydantic location that the user wrote, found by walking their data.

    Pydantic adds its own tags to a location (``bool`` and ``literal['soft']`` for the
    members of a union, ``function-after[...]`` for validators); users never wrote those.
    A step is kept while it names a key or an index of the data; one step more is kept when
    it names a field that is missing or defaulted; the rest are tags."""
    kept: list[str | int] = []
    node = data
    for part in loc:
        in_table = isinstance(node, Mapping) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_table or in_list:
            node = node[part]
        elif isinstance(node, Mapping) and isinstance(part, str) and "[" not in part:
            kept.append(part)  # a missing field, or a default a rule refused
            break
        else:
            break
        kept.append(part)
    return kept


def problems_from_validation(
    file: Path | str, error: ValidationError, data: Any, *, prefix: Sequence[str | int] = ()
) -> list[Problem]:
    """One problem per error of a validation of ``data`` (the raw table read from ``file``).

    The members of a union each report on the same value; only the first of those is kept."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for item in error.errors(include_url=False):
        loc = [*prefix, *_clean_loc(item["loc"], data)]
        message = item["msg"]
        if item.get("type") == RULE:
            context = item.get("ctx", {})
            loc = [*loc, *context.get("at", [])]
            message = str(context.get("message", message))
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        else:
            message = _friendly(item, message)
        path = field_path(loc)
        if path in seen:
            continue
        seen.add(path)
        problems.append(Problem(str(file), path, message))
    return problems


def _friendly(item: ErrorDetails, message: str) -> str:
    kind = item.get("type", "")
    value = item.get("input")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (check its spelling)"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"{shorten(value)} is not allowed; allowed: {expected}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{shorten(value)} is out of range: {message.lower()}"
    if kind in {"string_type", "int_type", "int_parsing", "float_type", "float_parsing", "bool_type", "bool_parsing"}:
        return f"{_WANTED.get(kind, message)}, not {_described(value)}"
    if kind in {"list_type", "dict_type", "model_type", "model_attributes_type"}:
        wanted = "a list [...]" if kind == "list_type" else "a table"
        return f"takes {wanted}, not {_described(value)}"
    if kind == "finite_number":
        return f"takes a finite number, not {shorten(value)}"
    if kind == "int_from_float":
        return f"takes a whole number, not {shorten(value)}"
    if kind == "string_too_short":
        return "is empty; write the text shown to members"
    if kind in {"too_short", "too_long"}:
        context = item.get("ctx", {})
        if kind == "too_short":
            least = context.get("min_length", 1)
            return f"needs at least {_entries(least)}, not {context.get('actual_length', 0)}"
        return f"takes at most {_entries(context.get('max_length', 0))}, not {context.get('actual_length', '')}"
    return message


def _entries(count: Any) -> str:
    return f"{count} entry" if count == 1 else f"{count} entries"


_WANTED = {
    "string_type": "takes text in quotes",
    "int_type": "takes a whole number",
    "int_parsing": "takes a whole number",
    "float_type": "takes a number",
    "float_parsing": "takes a number",
    "bool_type": "takes true or false",
    "bool_parsing": "takes true or false",
}


def _described(value: Any) -> str:
    """A user's value named by its TOML type, with the value itself when it is short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"the text {shorten(value)}"
    return shorten(value)
