"""The embedded runner: one process, no broker. Sources -> decoders -> event-time ordering ->
detectors -> alerts. It is the default way to run, and what tests use for detector logic.

Event time: records are released to detectors in time order once the watermark (the newest
event time seen, less the allowed lateness) passes them; a record older than the watermark is
rejected as too late. Detectors are advanced to each released record's time and then to the
watermark, so time-driven alerts (a vessel silent too long) fire while the vessel is silent.
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

from detectors import REGISTRY
from detectors.base import Detector, DetectorContext
from ingest import quarantine as q
from ingest.decode import Decoded, Lines, NmeaDecoder
from ingest.dedup import Deduplicator
from ingest.prepare import SourceReport, prepare
from ingest.quarantine import IngestStats, Reject
from ingest.sources import LineSource, Source, make_decoder, sniff_format
from ingest.tables import SarDecoder, TableDecoder
from mda.gc_policy import batch_collection
from mda.geography import Geography
from mda.records import (
    NAV_AT_ANCHOR,
    NAV_MOORED,
    TIME_ARRIVAL,
    Alert,
    PositionReport,
    SensorContact,
    VesselStatic,
    iso_utc,
)
from mda.settings import Settings, preset_settings
from mda.vessels import VesselRegistry

AlertSink = Callable[[Alert], None]
Ordered = PositionReport | SensorContact  # what the runner orders by event time
RejectSink = Callable[[Reject], None]
Progress = Callable[[int], None]  # bytes of input consumed since the last call

_CHUNK = 4096
_STATIONARY = (NAV_AT_ANCHOR, NAV_MOORED)
_STOPPED_KN = 0.5  # a vessel this slow is stopped: where many stop is an anchorage


@dataclass
class Summary:
    """What a run did; ``as_dict`` is the ``--stats`` JSON."""

    stats: IngestStats
    vessels: int
    alerts: Counter[str]
    alerts_open: int
    first_ts: float | None
    last_ts: float | None
    clock_ts: float | None
    inputs: list[dict[str, Any]] = field(default_factory=list)
    # Per detector, what its rules looked at and did not alert on, by reason.
    not_alerted: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        s = self.stats

        def to_iso(t: float | None) -> str | None:
            return None if t is None else iso_utc(datetime.fromtimestamp(t, UTC))

        return {
            "inputs": self.inputs,
            **_ingest_totals(self.inputs),
            "lines_read": s.lines_read,
            "lines_used": s.lines_used,
            "messages_decoded": s.messages_decoded,
            "messages_duplicate": s.messages_duplicate,
            "rejected": dict(sorted(s.rejected.items())),
            "lines_rejected": sum(s.rejected.values()),
            "message_types": {str(k): v for k, v in sorted(s.message_types.items())},
            "positions": s.positions,
            "positions_without_position": s.positions_without_position,
            "positions_untimed": s.positions_untimed,
            "positions_arrival_time": s.positions_arrival_time,
            "statics": s.statics,
            "contacts": dict(sorted(s.contacts.items())),
            "contacts_untimed": s.contacts_untimed,
            "vessels": self.vessels,
            "alerts": dict(sorted(self.alerts.items())),
            "alerts_open_at_end": self.alerts_open,
            "not_alerted": self.not_alerted,
            "first_event_time": to_iso(self.first_ts),
            "last_event_time": to_iso(self.last_ts),
            "clock_at_end": to_iso(self.clock_ts),
        }


def _ingest_totals(inputs: list[dict[str, Any]]) -> dict[str, Any]:
    """What ingest did across the inputs (ingest/prepare.py): files sorted because they were
    out of time order, fields missing (rules that need them cannot fire), derived speeds."""
    missing: Counter[str] = Counter()
    for i in inputs:
        missing.update(i.get("missing_fields", {}))
    return {
        "sorted": [{"source": i["name"], **i["sorted"]} for i in inputs if "sorted" in i],
        "missing_fields": dict(missing),
        "derived_speed": sum(i.get("derived_speed", 0) for i in inputs),
    }


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


class EmbeddedRunner:
    """Runs the whole pipeline in-process (see the module docstring)."""

    def __init__(
        self,
        settings: Settings | None = None,
        on_alert: AlertSink | None = None,
        on_reject: RejectSink | None = None,
        context: DetectorContext | None = None,
        geography: Geography | None = None,
        on_position: Callable[[PositionReport], None] | None = None,
        on_static: Callable[[VesselStatic], None] | None = None,
        on_watermark: Callable[[float], None] | None = None,
        on_contact: Callable[[SensorContact], None] | None = None,
    ) -> None:
        self.settings = settings or preset_settings()
        self.on_alert = on_alert or (lambda a: None)
        self.on_reject = on_reject or (lambda r: None)
        self.stats = IngestStats()
        self.registry = VesselRegistry()
        self.dedup = Deduplicator(self.settings.ingest.duplicate_window_s)
        self.geography = geography
        # Called with every position released to the detectors, in event-time order (e.g. to
        # collect tracks for a map); None costs nothing.
        self.on_position = on_position
        # Called with every static report as it arrives, and with the watermark each time it
        # moves (after the records it releases): what a streaming ingest publishes.
        self.on_static = on_static
        self.on_watermark = on_watermark
        # Called with every radar or SAR contact released to the detectors.
        self.on_contact = on_contact
        if geography is not None:
            self.context = geography.context(self.registry.info, self.registry.ship_type,
                                             self.registry.transmitter)
        else:
            base = context or DetectorContext()
            self.context = replace(base, vessel_info=self.registry.info,
                                   ship_type=self.registry.ship_type,
                                   transmitter=self.registry.transmitter)
        self.detectors = build_detectors(self.settings, self.context)
        self._lateness = self.settings.ingest.allowed_lateness_s
        # Live runs (mda/live.py) set this: records timed on arrival, whose times are in
        # order, then have their own lateness (``ingest.arrival_lateness_s``, 0 by default)
        # and the watermark is the lower of the arrival-timed and tag-timed frontiers.
        self.split_arrival = False
        # Live runs (mda/live.py) set this (ingest.evict_after_s): from tick(), about every
        # tenth of it in event time, each detector forgets vessels not heard for this long.
        self.evict_after_s: float | None = None
        self.evicted = 0  # vessels dropped so far, summed over detectors
        self._evicted_at: float | None = None
        self._max_arrival = float("-inf")
        self._max_tagged = float("-inf")
        # Records held back until the watermark passes them: ordered by (time, mmsi, lat, lon,
        # arrival), so any arrival order within the lateness releases them in one order.
        self._heap: list[tuple[float, int, float, float, int, Ordered]] = []
        self._queue: deque[tuple[float, int, float, float, int, Ordered]] = deque()
        self._seq = 0
        self._max_ts = float("-inf")
        self._watermark = float("-inf")
        self._first_ts: float | None = None
        self._mmsis: set[int] = set()
        self._alert_kind: dict[str, str] = {}
        self._alert_status: dict[str, str] = {}
        self._decoders: list[NmeaDecoder | TableDecoder | SarDecoder] = []
        self._reports: list[SourceReport] = []

    # -- snapshots (streaming workers) ------------------------------------------------------
    _TRANSIENT = ("on_alert", "on_reject", "on_position", "on_static", "on_watermark",
                  "on_contact", "geography", "context")

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        for name in self._TRANSIENT:
            state[name] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def attach(self, on_alert: AlertSink, geography: Geography | None = None) -> None:
        """After loading a snapshot: the alert sink and the geography look-ups again."""
        self.on_alert = on_alert
        self.on_reject = lambda r: None
        self.geography = geography
        if geography is not None:
            self.context = geography.context(self.registry.info, self.registry.ship_type,
                                             self.registry.transmitter)
        else:
            self.context = DetectorContext(vessel_info=self.registry.info,
                                           ship_type=self.registry.ship_type,
                                           transmitter=self.registry.transmitter)
        for det in self.detectors:
            det.context = self.context

    # -- public ----------------------------------------------------------------------------
    def run(self, sources: Iterable[LineSource], until: datetime | None = None,
            progress: Progress | None = None) -> Summary:
        """Replay ``sources`` (merged in event-time order) to the end, then advance the clock
        to ``until`` if given. Returns the summary. The garbage collector runs with the batch
        policy meanwhile (mda/gc_policy.py)."""
        srcs = list(sources)
        streams = [self._prepared(s, progress) for s in srcs]
        merged: Iterator[Decoded] = (
            streams[0] if len(streams) == 1
            else heapq.merge(*streams, key=lambda d: float("-inf") if d[1] is None else d[1]))
        with batch_collection():
            self.feed(merged)
            self.finish(until)
        return self.summary(srcs)

    def feed(self, items: Iterable[Decoded]) -> None:
        """Take decoded records (record, event time, lines) in arrival order."""
        heap = self._heap
        queue = self._queue
        lateness = self._lateness
        mmsis = self._mmsis
        split = self.split_arrival
        due = False  # split: something to release once the batch is in
        for rec, ts, lines in items:
            if isinstance(rec, VesselStatic):
                mmsis.add(rec.mmsi)
                self.registry.update(rec)
                if self.on_static is not None:
                    self.on_static(rec)
                continue
            if isinstance(rec, SensorContact):
                key = 0  # a radar or SAR contact: ordered with the positions, no MMSI
            else:
                key = rec.mmsi
                mmsis.add(key)
            if ts is None:
                continue  # kept out of time-based detection (counted as untimed)
            if ts < self._watermark:
                self.stats.lines_used -= len(lines)
                self._reject_lines(rec, lines, ts)
                continue
            self._seq += 1
            item = (ts, key, rec.lat, rec.lon, self._seq, rec)
            # In-order records (most of them) queue in a deque; the rest in a heap.
            if not queue or item > queue[-1]:
                queue.append(item)
            else:
                heapq.heappush(heap, item)
            if self._first_ts is None or ts < self._first_ts:
                self._first_ts = ts
            if split:
                due = self._split_watermark(rec, ts) or due
            elif ts > self._max_ts:
                self._max_ts = ts
                wm = ts - lateness
                if wm > self._watermark:
                    self._watermark = wm
                    self._release(wm)
        if due:
            self._release(self._watermark)

    def _split_watermark(self, rec: PositionReport | SensorContact, ts: float) -> bool:
        """The watermark of a live run (``split_arrival``): the lower of the newest arrival
        time less ``arrival_lateness_s`` and the newest own time less the allowed lateness,
        over the kinds seen. Whether there is something to release (the watermark moved, or
        the record is at it): :meth:`feed` releases once per batch."""
        if ts > self._max_ts:
            self._max_ts = ts
        if rec.time_source == TIME_ARRIVAL:
            if ts <= self._max_arrival:
                return ts <= self._watermark
            self._max_arrival = ts
        else:
            if ts <= self._max_tagged:
                return ts <= self._watermark
            self._max_tagged = ts
        wm = min(self._max_arrival - self.settings.ingest.arrival_lateness_s
                 if self._max_arrival > float("-inf") else float("inf"),
                 self._max_tagged - self._lateness
                 if self._max_tagged > float("-inf") else float("inf"))
        if wm > self._watermark:
            self._watermark = wm
            return True
        return ts <= self._watermark

    def finish(self, until: datetime | None = None) -> None:
        """End of input: release everything held back, then advance to ``until``."""
        if self._heap or self._queue:
            self._watermark = max(self._watermark, self._max_ts)
            self._release(self._watermark)
        elif self._max_ts > self._watermark:
            self._watermark = self._max_ts
            self._advance(self._watermark)
        if until is not None:
            t = until.timestamp()
            for det in self.detectors:
                det.input_complete_until(t)
            if t > self._watermark:
                self._watermark = t
                self._advance(t)

    def summary(self, sources: list[LineSource] | None = None) -> Summary:
        kinds = Counter(self._alert_kind.values())
        still_open = sum(1 for s in self._alert_status.values() if s == "open")
        return Summary(
            stats=self.stats,
            vessels=len(self._mmsis),
            alerts=kinds,
            alerts_open=still_open,
            first_ts=self._first_ts,
            last_ts=None if self._max_ts == float("-inf") else self._max_ts,
            clock_ts=None if self._watermark == float("-inf") else self._watermark,
            inputs=([r.as_dict() for r in self._reports] if self._reports
                    else [{"name": s.name} for s in sources or []]),
            not_alerted={d.name: dict(sorted(d.counters.items()))
                         for d in self.detectors if d.counters},
        )

    @property
    def max_event_ts(self) -> float | None:
        """The newest event time seen (None before the first timed record)."""
        return None if self._max_ts == float("-inf") else self._max_ts

    @property
    def watermark(self) -> float | None:
        return None if self._watermark == float("-inf") else self._watermark

    # -- internals -------------------------------------------------------------------------
    def _prepared(self, source: LineSource, progress: Progress | None) -> Iterator[Decoded]:
        """One source's records after ingest's last step (ingest/prepare.py): a file (not
        stdin, not a network feed) out of time order beyond the lateness is sorted first;
        table inputs get derived speeds; missing fields are counted."""
        report = SourceReport(source.name)
        self._reports.append(report)
        batch_file = (self.settings.ingest.sort_files and type(source) is Source
                      and source.name != "-")
        return prepare(self._items(source, progress, report), report, self._lateness,
                       sort=batch_file)

    def _items(self, source: LineSource, progress: Progress | None,
               report: SourceReport | None = None) -> Iterator[Decoded]:
        """Decoded records of one source, rejects sent to the sink as they come."""
        if hasattr(source, "timed_lines"):
            yield from self._live_items(source, report)
            return
        lines = source.lines()
        head = list(islice(lines, 20))
        fmt = sniff_format(head)
        decoder = make_decoder(source.name, fmt, self.stats, self.dedup)
        if report is not None:
            report.format = fmt
            if isinstance(decoder, TableDecoder):
                report.unreadable = decoder.unreadable
        if isinstance(decoder, NmeaDecoder):
            decoder.max_wait = self.settings.ingest.max_fragment_wait_lines
            decoder.radar = self.settings.radar.site()
        self._decoders.append(decoder)
        out = decoder.out
        rejects = decoder.rejects
        on_reject = self.on_reject
        pos = 0
        n = 0
        todo = chain(head, lines)
        while chunk := list(islice(todo, _CHUNK)):
            if isinstance(decoder, NmeaDecoder):
                decoder.feed_lines(n + 1, chunk)  # batch decoding of the commonest lines
            else:
                for i, raw in enumerate(chunk, n + 1):
                    decoder.feed(i, raw)
            n += len(chunk)
            if rejects:
                for r in rejects:
                    on_reject(r)
                rejects.clear()
            if out:
                yield from out
                out.clear()
            if progress is not None:
                now = source.position()
                progress(now - pos)
                pos = now
        decoder.flush()
        for r in rejects:
            on_reject(r)
        rejects.clear()
        yield from out
        out.clear()
        if progress is not None and source.size:
            progress(source.size - pos)

    def live_decoder(self, name: str, report: SourceReport | None = None) -> NmeaDecoder:
        """The NMEA decoder of one live source (a feed is NMEA: no format sniffing, which
        would wait for its first lines)."""
        decoder = NmeaDecoder(name, self.stats, self.dedup,
                              self.settings.ingest.max_fragment_wait_lines)
        decoder.radar = self.settings.radar.site()
        if report is not None:
            report.format = "nmea"
        self._decoders.append(decoder)
        return decoder

    def _live_items(self, source: Any, report: SourceReport | None) -> Iterator[Decoded]:
        """A live source's records, each as soon as its line is decoded; a sentence without
        a time of its own takes the time its line arrived (``NmeaDecoder.arrival``)."""
        decoder = self.live_decoder(source.name, report)
        out = decoder.out
        rejects = decoder.rejects
        for n, (arrival, raw) in enumerate(source.timed_lines(), 1):
            decoder.arrival = arrival
            decoder.feed(n, raw)
            if rejects:
                for r in rejects:
                    self.on_reject(r)
                rejects.clear()
            if out:
                yield from out
                out.clear()
        decoder.flush()
        for r in rejects:
            self.on_reject(r)
        rejects.clear()
        yield from out
        out.clear()

    def _reject_lines(self, rec: Ordered, lines: Lines, ts: float) -> None:
        late = self._watermark - ts
        source = rec.source
        if type(rec) is PositionReport:
            # Too late for the ordered steps; a detector may still re-check with it.
            for det in self.detectors:
                alerts = det.late(rec, ts)
                if alerts:
                    self._emit(alerts)
        for line_no, raw in lines:
            self.stats.rejected[q.TOO_LATE] += 1
            self.on_reject(Reject(source, line_no, raw.decode("utf-8", "replace"), q.TOO_LATE,
                                  f"{late:.1f} s behind the watermark"))

    def _release(self, watermark: float) -> None:
        heap = self._heap
        queue = self._queue
        geo = self.geography
        on_position = self.on_position
        while True:
            if queue and (not heap or queue[0] < heap[0]):
                if queue[0][0] > watermark:
                    break
                item = queue.popleft()
            elif heap and heap[0][0] <= watermark:
                item = heapq.heappop(heap)
            else:
                break
            ts = item[0]
            rec = item[5]
            report = rec if type(rec) is PositionReport else None
            contact = rec if isinstance(rec, SensorContact) else None
            if report is None:
                if contact is not None and self.on_contact is not None:
                    self.on_contact(contact)
            else:
                if geo is not None:
                    if report.nav_status in _STATIONARY:
                        geo.observe(report.lat, report.lon, ts)
                    elif report.sog_kn is not None and report.sog_kn < _STOPPED_KN:
                        geo.observe_stop(report.lat, report.lon, report.mmsi)
                if on_position is not None:
                    on_position(report)
            for det in self.detectors:
                if ts > det.next_due:
                    alerts = det.advance(ts)
                    if alerts:
                        self._emit(alerts)
                if report is not None:
                    alerts = det.step(report, ts)
                else:
                    assert contact is not None  # the heap holds positions and contacts only
                    alerts = det.contact(contact, ts)
                if alerts:
                    self._emit(alerts)
        self._advance(watermark)

    def tick(self, watermark: float) -> None:
        """An external watermark (a streaming worker's): release the records up to it and
        advance the detectors. Never moves the clock back."""
        if watermark > self._watermark:
            self._watermark = watermark
            self._release(watermark)
        if self.evict_after_s:
            self._evict(self.evict_after_s)

    def _evict(self, after_s: float) -> None:
        wm = self._watermark
        if wm == float("-inf"):
            return
        if self._evicted_at is None:
            self._evicted_at = wm
        if wm - self._evicted_at < max(60.0, after_s / 10.0):
            return
        self._evicted_at = wm
        for det in self.detectors:
            self.evicted += det.evict(wm - after_s)

    def _advance(self, t: float) -> None:
        if self.on_watermark is not None:
            self.on_watermark(t)
        for det in self.detectors:
            if t > det.next_due:
                alerts = det.advance(t)
                if alerts:
                    self._emit(alerts)

    def _emit(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self._alert_kind[alert.alert_id] = alert.kind
            self._alert_status[alert.alert_id] = alert.status
            self.on_alert(alert)
