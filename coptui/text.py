"""User text is data, never markup: one place that makes it safe to show.

``strip_controls`` is plain Python, so the core (exports, feedback) may use it; ``literal``
builds a Rich Text for screens and imports Rich only when called.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.text import Text

# C0 and C1 controls (ESC, BEL, CSI ...) except tab and newline, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(value: str) -> str:
    """Remove terminal control characters so user text can never drive a terminal."""
    return _CONTROL.sub("", value)


def literal(value: object, style: str = "") -> Text:
    """A Rich Text that shows ``value`` exactly as typed (no markup, no escape codes)."""
    from rich.text import Text

    return Text(strip_controls(str(value)), style=style)
