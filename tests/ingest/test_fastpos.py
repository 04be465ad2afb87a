"""The position fast path gives exactly what pyais gives, field for field."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from pyais.bit_vector import bit_vector
from pyais.messages import MSG_CLASS

from ingest.fastpos import position_168

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


@given(msg_type=st.sampled_from([1, 2, 3, 18]), rest=st.integers(0, 2**162 - 1))
def test_fast_path_equals_pyais_on_random_payloads(msg_type: int, rest: int) -> None:
    payload = _armour((msg_type << 162) | rest)
    assert position_168(payload, 0, msg_type) == _pyais_fields(payload, msg_type)


def test_fast_path_equals_pyais_on_a_real_capture(shared: Path) -> None:
    path = shared / "nmea" / "aishub_3min_global_gpsd-contrib.nmea.gz"
    checked = 0
    with gzip.open(path, "rb") as f:
        for line in f:
            parts = line.rstrip().split(b",")
            if len(parts) < 7 or parts[1] != b"1" or not parts[5]:
                continue
            payload = parts[5]
            msg_type = (payload[0] - 48) if payload[0] < 88 else (payload[0] - 56)
            if msg_type not in (1, 2, 3, 18) or len(payload) * 6 != 168:
                continue
            assert position_168(payload, 0, msg_type) == _pyais_fields(payload, msg_type)
            checked += 1
    assert checked > 50_000
