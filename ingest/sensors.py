"""Non-AIS contacts: radar targets in NMEA 0183 ``TTM`` / ``TLL`` sentences, and satellite SAR
vessel detections in the Global Fishing Watch CSV form. Both become
:class:`mda.records.SensorContact` records (issue 12).

* ``TTM`` (tracked target message): target number, range and bearing from the radar, the
  target's speed and course, CPA, TCPA, units (``K`` km and km/h, ``N`` nautical miles and
  knots, ``S`` statute miles and mph), name, status (``T`` tracking, ``Q`` acquiring, ``L``
  lost), reference flag and, in NMEA 4.x, a UTC time. The position is range and bearing from
  the radar's own position, which the input does not carry: it is the ``[radar] lat, lon``
  setting (``mda replay --radar-at LAT,LON``). A bearing or course relative (``R``) to a
  heading needs ``[radar] heading_deg`` (a fixed shore radar reports true bearings).
* ``TLL`` (target latitude and longitude): target number, position, name, UTC time, status.
* SAR CSV (``detect_id``, ``detect_lat``, ``detect_lon``, ``detect_timestamp``, optional
  ``length_m``; the header is recognised like ingest/tables.py does for AIS tables). Every
  detection is its own contact.

The sentences are parsed by pynmea2 after the decoder's own framing and checksum check. Time:
the sentence's UTC time of day, on the date of the line's own time (tag block, prefix, GPS
clock; the nearest such day), else the line's time; a contact with no time at all is counted
as untimed (``IngestStats.contacts_untimed``), kept out of correlation.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ingest import quarantine as q
from ingest.quarantine import IngestStats, Reject
from mda.geo import M_PER_NM, destination
from mda.records import SENSOR_RADAR, SENSOR_SAR, TIME_ARRIVAL, TIME_TAG, SensorContact

if TYPE_CHECKING:
    from ingest.decode import Decoded

RADAR_SENTENCES = (b"TTM", b"TLL")
_STATUS = {"T": "tracking", "Q": "acquiring", "L": "lost"}
# metres per range unit, and knots per speed unit (TTM field 10)
_UNIT_M = {"K": 1000.0, "N": M_PER_NM, "S": 1609.344}
_UNIT_KN = {"K": 1000.0 / M_PER_NM, "N": 1.0, "S": 1609.344 / M_PER_NM}
SAR_COLUMNS = ("detect_id", "detect_lat", "detect_lon", "detect_timestamp")


@dataclass(frozen=True, slots=True)
class RadarSite:
    """Where a radar is (its TTM ranges and bearings start here) and, for relative bearings,
    its reference heading (degrees true)."""

    lat: float
    lon: float
    heading_deg: float | None = None


class ContactError(ValueError):
    """A radar sentence or SAR row that cannot be a contact: ``reason`` (ingest/quarantine.py)
    and a message."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal | int | float):
        return float(value)
    try:
        return float(value)
    except ValueError:
        return None


