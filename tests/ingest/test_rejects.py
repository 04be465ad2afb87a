"""Hand-written vectors: each kind of bad input is rejected with its reason, counted, and never
costs a good line that follows it."""

from __future__ import annotations

from dataclasses import replace

from mda.settings import preset_settings
from mda.synthetic import epoch, tag_block, to_lines, track
from tests.helpers import Run, replay_lines

GOOD = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"  # MMSI 366053209
T0 = epoch("2024-01-01T00:00:00Z")


def _reasons(run: Run) -> dict[int, str]:
    return {r.line_no: r.reason for r in run.rejects}


def test_each_bad_line_has_its_reason_and_the_next_good_line_survives() -> None:
    bad = {
        "bad_checksum": GOOD[:-2] + "00",
        "truncated_no_checksum": GOOD[:30],
        "malformed_sentence": "!AIVDM,1,1,B,15M67FC000G?ufbE`FepT@3n00Sa,0*" + "00",
        "empty_payload": "!AIVDM,1,1,,B,,0*" + "00",
        "non_ais_sentence": "$GPGSV,3,1,11,03,03,111,00,04,15,270,00,06,01,010,00,13,06,292,00*74",
        "not_nmea": "this is not AIS",
        "comment": "# a comment",
        "blank": "",
        "bad_time_prefix": "yesterday !AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C",
    }
    # fix up checksums so that only the intended fault is present
    from ingest.framing import nmea_checksum

    def sign(body: str) -> str:
        return f"!{body}*{nmea_checksum(body.encode()):02X}"

    bad["malformed_sentence"] = sign("AIVDM,1,1,B,15M67FC000G?ufbE`FepT@3n00Sa,0")
    bad["empty_payload"] = sign("AIVDM,1,1,,B,,0")
    bad["bad_payload_characters"] = sign("AIVDM,1,1,,B,15M67FC000G?ufbE~FepT@3n00Sa,0")
    bad["invalid_mmsi"] = sign("AIVDM,1,1,,A,100h00PP0@PHFV`Mg5gTH?vNPUIp,0")  # MMSI 786434
    lines: list[str] = []
    expect: dict[int, str] = {}
    for i, (reason, line) in enumerate(bad.items()):
        lines.append(line)
        expect[len(lines)] = reason
        # a distinct good message after every bad line
        t = track(366053209 + i, T0, 10.0, -70.0, 5.0, 90.0, 60, 0)
        lines.extend(to_lines(t))
    run = replay_lines(lines)
    assert _reasons(run) == expect
    # the invalid-MMSI message was decoded, then quarantined
    assert run.stats["messages_decoded"] == len(bad) + 1
    assert run.stats["lines_read"] == run.stats["lines_used"] + run.stats["lines_rejected"]
    assert run.stats["rejected"] == {r: 1 for r in bad}


def test_missing_fragment_is_rejected_after_a_bounded_wait() -> None:
    part1 = ("!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E")
    lines = [part1] + [GOOD] * 0
    # 300 good, distinct lines after the orphan fragment: the orphan must not wait for ever
    t = track(311000001, T0, 10.0, -70.0, 5.0, 90.0, 60, 299 * 60)
    lines += to_lines(t)
    run = replay_lines(lines)
    assert [(r.line_no, r.reason) for r in run.rejects] == [(1, "missing_fragment")]
    assert run.stats["positions"] == 300


def _type5(mmsi: int, channel: str, seq: int) -> list[str]:
    from mda.records import VesselStatic
    from mda.synthetic import static_nmea

    return static_nmea(VesselStatic(T0, mmsi, name=f"V{mmsi}", ship_type=70, length_m=100.0),
                       seq_id=seq, channel=channel)


def test_interleaved_multipart_on_two_channels_assemble() -> None:
    a1, a2 = _type5(311000010, "A", 1)
    b1, b2 = _type5(311000011, "B", 1)
    c1, c2 = _type5(311000012, "A", 2)
    run = replay_lines([a1, b1, c1, b2, a2, c2])
    assert run.rejects == []
    assert run.stats["message_types"] == {"5": 3}
    assert run.stats["statics"] == 3


def test_same_message_on_both_channels_is_one_duplicate() -> None:
    a1, a2 = _type5(311000013, "A", 4)
    b1, b2 = _type5(311000013, "B", 4)
    run = replay_lines([a1, b1, a2, b2])
    assert run.stats["message_types"] == {"5": 1}
    assert run.stats["messages_duplicate"] == 1
    assert sorted(r.line_no for r in run.rejects if r.reason == "duplicate") == [2, 4]


def test_duplicate_reception_within_window_only() -> None:
    body = GOOD[GOOD.index("!"):]
    lines = [tag_block(T0, "rx1") + body, tag_block(T0, "rx2") + body,
             tag_block(epoch("2024-01-01T00:00:30Z"), "rx1") + body]
    run = replay_lines(lines)
    assert run.stats["messages_duplicate"] == 1
    assert run.stats["positions"] == 2  # 30 s later it is a new transmission


def test_not_available_codes_are_missing_values_not_errors() -> None:
    from pyais.encode import encode_dict

    from ingest.framing import nmea_checksum

    def nmea(**kw: float) -> str:
        fields: dict[str, str | int | float | bytes | bool] = {
            "type": 1, "mmsi": 311000002, "lat": 10.0, "lon": -70.0, "speed": 102.3,
            "course": 360.0, "heading": 511, "status": 0}
        fields.update(kw)
        s = encode_dict(fields, talker_id="AI", sentence_type="VDM")[0]
        assert int(s[-2:], 16) == nmea_checksum(s[1:-3].encode())
        return tag_block(T0) + s

    run = replay_lines([nmea(), nmea(lat=91.0, lon=181.0, mmsi=311000003)])
    assert run.rejects == []
    assert run.stats["positions"] == 1
    assert run.stats["positions_without_position"] == 1
    assert run.stats["lines_used"] == 2


def test_position_out_of_range_rejected() -> None:
    from pyais.encode import encode_dict
    s = encode_dict({"type": 1, "mmsi": 311000004, "lat": 95.0, "lon": -70.0},
                    talker_id="AI", sentence_type="VDM")[0]
    run = replay_lines([s])
    assert [r.reason for r in run.rejects] == ["position_out_of_range"]


def test_too_late_beyond_allowed_lateness() -> None:
    late = track(311000005, T0, 10.0, -70.0, 5.0, 90.0, 60, 0)
    fresh = track(311000006, epoch("2024-01-01T01:00:00Z"), 10.0, -70.0, 5.0, 90.0, 60, 0)
    ok = track(311000007, epoch("2024-01-01T00:56:00Z"), 10.0, -70.0, 5.0, 90.0, 60, 0)
    # as a stream (live feeds are never sorted; a batch file would be: test_derive.py)
    s = preset_settings()
    stream = replace(s, ingest=replace(s.ingest, sort_files=False))
    run = replay_lines(to_lines(fresh) + to_lines(late) + to_lines(ok), stream)
    assert [(r.line_no, r.reason) for r in run.rejects] == [(2, "too_late")]
    assert "3600.0 s behind" not in run.rejects[0].detail  # behind the watermark, not the max
    assert run.stats["lines_read"] == run.stats["lines_used"] + 1
