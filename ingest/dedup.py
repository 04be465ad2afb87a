"""Duplicate receptions: the same AIS payload heard by several receivers."""

from __future__ import annotations


class Deduplicator:
    """Remembers recent payloads. A payload seen again within ``window_s`` seconds of event time
    (or, when the input carries no time, within ``window_lines`` messages) is a duplicate.

    Memory is bounded: entries older than the window are pruned as the stream advances.
    """

    def __init__(self, window_s: float = 2.0, window_lines: int = 100_000) -> None:
        self.window_s = window_s
        self.window_lines = window_lines
        self._seen: dict[bytes, tuple[float | None, int]] = {}
        self._n = 0
        self._max_ts = float("-inf")
        self._next_prune = 4096

    def is_duplicate(self, payload: bytes, ts: float | None) -> bool:
        self._n += 1
        n = self._n
        prev = self._seen.get(payload)
        if prev is not None:
            pts, pn = prev
            if ts is not None and pts is not None:
                if abs(ts - pts) <= self.window_s:
                    return True
            elif ts is None and pts is None and n - pn <= self.window_lines:
                return True
            del self._seen[payload]  # re-insert at the end: dict order is arrival order
        self._seen[payload] = (ts, n)
        if ts is not None and ts > self._max_ts:
            self._max_ts = ts
        if len(self._seen) >= self._next_prune:
            self._prune()
        return False

    def _prune(self) -> None:
        horizon_ts = self._max_ts - 2 * self.window_s - 3600.0
        horizon_n = self._n - self.window_lines
        self._seen = {
            k: v for k, v in self._seen.items()
            if (v[0] is not None and v[0] >= horizon_ts) or (v[0] is None and v[1] >= horizon_n)
        }
        self._next_prune = max(4096, 2 * len(self._seen))