def _on_day_of(clock: time, ts: float) -> float:
    """The time of day ``clock`` (UTC) on the day nearest to epoch ``ts``."""
    day = datetime.fromtimestamp(ts, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    base = day.timestamp() + clock.hour * 3600 + clock.minute * 60 + clock.second \
        + clock.microsecond / 1e6
    for cand in (base - 86400.0, base + 86400.0):
        if abs(cand - ts) < abs(base - ts):
            base = cand
    return base


def _absolute(angle: float, ref: str, site: RadarSite, what: str) -> float:
    if ref in ("T", ""):
        return angle % 360.0
    if ref != "R":
        raise ContactError(q.BAD_TARGET, f"{what} reference {ref!r} is neither T nor R")
    if site.heading_deg is None:
        raise ContactError(q.RELATIVE_BEARING, f"{what} is relative (R) and the radar has no "
                                               "heading_deg setting")
    return (angle + site.heading_deg) % 360.0


def radar_contact(sentence: str, line_ts: float | None, arrived: bool, source: str,
                  site: RadarSite | None) -> SensorContact:
    """A TTM or TLL sentence (checksum already checked) as a contact; ``line_ts`` is the time
    the line carries (epoch s) or None. Raises :class:`ContactError`."""
    import pynmea2

    try:
        msg: Any = pynmea2.parse(sentence, check=False)
    except (pynmea2.ParseError, ValueError, TypeError) as exc:
        raise ContactError(q.BAD_TARGET, f"{type(exc).__name__}: {exc}"[:200]) from None
    kind = sentence[3:6] if sentence.startswith("$") else sentence[2:5]
    try:
        number = msg.target_number
        clock = msg.timestamp
    except (ValueError, TypeError, AttributeError) as exc:
        raise ContactError(q.BAD_TARGET, f"{kind}: {type(exc).__name__}: {exc}"[:200]) from None
    if not isinstance(number, int) or isinstance(number, bool) or number < 0:
        raise ContactError(q.BAD_TARGET, f"{kind} target number {number!r} is not a number")
    if clock is not None and not isinstance(clock, time):
        raise ContactError(q.BAD_TARGET, f"{kind} UTC time {clock!r} unreadable")
    status_code = (msg.target_status if kind == "TLL" else msg.status) or ""
    status = _STATUS.get(status_code.strip().upper()) if status_code else None
    sog = cog = None
    if kind == "TTM":
        if site is None:
            raise ContactError(q.NO_RADAR_POSITION, "TTM gives range and bearing from the "
                               "radar: set [radar] lat, lon (or --radar-at LAT,LON)")
        try:
            rng, brg = _float(msg.distance), _float(msg.bearing)
            speed, course = _float(msg.speed), _float(msg.cog)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ContactError(q.BAD_TARGET, f"TTM: {exc}"[:200]) from None
        unit = (msg.dist_unit or "N").strip().upper()
        if rng is None or brg is None or rng < 0 or unit not in _UNIT_M:
            raise ContactError(q.BAD_TARGET, f"TTM range {msg.distance!r} {unit!r} or bearing "
                               f"{msg.bearing!r} unreadable")
        bearing = _absolute(brg, (msg.brg_ref or "T").strip().upper(), site, "bearing")
        lat, lon = destination(site.lat, site.lon, rng * _UNIT_M[unit], bearing)
        if speed is not None and speed >= 0:
            sog = speed * _UNIT_KN[unit]
        if course is not None and 0 <= course < 360:
            cog = _absolute(course, (msg.cog_unit or "T").strip().upper(), site, "course")
        name = msg.name
    else:
        try:
            lat, lon = float(msg.latitude), float(msg.longitude)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise ContactError(q.BAD_TARGET, f"TLL position unreadable: {exc}"[:200]) from None
        if not msg.lat or not msg.lon:
            raise ContactError(q.BAD_TARGET, "TLL without a position")
        name = msg.target_name
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        raise ContactError(q.POSITION_OUT_OF_RANGE, f"lat {lat} lon {lon}")
    ts = line_ts
    if clock is not None and line_ts is not None:
        ts = _on_day_of(clock, line_ts)
    return SensorContact(
        None if ts is None else datetime.fromtimestamp(ts, UTC), SENSOR_RADAR, source,
        str(number), lat, lon, sog, cog, None, status, (name or "").strip() or None,
        None if ts is None else TIME_ARRIVAL if arrived and clock is None else TIME_TAG)


def looks_like_sar_header(line: str) -> bool:
    cols = {c.strip().lower().lstrip("\ufeff") for c in line.replace(";", ",").split(",")}
    return all(c in cols for c in SAR_COLUMNS)


class SarDecoder:
    """SAR detection rows -> :class:`SensorContact`; the ``feed``/``flush``/``out``/``rejects``
    shape of the other decoders. A row without a readable id, position or time is rejected
    (``bad_sar_detection``); a length that cannot be read is None (``unreadable``)."""

    def __init__(self, source: str, stats: IngestStats) -> None:
        self.source = source
        self.stats = stats
        self.out: list[Decoded] = []
        self.rejects: list[Reject] = []
        self.unreadable: dict[str, int] = {}
        self._header: list[str] | None = None
        self._delimiter = ","

    def _reject(self, line_no: int, raw: bytes, reason: str, detail: str = "") -> None:
        self.stats.rejected[reason] += 1
        self.rejects.append(
            Reject(self.source, line_no, raw.decode("utf-8", "replace"), reason, detail))

    def feed(self, line_no: int, raw: bytes) -> None:
        from ingest.tables import parse_ts

        self.stats.lines_read += 1
        text = raw.decode("utf-8", "replace").strip().lstrip("\ufeff")
        if not text:
            self._reject(line_no, raw, q.BLANK)
            return
        if self._header is None:
            self._delimiter = ";" if text.count(";") > text.count(",") else ","
            self._header = [c.strip().lower() for c in
                            next(csv.reader([text], delimiter=self._delimiter))]
            self.stats.lines_used += 1
            return
        values = next(csv.reader([text], delimiter=self._delimiter))
        if len(values) != len(self._header):
            self._reject(line_no, raw, q.BAD_ROW, "wrong number of columns")
            return
        row = dict(zip(self._header, values, strict=True))
        get: Callable[[str], str] = lambda c: row.get(c, "").strip()  # noqa: E731
        ident = get("detect_id")
        lat, lon = _float(get("detect_lat")), _float(get("detect_lon"))
        if not ident:
            self._reject(line_no, raw, q.BAD_DETECTION, "no detect_id")
            return
        if lat is None or lon is None:
            self._reject(line_no, raw, q.BAD_DETECTION,
                         f"unreadable position {get('detect_lat')!r}, {get('detect_lon')!r}")
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            self._reject(line_no, raw, q.POSITION_OUT_OF_RANGE, f"lat {lat} lon {lon}")
            return
        stamp = get("detect_timestamp")
        ts = parse_ts(stamp) if stamp else None
        if stamp and ts is None:
            self._reject(line_no, raw, q.BAD_DETECTION, f"unreadable time {stamp!r}")
            return
        if ts is not None and not q.MIN_TS <= ts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"time {stamp!r}")
            return
        length = _float(get("length_m")) if get("length_m") else None
        if get("length_m") and length is None:
            self.unreadable["length_m"] = self.unreadable.get("length_m", 0) + 1
        self.stats.lines_used += 1
        self.stats.messages_decoded += 1
        self.stats.contacts[SENSOR_SAR] += 1
        if ts is None:
            self.stats.contacts_untimed += 1
        contact = SensorContact(
            None if ts is None else datetime.fromtimestamp(ts, UTC), SENSOR_SAR, self.source,
            ident, lat, lon, None, None, length if length is not None and length > 0 else None,
            None, None, None if ts is None else TIME_TAG)
        self.out.append((contact, ts, [(line_no, raw)]))

    def flush(self) -> None:
        return None
