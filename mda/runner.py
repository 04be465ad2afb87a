"""The embedded runner: one process, no broker. Sources -> decoders -> event-time ordering ->
detectors -> alerts. It is the default way to run, and what tests use for detector logic.

It composes three parts: ingest (this module: decoders, validation, dedup, quarantine), the
event-time buffer and the detector set (``mda.detection``). The streaming ingest runs ingest
and the buffer (``detect=False``); the streaming workers run detector sets only.

Event time: records are released to detectors in time order once the watermark (the newest
event time seen, less the allowed lateness) passes them; a record older than the watermark is
rejected as too late. Detectors are advanced to each released record's time and then to the
watermark, so time-driven alerts (a vessel silent too long) fire while the vessel is silent.
"""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice
from typing import Any

from detectors.base import Detector, DetectorContext
from ingest import quarantine as q
from ingest.decode import Decoded, Lines, NmeaDecoder
from ingest.dedup import Deduplicator
from ingest.prepare import SourceReport, prepare
from ingest.quarantine import IngestStats, Reject
from ingest.sources import LineSource, Source, make_decoder, sniff_format
from ingest.tables import SarDecoder, TableDecoder
from mda.detection import (
    AlertSink,
    DetectorSet,
    EventTimeBuffer,
    Ordered,
    build_detectors,
)
from mda.gc_policy import batch_collection
from mda.geography import Geography
from mda.records import (
    PositionReport,
    SensorContact,
    VesselStatic,
    iso_utc,
)
from mda.settings import Settings, preset_settings
from mda.vessels import VesselRegistry

__all__ = ["AlertSink", "EmbeddedRunner", "Summary", "build_detectors"]

RejectSink = Callable[[Reject], None]
Progress = Callable[[int], None]  # bytes of input consumed since the last call

_CHUNK = 4096


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


