"""Wire format of the streaming topics: compact JSON, one record per Kafka message.

Encoded and decoded with orjson (about a fifth of the stdlib json's cost per record on the
2-core test machine, ``bench/streaming_profile.py``); the bytes are plain JSON that any reader
takes. orjson writes a non-finite float as ``null`` (no value; the stdlib json wrote the
non-JSON ``NaN``); ingest's validation lets none through (speeds and courses out of range
become no value there, positions out of range are rejected). A value JSON cannot hold at all
raises ``ValueError``.

Positions topic (key: MMSI): ``{"k": "p", ...}`` position, ``{"k": "s", ...}`` static data
(sent on the positions topic too, so a worker sees a vessel's statics in order with its
positions), ``{"k": "t", "t": epoch_s}`` a watermark tick (sent to every partition).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson

from mda.records import PositionReport, VesselStatic


def _dt(t: float | None) -> datetime | None:
    return None if t is None else datetime.fromtimestamp(t, UTC)


def encode_position(r: PositionReport) -> bytes:
    obj: dict[str, Any] = {
        "k": "p", "t": None if r.ts is None else r.ts.timestamp(), "m": r.mmsi, "la": r.lat,
        "lo": r.lon, "s": r.sog_kn, "c": r.cog_deg, "h": r.heading_deg, "n": r.nav_status,
        "y": r.msg_type, "src": r.source,
    }
    if r.derived:
        obj["d"] = True  # speed/course derived by ingest (absent: reported)
    if r.time_source is not None:
        obj["ts"] = r.time_source  # "tag" or "arrival" (mda.records.TIME_TAG, TIME_ARRIVAL)
    return _dumps(obj)


def encode_static(v: VesselStatic) -> bytes:
    return _dumps({
        "k": "s", "t": None if v.ts is None else v.ts.timestamp(), "m": v.mmsi, "imo": v.imo,
        "name": v.name, "cs": v.callsign, "st": v.ship_type, "len": v.length_m,
        "beam": v.beam_m, "dr": v.draught_m, "dest": v.destination, "tx": v.transmitter,
    })


def encode_tick(t: float, source: int | None = None,
                down: dict[str, tuple[str, float]] | None = None) -> bytes:
    """A watermark tick; ``down``: the sources the ingest's feed detector judges down at
    ``t``, ``{source: [reason, since]}`` (absent when the ingest runs no feed detector)."""
    obj: dict[str, Any] = {"k": "t", "t": t}
    if source is not None:
        obj["src"] = source
    if down is not None:
        obj["down"] = down
    return _dumps(obj)


def down_of(obj: dict[str, Any]) -> dict[str, tuple[str, float]] | None:
    """The ``down`` map of a decoded tick, or None."""
    down = obj.get("down")
    if not isinstance(down, dict):
        return None
    return {str(s): (str(v[0]), float(v[1])) for s, v in down.items()}


def _dumps(obj: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(obj)
    except orjson.JSONEncodeError as exc:  # a TypeError: a value JSON cannot hold
        raise ValueError(f"cannot encode an mda streaming record: {exc}") from exc


def decode(data: bytes) -> dict[str, Any]:
    """A record of the topics; ``ValueError`` (orjson's JSONDecodeError is one) for bytes that
    are not JSON or not an mda record."""
    obj = orjson.loads(data)
    if not isinstance(obj, dict) or obj.get("k") not in ("p", "s", "t", "i"):
        raise ValueError("not an mda streaming record")
    return obj


def position_of(o: dict[str, Any]) -> PositionReport:
    return PositionReport(_dt(o["t"]), int(o["m"]), float(o["la"]), float(o["lo"]), o.get("s"),
                          o.get("c"), o.get("h"), o.get("n"), int(o.get("y") or 0),
                          str(o.get("src") or ""), bool(o.get("d")),
                          o.get("ts"))


def static_of(o: dict[str, Any]) -> VesselStatic:
    return VesselStatic(_dt(o.get("t")), int(o["m"]), imo=o.get("imo"), name=o.get("name"),
                        callsign=o.get("cs"), ship_type=o.get("st"), length_m=o.get("len"),
                        beam_m=o.get("beam"), draught_m=o.get("dr"), destination=o.get("dest"),
                        transmitter=o.get("tx"))
