"""Keys that arrive in one read, as an SSH channel or a fast typist delivers them."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App


def _key_event(app: App[Any], key: str) -> events.Key:
    character = key if len(key) == 1 else {"space": " ", "enter": "\r"}.get(key)
    event = events.Key(key, character)
    event.set_sender(app)
    return event


def post_keys(app: App[Any], *keys: str | events.Paste) -> None:
    """Put every key (and paste) in the app's queue before the first is handled, as a terminal
    driver does with one read. (``pilot.press`` waits for the app to be idle after each key,
    so it cannot show what a burst does.)"""
    for key in keys:
        app.post_message(key if isinstance(key, events.Paste) else _key_event(app, key))
