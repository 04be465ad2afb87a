"""Gap detector on small built tracks: each rule's edges."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from detectors.base import DetectorContext
from detectors.gap import PRESETS, GapDetector, GapSettings
from mda.records import NAV_AT_ANCHOR, NAV_MOORED, Alert, PositionReport
from mda.synthetic import epoch, track
from tests.helpers import drive, ts_of

T0 = epoch("2024-05-01T00:00:00Z")
H = 3600.0


def run(reports: list[PositionReport], settings: GapSettings | None = None,
        until_s: float | None = None, context: DetectorContext | None = None) -> list[Alert]:
    """Feed reports in time order to a gap detector, advancing like the runner does."""
    return drive(GapDetector(settings or GapSettings(), context), reports, until_s)


def two_reports(gap_s: float, nav: int | None = 0,
                sog: float | None = 10.0) -> list[PositionReport]:
    a = PositionReport(T0, 311000001, 15.0, -70.0, sog, 90.0, 90, nav, 1)
    b = PositionReport(T0 + timedelta(seconds=gap_s), 311000001, 15.0, -69.5, 10.0, 90.0, 90,
                       0, 1)
    return [a, b]


def test_exactly_the_threshold_is_not_a_gap() -> None:
    assert run(two_reports(2 * H)) == []


def test_just_over_the_threshold_is_a_gap_opened_then_closed() -> None:
    alerts = run(two_reports(2 * H + 1))
    assert [a.status for a in alerts] == ["open", "closed"]
    opened, closed = alerts
    assert opened.alert_id == closed.alert_id
    assert closed.end == T0 + timedelta(seconds=2 * H + 1)
    ev = closed.evidence
    assert abs(ev["gap_h"] - (2 * H + 1) / H) < 1e-3
    assert 53_000 < ev["distance_m"] < 54_000  # 0.5 degree of longitude at 15 N
    assert abs(ev["implied_speed_kn"] - ev["distance_m"] / 1852 / ev["gap_h"]) < 0.01
    assert ev["last_lat"] == 15.0 and ev["first_lon"] == -69.5
    assert "dark" in closed.summary and "311000001" in closed.summary


def test_gap_opens_while_the_vessel_is_still_silent() -> None:
    a = two_reports(10 * H)[0]
    det = GapDetector(GapSettings())
    det.step(a, ts_of(a).timestamp())
    assert det.advance(T0.timestamp() + 2 * H) == []  # exactly the threshold
    opened = det.advance(T0.timestamp() + 2 * H + 60)
    assert [x.status for x in opened] == ["open"]
    assert opened[0].end is None and opened[0].start == T0
    assert det.advance(T0.timestamp() + 5 * H) == []  # opened once only


def test_moored_and_at_anchor_do_not_open_gaps() -> None:
    assert run(two_reports(5 * H, nav=NAV_MOORED)) == []
    assert run(two_reports(5 * H, nav=NAV_AT_ANCHOR)) == []


def test_stopped_is_stopped_whatever_the_status_and_unknown_speed_still_opens() -> None:
    det = GapDetector(GapSettings())
    assert drive(det, two_reports(5 * H, nav=0, sog=0.0)) == []
    assert det.counters["stopped"] == 1
    assert len(run(two_reports(5 * H, nav=None, sog=None))) == 2


def _still(mmsi: int, lat: float, lon: float, minutes: int, sog: float | None = None,
           cog: float | None = None, step_deg: float = 0.0) -> list[PositionReport]:
    return [PositionReport(T0 + timedelta(minutes=m), mmsi, lat, lon + step_deg * m, sog, cog,
                           None, 0, 1) for m in range(0, minutes, 2)]


def test_no_displacement_without_speed_is_stopped() -> None:
    # A berthed ferry in a positions-only file: 20 minutes within a few metres, then silent.
    det = GapDetector(GapSettings())
    berthed = _still(367482990, 40.7770, -74.0200, 20)
    back = replace(berthed[-1], ts=ts_of(berthed[-1]) + timedelta(hours=9))
    assert drive(det, [*berthed, back]) == []
    assert det.counters["stopped"] == 1
    # The same positions moving 1 km every 2 minutes (~16 kn) do open a gap.
    moving = _still(367482990, 40.7770, -74.0200, 20, step_deg=0.006)
    back = replace(moving[-1], ts=ts_of(moving[-1]) + timedelta(hours=9))
    assert len(run([*moving, back])) == 2


def test_vessels_silent_together_are_a_receiver_outage() -> None:
    # Three vessels under way in one area all fall silent in the same minute: the feed.
    fleet = [r for i in range(3)
             for r in _still(311000010 + i, 15.0 + 0.01 * i, -70.0, 30, 10.0, 90.0, 0.003)]
    fleet.sort(key=ts_of)
    det = GapDetector(GapSettings())
    assert drive(det, fleet, T0.timestamp() + 5 * H) == []
    assert det.counters["feed_outage"] == 3  # the one source went silent (detectors/feed.py)
    # In an aggregated feed (other areas still heard), the area's silence says the same.
    det = GapDetector(GapSettings(feed_aware=False))
    assert drive(det, fleet, T0.timestamp() + 5 * H) == []
    assert det.counters["outage"] == 3
    # One of them silent while the others keep reporting, near where it fell silent and
    # where it should be by now (20 nm on): dark.
    others = [r for i in (1, 2) for r in _still(311000010 + i, 15.0 + 0.01 * i, -70.0, 300,
                                                10.0, 90.0, 0.0003)]
    ahead = [r for i in (3, 4) for r in _still(311000010 + i, 15.0 + 0.01 * i, -69.62, 300,
                                               0.2, 0.0)]
    alone = _still(311000010, 15.0, -70.0, 30, 10.0, 90.0, 0.003)
    alerts = run(sorted([*alone, *others, *ahead], key=ts_of),
                 until_s=T0.timestamp() + 5 * H)
    assert [a.mmsi for a in alerts] == [311000010]


def test_a_vessel_barely_received_before_its_silence_is_thin_reception() -> None:
    # Traffic heard all along around 15N 70W; a vessel heard twice in 30 minutes (a passer-by
    # at the fringe of the receiver's range) then silent is not a dark vessel.
    area = [r for i in range(3)
            for r in _still(311000020 + i, 15.0 + 0.01 * i, -70.0, 300, 0.2, 0.0)]
    fringe = _still(311000040, 15.0, -70.0, 30, 8.0, 90.0, 0.0044)
    det = GapDetector(GapSettings())
    alerts = drive(det, sorted([*area, fringe[0], fringe[-1]], key=ts_of),
                   T0.timestamp() + 5 * H)
    assert alerts == [] and det.counters["thin"] == 1
    # Heard every two minutes, then silent: dark.
    alerts = run(sorted([*area, *fringe], key=ts_of), until_s=T0.timestamp() + 5 * H)
    assert [a.mmsi for a in alerts] == [311000040]


def test_sailing_out_of_coverage_is_an_edge_not_a_dark_vessel() -> None:
    # One shore receiver: traffic heard around 15N 70W only; a vessel leaves eastward at
    # 12 kn and is silent: after 2 h it would be 24 nm out, where nothing is ever heard.
    area = [r for i in range(3)
            for r in _still(311000020 + i, 15.0 + 0.01 * i, -70.0, 300, 0.2, 0.0)]
    leaving = _still(311000030, 15.0, -70.0, 30, 12.0, 90.0, 0.003)
    det = GapDetector(GapSettings())
    assert drive(det, sorted([*area, *leaving], key=ts_of), T0.timestamp() + 5 * H) == []
    assert det.counters["edge"] == 1
    # Heading back west into the covered area instead: dark.
    inbound = _still(311000030, 15.0, -69.7, 30, 12.0, 270.0, -0.003)
    det = GapDetector(GapSettings())
    alerts = drive(det, sorted([*area, *inbound], key=ts_of), T0.timestamp() + 5 * H)
    assert [a.mmsi for a in alerts] == [311000030]


def test_silence_where_tracks_habitually_end_is_the_fringe() -> None:
    # Traffic around 15N 70W all day. After the warm-up two vessels appear at 15.5N 70W (tracks
    # begin there: the edge of the receiver's range); a third vessel sailing there then falls
    # silent: expected, not dark.
    area = [r for i in range(3)
            for r in _still(311000020 + i, 15.0 + 0.01 * i, -70.0, 400, 0.2, 0.0)]
    late = [replace(r, ts=ts_of(r) + timedelta(hours=1)) for i in (1, 2)
            for r in _still(311000050 + i, 15.5 + 0.01 * i, -70.0, 60, 6.0, 180.0, -0.001)]
    going = [replace(r, ts=ts_of(r) + timedelta(hours=2))
             for r in _still(311000060, 15.51, -70.0, 30, 6.0, 90.0, 0.003)]
    det = GapDetector(GapSettings())
    alerts = drive(det, sorted([*area, *late, *going], key=ts_of),
                   T0.timestamp() + 7 * H)
    assert [a.mmsi for a in alerts if a.mmsi == 311000060] == []
    assert det.counters["fringe"] >= 1
    # Without those tracks beginning there, the same silence is a dark vessel.
    alerts = run(sorted([*area, *going], key=ts_of), until_s=T0.timestamp() + 7 * H)
    assert 311000060 in [a.mmsi for a in alerts]


def test_presets_thresholds() -> None:
    assert PRESETS["watch"].threshold_h == 2
    assert PRESETS["skylight"].threshold_h == 6
    assert PRESETS["gfw"].threshold_h == 12 and PRESETS["gfw"].min_shore_distance_nm == 50
    assert run(two_reports(5 * H), PRESETS["skylight"]) == []
    assert len(run(two_reports(6 * H + 1), PRESETS["skylight"])) == 2


def test_gfw_shore_distance_rule_applies_only_when_known() -> None:
    near = DetectorContext(shore_distance_nm=lambda lat, lon: 10.0)
    far = DetectorContext(shore_distance_nm=lambda lat, lon: 80.0)
    unknown = DetectorContext(shore_distance_nm=lambda lat, lon: None)
    reps = two_reports(13 * H)
    assert run(reps, PRESETS["gfw"], context=near) == []
    assert len(run(reps, PRESETS["gfw"], context=far)) == 2
    assert len(run(reps, PRESETS["gfw"], context=unknown)) == 2


def test_regular_reports_never_alert_and_ids_are_deterministic() -> None:
    steady = track(311000002, T0, 15.0, -70.0, 12.0, 45.0, 600, 24 * H)
    assert run(steady) == []
    dark = [r for r in steady if not (3 * H <= (ts_of(r) - T0).total_seconds() < 7 * H)]
    first = run(dark)
    second = run(list(reversed(dark)))
    assert [a.to_dict() for a in first] == [a.to_dict() for a in second]
    assert len({a.alert_id for a in first}) == 1


def test_still_dark_at_end_stays_open() -> None:
    reps = two_reports(1 * H)
    alerts = run(reps, until_s=(T0 + timedelta(hours=4)).timestamp())
    assert [a.status for a in alerts] == ["open"]
    assert alerts[0].evidence["gap_h"] > 2.9


def test_settings_are_frozen_and_a_disabled_detector_is_not_built() -> None:
    import dataclasses

    from mda.runner import build_detectors
    from mda.settings import preset_settings

    s = replace(GapSettings(), threshold_h=3.0)
    assert s.threshold_h == 3.0 and s.enabled
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.threshold_h = 4.0  # type: ignore[misc]
    settings = preset_settings()
    off = replace(settings, detectors={**settings.detectors,
                                       "gap": replace(settings.detectors["gap"], enabled=False)})
    assert "gap" in {d.name for d in build_detectors(settings, DetectorContext())}
    assert "gap" not in {d.name for d in build_detectors(off, DetectorContext())}


def test_a_berth_is_learned_from_a_vessel_that_came_back_in_the_same_place() -> None:
    # First night: silent at its berth after arriving at 14 kn (no time to look stopped):
    # a gap, closed 0 km away. The second night at the same berth is not a gap.
    arrive = _still(367482990, 40.7770, -74.0200, 10, 14.0, 90.0)
    nights = []
    for day in range(2):
        for r in arrive:
            nights.append(replace(r, ts=ts_of(r) + timedelta(days=day)))
        nights.append(replace(arrive[-1], ts=ts_of(arrive[-1]) + timedelta(days=day, hours=9)))
    det = GapDetector(GapSettings())
    alerts = drive(det, nights)
    assert [a.status for a in alerts] == ["open", "closed"]
    assert det.counters["berth"] == 2  # the wait at the berth after the first night, the second


def test_silence_on_inland_water_is_not_a_gap_at_sea() -> None:
    inland = DetectorContext(on_land=lambda lat, lon, km: True)
    det = GapDetector(GapSettings(), inland)
    assert drive(det, two_reports(5 * H)) == []
    assert det.counters["inland"] == 1
    at_sea = DetectorContext(on_land=lambda lat, lon, km: False)
    assert len(run(two_reports(5 * H), context=at_sea)) == 2
    assert len(run(two_reports(5 * H), GapSettings(inland_km=0), context=inland)) == 2


def test_reception_breaking_up_before_the_silence_is_fading_not_dark() -> None:
    # Heard every minute, then a 15-minute hole, one more report, and silence: the signal
    # faded out with range (a transponder switched off goes from its usual rate to nothing).
    steady = track(311000070, T0, 15.0, -70.0, 12.0, 45.0, 60, 1 * H)
    fading = [*steady, replace(steady[-1], ts=ts_of(steady[-1]) + timedelta(minutes=15),
                               lat=steady[-1].lat + 0.04)]
    det = GapDetector(GapSettings())
    assert drive(det, fading, T0.timestamp() + 6 * H) == []
    assert det.counters["fading"] == 1
    # The same track without the hole is a dark vessel.
    assert len(run(steady, until_s=T0.timestamp() + 6 * H)) == 1
    # A vessel whose usual interval is 12 minutes is not fading after a 15-minute hole.
    slow = track(311000071, T0, 15.0, -70.0, 12.0, 45.0, 720, 3 * H)
    slow = [*slow, replace(slow[-1], ts=ts_of(slow[-1]) + timedelta(minutes=15),
                           lat=slow[-1].lat + 0.04)]
    assert len(run(slow, until_s=T0.timestamp() + 9 * H)) == 1


def test_an_aid_to_navigation_falling_silent_is_not_a_dark_vessel() -> None:
    a, b = two_reports(5 * H)
    aton = [replace(a, mmsi=992111827), replace(b, mmsi=992111827)]
    assert run(aton) == []
    assert len(run([a, b])) == 2
