"""The exercise encoder against pyais: position reports byte for byte, statics decodable."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais.encode import encode_dict

from ingest.framing import nmea_checksum
from mda.exercise.nmea import position_lines, position_payloads, static_sentences, tag_block
from mda.records import VesselStatic
from tests.helpers import replay_lines

report = st.fixed_dictionaries({
    "msg_type": st.sampled_from([1, 2, 3, 18]),
    "mmsi": st.integers(0, 999_999_999),
    "status": st.integers(0, 15),
    "speed": st.one_of(st.just(102.3), st.floats(0, 102.2).map(lambda x: round(x, 1))),
    "lon": st.floats(-180, 180),
    "lat": st.floats(-90, 90),
    "course": st.one_of(st.just(360.0), st.floats(0, 359.9).map(lambda x: round(x, 1))),
    "heading": st.one_of(st.just(511), st.integers(0, 359)),
    "second": st.integers(0, 63),
    "accuracy": st.integers(0, 1),
    "epoch": st.integers(1_000_000_000, 2_000_000_000),
    "channel": st.sampled_from("AB"),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(report, min_size=1, max_size=40))
def test_position_lines_equal_pyais_byte_for_byte(rows: list[dict[str, Any]]) -> None:
    def col(key: str, dtype: type = np.int64) -> np.ndarray:
        return np.array([r[key] for r in rows], dtype=dtype)

    payloads = position_payloads(col("msg_type"), col("mmsi"), col("status"),
                                 col("speed", float), col("lon", float), col("lat", float),
                                 col("course", float), col("heading"), col("second"),
                                 col("accuracy"))
    lines = position_lines(col("epoch"), b"rx9", np.array([ord(r["channel"]) for r in rows],
                                                           dtype=np.uint8), payloads)
    for r, line in zip(rows, lines, strict=True):
        fields = {"msg_type": r["msg_type"], "type": r["msg_type"], "mmsi": r["mmsi"],
                  "speed": r["speed"], "lon": r["lon"], "lat": r["lat"], "course": r["course"],
                  "heading": r["heading"], "second": r["second"], "accuracy": r["accuracy"]}
        if r["msg_type"] != 18:
            fields.update(status=r["status"], maneuver=0)  # ITU "not available"
        (sentence,) = encode_dict(fields, radio_channel=r["channel"], talker_id="AI",
                                  sentence_type="VDM")
        assert line.decode() == tag_block(r["epoch"], "rx9") + sentence


def test_tag_block_checksum() -> None:
    body = "s:mda-rx1,c:1710201601"
    assert tag_block(1710201601, "mda-rx1") == f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def test_static_sentences_decode_to_the_vessel() -> None:
    static = VesselStatic(None, 312456000, imo=9123456, name="NIGHT RUNNER", callsign="V3AB",
                          ship_type=70, length_m=90.0, beam_m=14.0, draught_m=5.5,
                          destination="KINGSTON")
    small = VesselStatic(None, 319224000, name="ISLAND TIME", callsign="ZGAB7", ship_type=37,
                         length_m=12.0, beam_m=4.0)
    lines = [tag_block(1710201601 + k, "rx") + s
             for k, s in enumerate(static_sentences(static, class_b=False)
                                   + static_sentences(small, class_b=True))]
    run = replay_lines(lines)
    assert run.stats["statics"] == 3  # type 5, type 24 parts A and B
    info = run.summary.stats
    assert info.rejected == {}
