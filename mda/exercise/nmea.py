"""AIS encoding for exercises: many position reports at once, and static messages.

Position reports (types 1 and 18, 168 bits) are packed with numpy, many rows at a time, by the
same rules pyais's encoder applies (``pyais.encode.encode_dict``: speed and course in tenths
truncated, positions in 1/10000 minute rounded, "no turn information", zero for the fields not
given, and the manoeuvre indicator 0, "not available" in ITU-R M.1371, where pyais's default is
3); a test checks the sentences equal pyais's byte for byte. A pyais call costs about 50 us a
message, too slow for exercises of millions of reports. Static messages (type 5, and type 24
parts A and B for class B) go through pyais itself, once per vessel, and are reused.

Lines are NMEA 4.0 tag-blocked sentences: ``\\s:STATION,c:EPOCH*hh\\!AIVDM,1,1,,A,...,0*hh``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from ingest.framing import nmea_checksum
from mda.records import VesselStatic
from mda.synthetic import static_nmea

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)

# (field, width) of the 168-bit position reports, in order (ITU-R M.1371-5; gpsd AIVDM).
_TYPE1 = (("type", 6), ("repeat", 2), ("mmsi", 30), ("status", 4), ("turn", 8), ("speed", 10),
          ("accuracy", 1), ("lon", 28), ("lat", 27), ("course", 12), ("heading", 9),
          ("second", 6), ("maneuver", 2), ("spare", 3), ("raim", 1), ("radio", 19))
_TYPE18 = (("type", 6), ("repeat", 2), ("mmsi", 30), ("reserved", 8), ("speed", 10),
           ("accuracy", 1), ("lon", 28), ("lat", 27), ("course", 12), ("heading", 9),
           ("second", 6), ("reserved2", 2), ("cs", 1), ("display", 1), ("dsc", 1), ("band", 1),
           ("msg22", 1), ("assigned", 1), ("raim", 1), ("radio", 20))


def _plan(layout: Sequence[tuple[str, int]]) -> list[tuple[str, int, int, int, int]]:
    """For each (field, character) overlap: (field, character index, right shift of the
    field value, mask, left shift within the 6-bit character)."""
    plan = []
    offset = 0
    for name, width in layout:
        end = offset + width
        for c in range(offset // 6, (end - 1) // 6 + 1):
            a, b = max(offset, 6 * c), min(end, 6 * c + 6)
            plan.append((name, c, end - b, (1 << (b - a)) - 1, 6 * c + 6 - b))
        offset = end
    assert offset % 6 == 0
    return plan


_PLANS: dict[int, list[tuple[str, int, int, int, int]]] = {}


def _sixbits(fields: dict[str, IntArray], layout: Sequence[tuple[str, int]], n: int
             ) -> IntArray:
    """Rows of 6-bit values of the fields packed MSB first (two's complement for negatives)."""
    key = id(layout)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _plan(layout)
    chars = sum(w for _, w in layout) // 6
    out = np.zeros((chars, n), dtype=np.int64)
    for name, c, shift, mask, left in plan:
        values = fields.get(name)
        if values is None:
            continue
        out[c] |= ((values >> shift) & mask) << left
    return out.T


def armour(six: IntArray) -> npt.NDArray[np.uint8]:
    """6-bit values -> armoured ASCII payload characters (ITU-R M.1371 6-bit ASCII)."""
    six = six + 48
    six[six > 87] += 8
    return six.astype(np.uint8)


def position_payloads(msg_type: IntArray, mmsi: IntArray, status: IntArray,
                      speed_kn: FloatArray, lon: FloatArray, lat: FloatArray,
                      course_deg: FloatArray, heading: IntArray, second: IntArray,
                      accuracy: IntArray) -> npt.NDArray[np.uint8]:
    """Armoured 28-character payloads (rows) of type 1/2/3 or 18 position reports.

    ``speed_kn`` 102.3 and ``course_deg`` 360 mean "not available"; ``heading`` 511 too; a
    ``status`` of 15 is "not defined". Types other than 18 are written with the layout of
    types 1-3 (``msg_type`` is kept)."""
    n = len(mmsi)
    out = np.empty((n, 28), dtype=np.uint8)
    common = {
        "mmsi": mmsi.astype(np.int64),
        # pyais: int(v * 10.0) truncates; round() for 1/10000 minutes
        "speed": (speed_kn * 10.0).astype(np.int64),
        "accuracy": accuracy.astype(np.int64),
        "lon": np.round(lon * 600000.0).astype(np.int64),
        "lat": np.round(lat * 600000.0).astype(np.int64),
        "course": (course_deg * 10.0).astype(np.int64),
        "heading": heading.astype(np.int64),
        "second": second.astype(np.int64),
    }
    b18 = msg_type == 18
    for mask, layout in ((~b18, _TYPE1), (b18, _TYPE18)):
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        fields = {k: v[idx] for k, v in common.items()}
        fields["type"] = msg_type[idx].astype(np.int64)
        if layout is _TYPE1:
            fields["status"] = status[idx].astype(np.int64)
            fields["turn"] = np.full(len(idx), -128, dtype=np.int64)  # no turn information
        out[idx] = armour(_sixbits(fields, layout, len(idx)))
    return out


def _checksums(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """Two hex digits (rows of 2) of the XOR of each row."""
    x = np.bitwise_xor.reduce(rows, axis=1)
    return np.stack([_HEX[x >> 4], _HEX[x & 15]], axis=1)


def _digits(values: IntArray, width: int) -> npt.NDArray[np.uint8]:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def _const(text: bytes, n: int) -> npt.NDArray[np.uint8]:
    return np.broadcast_to(np.frombuffer(text, dtype=np.uint8), (n, len(text)))


def tag_blocks(epoch_s: IntArray, station: bytes) -> npt.NDArray[np.uint8]:
    """Rows ``\\s:STATION,c:EPOCH*hh\\`` for 10-digit epoch seconds (2001-2286)."""
    n = len(epoch_s)
    if n and (epoch_s.min() < 1_000_000_000 or epoch_s.max() > 9_999_999_999):
        raise ValueError("tag-block times must be 10-digit epoch seconds")
    body = np.concatenate([_const(b"s:" + station + b",c:", n), _digits(epoch_s, 10)], axis=1)
    return np.concatenate([_const(b"\\", n), body, _const(b"*", n), _checksums(body),
                           _const(b"\\", n)], axis=1)


def _vdm_rows(channel: npt.NDArray[np.uint8],
              payloads: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    n = len(payloads)
    body = np.concatenate([_const(b"AIVDM,1,1,,", n), channel[:, None], _const(b",", n),
                           payloads, _const(b",0", n)], axis=1)
    return np.concatenate([_const(b"!", n), body, _const(b"*", n), _checksums(body)], axis=1)


def _as_lines(rows: npt.NDArray[np.uint8]) -> list[bytes]:
    rows = np.ascontiguousarray(rows)
    return rows.view(f"S{rows.shape[1]}").ravel().tolist()  # type: ignore[no-any-return]


def position_lines(epoch_s: IntArray, station: bytes, channel: npt.NDArray[np.uint8],
                   payloads: npt.NDArray[np.uint8]) -> list[bytes]:
    """Tag-blocked ``!AIVDM`` lines (without line ends) for payload rows; ``channel`` holds
    ``ord('A')`` or ``ord('B')`` per row."""
    if not len(epoch_s):
        return []
    return _as_lines(np.concatenate([tag_blocks(epoch_s, station),
                                     _vdm_rows(channel, payloads)], axis=1))


def vdm_lines(channel: npt.NDArray[np.uint8], payloads: npt.NDArray[np.uint8]) -> list[bytes]:
    """Plain ``!AIVDM`` lines (no tag block, no time: what a receiver sends) for payload
    rows."""
    if not len(payloads):
        return []
    return _as_lines(_vdm_rows(channel, payloads))


def tag_block(epoch_s: int, station: str) -> str:
    body = f"s:{station},c:{epoch_s}"
    return f"\\{body}*{nmea_checksum(body.encode('ascii')):02X}\\"


def static_sentences(static: VesselStatic, class_b: bool, seq_id: int = 1) -> list[str]:
    """The sentences (no tag blocks) of a vessel's static report: type 5 (two sentences,
    sequence ``seq_id``) for class A; type 24 parts A and B for class B (pyais encoding)."""
    if not class_b:
        return static_nmea(static, seq_id=seq_id)
    from pyais.encode import encode_dict

    length = int(static.length_m or 0)
    beam = int(static.beam_m or 0)
    part_a: dict[str, str | int | float | bytes | bool] = {
        "type": 24, "mmsi": static.mmsi, "partno": 0, "shipname": static.name or ""}
    part_b: dict[str, str | int | float | bytes | bool] = {
        "type": 24, "mmsi": static.mmsi, "partno": 1, "ship_type": static.ship_type or 0,
        "callsign": static.callsign or "", "to_bow": length - length // 5,
        "to_stern": length // 5, "to_port": beam // 2, "to_starboard": beam - beam // 2}
    out: list[str] = []
    for fields in (part_a, part_b):
        out += encode_dict(fields, radio_channel="B", talker_id="AI", sentence_type="VDM")
    return out
