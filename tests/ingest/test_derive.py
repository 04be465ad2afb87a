"""Derived speed and course (ingest/derive.py) and the per-source ingest step that sorts an
unsorted file before feeding it (ingest/prepare.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ingest.decode import Decoded
from ingest.derive import SpeedDeriver
from ingest.prepare import SourceReport, prepare
from mda.geo import M_PER_NM, haversine_m
from mda.records import PositionReport, VesselStatic
from mda.settings import preset_settings
from mda.streaming import codec
from tests.helpers import replay_lines

T0 = 1_600_000_000.0


def fix(t: float, lat: float, lon: float, mmsi: int = 311000001,
        sog: float | None = None) -> PositionReport:
    return PositionReport(datetime.fromtimestamp(t, UTC), mmsi, lat, lon, sog, None, None,
                          None, 0, "test")


def test_speed_and_course_from_consecutive_fixes() -> None:
    derive = SpeedDeriver()
    assert derive(fix(T0, 10.0, -70.0), T0).sog_kn is None  # nothing before it
    r = derive(fix(T0 + 600, 10.0, -69.95), T0 + 600)
    expected = haversine_m(10.0, -70.0, 10.0, -69.95) / M_PER_NM / (600 / 3600)
    assert r.derived and r.sog_kn is not None and abs(r.sog_kn - expected) < 0.01
    assert r.cog_deg is not None and abs(r.cog_deg - 90.0) < 0.5  # due east
    assert derive.derived == 1


def test_no_derivation_across_long_silences_duplicates_or_absurd_jumps() -> None:
    derive = SpeedDeriver()
    derive(fix(T0, 10.0, -70.0), T0)
    late = derive(fix(T0 + 3601, 10.0, -69.99), T0 + 3601)  # more than 1 h later
    assert late.sog_kn is None and not late.derived
    same = derive(fix(T0 + 3601, 10.0, -69.98), T0 + 3601)  # dt = 0
    assert same.sog_kn is None
    jump = derive(fix(T0 + 3661, 10.5, -69.99), T0 + 3661)  # 55 km in 60 s
    assert jump.sog_kn is None
    # after the jump the reference is the new fix: the next one gets a speed again
    ok = derive(fix(T0 + 3721, 10.5, -69.989), T0 + 3721)
    assert ok.derived and ok.sog_kn is not None and ok.sog_kn < 60


def test_reported_speed_is_never_replaced_and_stationary_has_no_course() -> None:
    derive = SpeedDeriver()
    derive(fix(T0, 10.0, -70.0), T0)
    reported = fix(T0 + 60, 10.001, -70.0, sog=7.5)
    assert derive(reported, T0 + 60) is reported
    still = derive(fix(T0 + 120, 10.001, -70.0), T0 + 120)
    assert still.derived and still.sog_kn == 0.0 and still.cog_deg is None
    other = derive(fix(T0 + 130, 10.0, -70.0, mmsi=311000002), T0 + 130)
    assert other.sog_kn is None  # per MMSI


def test_derived_flag_and_transmitter_survive_the_kafka_codec() -> None:
    p = replace(fix(T0, 10.0, -70.0, sog=3.2), derived=True)
    assert codec.position_of(codec.decode(codec.encode_position(p))) == p
    plain = fix(T0, 10.0, -70.0, sog=3.2)
    assert codec.position_of(codec.decode(codec.encode_position(plain))) == plain
    for source in ("tag", "arrival"):
        timed = replace(plain, time_source=source)
        assert codec.position_of(codec.decode(codec.encode_position(timed))) == timed
    v = VesselStatic(datetime.fromtimestamp(T0, UTC), 992111827, name="FINO3 PLATFORM",
                     transmitter="AtoN")
    assert codec.static_of(codec.decode(codec.encode_static(v))) == v


def decoded(reports: list[PositionReport]) -> list[Decoded]:
    return [(r, None if r.ts is None else r.ts.timestamp(), [(i, b"x")])
            for i, r in enumerate(reports, 1)]


def test_prepare_sorts_only_when_disorder_exceeds_the_lateness() -> None:
    within = decoded([fix(T0 + 100, 10, -70), fix(T0, 10, -70.001), fix(T0 + 200, 10, -70)])
    report = SourceReport("a")
    out = list(prepare(iter(within), report, 300.0, sort=True, derive=False))
    assert [o[1] for o in out] == [T0 + 100, T0, T0 + 200]  # as read: the runner reorders
    assert not report.sorted and "sorted" not in report.as_dict()
    beyond = decoded([fix(T0 + 1000, 10, -70), fix(T0, 10, -70.001), fix(T0 + 2000, 10, -70)])
    report = SourceReport("b")
    out = list(prepare(iter(beyond), report, 300.0, sort=True, derive=True))
    assert [o[1] for o in out] == [T0, T0 + 1000, T0 + 2000]
    assert report.as_dict()["sorted"] == {"records": 3, "positions": 3, "out_of_order": 1,
                                          "sorted": True}
    # derivation happens after the sort, so every later fix gets a speed
    assert [o[0].derived if isinstance(o[0], PositionReport) else None
            for o in out] == [False, True, True]
    live = SourceReport("c")
    out = list(prepare(iter(beyond), live, 300.0, sort=False, derive=False))
    assert not live.sorted


UNSORTED_CSV = [
    "mmsi,timestamp_utc,lon,lat",
    "311000001,2024-01-01 01:00:00,-70.0,10.0",
    "311000002,2024-01-01 01:00:00,-71.0,11.0",
    "311000001,2024-01-01 00:00:00,-70.1,10.0",  # an hour behind: too late if not sorted
    "311000002,2024-01-01 00:30:00,-71.1,11.0",
    "311000001,2024-01-01 01:10:00,-70.0,10.01",
]


def test_batch_replay_of_an_unsorted_file_sorts_it_and_says_so() -> None:
    run = replay_lines(UNSORTED_CSV, name="unsorted.csv")
    assert run.stats["rejected"] == {}
    assert run.stats["sorted"] == [{"source": "unsorted.csv", "records": 5, "positions": 5,
                                    "out_of_order": 2, "sorted": True}]
    assert run.stats["lines_read"] == run.stats["lines_used"]
    # the streaming behaviour is still there for whoever asks for it
    s = preset_settings()
    strict = replay_lines(UNSORTED_CSV, replace(s, ingest=replace(s.ingest, sort_files=False)))
    assert strict.stats["rejected"] == {"too_late": 2}
    assert strict.stats["sorted"] == []
