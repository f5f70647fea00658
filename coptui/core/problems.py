"""One shape for every problem found in a user's files: file, field path, what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from coptui.text import one_line


@dataclass(frozen=True, slots=True)
class Problem:
    """A single, user-facing problem: one line of `coptui validate` output."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        # A file name, a key or a value quoted from the file may hold escape codes or line breaks.
        return one_line(f"{where}: {self.message}")


def field_path(loc: Sequence[str | int]) -> str:
    """Turn a pydantic location such as ('questions', 2, 'scale') into questions[2].scale."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif out:
            out += f".{part}"
        else:
            out = str(part)
    return out


def _clean_loc(loc: Sequence[str | int]) -> list[str | int]:
    # Discriminated unions and function validators insert their own tags
    # ("survey", "function-after[...]") into the location; users never wrote those.
    return [p for p in loc if isinstance(p, int) or ("[" not in p and "-" not in p)]


# Model-level checks name the field they are about first ("scale 12 is out of range ...");
# those fields join the path so that every line points at the exact field.
_LEADING_FIELDS = frozenset(
    {
        "scale",
        "labels",
        "options",
        "na",
        "min_responses",
        "min_text_responses",
        "allow_edit",
        "phases",
        "target",
        "question",
        "survey",
    }
)


def _refine(loc: list[str | int], message: str) -> list[str | int]:
    first = message.split(" ", 1)[0]
    return [*loc, first] if first in _LEADING_FIELDS else loc


def problems_from_validation(
    file: Path | str, error: ValidationError, *, prefix: Sequence[str | int] = ()
) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = [*prefix, *_clean_loc(item["loc"])]
        message = item["msg"]
        if message.startswith("Value error, "):
            message = message[len("Value error, ") :]
            loc = _refine(loc, message)
        problems.append(Problem(str(file), field_path(loc), _friendly(item, message)))
    return problems


def _friendly(item: ErrorDetails, message: str) -> str:
    kind = item.get("type", "")
    if kind == "missing":
        return "is required but missing"
    if kind == "extra_forbidden":
        return "is not a known field (check its spelling)"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        return f"{item.get('input')!r} is not allowed; allowed: {expected}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return f"{item.get('input')!r} is out of range: {message.lower()}"
    return message
