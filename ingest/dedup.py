"""Duplicate receptions: the same AIS payload heard by several receivers."""

from __future__ import annotations


class Deduplicator:
    """Remembers recent payloads. A payload is a duplicate when the same payload was accepted
    within ``window_s`` seconds of event time, before or after it (so the decision does not
    depend on which of several merged inputs was read first); when the input carries no time,
    within the last ``window_lines`` messages.

    Memory is bounded: times older than ``horizon_s`` behind the newest time are pruned.
    """

    def __init__(self, window_s: float = 2.0, window_lines: int = 100_000,
                 horizon_s: float = 3 * 3600.0) -> None:
        self.window_s = window_s
        self.window_lines = window_lines
        self.horizon_s = horizon_s
        # payload -> first accepted time; payloads accepted more than once (a moored vessel
        # repeats itself) keep their other times in _more. Floats are not tracked by the
        # garbage collector, so a large table costs it nothing.
        self._first: dict[bytes, float] = {}
        self._more: dict[bytes, list[float]] = {}
        self._untimed: dict[bytes, int] = {}
        self._n = 0
        self._max_ts = float("-inf")
        self._next_prune = 1 << 16

    def is_duplicate(self, payload: bytes, ts: float | None) -> bool:
        self._n += 1
        if ts is None:
            prev = self._untimed.get(payload)
            self._untimed[payload] = self._n
            if prev is not None and self._n - prev <= self.window_lines:
                self._untimed[payload] = prev  # keep the first copy's position
                return True
            return False
        first = self._first.get(payload)
        if first is None:
            self._first[payload] = ts
        else:
            window = self.window_s
            if -window <= ts - first <= window:
                return True
            more = self._more.get(payload)
            if more is None:
                self._more[payload] = [ts]
            else:
                for t in more:
                    if -window <= ts - t <= window:
                        return True
                more.append(ts)
        if ts > self._max_ts:
            self._max_ts = ts
        if self._n >= self._next_prune:
            self._prune()
        return False

    def _prune(self) -> None:
        horizon = self._max_ts - self.horizon_s
        more = self._more
        kept: dict[bytes, float] = {}
        kept_more: dict[bytes, list[float]] = {}
        for payload, first in self._first.items():
            extra = more.get(payload)
            if extra is not None:
                recent = [t for t in extra if t >= horizon]
                if first < horizon and recent:
                    first = recent.pop(0)
                if recent:
                    kept_more[payload] = recent
            if first >= horizon:
                kept[payload] = first
        self._first = kept
        self._more = kept_more
        limit = self._n - self.window_lines
        self._untimed = {k: n for k, n in self._untimed.items() if n >= limit}
        self._next_prune = self._n + max(1 << 16, 2 * len(kept))
