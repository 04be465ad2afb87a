"""A fast path for the hottest AIS messages: class A (types 1, 2, 3) and class B (type 18)
position reports of the standard 168 bits, which are most of any feed.

pyais decodes every field of a message into an object; ingest needs seven of them. This reads
those seven straight from pyais's own bit vector, converted with pyais's own functions, so the
values are the ones pyais gives (a property test checks that on random payloads and on a real
capture). Every other message, and any of these with another length, goes through pyais's
message classes.
"""

from __future__ import annotations

from pyais.bit_vector import int_bit_vector
from pyais.messages import to_10th, to_lat_lon, to_speed

# (mmsi, nav_status or None, speed_kn, lon, lat, course_deg, heading)
Fields = tuple[int, int | None, float | None, float | None, float | None, float | None, int | None]


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
