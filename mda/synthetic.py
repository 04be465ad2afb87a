"""Synthetic AIS: build tracks and write them as NMEA with tag-block times (pyais encoding).

One small helper for tests, the committed sample and (later) exercise scenarios. Seeded and
deterministic: no wall clock, no global random state.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from pyais.encode import encode_dict

from ingest.framing import nmea_checksum
from mda.geo import M_PER_NM, bearing_deg, haversine_m
from mda.records import PositionReport, SensorContact, VesselStatic, parse_utc


def track(
    mmsi: int,
    start: datetime,
    lat: float,
    lon: float,
    sog_kn: float,
    cog_deg: float,
    every_s: float,
    duration_s: float,
    nav_status: int | None = 0,  # None: no status reported (as in a positions-only table)
    msg_type: int = 1,
) -> list[PositionReport]:
    """A straight track (rhumb line on a flat-Earth approximation, fine over tens of nm)."""
    out: list[PositionReport] = []
    n = int(duration_s // every_s) + 1
    for i in range(n):
        dt_h = i * every_s / 3600.0
        dist_nm = sog_kn * dt_h
        la = lat + dist_nm * math.cos(math.radians(cog_deg)) / 60.0
        lo = lon + dist_nm * math.sin(math.radians(cog_deg)) / (
            60.0 * max(0.01, math.cos(math.radians(la))))
        lo = (lo + 180.0) % 360.0 - 180.0
        out.append(PositionReport(
            start + timedelta(seconds=i * every_s), mmsi, round(la, 6), round(lo, 6),
            sog_kn, cog_deg % 360.0, round(cog_deg) % 360, nav_status, msg_type, "synthetic"))
    return out


def legs(
    mmsi: int,
    start: datetime,
    lat: float,
    lon: float,
    plan: Iterable[tuple[float, float, float]],
    every_s: float = 120.0,
    nav_status: int = 0,
) -> list[PositionReport]:
    """A track of straight legs: ``plan`` is ``(sog_kn, cog_deg, hours)`` per leg; each leg
    starts where the previous one ended. Reports every ``every_s`` seconds throughout."""
    out: list[PositionReport] = []
    t = start
    for sog, cog, hours in plan:
        leg = track(mmsi, t, lat, lon, sog, cog, every_s, hours * 3600.0, nav_status)
        if out:
            leg = leg[1:]  # the leg's first point is the previous leg's last
        out.extend(leg)
        end = track(mmsi, t, lat, lon, sog, cog, hours * 3600.0, hours * 3600.0, nav_status)[-1]
        lat, lon, t = end.lat, end.lon, t + timedelta(hours=hours)
    return out


def drop_between(reports: list[PositionReport], start: datetime,
                 end: datetime) -> list[PositionReport]:
    """The track with the reports in [start, end) removed: a vessel that went dark."""
    return [r for r in reports if not (r.ts is not None and start <= r.ts < end)]


def with_status(reports: Iterable[PositionReport], nav_status: int) -> list[PositionReport]:
    return [replace(r, nav_status=nav_status) for r in reports]


def tag_block(ts: datetime, station: str = "mda-synthetic") -> str:
    body = f"s:{station},c:{int(ts.timestamp())}"
    return f"\\{body}*{nmea_checksum(body.encode('ascii')):02X}\\"


def position_nmea(report: PositionReport, channel: str = "A") -> list[str]:
    """NMEA sentences (no tag block) of a position report, as AIS type 1 or 18."""
    assert report.ts is not None
    fields: dict[str, str | int | float | bytes | bool] = {
        "type": report.msg_type if report.msg_type in (1, 2, 3, 18) else 1,
        "mmsi": report.mmsi,
        "lat": report.lat,
        "lon": report.lon,
        "speed": 102.3 if report.sog_kn is None else report.sog_kn,
        "course": 360.0 if report.cog_deg is None else report.cog_deg,
        "heading": 511 if report.heading_deg is None else report.heading_deg,
        "second": report.ts.second,
        "accuracy": 1,
    }
    if fields["type"] != 18:
        fields["status"] = 15 if report.nav_status is None else report.nav_status
    return list(encode_dict(fields, radio_channel=channel, talker_id="AI",
                            sentence_type="VDM"))


def static_nmea(static: VesselStatic, seq_id: int = 0, channel: str = "A") -> list[str]:
    """NMEA sentences of an AIS type 5 static and voyage report."""
    length = int(static.length_m or 0)
    beam = int(static.beam_m or 0)
    fields: dict[str, str | int | float | bytes | bool] = {
        "type": 5,
        "mmsi": static.mmsi,
        "imo": static.imo or 0,
        "shipname": static.name or "",
        "callsign": static.callsign or "",
        "ship_type": static.ship_type or 0,
        "to_bow": length - length // 5,
        "to_stern": length // 5,
        "to_port": beam // 2,
        "to_starboard": beam - beam // 2,
        "draught": static.draught_m or 0,
        "destination": static.destination or "",
    }
    return list(encode_dict(fields, radio_channel=channel, talker_id="AI", sentence_type="VDM",
                            seq_id=seq_id))


def to_lines(items: Iterable[PositionReport | VesselStatic],
             station: str = "mda-synthetic") -> list[str]:
    """Tag-blocked NMEA lines for records, in the order given (group ids for multi-part)."""
    lines: list[str] = []
    seq = 0
    for item in items:
        assert item.ts is not None
        if isinstance(item, PositionReport):
            sentences = position_nmea(item)
        else:
            seq = seq % 9 + 1
            sentences = static_nmea(item, seq_id=seq)
        tag = tag_block(item.ts, station)
        lines.extend(tag + s for s in sentences)
    return lines


def _sentence(body: str) -> str:
    return f"${body}*{nmea_checksum(body.encode('ascii')):02X}"


def _ddmm(value: float, width: int, hemis: str) -> str:
    deg = int(abs(value))
    minutes = (abs(value) - deg) * 60.0
    return f"{deg:0{width}d}{minutes:06.3f},{hemis[0] if value >= 0 else hemis[1]}"


_STATUS_CODE = {"tracking": "T", "acquiring": "Q", "lost": "L", None: "T"}


def radar_sentence(contact: SensorContact, radar: tuple[float, float] | None = None,
                   talker: str = "RA") -> str:
    """A radar target as NMEA: ``TTM`` (range in nautical miles and true bearing from the
    radar at ``radar`` (lat, lon), speed in knots, the contact's UTC time) when ``radar`` is
    given, else ``TLL`` (its position)."""
    ts = contact.ts
    clock = "" if ts is None else ts.strftime("%H%M%S.") + f"{ts.microsecond // 10000:02d}"
    status = _STATUS_CODE.get(contact.status, "T")
    name = contact.name or ""
    if radar is None:
        return _sentence(f"{talker}TLL,{int(contact.contact_id):02d},"
                         f"{_ddmm(contact.lat, 2, 'NS')},{_ddmm(contact.lon, 3, 'EW')},"
                         f"{name},{clock},{status},")
    rng_nm = haversine_m(radar[0], radar[1], contact.lat, contact.lon) / M_PER_NM
    brg = bearing_deg(radar[0], radar[1], contact.lat, contact.lon)
    sog = "" if contact.sog_kn is None else f"{contact.sog_kn:.1f}"
    cog = "" if contact.cog_deg is None else f"{contact.cog_deg:.1f}"
    return _sentence(f"{talker}TTM,{int(contact.contact_id):02d},{rng_nm:.3f},{brg:.1f},T,"
                     f"{sog},{cog},T,,,N,{name},{status},,{clock},A")


def epoch(text: str) -> datetime:
    """``2024-01-15T06:00:00Z`` -> aware UTC datetime."""
    return parse_utc(text)
