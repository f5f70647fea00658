"""User text is data, never markup: one place that makes it safe to show or write.

Plain Python, so every layer may use it; screens build Rich Text from it in
:mod:`coptui.tui.text`. Each export, the report and the screens go through these few
functions, so a card, an answer or a name is cleaned, escaped and cut the same way
wherever it appears.
"""

from __future__ import annotations

import re
import unicodedata

# The invisible characters that reorder how text around them is shown (the "Trojan Source"
# trick: a name or a card that reads differently from what it holds): the embeddings and
# overrides U+202A to U+202E, the isolates U+2066 to U+2069, and the marks U+200E, U+200F
# and U+061C. Without them, right-to-left text still shows right to left: the Unicode
# algorithm orders it by its letters, and only the overrides can disguise it.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
# C0 and C1 controls (ESC, BEL, CSI ...) except tab and newline, DEL, and the bidi controls.
_CONTROL = re.compile(f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f{BIDI_CONTROLS}]")
# The line and paragraph separators break a line like a newline in some viewers and not in
# others (a terminal shows nothing): kept text shows them as the newline they mean.
_SEPARATOR = re.compile("[\u2028\u2029]")
# Every control, tab, newline and separator: what one line of text may not hold.
_ANY_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\u2028\u2029]")
# A lone surrogate is what Python makes of bytes that are not UTF-8 (a command-line argument,
# say); no UTF-8 file or terminal can take one, so it shows as the replacement character.
_SURROGATE = re.compile("[\ud800-\udfff]")
# What formats inline Markdown, opens a link, an HTML tag or an entity, or breaks a table
# or a heading. Every piece of user text in an export sits after a prefix ("## ", "- ", "| "),
# so escaping these is enough for it to read literally.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
# What opens a list, a numbered list, a rule or a heading underline at the start of a line:
# after "- " it would nest a list inside the item ("- - x", "- 1. x", "- ---"), so it is
# escaped too (an escaped "-" still reads "-").
_MARKDOWN_LINE_START = re.compile(r"^(?:([-+=])|(\d+)([.)])(?=\s|$))")
# What a JSON text may still hold raw once json.dumps has escaped C0: DEL and C1, the
# separators, the bidi controls and lone surrogates. Each is written as its \u escape.
_JSON_UNSAFE = re.compile(f"[\\x7f-\\x9f\u2028\u2029{BIDI_CONTROLS}\ud800-\udfff]")
ELLIPSIS = "…"


def strip_controls(value: str) -> str:
    """Remove terminal control and bidi characters so user text can never drive a terminal
    or disguise itself; tab and newline stay, a line separator becomes a newline and a lone
    surrogate the replacement character."""
    return _SURROGATE.sub("\ufffd", _SEPARATOR.sub("\n", _CONTROL.sub("", value)))


def one_line(value: str) -> str:
    """User text on one line: controls and line breaks become spaces, runs of space one space."""
    # A bidi control sits inside a word: it goes without leaving a space.
    return " ".join(_ANY_CONTROL.sub(" ", _SURROGATE.sub("\ufffd", _BIDI.sub("", value))).split())


def markdown_inline(value: str) -> str:
    """User text as one line of Markdown that shows it literally: no links, emphasis, HTML,
    headings or table breaks."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", one_line(value))
    return _MARKDOWN_LINE_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", escaped)


def json_safe(text: str) -> str:
    """A JSON text (from ``json.dumps``) with every control, bidi character and lone surrogate
    written as its ``\\u`` escape: the data keeps exactly what was typed, and the file can be
    shown in a terminal or an editor without driving or disguising anything. Outside strings
    JSON holds only ASCII, so each such character is inside a string, where the escape is
    the same character to every JSON reader."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


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
