"""User text is data, never markup: one place that makes it safe to show or write.

Plain Python, so every layer may use it; screens build Rich Text from it in
:mod:`coptui.tui.text`. Each export, the report and the screens go through these few
functions, so a card, an answer or a name is cleaned, escaped and cut the same way
wherever it appears.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls (ESC, BEL, CSI ...) except tab and newline, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Every control, tab and newline included: what one line of text may not hold.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What formats inline Markdown, opens a link, an HTML tag or an entity, or breaks a table
# or a heading. Every piece of user text in an export sits after a prefix ("## ", "- ", "| "),
# so escaping these is enough for it to read literally.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
ELLIPSIS = "…"


def strip_controls(value: str) -> str:
    """Remove terminal control characters so user text can never drive a terminal."""
    return _CONTROL.sub("", value)


def one_line(value: str) -> str:
    """User text on one line: controls and line breaks become spaces, runs of space one space."""
    return " ".join(_ANY_CONTROL.sub(" ", value).split())


def markdown_inline(value: str) -> str:
    """User text as one line of Markdown that shows it literally: no links, emphasis, HTML,
    headings or table breaks."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))


def char_cells(char: str) -> int:
    """How many terminal cells one character takes: 2 for wide East Asian characters,
    0 for combining marks, 1 otherwise."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cell_width(value: str) -> int:
    """The width of ``value`` in terminal cells."""
    return sum(char_cells(char) for char in value)


def fit(value: str, cells: int) -> str:
    """``value`` cut to at most ``cells`` terminal cells, ending in an ellipsis when cut."""
    if cell_width(value) <= cells:
        return value
    if cells <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for char in value:
        width = char_cells(char)
        if used + width > cells - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + ELLIPSIS
