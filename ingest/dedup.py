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
        self._timed: dict[bytes, list[float]] = {}
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
        times = self._timed.get(payload)
        if times is None:
            self._timed[payload] = [ts]
        else:
            window = self.window_s
            for t in times:
                if -window <= ts - t <= window:
                    return True
            times.append(ts)
        if ts > self._max_ts:
            self._max_ts = ts
        if self._n >= self._next_prune:
            self._prune()
        return False

    def _prune(self) -> None:
        horizon = self._max_ts - self.horizon_s
        kept: dict[bytes, list[float]] = {}
        for payload, times in self._timed.items():
            recent = [t for t in times if t >= horizon]
            if recent:
                kept[payload] = recent
        self._timed = kept
        limit = self._n - self.window_lines
        self._untimed = {k: n for k, n in self._untimed.items() if n >= limit}
        self._next_prune = self._n + max(1 << 16, 2 * len(kept))
