"""The server's log: one JSON object per line for every connect, refusal and disconnect
(handle, key fingerprint, TERM, size, duration, reason), never anything a member typed."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from coptui.serve.options import ServeOptions

LOG_FILE = "serve.log"


class EventLog:
    """One JSON object per line: connects, refusals, disconnects. Never answer text."""

    def __init__(self, stream: IO[str], **always: Any) -> None:
        self._stream = stream
        self._always = always  # fields of every record (the worker's number)

    @classmethod
    def open(cls, path: Path | None, data_dir: Path, **always: Any) -> EventLog:
        if path is not None and str(path) == "-":
            return cls(sys.__stderr__ or sys.stderr, **always)
        path = path or data_dir / LOG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        # Appended line by line: with --workers, several processes write the same file.
        # Readable by its owner only, like the rest of the data folder: it says who connected when.
        stream = open(path, "a", encoding="utf-8", buffering=1, opener=lambda name, flags: os.open(name, flags, 0o600))  # noqa: SIM115
        return cls(stream, **always)

    def write(self, event: str, **fields: Any) -> None:
        record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event, **self._always}
        record.update({k: v for k, v in fields.items() if v is not None})
        try:
            self._stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._stream.flush()
        except (OSError, ValueError):  # a full disk must not take the sessions down
            pass

    def close(self) -> None:
        if self._stream not in (sys.__stderr__, sys.stderr):
            self._stream.close()


def serve_log_note(options: ServeOptions, event: str, **fields: Any) -> None:
    """One record in the server's log from outside a server (the supervisor of the workers)."""
    assert options.data_dir is not None
    log = EventLog.open(options.log_path, options.data_dir)
    log.write(event, **fields)
    log.close()


def client_text(value: str | None, limit: int = 64) -> str | None:
    """Text the client chose (TERM, user name): logged, but kept short and printable."""
    if value is None:
        return None
    return "".join(ch if ch.isprintable() else "?" for ch in value[:limit])
