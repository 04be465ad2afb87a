"""A logging filter that lets a repeated message through with exponential backoff.

Kafka clients log a connection error on every poll while the broker is away (about ten lines
per 100 ms seen from a worker). The CLI puts :class:`Backoff` on its log handler, and for the
Kafka clients' loggers (``prefixes``) the same message (same logger, same format string) is
written once, then again after 1 s, 2 s, 4 s ... up to ``max_s``, each time with how many were
held back; a message not repeated for ``max_s`` starts again at once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class Backoff(logging.Filter):
    def __init__(self, first_s: float = 1.0, max_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic,
                 prefixes: tuple[str, ...] = ("aiokafka", "kafka", "mda.producer")) -> None:
        super().__init__()
        self.prefixes = prefixes
        self.first_s = first_s
        self.max_s = max_s
        self._clock = clock
        # (logger, format string) -> (next time it may pass, current delay, held back)
        self._seen: dict[tuple[str, str], tuple[float, float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(self.prefixes):
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        seen = self._seen.get(key)
        if seen is None or now >= seen[0] + self.max_s:
            self._seen[key] = (now + self.first_s, self.first_s, 0)
            return True
        due, delay, held = seen
        if now < due:
            self._seen[key] = (due, delay, held + 1)
            return False
        delay = min(delay * 2, self.max_s)
        self._seen[key] = (now + delay, delay, 0)
        if held:
            record.msg = f"{record.msg} ({held} similar messages held back)"
        return True


def install(handler: logging.Handler) -> Backoff:
    """Put a :class:`Backoff` on ``handler`` (the CLI's logging set-up)."""
    f = Backoff()
    handler.addFilter(f)
    return f