class EmbeddedRunner:
    """Runs the whole pipeline in-process (see the module docstring): ingest (decoders,
    validation, dedup; this class), the event-time buffer and the detector set
    (``mda.detection``)."""

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
        detect: bool = True,
    ) -> None:
        self.settings = settings or preset_settings()
        self.on_reject = on_reject or (lambda r: None)
        self.stats = IngestStats()
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
        self._lateness = self.settings.ingest.allowed_lateness_s
        self.buffer = EventTimeBuffer(self._lateness, self.settings.ingest.arrival_lateness_s)
        # The detector set; ``detect=False`` (the streaming ingest) runs ingest and the
        # buffer only: every detector disabled, no anchorages learned.
        det_settings = self.settings if detect else self.settings.only()
        self.context_given = context
        self.detection = DetectorSet(det_settings, on_alert, context,
                                     geography if detect else None)
        self.detection.on_alert = on_alert or (lambda a: None)
        # Live runs (mda/live.py) set this (ingest.evict_after_s): from tick(), about every
        # tenth of it in event time, each detector forgets vessels not heard for this long.
        self.evict_after_s: float | None = None
        self._evicted_at: float | None = None
        self._mmsis: set[int] = set()
        self._decoders: list[NmeaDecoder | TableDecoder | SarDecoder] = []
        self._reports: list[SourceReport] = []

    # -- the parts -------------------------------------------------------------------------
    @property
    def detectors(self) -> list[Detector[Any]]:
        return self.detection.detectors

    @property
    def registry(self) -> VesselRegistry:
        return self.detection.registry

    @property
    def context(self) -> DetectorContext:
        return self.detection.context

    @property
    def on_alert(self) -> AlertSink:
        return self.detection.on_alert

    @on_alert.setter
    def on_alert(self, sink: AlertSink) -> None:
        self.detection.on_alert = sink

    @property
    def evicted(self) -> int:
        return self.detection.evicted

    @property
    def split_arrival(self) -> bool:
        """Live runs (mda/live.py) set this: records timed on arrival, whose times are in
        order, then have their own lateness (``ingest.arrival_lateness_s``, 0 by default) and
        the watermark is the lower of the arrival-timed and tag-timed frontiers."""
        return self.buffer.split_arrival

    @split_arrival.setter
    def split_arrival(self, value: bool) -> None:
        self.buffer.split_arrival = value

    # -- public ----------------------------------------------------------------------------
    def run(self, sources: Iterable[LineSource], until: datetime | None = None,
            progress: Progress | None = None, jobs: int = 1) -> Summary:
        """Replay ``sources`` (merged in event-time order) to the end, then advance the clock
        to ``until`` if given. Returns the summary. The garbage collector runs with the batch
        policy meanwhile (mda/gc_policy.py). ``jobs`` > 1: the detectors shared out among
        that many processes when the replay allows it (mda/split.py), with the same alerts,
        in the same order, and the same summary."""
        srcs = list(sources)
        if jobs > 1:
            from mda import split

            if split.can_split(self, srcs, jobs):
                return split.run_split(self, srcs, until, progress, jobs)
        return self.run_serial(srcs, until, progress)

    def run_serial(self, srcs: list[LineSource], until: datetime | None = None,
                   progress: Progress | None = None) -> Summary:
        """:meth:`run` in this process."""
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
        buf = self.buffer
        push = buf.push
        mmsis = self._mmsis
        detection = self.detection
        split = buf.split_arrival
        due = False  # split: something to release once the batch is in
        for rec, ts, lines in items:
            if isinstance(rec, VesselStatic):
                mmsis.add(rec.mmsi)
                detection.static(rec)
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
            if ts < buf.watermark:
                self.stats.lines_used -= len(lines)
                self._reject_lines(rec, lines, ts)
                continue
            moved = push(rec, ts, key)
            if split:
                due = moved or due
            elif moved:
                self._release(buf.watermark)
        if due:
            self._release(buf.watermark)

    def finish(self, until: datetime | None = None) -> None:
        """End of input: release everything held back, then advance to ``until``."""
        buf = self.buffer
        if len(buf):
            buf.move_to(buf.max_ts)
            self._release(buf.watermark)
        elif buf.move_to(buf.max_ts):
            self._advance(buf.watermark)
        if until is not None:
            t = until.timestamp()
            self.detection.input_complete_until(t)
            if buf.move_to(t):
                self._advance(t)

    def summary(self, sources: list[LineSource] | None = None) -> Summary:
        buf = self.buffer
        return Summary(
            stats=self.stats,
            vessels=len(self._mmsis),
            alerts=self.detection.alert_kinds(),
            alerts_open=self.detection.alerts_open(),
            first_ts=buf.first_ts,
            last_ts=None if buf.max_ts == float("-inf") else buf.max_ts,
            clock_ts=None if buf.watermark == float("-inf") else buf.watermark,
            inputs=([r.as_dict() for r in self._reports] if self._reports
                    else [{"name": s.name} for s in sources or []]),
            not_alerted=self.detection.counters(),
        )

    @property
    def max_event_ts(self) -> float | None:
        """The newest event time seen (None before the first timed record)."""
        ts = self.buffer.max_ts
        return None if ts == float("-inf") else ts

    @property
    def watermark(self) -> float | None:
        wm = self.buffer.watermark
        return None if wm == float("-inf") else wm

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
        late = self.buffer.watermark - ts
        source = rec.source
        if type(rec) is PositionReport:
            # Too late for the ordered steps; a detector may still re-check with it.
            self.detection.late(rec, ts)
        for line_no, raw in lines:
            self.stats.rejected[q.TOO_LATE] += 1
            self.on_reject(Reject(source, line_no, raw.decode("utf-8", "replace"), q.TOO_LATE,
                                  f"{late:.1f} s behind the watermark"))

    def _release(self, watermark: float) -> None:
        released = self.buffer.release(watermark)
        if self.on_position is not None or self.on_contact is not None:
            released = self._observed(released)
        self.detection.step_many(released)
        self._advance(watermark)

    def _observed(self, released: Iterator[tuple[float, Ordered]]
                  ) -> Iterator[tuple[float, Ordered]]:
        """The released records, each shown to ``on_position`` or ``on_contact`` first."""
        on_position = self.on_position
        on_contact = self.on_contact
        for item in released:
            rec = item[1]
            if type(rec) is PositionReport:
                if on_position is not None:
                    on_position(rec)
            elif on_contact is not None:
                on_contact(rec)  # type: ignore[arg-type]
            yield item

    def tick(self, watermark: float) -> None:
        """An external watermark (a live feed's idle clock): release the records up to it and
        advance the detectors. Never moves the clock back."""
        if self.buffer.move_to(watermark):
            self._release(watermark)
        if self.evict_after_s:
            self._evict(self.evict_after_s)

    def _evict(self, after_s: float) -> None:
        wm = self.buffer.watermark
        if wm == float("-inf"):
            return
        if self._evicted_at is None:
            self._evicted_at = wm
        if wm - self._evicted_at < max(60.0, after_s / 10.0):
            return
        self._evicted_at = wm
        self.detection.evict(wm - after_s)

    def _advance(self, t: float) -> None:
        if self.on_watermark is not None:
            self.on_watermark(t)
        self.detection.advance(t)
