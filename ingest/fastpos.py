"""A fast path for the hottest AIS messages: class A (types 1, 2, 3) and class B (type 18)
position reports of the standard 168 bits, which are most of any feed.

pyais decodes every field of a message into an object; ingest needs seven of them.
:func:`position_168` reads those seven straight from pyais's own bit vector, converted with
pyais's own functions; :func:`positions_168` does the same for many payloads at once with
numpy (de-armouring, bit extraction and the conversions as array operations, pyais's integer
formula for latitude and longitude), and :func:`ready_168` goes on to what ingest keeps of
each (the "not available" codes as None, the rows ingest must look at closer flagged), which is
what :meth:`ingest.decode.NmeaDecoder.feed_lines` uses. Property tests check the fields equal
pyais's, on random payloads and on a real capture, and that the batch path keeps what the
line-by-line path keeps. Every other message, and any of these with another length, goes
through pyais's message classes.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
from pyais.bit_vector import _SIXBIT_CHAR, int_bit_vector
from pyais.constants import ShipType
from pyais.messages import MSG_CLASS, to_10th, to_lat_lon, to_speed

from ingest.framing import ARMOUR

# (mmsi, nav_status or None, speed_kn, lon, lat, course_deg, heading)
Fields = tuple[int, int | None, float | None, float | None, float | None, float | None, int | None]
# The same fields for many payloads: one list per field, in that order.
Columns = tuple[list[int], list[int | None], list[float], list[float], list[float], list[float],
                list[int]]

# Six-bit text (ITU-R M.1371 table 47): pyais's own table, so text decodes as pyais's does.
SIXBIT_TEXT: tuple[str, ...] = tuple(_SIXBIT_CHAR)

# Six-bit value of each armour character (ITU-R M.1371: "0".."W" are 0..39, "`".."w" 40..63).
_SIX = np.zeros(256, np.uint8)
_SIX[np.frombuffer(ARMOUR, np.uint8)] = np.arange(64)
# Bit offsets from the start of the message and widths: (start, width) per field, for types
# 1-3 and for type 18 (ITU-R M.1371 tables; the same as pyais's message classes).
_CLASS_A = {"mmsi": (8, 30), "status": (38, 4), "speed": (50, 10), "lon": (61, 28),
            "lat": (89, 27), "course": (116, 12), "heading": (128, 9)}
_CLASS_B = {"mmsi": (8, 30), "speed": (46, 10), "lon": (57, 28), "lat": (85, 27),
            "course": (112, 12), "heading": (124, 9)}


def position_168(payload: bytes, fill: int, msg_type: int) -> Fields:
    """The position fields of a 168-bit type 1/2/3/18 payload (raw AIS values, including the
    "not available" codes: speed 102.3, lon 181, lat 91, course 360, heading 511)."""
    v = int_bit_vector(payload, fill)._value
    mmsi = (v >> 130) & 0x3FFFFFFF
    if msg_type == 18:
        status = None
        speed = (v >> 112) & 1023
        lx = (v >> 83) & 0xFFFFFFF
        ly = (v >> 56) & 0x7FFFFFF
        course = (v >> 44) & 4095
        heading = (v >> 35) & 511
    else:
        status = (v >> 126) & 15
        speed = (v >> 108) & 1023
        lx = (v >> 79) & 0xFFFFFFF
        ly = (v >> 52) & 0x7FFFFFF
        course = (v >> 40) & 4095
        heading = (v >> 31) & 511
    if lx & 0x8000000:
        lx -= 0x10000000
    if ly & 0x4000000:
        ly -= 0x8000000
    return (mmsi, status, to_speed(speed), to_lat_lon(lx), to_lat_lon(ly), to_10th(course),
            heading)


def _field(six: np.ndarray, start: int, width: int, signed: bool = False) -> np.ndarray:
    """The unsigned (or two's complement) integer of ``width`` bits from bit ``start``, per row
    of six-bit values (a field of up to 30 bits spans at most six of them: fits in int64)."""
    first, last = start // 6, (start + width - 1) // 6
    acc = six[:, first].astype(np.int64)
    for k in range(first + 1, last + 1):
        acc = (acc << 6) | six[:, k]
    value = (acc >> ((last + 1) * 6 - start - width)) & ((1 << width) - 1)
    if signed:
        value -= (value >> (width - 1)) << width
    return value


def _arrays(payloads: bytes, class_b: list[bool]) -> tuple[np.ndarray, ...]:
    """(mmsi, status, speed, lon, lat, course, heading, is_b) of many 28-character payloads
    as integer arrays of raw AIS values (lon and lat in 1/600000 degree)."""
    n = len(class_b)
    six = _SIX[np.frombuffer(payloads, np.uint8)].reshape(n, 28)
    b = np.array(class_b, dtype=bool)
    any_b = bool(b.any())

    def pick(name: str, signed: bool = False) -> np.ndarray:
        a = _field(six, *_CLASS_A[name], signed=signed)
        if not any_b or _CLASS_A[name] == _CLASS_B[name]:
            return a  # no type 18 in the batch, or the field sits at the same bits
        return np.where(b, _field(six, *_CLASS_B[name], signed=signed), a)

    return (pick("mmsi"), _field(six, *_CLASS_A["status"]), pick("speed"), pick("lon", True),
            pick("lat", True), pick("course"), pick("heading"), b)


def _degrees(raw: np.ndarray) -> np.ndarray:
    return ((10 * raw + 3) // 6) / 1e6  # pyais's to_lat_lon, in integers first


def positions_168(payloads: bytes, class_b: list[bool]) -> Columns:
    """:func:`position_168` of many 28-character payloads (fill 0), given concatenated; one
    ``class_b`` flag per payload (type 18, else 1-3). Returns one list per field."""
    mmsi, status_a, speed, lon, lat, course, heading, b = _arrays(payloads, class_b)
    status: list[int | None] = status_a.tolist()
    for i in np.flatnonzero(b).tolist():
        status[i] = None
    return (mmsi.tolist(), status, (speed / 10.0).tolist(), _degrees(lon).tolist(),
            _degrees(lat).tolist(), (course / 10.0).tolist(), heading.tolist())


# What ingest keeps of a report (ingest.decode.NmeaDecoder._position), for many at once:
# (mmsi, nav_status, sog_kn, lon, lat, cog_deg, heading_deg, msg_type, plain), one list per
# field, "not available" codes as None; ``plain`` is False for a row ingest must look at
# closer (an MMSI that is not nine digits, no position, a position out of range).
Ready = tuple[list[int], list[int | None], list[float | None], list[float], list[float],
              list[float | None], list[int | None], list[int], list[bool]]

_NA_SPEED_RAW = (1023, 630, 512)  # 102.3 kn: not available; 63.0 and 51.2: transponder noise


def _with_none(values: np.ndarray, missing: np.ndarray) -> list[Any]:
    out: list[Any] = values.tolist()
    for i in np.flatnonzero(missing).tolist():
        out[i] = None
    return out


def ready_168(payloads: bytes, class_b: list[bool]) -> Ready:
    """The fields ingest keeps of many 168-bit type 1/2/3/18 payloads (``Ready``): what
    :meth:`ingest.decode.NmeaDecoder._position` makes of :func:`positions_168`'s fields,
    computed for the batch."""
    mmsi, status, speed, lon_raw, lat_raw, course, heading, b = _arrays(payloads, class_b)
    lon, lat = _degrees(lon_raw), _degrees(lat_raw)
    plain = ((mmsi >= 100_000_000) & (mmsi <= 999_999_999) & (lat <= 90.0) & (lat >= -90.0)
             & (lon <= 180.0) & (lon >= -180.0))
    types = _SIX[np.frombuffer(payloads, np.uint8)[::28]]  # "B" is 18
    return (mmsi.tolist(), _with_none(status, b | (status == 15)),
            _with_none(speed / 10.0, np.isin(speed, _NA_SPEED_RAW)), lon.tolist(),
            lat.tolist(), _with_none(course / 10.0, course >= 3600),
            _with_none(heading, heading >= 360), types.tolist(), plain.tolist())


# Type 5 (static and voyage data): the fields ingest reads, (start bit, width), taken from
# pyais's own decoding plan of ``MessageType5`` (name, offset, width, signed, kind, converter).
_PLAN_5 = {step[0]: (step[1], step[2]) for step in MSG_CLASS[5].decoder_plan()}
_TYPE5_NUMBERS = {n: _PLAN_5[n] for n in ("mmsi", "imo", "ship_type", "to_bow", "to_stern",
                                           "to_port", "to_starboard", "draught")}
_TYPE5_TEXT = {n: _PLAN_5[n] for n in ("callsign", "shipname", "destination")}


def static_text_fields(payload: bytes, fill: int) -> SimpleNamespace:
    """What :meth:`ingest.decode.NmeaDecoder._static` reads of a type 5 message of at least
    the 424 bits its fields need (most are 424 or 426), as pyais's ``MessageType5`` gives it
    (its ship type enumeration, text without its ``@`` padding and outer spaces, draught in
    metres), without decoding its other fields: about a third of the cost."""
    v = int_bit_vector(payload, fill)._value
    size = len(payload) * 6 - fill
    out: dict[str, Any] = {}
    for name, (start, width) in _TYPE5_NUMBERS.items():
        out[name] = (v >> (size - start - width)) & ((1 << width) - 1)
    out["draught"] = to_10th(float(out["draught"]))
    out["ship_type"] = ShipType.from_value(out["ship_type"])
    for name, (start, width) in _TYPE5_TEXT.items():
        text = (v >> (size - start - width)) & ((1 << width) - 1)
        n = width // 6
        out[name] = "".join([SIXBIT_TEXT[(text >> (6 * (n - 1 - k))) & 63] for k in range(n)]
                            ).rstrip("@").strip()
    return SimpleNamespace(**out)
