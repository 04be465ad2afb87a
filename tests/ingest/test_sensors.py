"""Radar TTM/TLL sentences and SAR detection CSVs (ingest/sensors.py): hand-written vectors
decode into SensorContact records at the right place and time, interleaved with AIS; every bad
line is quarantined with its reason and never costs a good line after it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.framing import nmea_checksum
from ingest.quarantine import Reject
from ingest.sources import Source, sniff_format
from mda.geo import M_PER_NM, haversine_m
from mda.records import SensorContact
from mda.runner import EmbeddedRunner
from mda.settings import (
    RadarSettings,
    SettingsError,
    load_settings,
    parse_radar_at,
    preset_settings,
    to_toml,
)
from tests.helpers import replay_lines

RADAR_LAT, RADAR_LON = 18.0, -76.8
RADAR = RadarSettings(RADAR_LAT, RADAR_LON)
T0 = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
GOOD_AIS = "!AIVDM,1,1,,B,15M67FC000G?ufbE`FepT@3n00Sa,0*5C"


def sign(body: str, start: str = "$") -> str:
    return f"{start}{body}*{nmea_checksum(body.encode()):02X}"


def tag(t: float, station: str = "radar1") -> str:
    body = f"s:{station},c:{int(t)}"
    return f"\\{body}*{nmea_checksum(body.encode()):02X}\\"


def contacts_of(lines: list[str], radar: RadarSettings | None = RADAR
                ) -> tuple[list[SensorContact], EmbeddedRunner, list[Reject]]:
    seen: list[SensorContact] = []
    rejects: list[Reject] = []
    settings = replace(preset_settings(), radar=radar or RadarSettings())
    runner = EmbeddedRunner(settings, on_reject=rejects.append, on_contact=seen.append)
    data = ("\n".join(lines) + "\n").encode()
    runner.run([Source.from_bytes("radar.nmea", data)])
    return seen, runner, rejects


def test_ttm_range_and_bearing_from_the_radar_and_its_utc_time() -> None:
    t = T0.timestamp()
    # target 3, 5.2 nm at 045 true, 11.5 kn on 090, tracking, UTC 11:59:58 (tag block 12:00:00)
    line = tag(t) + sign("RATTM,03,5.20,045.0,T,11.5,090.0,T,1.2,12.0,N,FOO,T,,115958.00,A")
    (c,), runner, rejects = contacts_of([line])
    assert rejects == []
    assert (c.sensor, c.source, c.contact_id, c.status, c.name) == (
        "radar", "radar1", "3", "tracking", "FOO")
    assert c.ts == datetime(2024, 5, 1, 11, 59, 58, tzinfo=UTC)
    assert haversine_m(RADAR_LAT, RADAR_LON, c.lat, c.lon) == pytest.approx(5.2 * M_PER_NM,
                                                                            rel=1e-4)
    assert c.lat > RADAR_LAT and c.lon > RADAR_LON  # north-east
    assert (c.sog_kn, c.cog_deg) == (11.5, 90.0)
    assert runner.stats.contacts == {"radar": 1}
    assert not c.reference


def test_units_kilometres_and_relative_bearing_with_a_heading() -> None:
    t = T0.timestamp()
    line = tag(t) + sign("RATTM,07,10.0,090.0,R,20.0,000.0,R,,,K,,T,")
    (c,), _, rejects = contacts_of([line], RadarSettings(18.0, -76.8, heading_deg=270.0))
    assert rejects == []
    # relative 090 on a heading of 270 is true 000: 10 km due north
    assert haversine_m(18.0, -76.8, c.lat, c.lon) == pytest.approx(10_000.0, rel=1e-4)
    assert c.lon == pytest.approx(-76.8, abs=1e-6)
    assert c.sog_kn == pytest.approx(20.0 * 1000.0 / M_PER_NM)
    assert c.cog_deg == pytest.approx(270.0)
    assert c.ts == T0  # no UTC field: the tag block's time


def test_tll_any_talker_lost_status_and_midnight() -> None:
    # a line timed 00:00:05 with a TLL at 23:59:59: the day before, six seconds earlier
    t = datetime(2024, 5, 2, 0, 0, 5, tzinfo=UTC).timestamp()
    line = tag(t, "arpa") + sign("IITLL,12,1807.500,N,07648.000,W,TGT12,235959.00,L,")
    (c,), _, _ = contacts_of([line], None)  # TLL needs no radar position
    assert (c.contact_id, c.status, c.name) == ("12", "lost", "TGT12")
    assert (c.lat, c.lon) == pytest.approx((18.125, -76.8))
    assert c.ts == datetime(2024, 5, 1, 23, 59, 59, tzinfo=UTC)


def test_reference_target_is_decoded_and_not_alerted() -> None:
    t = T0.timestamp()
    lines = [tag(t + k) + sign("RATLL,09,1800.000,N,07648.000,W,BUOY,,T,R") for k in range(3)]
    (c, *_), runner, rejects = contacts_of(lines)
    assert c.reference and c.name == "BUOY" and rejects == []
    assert runner.summary().not_alerted["dark_target"] == {"reference_target": 3}
    assert runner.summary().alerts == {}


def test_interleaved_with_ais_in_one_stream() -> None:
    t = T0.timestamp()
    lines = [tag(t, "rx") + GOOD_AIS,
             tag(t) + sign("RATLL,01,1800.000,N,07648.000,W,,,T,"),
             tag(t + 1, "rx") + "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
             tag(t + 2) + sign("RATTM,01,0.50,180.0,T,3.0,180.0,T,,,N,,T,")]
    assert sniff_format([x.encode() for x in lines]) == "nmea"
    seen, runner, rejects = contacts_of(lines)
    assert [c.contact_id for c in seen] == ["1", "1"]
    assert runner.stats.positions == 2
    assert rejects == []


def test_untimed_contact_is_counted_not_dropped() -> None:
    run = replay_lines([sign("RATLL,01,1800.000,N,07648.000,W,,,T,")])
    assert run.stats["contacts"] == {"radar": 1}
    assert run.stats["contacts_untimed"] == 1
    assert run.stats["lines_used"] == 1 and run.stats["lines_rejected"] == 0


def test_bad_radar_lines_are_quarantined_with_reasons() -> None:
    t = T0.timestamp()
    good = tag(t) + sign("RATLL,02,1800.000,N,07648.000,W,,,T,")
    bad = {
        "bad_radar_target": [
            sign("RATTM,xx,5.20,045.0,T,11.5,090.0,T,1.2,12.0,N,,T,"),  # target number
            sign("RATTM,03,abc,045.0,T,11.5,090.0,T,1.2,12.0,N,,T,"),  # range
            sign("RATTM,03,1.0,045.0,X,11.5,090.0,T,1.2,12.0,N,,T,"),  # bearing reference
            sign("RATLL,07,,,,,,,T,"),  # no position
            sign("RATLL,06,1800.000,N,07648.000,W,,12x001.00,L,"),  # time
        ],
        "relative_bearing": [sign("RATTM,04,5.20,045.0,R,11.5,090.0,T,1.2,12.0,N,,T,")],
        "position_out_of_range": [sign("RATLL,05,9500.000,N,07648.000,W,,,T,")],
        "bad_checksum": [sign("RATLL,02,1800.000,N,07648.000,W,,,T,")[:-2] + "00"],
    }
    lines: list[str] = []
    for group in bad.values():
        for b in group:
            lines += [tag(t) + b, good]
    seen, runner, rejects = contacts_of(lines)
    got: dict[str, int] = {}
    for r in rejects:
        got[r.reason] = got.get(r.reason, 0) + 1
        assert r.detail or r.reason == "bad_checksum"
    assert got == {k: len(v) for k, v in bad.items()}
    assert len(seen) == sum(len(v) for v in bad.values())  # every good line after a bad one
    assert runner.stats.lines_read == runner.stats.lines_used + sum(
        runner.stats.rejected.values())


def test_ttm_without_a_radar_position_is_rejected_with_a_clear_reason() -> None:
    line = tag(T0.timestamp()) + sign("RATTM,03,5.20,045.0,T,11.5,090.0,T,1.2,12.0,N,,T,")
    seen, _, rejects = contacts_of([line], None)
    assert seen == []
    assert [r.reason for r in rejects] == ["no_radar_position"]
    assert "--radar-at" in rejects[0].detail


SAR = """detect_id,detect_lat,detect_lon,detect_timestamp,length_m,presence_score
S1A_001,17.5012,-77.2034,2024-05-01T11:02:03Z,84.5,0.93
S1A_002,17.6,-77.1,2024-05-01 11:02:03,,0.5
S1A_003,not-a-lat,-77.1,2024-05-01T11:02:03Z,30,0.5
,17.6,-77.1,2024-05-01T11:02:03Z,30,0.5
S1A_005,17.6,-77.1,yesterday,30,0.5
S1A_006,97.6,-77.1,2024-05-01T11:02:03Z,30,0.5
S1A_007,17.6,-77.1
S1A_008,17.7,-77.0,,12,0.4
S1A_009,17.7,-77.0,2024-05-01T11:02:04Z,long,0.4
S1A_010,17.8,-77.0,2024-05-01 11:02:05 UTC,20,0.4
"""


def test_sar_detections_csv() -> None:
    data = SAR.encode()
    assert sniff_format(data.splitlines()[:3]) == "sar"
    seen: list[SensorContact] = []
    rejects: list[Reject] = []
    runner = EmbeddedRunner(preset_settings(), on_reject=rejects.append, on_contact=seen.append)
    summary = runner.run([Source.from_bytes("sar.csv", data)]).as_dict()
    by_id = {c.contact_id: c for c in seen}
    assert sorted(by_id) == ["S1A_001", "S1A_002", "S1A_009", "S1A_010"]  # 008: no time
    assert by_id["S1A_010"].ts == datetime(2024, 5, 1, 11, 2, 5, tzinfo=UTC)
    first = by_id["S1A_001"]
    assert (first.sensor, first.lat, first.lon, first.length_m) == ("sar", 17.5012, -77.2034,
                                                                   84.5)
    assert first.ts == datetime(2024, 5, 1, 11, 2, 3, tzinfo=UTC)
    assert by_id["S1A_002"].length_m is None and by_id["S1A_009"].length_m is None
    assert {r.line_no: r.reason for r in rejects} == {
        4: "bad_sar_detection", 5: "bad_sar_detection", 6: "bad_sar_detection",
        7: "position_out_of_range", 8: "bad_row"}
    assert summary["contacts"] == {"sar": 5} and summary["contacts_untimed"] == 1


def test_radar_settings_file_and_option(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text("[radar]\nlat = 18.0\nlon = -76.8\n")
    loaded = load_settings(config=cfg)
    assert loaded.radar == RadarSettings(18.0, -76.8)
    again = tmp_path / "again.toml"
    again.write_text(to_toml(loaded))
    assert load_settings(config=again).radar == loaded.radar  # mda config show round-trips
    assert "[radar]" not in to_toml(preset_settings())
    assert parse_radar_at("18.5,-76.25,90").site() is not None
    for bad in ("[radar]\nlat = 18.0\n", "[radar]\nlat = 98.0\nlon = 1\n",
                "[radar]\nlat = 18.0\nlon = -76.8\nheight = 3\n"):
        cfg.write_text(bad)
        with pytest.raises(SettingsError):
            load_settings(config=cfg)
    with pytest.raises(SettingsError, match="LAT,LON"):
        parse_radar_at("here")


def test_radar_over_a_live_tcp_feed_takes_the_arrival_time() -> None:
    """A TCP radar feed of untimed TTM sentences (``mda live`` / ``mda serve tcp://``): each
    contact takes the injected arrival time, like an untimed AIS sentence."""
    import itertools

    from ingest.network import NetworkSource
    from tests.live.feed import FeedServer

    lines = [sign(f"RATTM,{k % 3 + 1:02d},{2 + k / 100:.2f},045.0,T,10.0,045.0,T,,,N,,T,")
             .encode() for k in range(30)]
    server = FeedServer(lines)
    ticks = itertools.count()
    seen: list[SensorContact] = []
    try:
        runner = EmbeddedRunner(replace(preset_settings(), radar=RADAR), on_contact=seen.append)
        src = NetworkSource(server.url, idle_timeout_s=1.0,
                            clock=lambda: T0.timestamp() + next(ticks))
        summary = runner.run([src]).as_dict()
    finally:
        server.close()
    assert summary["contacts"] == {"radar": 30} and summary["contacts_untimed"] == 0
    assert len(seen) == 30 and all(c.time_source == "arrival" for c in seen)
    assert all(c.ts is not None and c.ts >= T0 for c in seen)
