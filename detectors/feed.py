"""Feed health in event time: a source (a receiving station, a live feed) that falls silent or
whose rate collapses raises a ``feed_outage`` alert, and the gap detector does not call the
vessels last heard through it dark while it is down (issue 10; issue 9's per-station coverage).

A report's ``source`` is the receiving station the input names (NMEA tag block ``s:``, a
trailing station field) or else the input's own name (a file, a live source's label), so a
file with one receiver is one source, a tag-blocked feed of many stations is many.

:class:`SourceWatch` is the shared, pure bookkeeping (the feed detector and the gap detector
each hold one, fed the same reports, so they agree). A source is *down*:

* ``silent``: nothing heard from it for longer than ``outage_s``, or ``outage_factor`` times
  its usual interval between messages if that is longer (a quiet receiver on a quiet coast is
  not in outage after ten minutes without a ship), once it has sent ``min_messages``;
* ``rate_collapse``: in a ``bucket_s`` window it sent less than ``collapse_ratio`` of its usual
  count (a moving average over earlier windows, at least ``collapse_min_count``): the
  antenna, cable or uplink is failing while a few messages still come. It is up again after a
  window with at least half its usual count. Only a busy source (``collapse_min_count``
  positions a window, i.e. an aggregated feed) is judged so: on a single receiver's coast the
  rate falls that far at night when the traffic does (measured on the Vernon capture).

Event time only (the watermark); in a live run the watermark follows the wall clock when the
feed is quiet (mda/live.py), so a silent feed is seen on time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from detectors.base import NO_ALERTS, Detector, DetectorContext, DetectorSettings, Preset
from mda.records import Alert, AlertKind, PositionReport, alert_id, iso_utc

KIND: AlertKind = "feed_outage"
_RECENT = 8  # vessels remembered per source and window (enough to count min_vessels)
SILENT = "silent"
COLLAPSE = "rate_collapse"


@dataclass(frozen=True, slots=True)
class FeedSettings(DetectorSettings):
    outage_s: float = 600.0
    outage_factor: float = 30.0
    min_messages: int = 20
    bucket_s: float = 600.0
    collapse_ratio: float = 0.1
    collapse_min_count: float = 300.0
    # A source is judged only while it serves several vessels: this many heard through it in
    # the ``vessel_window_s`` before it went down (a file of a few hand-picked tracks is not
    # a feed whose silence means anything).
    min_vessels: int = 3
    vessel_window_s: float = 3600.0


PRESETS: dict[Preset, FeedSettings] = {
    "watch": FeedSettings(),
    "skylight": FeedSettings(),
    "gfw": FeedSettings(),
}


@dataclass(slots=True)
class _Source:
    first_t: float
    last_t: float
    messages: int = 0
    ew_interval: float = 0.0  # usual interval between its messages (moving average)
    bucket: int = 0  # index of the current rate window
    count: int = 0  # messages in it
    ew_count: float = 0.0  # usual messages per window
    windows: int = 0  # complete windows seen
    collapsed_since: float | None = None  # start of the window its rate collapsed in
    resumed: int = -1  # the window it came back in after a silence (partial: not judged)
    collapse_vessels: int = 0  # vessels it served when its rate collapsed
    window_end: float = 0.0  # event time the current rate window ends
    hour_end: float = 0.0  # ... and the current vessel window
    # A few of the vessels heard through it in the current and the previous vessel window.
    hour: int = 0
    now_vessels: set[int] = field(default_factory=set)
    prev_vessels: set[int] = field(default_factory=set)
    lat: float = 0.0  # where it hears (mean of recent positions), for the map
    lon: float = 0.0


class SourceWatch:
    """Per-source last message, usual interval and rate windows, in event time."""

    __slots__ = ("_next", "complete_until", "settings", "sources")

    def __init__(self, settings: FeedSettings) -> None:
        self.settings = settings
        self.sources: dict[str, _Source] = {}
        self._next = float("inf")  # no rate window ends before this
        # The input's owner says every source was up until then (``mda replay --until``).
        self.complete_until = float("-inf")

    def hear(self, report: PositionReport, t: float) -> None:
        # Called for every position (twice: the feed and the gap detectors): kept lean, the
        # window and vessel-window roll-overs computed only when a boundary is crossed.
        s = self.sources.get(report.source)
        cfg = self.settings
        if s is None:
            b = math.floor(t / cfg.bucket_s)
            h = math.floor(t / cfg.vessel_window_s)
            s = _Source(t, t, bucket=b, lat=report.lat, lon=report.lon, hour=h,
                        window_end=(b + 1) * cfg.bucket_s,
                        hour_end=(h + 1) * cfg.vessel_window_s)
            self.sources[report.source] = s
            self._next = min(self._next, s.window_end)
        else:
            dt = t - s.last_t
            if dt > 0:
                ew = s.ew_interval
                if dt > cfg.outage_s and dt > cfg.outage_factor * ew:
                    # Back from a silence: the silence explained it all.
                    s.resumed = math.floor(t / cfg.bucket_s)
                    s.collapsed_since = None
                s.ew_interval = dt if ew == 0.0 else 0.95 * ew + 0.05 * dt
                s.last_t = t
            if t >= s.window_end:
                b = math.floor(t / cfg.bucket_s)
                self._close_windows(s, b)
        s.messages += 1
        s.count += 1
        if t >= s.hour_end:
            h = math.floor(t / cfg.vessel_window_s)
            s.prev_vessels = s.now_vessels if h == s.hour + 1 else set()
            s.now_vessels = set()
            s.hour = h
            s.hour_end = (h + 1) * cfg.vessel_window_s
        vessels = s.now_vessels
        if len(vessels) < _RECENT:
            vessels.add(report.mmsi)
        s.lat += (report.lat - s.lat) * 0.01
        s.lon += (report.lon - s.lon) * 0.01

    def _close_windows(self, s: _Source, upto: int) -> None:
        """Windows before ``upto`` are complete: judge each (the empty ones too)."""
        cfg = self.settings
        first = s.bucket
        for i in range(first, min(upto, first + 1000)):
            n = s.count if i == first else 0
            # The first window, and the one it came back in after a silence, are partial.
            full = i > math.floor(s.first_t / cfg.bucket_s) and i != s.resumed
            if full:
                usual = s.ew_count
                if s.collapsed_since is None:
                    if n == 0:
                        pass  # a silent window says nothing of its usual rate
                    elif (s.windows >= 3 and usual >= cfg.collapse_min_count
                            and n < cfg.collapse_ratio * usual):
                        s.collapsed_since = i * cfg.bucket_s
                        s.collapse_vessels = len(s.now_vessels | s.prev_vessels)
                    else:
                        s.ew_count = n if s.windows == 0 else 0.8 * usual + 0.2 * n
                        s.windows += 1
                elif n >= 0.5 * usual:
                    s.collapsed_since = None
                    s.ew_count = 0.8 * usual + 0.2 * n
                    s.windows += 1
        s.bucket = upto
        s.window_end = (upto + 1) * cfg.bucket_s
        s.count = 0

    def silence_s(self, s: _Source) -> float:
        """How long it may be silent before it is down."""
        return max(self.settings.outage_s, self.settings.outage_factor * s.ew_interval)

    def vessels_before(self, s: _Source) -> int:
        """Vessels heard through ``s`` in the ``vessel_window_s`` window of its last message and
        the one before (up to a few: enough to tell a feed from a few hand-picked tracks)."""
        return len(s.now_vessels | s.prev_vessels)

    def down(self, source: str, now: float) -> tuple[str, float] | None:
        """(reason, since) when ``source`` is down at event time ``now``, else None."""
        s = self.sources.get(source)
        if s is None or s.messages < self.settings.min_messages or now <= self.complete_until:
            return None
        if now - s.last_t > self.silence_s(s):
            served, down = self.vessels_before(s), (SILENT, s.last_t)
        elif s.collapsed_since is not None:
            served, down = s.collapse_vessels, (COLLAPSE, s.collapsed_since)
        else:
            return None
        return down if served >= self.settings.min_vessels else None

    def advance(self, now: float) -> None:
        """Close the rate windows that ended before ``now`` (a silent source too)."""
        if now < self._next:
            return
        b = math.floor(now / self.settings.bucket_s)
        for s in self.sources.values():
            if b > s.bucket:
                self._close_windows(s, b)
        self._next = self.next_window()

    def next_window(self) -> float:
        """Event time when the earliest open rate window ends."""
        if not self.sources:
            return float("inf")
        return (min(s.bucket for s in self.sources.values()) + 1) * self.settings.bucket_s


class ReportedFeeds:
    """Feed health judged elsewhere (``Detector.follow_feeds``): the sources down as last
    reported, answering :meth:`SourceWatch.down` from that report."""

    __slots__ = ("complete_until", "states")

    def __init__(self) -> None:
        self.states: dict[str, tuple[str, float]] = {}
        self.complete_until = float("-inf")

    def down(self, source: str, now: float) -> tuple[str, float] | None:
        return None if now <= self.complete_until else self.states.get(source)

    def advance(self, now: float) -> None:
        """(Nothing to do: the report says it all.)"""


def _utc(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


class FeedDetector(Detector[FeedSettings]):
    """``feed_outage`` alerts: open while a source is down, closed when it is heard again at its
    usual rate (module docstring). ``mmsi`` is 0: the alert is about a feed, not a vessel; the
    source is in ``evidence.source`` and the position is where it usually hears."""

    name: ClassVar[str] = "feed"
    settings_type = FeedSettings
    presets: ClassVar[dict[Preset, FeedSettings]] = PRESETS  # type: ignore[misc]

    def __init__(self, settings: FeedSettings, context: DetectorContext | None = None) -> None:
        super().__init__(settings, context)
        self.watch = SourceWatch(settings)
        self._open: dict[str, Alert] = {}
        self.next_due = float("inf")

    def step(self, report: PositionReport, t: float) -> list[Alert]:
        # A report only moves its source's deadline later, so ``next_due`` (at most one rate
        # window ahead) stays a safe lower bound; :meth:`advance` recomputes it.
        src = report.source
        if src not in self.watch.sources:
            self.next_due = min(self.next_due, (math.floor(t / self.settings.bucket_s) + 1)
                                * self.settings.bucket_s)
        self.watch.hear(report, t)
        alert = self._open.get(src)
        if alert is None or self.watch.down(src, t) is not None:
            return NO_ALERTS
        del self._open[src]
        return [self._closed(alert, t)]

    def advance(self, watermark: float) -> list[Alert]:
        self.watch.advance(watermark)
        out: list[Alert] = []
        for name in self.watch.sources:
            down = self.watch.down(name, watermark)
            alert = self._open.get(name)
            if down is not None and alert is None:
                self._open[name] = alert = self._opened(name, down, watermark)
                out.append(alert)
            elif down is None and alert is not None:
                del self._open[name]
                out.append(self._closed(alert, watermark))
        self._due()
        return out or NO_ALERTS

    def input_complete_until(self, t: float) -> None:
        self.watch.complete_until = max(self.watch.complete_until, t)

    def _due(self) -> None:
        """The next watermark at which a source may go down or a window closes."""
        w = self.watch
        due = w.next_window()
        for name, s in w.sources.items():
            if name not in self._open and s.messages >= self.settings.min_messages:
                due = min(due, s.last_t + w.silence_s(s))
        self.next_due = due

    def _opened(self, name: str, down: tuple[str, float], now: float) -> Alert:
        reason, since = down
        s = self.watch.sources[name]
        start = _utc(since)
        what = ("has passed no vessel position" if reason == SILENT else
                f"passes under {self.settings.collapse_ratio:.0%} of its usual positions")
        return Alert(
            alert_id=alert_id(KIND, 0, None, start, name),
            kind=KIND,
            status="open",
            severity="low",
            mmsi=0,
            start=start,
            end=None,
            lat=s.lat,
            lon=s.lon,
            summary=(f"Feed {name} {what} since {iso_utc(start)}: vessels heard only through "
                     "it are not called dark while it is down."),
            evidence={
                "source": name,
                "reason": reason,
                "last_ts": iso_utc(_utc(s.last_t)),
                "usual_interval_s": round(s.ew_interval, 3),
                "usual_per_window": round(s.ew_count, 1),
                "window_s": self.settings.bucket_s,
                "silence_allowed_s": round(self.watch.silence_s(s), 1),
                "messages": s.messages,
                "vessels_heard": (self.watch.vessels_before(s) if reason == SILENT
                                  else s.collapse_vessels),
                "detected_at": iso_utc(_utc(now)),
            },
        )

    def _closed(self, alert: Alert, t: float) -> Alert:
        start = alert.start.timestamp()
        evidence = dict(alert.evidence)
        evidence["outage_h"] = round((t - start) / 3600.0, 3)
        return Alert(
            alert_id=alert.alert_id, kind=KIND, status="closed", severity=alert.severity,
            mmsi=0, start=alert.start, end=_utc(t), lat=alert.lat, lon=alert.lon,
            summary=(f"Feed {evidence['source']} was down for {evidence['outage_h']:.2f} h "
                     f"from {iso_utc(alert.start)} ({evidence['reason']})."),
            evidence=evidence,
        )
