"""The live path: several receiver feeds into one embedded runner, in one process.

Each source (``tcp://HOST:PORT``, ``udp://[HOST]:PORT``, ``gpsd://HOST[:2947]``, ``-`` for
stdin; ``NAME=SOURCE`` names it) is read in its own thread; every line is stamped with the
wall-clock time it arrived (ingest/network.py, from an injectable clock) and queued. One loop
decodes the lines (a sentence without a time of its own takes its arrival time; a tag-block or
prefix time wins), feeds the runner, and moves time on when the feed is quiet: the watermark
follows the wall clock from the newest event time seen (like Flink's ``withIdleness`` or Kafka
Streams' wall-clock punctuation), so a vessel that goes dark opens its gap on time even when few
messages come. The detectors stay pure: the runner calls their ``advance(watermark)``.

Feed health is data (:meth:`LiveFeed.health`): per source its state, messages, the time of
its last message, its message rate over the last minute and whether it is in outage (silent
for ``outage_s``). Library code does not print; the CLI owns the terminal.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ingest.decode import NmeaDecoder
from ingest.network import Clock, NetworkSource, StdinSource, is_live
from mda.records import PositionReport, iso_utc
from mda.runner import EmbeddedRunner, Summary

LIVE_LATENESS_S = 10.0  # default allowed lateness of a live feed (arrival times are in order)
_BATCH = 2000  # lines decoded per turn of the loop before the clock is looked at again


class LiveSource(Protocol):
    name: str
    state: str
    connects: int

    def timed_lines(self) -> Any: ...


def is_live_spec(spec: str) -> bool:
    """Whether ``spec`` names a live source: ``tcp://``, ``udp://``, ``gpsd://``, ``-``, or a
    ``NAME=`` one."""
    _, target = split_name(spec)
    return target == "-" or is_live(target)


def split_name(spec: str) -> tuple[str, str]:
    """``NAME=SOURCE`` -> (NAME, SOURCE); a bare source is named by itself."""
    head, sep, rest = spec.partition("=")
    if sep and "://" not in head and head and rest:
        return head, rest
    return spec, spec


def open_live(spec: str, clock: Clock = time.time, stop: threading.Event | None = None,
              idle_timeout_s: float | None = None) -> LiveSource:
    """The live source a command-line SOURCE names (ValueError if it names none)."""
    name, target = split_name(spec)
    if target == "-":
        return StdinSource(name=name, clock=clock)
    if not is_live(target):
        raise ValueError(f"{spec}: not a live source (tcp://HOST:PORT, udp://[HOST]:PORT, "
                         "gpsd://HOST[:PORT], -)")
    src = NetworkSource(target, idle_timeout_s=idle_timeout_s, clock=clock, stop=stop)
    src._addr()  # a malformed address fails now, not in a reader thread
    src.label = name
    return src


def _label(src: LiveSource) -> str:
    return str(getattr(src, "label", None) or src.name)


def _iso(t: float | None) -> str | None:
    return None if t is None else iso_utc(datetime.fromtimestamp(t, UTC))


@dataclass
class SourceHealth:
    """Per-source feed health: what the source did, by the wall clock."""

    name: str
    url: str
    messages: int = 0
    last_message: float | None = None  # wall-clock time of its last line
    first_message: float | None = None
    ended: bool = False
    error: str | None = None
    _seconds: deque[list[float]] = field(default_factory=deque, repr=False)

    def note(self, t: float, n: int = 1) -> None:
        if self.first_message is None:
            self.first_message = t
        self.messages += n
        self.last_message = t
        sec = float(int(t))
        if self._seconds and self._seconds[-1][0] == sec:
            self._seconds[-1][1] += n
        else:
            self._seconds.append([sec, float(n)])

    def rate(self, now: float, window_s: float = 60.0) -> float:
        """Lines per second over the last ``window_s`` (or since its first line)."""
        while self._seconds and self._seconds[0][0] < now - window_s:
            self._seconds.popleft()
        if self.first_message is None:
            return 0.0
        span = min(window_s, max(1.0, now - self.first_message))
        return sum(c for _, c in self._seconds) / span


class LiveFeed:
    """Live sources -> one :class:`EmbeddedRunner` (module docstring).

    ``on_record`` gets every decoded position as soon as it arrives (before event-time
    ordering: what a live picture shows); the runner's own callbacks get what it releases.
    Drive it with :meth:`run`, or step it with :meth:`receive` and :meth:`idle` (tests with a
    fake clock).
    """

    def __init__(self, runner: EmbeddedRunner, sources: Sequence[LiveSource],
                 clock: Clock = time.time, outage_s: float = 60.0, poll_s: float = 0.2,
                 on_record: Callable[[PositionReport], None] | None = None,
                 max_queue: int = 20_000) -> None:
        self.runner = runner
        self.sources = list(sources)
        self.clock = clock
        self.outage_s = outage_s
        self.poll_s = poll_s
        self.on_record = on_record
        self.lateness_s = runner.settings.ingest.allowed_lateness_s
        # Arrival-timed records have their own lateness (ingest.arrival_lateness_s, 0 by
        # default): their stamps are kept non-decreasing here (a reader thread's stamp that
        # lost the race to the queue, or a wall clock stepped back, is raised to the newest
        # stamp seen), so each is released to the detectors at once.
        runner.split_arrival = True
        # Vessels not heard for ingest.evict_after_s are forgotten (from the runner's ticks).
        runner.evict_after_s = runner.settings.ingest.evict_after_s or None
        self._arrival_floor = float("-inf")
        self.decoders: list[NmeaDecoder] = [runner.live_decoder(_label(s)) for s in self.sources]
        self.health_of = [SourceHealth(_label(s), s.name) for s in self.sources]
        self._line_no = [0] * len(self.sources)
        self._anchor: tuple[float, float] | None = None  # (newest event time, wall then)
        # One item per receive of a source (its lines), or (index, None, error or None) when
        # the source failed or ended.
        self._queue: queue.Queue[tuple[int, float | None, list[bytes] | str | None]] = (
            queue.Queue(max_queue))
        self._started = clock()

    # -- stepping --------------------------------------------------------------------------
    def receive(self, index: int, arrival: float, raw: bytes) -> None:
        """One line of source ``index``, received at wall-clock time ``arrival``."""
        self.receive_lines(index, arrival, (raw,))

    def receive_lines(self, index: int, arrival: float, lines: Sequence[bytes]) -> None:
        """The lines of one receive of source ``index`` at wall-clock time ``arrival``:
        decoded, then handed to the runner together (one release for the lot)."""
        self.health_of[index].note(arrival, len(lines))
        if arrival < self._arrival_floor:
            arrival = self._arrival_floor
        else:
            self._arrival_floor = arrival
        decoder = self.decoders[index]
        decoder.arrival = arrival
        n = self._line_no[index]
        if len(lines) > 1:
            decoder.feed_lines(n + 1, list(lines))  # the batch decode path (ingest.fastpos)
        elif lines:
            decoder.feed(n + 1, lines[0])
        self._line_no[index] = n + len(lines)
        self._drain(decoder, arrival)

    def _drain(self, decoder: NmeaDecoder, arrival: float) -> None:
        runner = self.runner
        if decoder.rejects:
            for r in decoder.rejects:
                runner.on_reject(r)
            decoder.rejects.clear()
        if not decoder.out:
            return
        out = list(decoder.out)
        decoder.out.clear()
        if self.on_record is not None:
            for rec, ts, _ in out:
                if ts is not None and type(rec) is PositionReport:
                    self.on_record(rec)
        runner.feed(out)
        newest = runner.max_event_ts
        if newest is not None and (self._anchor is None or newest > self._anchor[0]):
            self._anchor = (newest, arrival)

    def idle(self, now: float | None = None) -> float | None:
        """Move the watermark on with the wall clock: the event clock is the newest event time
        seen plus the wall time since it arrived, less the allowed lateness. Returns the
        watermark (None before the first timed record)."""
        if self._anchor is None:
            return None
        t = self.clock() if now is None else now
        event_now = self._anchor[0] + max(0.0, t - self._anchor[1])
        self.runner.tick(event_now - self.lateness_s)
        return self.runner.watermark

    # -- health ----------------------------------------------------------------------------
    def health(self, now: float | None = None) -> list[dict[str, Any]]:
        """Per source: state, messages, last message time, rate (lines/s over the last
        minute), outage (no line for ``outage_s``, or the source ended or failed); for gpsd
        also ``protocol_lines`` (its JSON reports, skipped: not messages, not rejects) and
        ``notice`` (its last ERROR report)."""
        t = self.clock() if now is None else now
        out = []
        for src, h in zip(self.sources, self.health_of, strict=True):
            since = h.last_message if h.last_message is not None else self._started
            silent = t - since
            outage = h.ended or h.error is not None or silent >= self.outage_s
            out.append({
                "name": h.name, "url": h.url, "state": h.error or src.state,
                "connects": src.connects, "messages": h.messages,
                "last_message": _iso(h.last_message),
                "silent_s": round(max(0.0, silent), 1),
                "rate_per_s": round(h.rate(t), 2),
                "outage": outage,
            })
            if src.name.startswith("gpsd://"):
                out[-1]["protocol_lines"] = getattr(src, "protocol_lines", 0)
                out[-1]["notice"] = getattr(src, "notice", None)
        return out

    # -- running ---------------------------------------------------------------------------
    def _reader(self, index: int, src: LiveSource, stop: threading.Event) -> None:
        put = self._queue.put
        chunks = getattr(src, "timed_chunks", None)
        items = (chunks() if callable(chunks)
                 else ((t, [raw]) for t, raw in src.timed_lines()))
        try:
            for arrival, lines in items:
                put((index, arrival, lines))
                if stop.is_set():
                    break
        except Exception as exc:  # reported in health, never kills the other sources
            put((index, None, f"{type(exc).__name__}: {exc}"))
        finally:
            put((index, None, None))

    def run(self, stop: threading.Event, duration_s: float | None = None,
            on_turn: Callable[[LiveFeed], None] | None = None) -> Summary:
        """Read every source until ``stop`` is set, ``duration_s`` (wall) passed, or every
        source ended; then release what is held and return the summary. ``on_turn`` is
        called about every ``poll_s`` (status lines, a picture's clock)."""
        threads = [threading.Thread(target=self._reader, args=(i, s, stop), daemon=True,
                                    name=f"mda-live-{i}")
                   for i, s in enumerate(self.sources)]
        for th in threads:
            th.start()
        running = len(threads)
        deadline = None if duration_s is None else time.monotonic() + duration_s
        get = self._queue.get
        next_turn = time.monotonic()
        try:
            while running and not stop.is_set():
                if deadline is not None and time.monotonic() >= deadline:
                    break
                try:
                    item = get(timeout=self.poll_s)
                except queue.Empty:
                    item = None
                n = 0
                while item is not None:
                    index, arrival, raw = item
                    if arrival is None:
                        h = self.health_of[index]
                        if isinstance(raw, str):
                            h.error = raw
                        else:
                            h.ended = True
                            running -= 1
                    else:
                        assert isinstance(raw, list)
                        self.receive_lines(index, arrival, raw)
                        n += len(raw)
                    n += 1
                    if n >= _BATCH:
                        break
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        item = None
                if time.monotonic() >= next_turn:
                    next_turn = time.monotonic() + self.poll_s
                    self.idle()
                    if on_turn is not None:
                        on_turn(self)
        finally:
            stop.set()
            for d in self.decoders:
                d.flush()
                self._drain(d, self.clock())
            self.runner.finish()
        return self.runner.summary()
