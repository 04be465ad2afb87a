"""From NMEA lines to records: framing, checksums, multi-part assembly, de-duplication, pyais
decoding, validation. One :class:`NmeaDecoder` per input source; it keeps no file handles.

Every line fed is counted once: either used (it contributed to a decoded message or carried
metadata such as a ``$PGHP`` time) or rejected with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import count
from typing import Any

import numpy as np
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from ingest import quarantine as q
from ingest.dedup import Deduplicator
from ingest.fastpos import Fields, position_168, ready_168, static_text_fields
from ingest.framing import (
    TagBlock,
    gps_clock_time,
    nmea_checksum,
    parse_time_text,
    payload_is_armoured,
    pghp_time,
    tag_block,
    trailing_fields,
)
from ingest.quarantine import IngestStats, Reject
from ingest.sensors import RADAR_SENTENCES, ContactError, RadarSite, radar_contact
from mda.records import TIME_ARRIVAL, TIME_TAG, PositionReport, SensorContact, VesselStatic

Record = PositionReport | VesselStatic | SensorContact
# What a decoder emits for a good message: the record, its event time (epoch s or None), and the
# (line_no, raw) pairs it came from, so a later stage can still quarantine it with its lines.
# (A tuple of lines, not a list, for the single-line messages that are nearly all of them: a
# tuple of ints and bytes is not tracked by the garbage collector once it has seen it, and a
# batch replay holds every record of a file.)
Lines = Sequence[tuple[int, bytes]]
Decoded = tuple[Record, float | None, Lines]

_HEX = {f"{i:02X}".encode(): i for i in range(256)} | {f"{i:02x}".encode(): i for i in range(256)}
_DIGIT = {str(i).encode(): i for i in range(10)}
_POSITION_TYPES = frozenset({1, 2, 3, 18, 19, 27})
# ITU-R M.1371 message types ingest keeps nothing of (base stations, binary and safety
# messages, ...): counted, not decoded. Types 0 and 28-63 are not AIS types: pyais says so.
_UNUSED_TYPES = frozenset(range(1, 28)) - _POSITION_TYPES - {5, 24}
_MIN_BITS = {1: 168, 2: 168, 3: 168, 18: 168, 19: 312, 27: 96, 5: 420, 24: 160}
_NA_SPEED = {102.3, 63.0, 51.2}  # not available (102.3), and transponder noise values (GFW)
# The commonest line of all: one single-part sentence, alone or after one tag block, carrying
# a 168-bit type 1/2/3/18 position (28 armour characters, fill 0), nothing after the checksum.
# Groups: tag block text, checksummed body, payload, checksum. feed_lines decodes these in
# batches; any other line (and one of these whose checksum or time is wrong) goes through feed.
_FAST_LINE = re.compile(
    rb"(?:\\([^\\]*)\\)?!([A-Z]{2}VD[MO],1,1,[^,*\\]*,[^,*\\]*,([123B][0-W`-w]{27}),0)"
    rb"\*([0-9A-Fa-f]{2})")


def _clean_text(value: Any) -> str | None:
    if not value:
        return None
    text = str(value).replace("@", "").strip()
    return text or None


class _Group:
    __slots__ = ("arrived", "count", "first_line", "lines", "parts", "station", "ts")

    def __init__(self, count: int, first_line: int) -> None:
        self.count = count
        self.first_line = first_line
        self.parts: list[tuple[bytes, int] | None] = [None] * count
        self.lines: list[tuple[int, bytes]] = []
        self.ts: float | None = None
        self.station: str | None = None
        self.arrived = False


class NmeaDecoder:
    """Stateful line-by-line decoder for one source.

    Call :meth:`feed` per line, :meth:`flush` at the end; good messages accumulate in
    ``self.out`` and rejected lines in ``self.rejects`` (the caller drains both).

    A live source sets ``arrival`` (epoch s, the wall-clock UTC time the line was received)
    before feeding a line: a sentence the input gives no time for takes that time, and its
    record says so (``time_source`` ``"arrival"``); any time the input carries wins.

    Radar ``TTM``/``TLL`` sentences (any talker) become :class:`SensorContact` records
    (ingest/sensors.py); a TTM needs ``radar``, the radar's position.
    """

    def __init__(
        self,
        source: str,
        stats: IngestStats,
        dedup: Deduplicator,
        max_fragment_wait_lines: int = 200,
    ) -> None:
        self.source = source
        self.stats = stats
        self.dedup = dedup
        self.max_wait = max_fragment_wait_lines
        self.out: list[Decoded] = []
        self.rejects: list[Reject] = []
        self._groups: dict[tuple[Any, ...], _Group] = {}
        self._pghp_ts: float | None = None
        self._dt_ts = float("nan")
        self._dt: datetime | None = None
        self._clock_ts: float | None = None
        self._next_sweep = max_fragment_wait_lines
        self.arrival: float | None = None
        self.radar: RadarSite | None = None

    # -- rejects ---------------------------------------------------------------------------
    def _reject(self, line_no: int, raw: bytes, reason: str, detail: str = "") -> None:
        self.stats.rejected[reason] += 1
        self.rejects.append(
            Reject(self.source, line_no, raw.decode("utf-8", "replace"), reason, detail))

    def reject_lines(self, lines: Lines, reason: str, detail: str = "") -> None:
        for line_no, raw in lines:
            self._reject(line_no, raw, reason, detail)

    # -- lines -----------------------------------------------------------------------------
    def feed(self, line_no: int, raw: bytes) -> None:
        """Process one input line (without its line ending)."""
        self.stats.lines_read += 1
        if line_no >= self._next_sweep:
            self._sweep(line_no)
        line = raw.strip() if (not raw or raw[0] <= 32 or raw[-1] <= 32) else raw
        if not line:
            self._reject(line_no, raw, q.BLANK)
            return
        first = line[0]
        if first == 33:  # "!": the common case, a bare sentence
            self._sentence(line_no, raw, line, None, None)
            return
        if first == 92:  # a single tag block before a sentence, the next most common case
            end = line.find(b"\\", 1)
            if end > 0 and line.find(b"\\", end + 1) < 0 and len(line) > end + 1:
                self._sentence(line_no, raw, line[end + 1:], tag_block(line[1:end]), None)
                return
        if first == 35:  # "#"
            self._reject(line_no, raw, q.COMMENT)
            return
        segments = line.split(b"\\")
        head = segments[0]
        prefix_ts: float | None = None
        if head and head[0] not in (33, 36):
            # A receive-time prefix before the sentence (or before the first tag block).
            cut = min((i for i in (head.find(b"!"), head.find(b"$")) if i >= 0), default=-1)
            prefix = head if cut < 0 else head[:cut]
            if len(segments) == 1 and cut < 0:
                self._reject(line_no, raw, q.NOT_NMEA)
                return
            prefix_ts = parse_time_text(prefix)
            if prefix_ts is None:
                self._reject(line_no, raw, q.BAD_TIME_PREFIX)
                return
            head = b"" if cut < 0 else head[cut:]
        if len(segments) == 1:
            self._sentence(line_no, raw, head, None, prefix_ts)
            return
        # Tag blocks: [head, tag, sentence, tag, sentence, ...]. Each sentence on the line counts
        # as one line unit (a few feeds put several tag-blocked sentences on one line).
        pieces: list[tuple[TagBlock | None, bytes]] = [(None, head)] if head else []
        for i in range(1, len(segments), 2):
            sentence = segments[i + 1] if i + 1 < len(segments) else b""
            if sentence:
                pieces.append((tag_block(segments[i]), sentence))
        if not pieces:
            self.stats.lines_used += 1  # a tag block alone (DMA "si:AISD" lines) is metadata
            return
        self.stats.lines_read += len(pieces) - 1
        for tag, sentence in pieces:
            self._sentence(line_no, raw, sentence, tag, prefix_ts)

    def feed_lines(self, first_no: int, lines: list[bytes]) -> None:
        """Process ``lines`` numbered from ``first_no``: the same as :meth:`feed` on each in
        turn, with the checksums and the position fields of the commonest lines
        (``_FAST_LINE``) computed for the whole batch at once (``ingest.fastpos``)."""
        found = [_FAST_LINE.fullmatch(raw) for raw in lines]
        fast = [m.groups() for m in found if m is not None]
        feed = self.feed
        if not fast:
            for line_no, raw in zip(count(first_no), lines, strict=False):
                feed(line_no, raw)
            return
        tags, bodies, payloads, sums = zip(*fast, strict=True)
        joined = np.frombuffer(b"".join(bodies), np.uint8)
        starts = np.cumsum([0, *map(len, bodies[:-1])])
        want = np.array([_HEX.get(h, -1) for h in sums])
        good = (np.bitwise_xor.reduceat(joined, starts) == want).tolist()
        ready = ready_168(b"".join(payloads), [p[0] == 66 for p in payloads])
        rows = zip(tags, payloads, good, *ready, strict=True)
        stats = self.stats
        dedup = self.dedup.is_duplicate
        out = self.out
        source = self.source
        pghp = self._pghp_ts
        lo, hi = q.MIN_TS, q.MAX_TS
        n_fast = untimed = on_arrival = duplicate = 0
        by_type = stats.by_type
        last_ts: float | None = float("nan")
        dt: datetime | None = None
        for line_no, raw, m in zip(count(first_no), lines, found, strict=False):
            if m is None:
                feed(line_no, raw)
                pghp = self._pghp_ts
                continue
            text, payload, ok, mmsi, nav, sog, lon, lat, cog, heading, msg_type, plain = next(rows)
            station = ts = None
            if text is not None:
                tag = tag_block(text)
                station, ts = tag.station, tag.ts
            arrived = False
            if ts is None:
                ts, arrived = self._fallback_time(ts, None)
            if not ok or pghp is not None or (ts is not None and not lo <= ts <= hi):
                feed(line_no, raw)  # the general path says what is wrong (or uses $PGHP)
                pghp = self._pghp_ts
                continue
            if line_no >= self._next_sweep:
                self._sweep(line_no)
            lines_of = ((line_no, raw),)
            if not plain:  # the general path rejects or counts what is wrong with it
                stats.lines_read += 1
                stats.lines_used += 1
                self._message(payload, 0, ts, station, lines_of, arrived,
                              (mmsi, nav, sog, lon, lat, cog, heading))
                continue
            n_fast += 1
            if dedup(payload, ts):
                duplicate += 1
                self._reject(line_no, raw, q.DUPLICATE)
                continue
            by_type[msg_type] += 1
            if ts is None:
                untimed += 1
            elif arrived:
                on_arrival += 1
            if ts != last_ts:
                last_ts = ts
                dt = None if ts is None else datetime.fromtimestamp(ts, UTC)
            out.append((PositionReport(
                dt, mmsi, lat, lon, sog, cog, heading, nav, msg_type, station or source, False,
                None if ts is None else TIME_ARRIVAL if arrived else TIME_TAG), ts, lines_of))
        # The counts of the rows that became reports here (``_message`` and ``_position``
        # count the others as they go).
        stats.lines_read += n_fast
        stats.lines_used += n_fast - duplicate
        stats.messages_duplicate += duplicate
        stats.messages_decoded += n_fast - duplicate
        stats.positions += n_fast - duplicate
        stats.positions_untimed += untimed
        stats.positions_arrival_time += on_arrival

    def _fallback_time(self, ts: float | None, prefix_ts: float | None
                       ) -> tuple[float | None, bool]:
        """A sentence's time when neither a $PGHP header, its tag block nor its trailing
        fields gave one (``ts`` None): the line's prefix, the GPS clock, the arrival time.
        True when it is the arrival time."""
        if ts is None:
            ts = prefix_ts if prefix_ts is not None else self._clock_ts
            if ts is None and self.arrival is not None:
                return self.arrival, True
        return ts, False

    def _sentence(
        self,
        line_no: int,
        raw: bytes,
        s: bytes,
        tag: TagBlock | None,
        prefix_ts: float | None,
    ) -> bool | None:
        """Handle one sentence. Returns True if used, None if the line was rejected."""
        star = self._checked(line_no, raw, s)
        if star is None:
            return None
        fields = s[1:star].split(b",")
        kind = fields[0][-3:]
        if s[0] == 36:  # "$"
            return self._parametric(line_no, raw, s[:star + 3], fields, tag, prefix_ts)
        if kind != b"VDM" and kind != b"VDO":
            self._reject(line_no, raw, q.NON_AIS, fields[0].decode("ascii", "replace"))
            return None
        if len(fields) != 7:
            self._reject(line_no, raw, q.MALFORMED, f"{len(fields)} fields")
            return None
        _, f_count, f_num, seq, chan, payload, f_fill = fields
        count = _DIGIT.get(f_count, -1)
        num = _DIGIT.get(f_num, -1)
        fill = _DIGIT.get(f_fill, -1)
        if not (1 <= count <= 9 and 1 <= num <= count and 0 <= fill <= 5):
            self._reject(line_no, raw, q.MALFORMED, "fragment count, number or fill bits")
            return None
        if not payload:
            self._reject(line_no, raw, q.EMPTY_PAYLOAD)
            return None
        ts, station, arrived = self._event_time(tag, s[star + 3:], prefix_ts)
        if ts is not None and not q.MIN_TS <= ts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"receive time {ts:.0f} s")
            return None
        self.stats.lines_used += 1
        if count == 1:
            self._message(payload, fill, ts, station, ((line_no, raw),), arrived)
            return True
        self._fragment(line_no, raw, tag, station, seq, chan, count, num, payload, fill, ts,
                       arrived)
        return True

    def _checked(self, line_no: int, raw: bytes, s: bytes) -> int | None:
        """Where the checksum's ``*`` is, when the sentence's checksum holds; else None (the
        line rejected with the reason)."""
        star = s.find(b"*")
        want = _HEX.get(s[star + 1:star + 3]) if star >= 0 else None
        if want is None:
            if star < 0 or len(s) < star + 3:
                self._reject(line_no, raw, q.NO_CHECKSUM)
            else:
                self._reject(line_no, raw, q.MALFORMED, "checksum is not hex")
            return None
        if nmea_checksum(s[1:star]) != want:
            self._reject(line_no, raw, q.BAD_CHECKSUM)
            return None
        return star

    def _parametric(self, line_no: int, raw: bytes, sentence: bytes, fields: list[bytes],
                    tag: TagBlock | None, prefix_ts: float | None) -> bool | None:
        """A ``$`` sentence: a Gatehouse time header, the receiver's GPS clock, or a radar
        target; anything else is not AIS."""
        kind = fields[0][-3:]
        if fields[0].endswith(b"PGHP"):
            self._pghp_ts = pghp_time(fields)
        elif kind in (b"RMC", b"ZDA"):
            ts = gps_clock_time(fields)
            if ts is None:
                self._reject(line_no, raw, q.NON_AIS, "GPS clock sentence without a time")
                return None
            self._clock_ts = ts
        elif kind in RADAR_SENTENCES:
            return self._radar(line_no, raw, sentence, tag, prefix_ts)
        else:
            self._reject(line_no, raw, q.NON_AIS, fields[0].decode("ascii", "replace"))
            return None
        self.stats.lines_used += 1
        return True

    def _event_time(self, tag: TagBlock | None, trailing: bytes, prefix_ts: float | None
                    ) -> tuple[float | None, str | None, bool]:
        """(event time, receiving station, timed on arrival) of a VDM sentence: the Gatehouse
        header just before, the tag block, the trailing fields, the line prefix, and last the
        receiver's GPS clock (or the arrival time of a live source)."""
        station: str | None = None
        ts = self._pghp_ts
        self._pghp_ts = None
        if tag is not None:
            station = tag.station
            if ts is None:
                ts = tag.ts
        if trailing:
            t_ts, t_station = trailing_fields(trailing)
            station = station or t_station
            if ts is None:
                ts = t_ts
        ts, arrived = self._fallback_time(ts, prefix_ts)
        return ts, station, arrived

    def _fragment(self, line_no: int, raw: bytes, tag: TagBlock | None, station: str | None,
                  seq: bytes, chan: bytes, count: int, num: int, payload: bytes, fill: int,
                  ts: float | None, arrived: bool) -> None:
        """One part of a multi-part message, decoded once its group is complete. Parts are
        grouped by tag-block group id when present, else by (receiving station, sequence id,
        channel, fragment count): fragments of two receivers never mix."""
        if tag is not None and tag.group is not None:
            key: tuple[Any, ...] = ("g", tag.group[2], count)
        else:
            key = (station, seq, chan, count)
        group = self._groups.get(key)
        if group is not None and group.parts[num - 1] is not None:
            self._drop_group(key, group, "a new group reused its sequence id")
            group = None
        if group is None:
            group = _Group(count, line_no)
            self._groups[key] = group
        group.parts[num - 1] = (payload, fill)
        group.lines.append((line_no, raw))
        if group.ts is None:
            group.ts = ts
            group.arrived = arrived
        group.station = group.station or station
        if all(p is not None for p in group.parts):
            del self._groups[key]
            full = b"".join(p[0] for p in group.parts if p is not None)
            last = group.parts[-1]
            assert last is not None
            self._message(full, last[1], group.ts, group.station, group.lines, group.arrived)

    def _radar(self, line_no: int, raw: bytes, sentence: bytes, tag: TagBlock | None,
               prefix_ts: float | None) -> bool | None:
        """A radar target sentence: the line's time as for AIS ($PGHP, tag block, prefix, GPS
        clock, arrival), refined by the sentence's own UTC time (ingest/sensors.py)."""
        ts = self._pghp_ts
        self._pghp_ts = None
        station = None
        if tag is not None:
            station = tag.station
            ts = ts if ts is not None else tag.ts
        ts, arrived = self._fallback_time(ts, prefix_ts)
        try:
            contact = radar_contact(sentence.decode("ascii", "replace"), ts, arrived,
                                    station or self.source, self.radar)
        except ContactError as exc:
            self._reject(line_no, raw, exc.reason, exc.detail)
            return None
        cts = None if contact.ts is None else contact.ts.timestamp()
        if cts is not None and not q.MIN_TS <= cts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"receive time {cts:.0f} s")
            return None
        self.stats.lines_used += 1
        self.stats.messages_decoded += 1
        self.stats.contacts[contact.sensor] += 1
        if cts is None:
            self.stats.contacts_untimed += 1
        self.out.append((contact, cts, ((line_no, raw),)))
        return True

    def _drop_group(self, key: tuple[Any, ...], group: _Group, why: str) -> None:
        self._groups.pop(key, None)
        # These lines were counted as used when they arrived; move them to the rejects.
        self.stats.lines_used -= len(group.lines)
        self.reject_lines(group.lines, q.MISSING_FRAGMENT, why)

    def _sweep(self, line_no: int) -> None:
        """Bounded wait: a multi-part group not complete within ``max_wait`` lines is dropped."""
        self._next_sweep = line_no + max(1, self.max_wait // 4)
        for key, group in list(self._groups.items()):
            if line_no - group.first_line > self.max_wait:
                self._drop_group(key, group, f"incomplete after {self.max_wait} lines")

    def flush(self) -> None:
        """End of input: incomplete groups are rejected."""
        for key, group in list(self._groups.items()):
            self._drop_group(key, group, "incomplete at end of input")

    # -- messages --------------------------------------------------------------------------
    def _message(self, payload: bytes, fill: int, ts: float | None, station: str | None,
                 lines: Lines, arrived: bool = False,
                 fields: Fields | None = None) -> None:
        """One assembled message. ``fields``: its position fields when :meth:`feed_lines`
        has decoded them already (a 168-bit type 1/2/3/18 payload)."""
        stats = self.stats
        if fields is None and not payload_is_armoured(payload):  # (feed_lines' are)
            stats.lines_used -= len(lines)
            self.reject_lines(lines, q.BAD_PAYLOAD)
            return
        if self.dedup.is_duplicate(payload, ts):
            stats.lines_used -= len(lines)
            stats.messages_duplicate += 1
            self.reject_lines(lines, q.DUPLICATE)
            return
        msg_type = (payload[0] - 48) if payload[0] < 88 else (payload[0] - 56)
        bits = len(payload) * 6 - fill
        if bits < _MIN_BITS.get(msg_type, 38):
            stats.lines_used -= len(lines)
            self.reject_lines(lines, q.TRUNCATED_PAYLOAD, f"type {msg_type}: {bits} bits")
            return
        if bits == 168 and (msg_type <= 3 or msg_type == 18) and msg_type:
            stats.messages_decoded += 1
            stats.by_type[msg_type] += 1
            self._position(fields or position_168(payload, fill, msg_type), msg_type, ts,
                           station, lines, arrived)
            return
        if msg_type in _UNUSED_TYPES:
            # A message ingest keeps nothing of (base station, binary, safety, ...): counted
            # by type, not decoded into an object nobody reads.
            stats.messages_decoded += 1
            stats.by_type[msg_type] += 1
            return
        try:
            msg: Any = (static_text_fields(payload, fill) if msg_type == 5 and bits >= 424
                        else MSG_CLASS[msg_type].from_vector(bit_vector(payload, fill)))
        except Exception as exc:  # pyais raises many kinds; none may stop the stream
            stats.lines_used -= len(lines)
            self.reject_lines(lines, q.UNDECODABLE, f"{type(exc).__name__}: {exc}"[:200])
            return
        stats.messages_decoded += 1
        stats.by_type[msg_type] += 1
        if msg_type in _POSITION_TYPES:
            status = getattr(msg, "status", None)
            fields = (msg.mmsi, None if status is None else int(status), msg.speed, msg.lon,
                      msg.lat, msg.course, getattr(msg, "heading", None))
            self._position(fields, msg_type, ts, station, lines, arrived)
            if msg_type == 19:
                self._static(msg, msg_type, ts, lines, count=False)
        elif msg_type == 5 or msg_type == 24:
            self._static(msg, msg_type, ts, lines)

    def _datetime(self, ts: float | None) -> datetime | None:
        """Aware UTC datetime of an epoch time; consecutive messages often share a time."""
        if ts is None:
            return None
        if ts != self._dt_ts:
            self._dt_ts = ts
            self._dt = datetime.fromtimestamp(ts, UTC)
        return self._dt

    def _invalid(self, mmsi: int, lines: Lines) -> bool:
        if 100_000_000 <= mmsi <= 999_999_999:
            return False
        self.stats.lines_used -= len(lines)
        self.reject_lines(lines, q.INVALID_MMSI, f"MMSI {mmsi} is not nine digits")
        return True

    def _position(self, fields: Fields, msg_type: int, ts: float | None, station: str | None,
                  lines: Lines, arrived: bool = False) -> None:
        mmsi, nav, speed, lon, lat, course, heading = fields
        if not 100_000_000 <= mmsi <= 999_999_999 and self._invalid(mmsi, lines):
            return
        stats = self.stats
        if lat == 91.0 or lon == 181.0 or lat is None or lon is None:
            stats.positions_without_position += 1
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            stats.lines_used -= len(lines)
            self.reject_lines(lines, q.POSITION_OUT_OF_RANGE, f"lat {lat} lon {lon}")
            return
        if msg_type == 27:
            sog = None if speed is None or speed >= 63 else float(speed)
            cog = None if course is None or course >= 360 else float(course)
            heading = None
        else:
            sog = None if speed is None or speed in _NA_SPEED else speed
            cog = None if course is None or course >= 360.0 else course
            if heading is not None and heading >= 360:
                heading = None
        if nav == 15:
            nav = None
        stats.positions += 1
        if ts is None:
            stats.positions_untimed += 1
        elif arrived:
            stats.positions_arrival_time += 1
        report = PositionReport(
            self._datetime(ts),
            mmsi, lat, lon, sog, cog, heading, nav, msg_type, station or self.source, False,
            None if ts is None else TIME_ARRIVAL if arrived else TIME_TAG,
        )
        self.out.append((report, ts, lines))

    def _static(self, msg: Any, msg_type: int, ts: float | None,
                lines: Lines, count: bool = True) -> None:
        mmsi = msg.mmsi
        if count and self._invalid(mmsi, lines):
            return
        get: Callable[[str], Any] = lambda name: getattr(msg, name, None)  # noqa: E731
        to_bow, to_stern = get("to_bow"), get("to_stern")
        to_port, to_stbd = get("to_port"), get("to_starboard")
        length = (to_bow or 0) + (to_stern or 0)
        beam = (to_port or 0) + (to_stbd or 0)
        ship_type = get("ship_type")
        imo = get("imo")
        draught = get("draught")
        static = VesselStatic(
            ts=None if ts is None else datetime.fromtimestamp(ts, UTC),
            mmsi=mmsi,
            imo=int(imo) if imo else None,
            name=_clean_text(get("shipname")),
            callsign=_clean_text(get("callsign")),
            ship_type=int(ship_type) if ship_type else None,
            length_m=float(length) if length else None,
            beam_m=float(beam) if beam else None,
            draught_m=float(draught) if draught else None,
            destination=_clean_text(get("destination")),
        )
        self.stats.statics += 1
        self.out.append((static, ts, lines))
