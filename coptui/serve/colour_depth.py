"""Fit a truecolor terminal stream to a client with fewer colours.

Why not let each session's console render at its own depth: Textual and Rich cache what a
style renders to on objects that every session in a `coptui serve` process shares (Rich's
``Style._ansi``, Textual's ``Strip._render_cache``, the process-wide ``Strip.blank``
cache, and the retro board's strips shared on purpose). Whichever session drew a style
first decided its codes for everyone: a 256-colour terminal got 24-bit codes after a
truecolor member had drawn the same screen. So every session renders in truecolor, one
consistent set of cached codes, and the driver rewrites the colour parameters of each SGR
sequence (``ESC [ ... m``) for its own client on the way out.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rich.color import Color, ColorSystem

SGR = re.compile(r"\x1b\[([0-9;]*)m")
# "none" (NO_COLOR) is no colour system: every colour parameter is left out.
_SYSTEMS = {"256": ColorSystem.EIGHT_BIT, "standard": ColorSystem.STANDARD, "none": None}
# SGR parameters that set a colour in one number: 8 and 16 colours, foreground and background.
_ONE_NUMBER_COLOURS = frozenset(str(n) for n in (*range(30, 38), *range(40, 48), *range(90, 98), *range(100, 108)))


def downgrade(text: str, color_system: str) -> str:
    """``text`` with every 24-bit (and, for "standard", 8-bit) colour in its SGR sequences
    replaced by the nearest colour of ``color_system`` ("256" or "standard"), or left out
    ("none": a client that asked for NO_COLOR gets bold, underline and reverse, no colour);
    other text and other parameters unchanged. "truecolor" returns ``text`` as it is."""
    if color_system not in _SYSTEMS or "\x1b[" not in text:
        return text
    if len(text) >= _WHOLE_SCREEN:
        return _downgrade_screen(text, color_system)
    return _downgrade(text, color_system)


# Output this long is a screen or most of one. In `coptui serve` a change often gives many
# sessions the very same screen at once (a reveal: every member's board): fitted once.
_WHOLE_SCREEN = 2048


@lru_cache(maxsize=16)
def _downgrade_screen(text: str, color_system: str) -> str:
    return _downgrade(text, color_system)


def _downgrade(text: str, color_system: str) -> str:
    return SGR.sub(lambda match: _sequence(match.group(1), color_system), text)


@lru_cache(maxsize=4096)
def _sequence(params: str, color_system: str) -> str:
    target = _SYSTEMS[color_system]
    parts = params.split(";")
    out: list[str] = []
    index = 0
    while index < len(parts):
        part = parts[index]
        if part in ("38", "48", "58") and index + 1 < len(parts):
            kind = parts[index + 1]
            if kind == "2" and index + 4 < len(parts):
                if target is not None:
                    out.extend(_codes(part, _rgb(parts[index + 2 : index + 5]), target))
                index += 5
                continue
            if kind == "5" and index + 2 < len(parts):
                if target == ColorSystem.STANDARD and parts[index + 2].isdigit():
                    out.extend(_codes(part, Color.from_ansi(min(int(parts[index + 2]), 255)), target))
                elif target is not None:
                    out.extend(parts[index : index + 3])
                index += 3
                continue
        if target is None and part in _ONE_NUMBER_COLOURS:
            index += 1
            continue
        out.append(part)
        index += 1
    if not out and params:
        return ""  # only colours, all left out: an empty ESC [ m would reset every attribute
    return f"\x1b[{';'.join(out)}m"


def _rgb(values: list[str]) -> Color:
    red, green, blue = (min(int(v), 255) if v.isdigit() else 0 for v in values)
    return Color.from_rgb(red, green, blue)


def _codes(prefix: str, color: Color, target: ColorSystem) -> list[str]:
    lowered = color.downgrade(target)
    number = lowered.number if lowered.number is not None else 0
    if target == ColorSystem.EIGHT_BIT:
        return [prefix, "5", str(number)]
    if prefix == "58":
        return []  # underline colour: standard terminals have none
    base = 30 if prefix == "38" else 40
    return [str(base + number) if number < 8 else str(base + 60 + number - 8)]
