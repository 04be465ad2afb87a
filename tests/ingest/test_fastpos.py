"""The position fast paths give exactly what pyais gives, field for field: one payload at a
time (``position_168``) and many at once (``positions_168``, numpy), and the batch line path
of the decoder (``NmeaDecoder.feed_lines``) does exactly what feeding line by line does."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from ingest.decode import NmeaDecoder
from ingest.dedup import Deduplicator
from ingest.fastpos import position_168, positions_168, static_text_fields
from ingest.quarantine import IngestStats

_ARMOUR = [chr(c) for c in list(range(48, 88)) + list(range(96, 120))]


def _armour(value: int) -> bytes:
    return "".join(_ARMOUR[(value >> (6 * (27 - i))) & 63] for i in range(28)).encode()


def _pyais_fields(payload: bytes, msg_type: int) -> tuple[object, ...]:
    # Any: MSG_CLASS gives a union of all 55 message classes; only position types (1-3,
    # 18) come here, and they all have these fields.
    msg: Any = MSG_CLASS[msg_type].from_vector(bit_vector(payload, 0))
    status = getattr(msg, "status", None)
    return (msg.mmsi, None if status is None else int(status), msg.speed, msg.lon, msg.lat,
            msg.course, msg.heading)


def _batch(payloads: list[bytes]) -> list[tuple[object, ...]]:
    cols = positions_168(b"".join(payloads), [p[:1] == b"B" for p in payloads])
    return list(zip(*cols, strict=True))


def _typed(row: tuple[object, ...]) -> list[tuple[type, object]]:
    return [(type(x), x) for x in row]  # 3 == 3.0, but an int where pyais has a float is not


@given(msg_type=st.sampled_from([1, 2, 3, 18]), rest=st.integers(0, 2**162 - 1))
def test_fast_path_equals_pyais_on_random_payloads(msg_type: int, rest: int) -> None:
    payload = _armour((msg_type << 162) | rest)
    assert position_168(payload, 0, msg_type) == _pyais_fields(payload, msg_type)


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3, 18]), st.integers(0, 2**162 - 1)),
                min_size=1, max_size=40))
def test_batch_path_equals_pyais_on_random_payloads(messages: list[tuple[int, int]]) -> None:
    payloads = [_armour((t << 162) | rest) for t, rest in messages]
    got = _batch(payloads)
    for (t, _), payload, row in zip(messages, payloads, got, strict=True):
        assert _typed(row) == _typed(_pyais_fields(payload, t))


def _capture_payloads(shared: Path) -> list[bytes]:
    path = shared / "nmea" / "aishub_3min_global_gpsd-contrib.nmea.gz"
    out = []
    with gzip.open(path, "rb") as f:
        for line in f:
            parts = line.rstrip().split(b",")
            if len(parts) < 7 or parts[1] != b"1" or not parts[5]:
                continue
            payload = parts[5]
            msg_type = (payload[0] - 48) if payload[0] < 88 else (payload[0] - 56)
            if msg_type in (1, 2, 3, 18) and len(payload) * 6 == 168:
                out.append(payload)
    return out


def test_fast_paths_equal_pyais_on_a_real_capture(shared: Path) -> None:
    payloads = _capture_payloads(shared)
    assert len(payloads) > 50_000
    batch = _batch(payloads)
    for payload, row in zip(payloads, batch, strict=True):
        msg_type = 18 if payload[:1] == b"B" else payload[0] - 48
        want = _pyais_fields(payload, msg_type)
        assert position_168(payload, 0, msg_type) == want
        assert _typed(row) == _typed(want)


def _decode(lines: list[bytes], batch: int) -> tuple[object, ...]:
    """Everything a decoder gives for ``lines``: records, rejects, counters."""
    stats = IngestStats()
    dec = NmeaDecoder("test", stats, Deduplicator())
    out: list[object] = []
    rejects: list[object] = []
    for start in range(0, len(lines), batch or 1):
        chunk = lines[start:start + (batch or 1)]
        if batch:
            dec.feed_lines(start + 1, chunk)
        else:
            dec.feed(start + 1, chunk[0])
        out.extend(dec.out)
        rejects.extend(dec.rejects)
        dec.out.clear()
        dec.rejects.clear()
    dec.flush()
    return out + dec.out, rejects + dec.rejects, stats


def test_batch_lines_equal_line_by_line_on_every_nmea_capture(shared: Path) -> None:
    """Tag blocks, $PGHP headers, GPS clocks, prefixes, multi-part groups, duplicates, bad
    checksums, blank and foreign lines: the batch path changes none of what comes out."""
    files = sorted(p for p in (shared / "nmea").rglob("*") if p.is_file())
    assert len(files) > 20
    fast = 0
    for path in files:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            lines = f.read().splitlines()[:30_000]
        want = _decode(lines, 0)
        assert _decode(lines, 997) == want, path.name
        fast += sum(1 for raw in lines if raw.startswith((b"!AIVDM,1,1", b"\\")))
    assert fast > 50_000


def _line(payload: bytes, ts: int | None) -> bytes:
    body = b"AIVDM,1,1,,A," + payload + b",0"
    check = 0
    for c in body:
        check ^= c
    line = b"!" + body + b"*%02X" % check
    return line if ts is None else b"\\s:x,c:%d*00\\" % ts + line


# Field values where ingest has to decide something: "not available" codes, transponder
# noise, MMSIs that are not nine digits, positions out of range (raw, as sent).
_EDGES = {
    "mmsi": st.sampled_from([0, 12_345, 99_999_999, 100_000_000, 366_123_456, 999_999_999,
                             2**30 - 1]),
    "status": st.integers(0, 15),
    "speed": st.sampled_from([0, 5, 512, 630, 1022, 1023]),
    "lon": st.sampled_from([0, 181 * 600_000, 180 * 600_000, -180 * 600_000,
                            190 * 600_000, -40_000_000, 45_000_000]),
    "lat": st.sampled_from([0, 91 * 600_000, 90 * 600_000, -90 * 600_000, 95 * 600_000,
                            -30_000_000, 20_000_000]),
    "course": st.sampled_from([0, 1800, 3599, 3600, 4095]),
    "heading": st.sampled_from([0, 359, 360, 511]),
}


def _payload(t: int, f: dict[str, int]) -> bytes:
    lon, lat = f["lon"] & (2**28 - 1), f["lat"] & (2**27 - 1)
    if t == 18:  # type 18: no nav status; fields 4 bits earlier
        v = (t << 162) | (f["mmsi"] << 130) | (f["speed"] << 112) | (lon << 83) | (lat << 56)
        v |= (f["course"] << 44) | (f["heading"] << 35)
    else:
        v = (t << 162) | (f["mmsi"] << 130) | (f["status"] << 126) | (f["speed"] << 108)
        v |= (lon << 79) | (lat << 52) | (f["course"] << 40) | (f["heading"] << 31)
    return _armour(v)


@settings(max_examples=150)
@given(st.lists(st.tuples(st.sampled_from([1, 2, 3, 18]), st.fixed_dictionaries(_EDGES),
                          st.one_of(st.none(), st.integers(1_700_000_000, 1_700_000_005))),
                min_size=1, max_size=30))
def test_batch_lines_equal_line_by_line_on_edge_values(
        messages: list[tuple[int, dict[str, int], int | None]]) -> None:
    """What ingest keeps of a report, computed for a whole batch (``ready_168``), is what the
    line-by-line path keeps: the same records, rejects (bad MMSI, out of range, duplicates:
    the lists repeat payloads) and counters."""
    lines = [_line(_payload(t, f), ts) for t, f, ts in messages]
    lines += lines[: len(lines) // 2]  # duplicate receptions
    want = _decode(lines, 0)
    assert _decode(lines, 7) == want
    assert _decode(lines, 64) == want


def test_types_ingest_keeps_nothing_of_are_counted_not_decoded(monkeypatch: Any) -> None:
    """A base station report (type 4) is counted by type without pyais building its object;
    a static report (type 5) is still decoded; an unknown type (63) is still undecodable."""
    from pyais import encode_dict

    def refuse(*_: object) -> None:
        raise AssertionError("decoded a type 4 message")

    monkeypatch.setattr(MSG_CLASS[4], "from_vector", classmethod(refuse))
    sentences: list[str] = [
        *encode_dict({"msg_type": 4, "mmsi": 230_000_000, "lon": 24.0, "lat": 60.0}),
        *encode_dict({"msg_type": 5, "mmsi": 366_123_456, "shipname": "TEST"})]
    lines = [s.encode() for s in sentences] + [_line(b"wa?NCnmBsOug?G?Vgm?4?w0" + b"0" * 5, None)]
    records, rejects, stats = _decode(lines, 0)
    assert isinstance(stats, IngestStats) and isinstance(records, list)
    assert stats.message_types == {4: 1, 5: 1}
    assert [type(r[0]).__name__ for r in records] == ["VesselStatic"]
    assert isinstance(rejects, list)
    assert [r.reason for r in rejects] == ["undecodable"]


_STATIC_FIELDS = ("mmsi", "imo", "callsign", "shipname", "ship_type", "to_bow", "to_stern",
                  "to_port", "to_starboard", "draught", "destination")


def _armour_bits(value: int, chars: int) -> bytes:
    return "".join(_ARMOUR[(value >> (6 * (chars - 1 - i))) & 63] for i in range(chars)).encode()


def _static_fields_equal(payload: bytes, fill: int) -> None:
    want: Any = MSG_CLASS[5].from_vector(bit_vector(payload, fill))
    got = static_text_fields(payload, fill)
    for name in _STATIC_FIELDS:
        w, g = getattr(want, name), getattr(got, name)
        assert (type(g), g) == (type(w), w), name


@settings(max_examples=300)
@given(rest=st.integers(0, 2**418 - 1), extra=st.integers(0, 8))
@example(rest=0, extra=0)
@example(rest=2**418 - 1, extra=2)
def test_type5_fast_path_equals_pyais_on_random_payloads(rest: int, extra: int) -> None:
    """Any type 5 of 424 to 432 bits (71 or 72 characters, any fill): every field ingest
    reads is pyais's."""
    bits = 424 + extra
    chars = -(-bits // 6)
    fill = chars * 6 - bits
    value = (((5 << 418) | rest) << extra) << fill
    _static_fields_equal(_armour_bits(value, chars), fill)


def test_type5_fast_path_equals_pyais_on_a_real_capture(shared: Path) -> None:
    from pyais.stream import IterMessages

    path = shared / "nmea" / "aishub_3min_global_gpsd-contrib.nmea.gz"
    with gzip.open(path, "rb") as f:
        lines = [ln.rstrip(b"\r\n") for ln in f]
    n = 0
    for msg in IterMessages(lines):
        payload, fill = msg.payload, msg.fill_bits
        if payload[:1] == b"5" and len(payload) * 6 - fill >= 424:
            _static_fields_equal(payload, fill)
            n += 1
    assert n > 1000
