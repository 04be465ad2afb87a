"""The two halves of the embedded runner after ingest: the event-time buffer and the detector
set.

* :class:`EventTimeBuffer` orders records by event time and keeps the watermark (the newest
  event time less the allowed lateness, or in a live run the lower of the arrival-timed and
  tag-timed frontiers). It releases records once the watermark passes them. The streaming
  ingest (``mda ingest``) runs it; the workers do not (the ingest published in order).
* :class:`DetectorSet` is the detectors with their state, the vessel registry they consult and
  the anchorages learned from the traffic. Records come to it in event-time order (``step``),
  time comes from ``advance``; it raises alerts through ``on_alert``. The embedded runner and
  every streaming worker partition run it, and only it is checkpointed by the workers.

Both are pure: no Kafka, no files, no wall clock.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from detectors import REGISTRY
from detectors.base import Detector, DetectorContext
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    TIME_ARRIVAL,
    Alert,
    PositionReport,
    SensorContact,
    VesselStatic,
)
from mda.settings import Settings
from mda.vessels import VesselRegistry

if TYPE_CHECKING:
    from mda.geography import Geography
    from zones.ports import PortIndex

AlertSink = Callable[[Alert], None]
Ordered = PositionReport | SensorContact  # what the buffer orders by event time

_STATIONARY = (NAV_AT_ANCHOR, NAV_MOORED)
_STOPPED_KN = 0.5  # a vessel this slow is stopped: where many stop is an anchorage
_INF = float("inf")
_NINF = float("-inf")


def build_detectors(settings: Settings, context: DetectorContext) -> list[Detector[Any]]:
    """One instance of every enabled detector, in registry order."""
    out: list[Detector[Any]] = []
    for name, det_settings in settings.detectors.items():
        if det_settings.enabled:
            out.append(REGISTRY[name](det_settings, context))
    running = {det.name: det for det in out}
    for det in out:
        det.configure(settings.detectors, running)
    return out


class EventTimeBuffer:
    """Event-time ordering and the watermark (module docstring)."""

    def __init__(self, lateness_s: float, arrival_lateness_s: float = 0.0) -> None:
        self.lateness_s = lateness_s
        self.arrival_lateness_s = arrival_lateness_s
        # Live runs set this: records timed on arrival have their own lateness and the
        # watermark is the lower of the arrival-timed and tag-timed frontiers.
        self.split_arrival = False
        # Held back until the watermark passes them: ordered by (time, mmsi, lat, lon,
        # arrival), so any arrival order within the lateness releases them in one order.
        self._heap: list[tuple[float, int, float, float, int, Ordered]] = []
        self._queue: deque[tuple[float, int, float, float, int, Ordered]] = deque()
        self._seq = 0
        self.max_ts = _NINF
        self.watermark = _NINF
        self.first_ts: float | None = None
        self._max_arrival = _NINF
        self._max_tagged = _NINF

    def __len__(self) -> int:
        return len(self._heap) + len(self._queue)

    def push(self, rec: Ordered, ts: float, key: int) -> bool:
        """Hold a record (not behind the watermark: the caller rejects those). Returns whether
        there may be something to release now (the watermark moved, or the record is at it)."""
        self._seq += 1
        item = (ts, key, rec.lat, rec.lon, self._seq, rec)
        queue = self._queue
        # In-order records (most of them) queue in a deque; the rest in a heap.
        if not queue or item > queue[-1]:
            queue.append(item)
        else:
            heapq.heappush(self._heap, item)
        if self.first_ts is None or ts < self.first_ts:
            self.first_ts = ts
        if self.split_arrival:
            return self._split_watermark(rec, ts)
        if ts > self.max_ts:
            self.max_ts = ts
            wm = ts - self.lateness_s
            if wm > self.watermark:
                self.watermark = wm
                return True
        return False

    def _split_watermark(self, rec: Ordered, ts: float) -> bool:
        """The watermark of a live run: the lower of the newest arrival time less
        ``arrival_lateness_s`` and the newest own time less the allowed lateness, over the
        kinds seen."""
        if ts > self.max_ts:
            self.max_ts = ts
        if rec.time_source == TIME_ARRIVAL:
            if ts <= self._max_arrival:
                return ts <= self.watermark
            self._max_arrival = ts
        else:
            if ts <= self._max_tagged:
                return ts <= self.watermark
            self._max_tagged = ts
        wm = min(self._max_arrival - self.arrival_lateness_s
                 if self._max_arrival > _NINF else _INF,
                 self._max_tagged - self.lateness_s
                 if self._max_tagged > _NINF else _INF)
        if wm > self.watermark:
            self.watermark = wm
            return True
        return ts <= self.watermark

    def move_to(self, watermark: float) -> bool:
        """An external watermark (a tick, the end of input). Never moves back; True if moved."""
        if watermark > self.watermark:
            self.watermark = watermark
            return True
        return False

    def release(self, watermark: float) -> Iterator[tuple[float, Ordered]]:
        """(event time, record) of every held record at or before ``watermark``, in order."""
        heap = self._heap
        queue = self._queue
        while True:
            if queue and (not heap or queue[0] < heap[0]):
                if queue[0][0] > watermark:
                    return
                item = queue.popleft()
            elif heap and heap[0][0] <= watermark:
                item = heapq.heappop(heap)
            else:
                return
            yield item[0], item[5]


class DetectorSet:
    """The detectors, their state and what they learn (module docstring).

    ``geography`` gives the read-only look-ups (zones, shore, listed ports); anchorages learned
    from moored and stopped vessels are this set's own state (``anchorages``), so a worker's
    learned ports depend on the vessels it saw, not on which partitions share its process."""

    _TRANSIENT = ("on_alert", "geography", "context")

    def __init__(self, settings: Settings, on_alert: AlertSink | None = None,
                 context: DetectorContext | None = None,
                 geography: Geography | None = None) -> None:
        self.settings = settings
        self.on_alert: AlertSink = on_alert or (lambda a: None)
        self.registry = VesselRegistry()
        self.geography = geography
        self.anchorages: PortIndex | None = None
        if geography is not None and geography.ports is not None:
            from zones.ports import PortIndex

            self.anchorages = PortIndex()
        self._base_context = None if geography is not None else context
        self.context = self._make_context()
        self.detectors = build_detectors(settings, self.context)
        self.alert_kind: dict[str, str] = {}
        self.alert_status: dict[str, str] = {}
        self.evicted = 0  # vessels dropped so far, summed over detectors
        # A split replay (mda/split.py) runs the detectors in several processes, each on the
        # same records, and merges their alerts in the order one process would give: every
        # record stepped, advance and late call is an operation (``op``); with ``keys`` set,
        # each alert emitted is keyed (op, the detector's place in the settings, sequence).
        names = list(settings.detectors)
        self._ranks = [names.index(det.name) for det in self.detectors]
        self.op = 0
        self.keys: list[tuple[int, int, int]] | None = None

    def _make_context(self) -> DetectorContext:
        reg = self.registry
        geo = self.geography
        if geo is not None:
            ctx = geo.context(reg.info, reg.ship_type, reg.transmitter)
            if self.anchorages is not None and ctx.port_distance_km is not None:
                ctx = replace(ctx, port_distance_km=_nearest_of(ctx.port_distance_km,
                                                                self.anchorages.distance_km))
            return ctx
        base = self._base_context or DetectorContext()
        return replace(base, vessel_info=reg.info, ship_type=reg.ship_type,
                       transmitter=reg.transmitter)

    # -- checkpoints -----------------------------------------------------------------------
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._TRANSIENT:
            state[name] = None
        state["_base_context"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if "_ranks" not in state:  # a checkpoint written before split replays
            names = list(self.settings.detectors)
            self._ranks = [names.index(det.name) for det in self.detectors]
            self.op, self.keys = 0, None

    def attach(self, on_alert: AlertSink, geography: Geography | None = None) -> None:
        """After loading a checkpoint: the alert sink and the geography look-ups again."""
        self.on_alert = on_alert
        self.geography = geography
        self.context = self._make_context()
        for det in self.detectors:
            det.context = self.context

    # -- records in event-time order -------------------------------------------------------
    def static(self, v: VesselStatic) -> None:
        self.registry.update(v)

    def step(self, rec: Ordered, ts: float) -> None:
        """One record released in event-time order: detectors due before it advance first."""
        self.step_many(((ts, rec),))

    def step_many(self, items: Iterable[tuple[float, Ordered]]) -> None:
        """Records released in event-time order (a release, a worker's batch), each as
        :meth:`step`. The replay's hottest loop: each detector's methods are looked up once
        per batch, not once per record."""
        emit = self._emit
        anchorages = self.anchorages
        methods = [(det, det.step, det.contact, rank)
                   for det, rank in zip(self.detectors, self._ranks, strict=True)]
        for ts, rec in items:
            self.op += 1
            report = type(rec) is PositionReport
            if report and anchorages is not None:
                assert isinstance(rec, PositionReport)
                if rec.nav_status in _STATIONARY:
                    anchorages.observe_stationary(rec.lat, rec.lon, ts)
                elif rec.sog_kn is not None and rec.sog_kn < _STOPPED_KN:
                    anchorages.observe_stop(rec.lat, rec.lon, rec.mmsi)
            for det, step, contact, rank in methods:
                if ts > det.next_due:
                    alerts = det.advance(ts)
                    if alerts:
                        emit(alerts, rank)
                alerts = step(rec, ts) if report else contact(rec, ts)  # type: ignore[arg-type]
                if alerts:
                    emit(alerts, rank)

    def late(self, report: PositionReport, ts: float) -> None:
        """A position behind the watermark: too late for the ordered steps, but a detector may
        still re-check with it."""
        self.op += 1
        for det, rank in zip(self.detectors, self._ranks, strict=True):
            alerts = det.late(report, ts)
            if alerts:
                self._emit(alerts, rank)

    def follow_feeds(self, down: dict[str, tuple[str, float]]) -> None:
        """Feed health judged by the streaming ingest (``Detector.follow_feeds``)."""
        for det in self.detectors:
            det.follow_feeds(down)

    def advance(self, t: float) -> None:
        """Time-driven events up to event time ``t`` (the watermark)."""
        self.op += 1
        for det, rank in zip(self.detectors, self._ranks, strict=True):
            if t > det.next_due:
                alerts = det.advance(t)
                if alerts:
                    self._emit(alerts, rank)

    def input_complete_until(self, t: float) -> None:
        for det in self.detectors:
            det.input_complete_until(t)

    def evict(self, before: float) -> int:
        """Forget vessels last heard before event time ``before``; how many were dropped."""
        n = sum(det.evict(before) for det in self.detectors)
        self.evicted += n
        return n

    def counters(self) -> dict[str, dict[str, int]]:
        return {d.name: dict(sorted(d.counters.items())) for d in self.detectors if d.counters}

    def alert_kinds(self) -> Counter[str]:
        return Counter(self.alert_kind.values())

    def alerts_open(self) -> int:
        return sum(1 for s in self.alert_status.values() if s == "open")

    def _emit(self, alerts: list[Alert], rank: int = 0) -> None:
        keys = self.keys
        for alert in alerts:
            if keys is not None:
                keys.append((self.op, rank, len(keys)))
            self.emit_alert(alert)

    def emit_alert(self, alert: Alert) -> None:
        """One alert to the sink, its kind and status kept for the summary."""
        self.alert_kind[alert.alert_id] = alert.kind
        self.alert_status[alert.alert_id] = alert.status
        self.on_alert(alert)


def _nearest_of(a: Callable[[float, float], float | None],
                b: Callable[[float, float], float | None]
                ) -> Callable[[float, float], float | None]:
    """The distance to the nearer of two port look-ups (listed ports, learned anchorages)."""

    def distance_km(lat: float, lon: float) -> float | None:
        x = a(lat, lon)
        y = b(lat, lon)
        if x is None:
            return y
        if y is None:
            return x
        return x if x <= y else y

    return distance_km
