"""In-process pub/sub: every open screen (local or one per SSH session) hears of every change.

The store publishes a :class:`~coptui.store.layout.Change` after each write is safely on disk,
from whatever thread made it; a file watcher publishes changes made by other processes.
Subscribers are called in the publishing thread and must hand the news to their own
event loop (the app does this with ``loop.call_soon_threadsafe``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from coptui.store.layout import Change

Subscriber = Callable[[Change], None]


class Hub:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, change: Change) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(change)
            except Exception:
                continue
