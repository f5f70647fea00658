"""User text is data, never markup: one place that makes it safe to show.

Plain Python, so every layer may use it; screens build Rich Text from it in
:mod:`coptui.tui.text`.
"""

from __future__ import annotations

import re

# C0 and C1 controls (ESC, BEL, CSI ...) except tab and newline, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(value: str) -> str:
    """Remove terminal control characters so user text can never drive a terminal."""
    return _CONTROL.sub("", value)
