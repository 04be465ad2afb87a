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

A target flagged as a reference target (``R``: a fixed object the radar stabilises on) is
decoded with ``reference`` set; correlation counts it and does not alert on it.
* SAR CSV (``detect_id``, ``detect_lat``, ``detect_lon``, ``detect_timestamp``, optional
  ``length_m``): :class:`ingest.tables.SarDecoder`, the header recognised as for AIS tables.
  Every detection is its own contact.

The sentences are parsed by pynmea2 after the decoder's own framing and checksum check. Time:
the sentence's UTC time of day, on the date of the line's own time (tag block, prefix, GPS
clock; the nearest such day), else the line's time; a contact with no time at all is counted
as untimed (``IngestStats.contacts_untimed``), kept out of correlation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from ingest import quarantine as q
from mda.geo import M_PER_NM, destination
from mda.records import SENSOR_RADAR, TIME_ARRIVAL, TIME_TAG, SensorContact

RADAR_SENTENCES = (b"TTM", b"TLL")
_STATUS = {"T": "tracking", "Q": "acquiring", "L": "lost"}
# metres per range unit, and knots per speed unit (TTM field 10)
_UNIT_M = {"K": 1000.0, "N": M_PER_NM, "S": 1609.344}
_UNIT_KN = {"K": 1000.0 / M_PER_NM, "N": 1.0, "S": 1609.344 / M_PER_NM}


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
    reference = str(getattr(msg, "reference", "") or "").strip().upper() == "R"
    return SensorContact(
        None if ts is None else datetime.fromtimestamp(ts, UTC), SENSOR_RADAR, source,
        str(number), lat, lon, sog, cog, None, status, (name or "").strip() or None,
        None if ts is None else TIME_ARRIVAL if arrived and clock is None else TIME_TAG,
        reference)
