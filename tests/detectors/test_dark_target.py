"""dark_target (detectors/dark_target.py) through the embedded runner: radar sweeps of an AIS
vessel (with position noise) are matched and silent; a radar track of a vessel sending no AIS
is one alert, opened once the window has passed, updated, and closed when the track is lost;
SAR detections alone; AIS that arrives late (within the lateness, or after the decision)
explains the contact, and a dark_target already raised is retracted."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from detectors.dark_target import DarkTargetSettings
from mda.geo import destination
from mda.records import Alert, PositionReport, SensorContact
from mda.settings import RadarSettings, Settings, preset_settings
from mda.synthetic import epoch, radar_sentence, tag_block, to_lines, track
from tests.helpers import Run, replay_lines, ts_of

T0 = epoch("2024-05-01T00:00:00Z")
RADAR = (18.0, -76.8)
H = 3600.0


def settings(sort_files: bool | None = None) -> Settings:
    s = preset_settings()
    ingest = s.ingest if sort_files is None else replace(s.ingest, sort_files=sort_files)
    return replace(s, radar=RadarSettings(*RADAR), ingest=ingest)


def sweeps(reports: list[PositionReport], target: int, every_s: float = 6.0,
           noise_m: float = 200.0, seed: int = 1, lost: bool = False) -> list[SensorContact]:
    """Radar contacts of a track every ``every_s`` (interpolated between its reports), each
    displaced up to ``noise_m`` in a random direction."""
    rng = random.Random(seed)
    out: list[SensorContact] = []
    t0, t1 = reports[0].ts, reports[-1].ts
    assert t0 is not None and t1 is not None
    n = int((t1 - t0).total_seconds() // every_s)
    for k in range(n + 1):
        t = t0 + timedelta(seconds=k * every_s)
        i = max(j for j, r in enumerate(reports) if r.ts is not None and r.ts <= t)
        r = reports[i]
        assert r.ts is not None
        dt = (t - r.ts).total_seconds()
        lat, lon = destination(r.lat, r.lon, (r.sog_kn or 0.0) * 1852.0 / 3600.0 * dt,
                               r.cog_deg or 0.0)
        lat, lon = destination(lat, lon, rng.uniform(0.0, noise_m), rng.uniform(0.0, 360.0))
        status = "lost" if lost and k == n else "tracking"
        out.append(SensorContact(t, "radar", "radar1", str(target), lat, lon, r.sog_kn,
                                 r.cog_deg, status=status))
    return out


def lines(ais: list[PositionReport], contacts: list[SensorContact],
          late: Sequence[PositionReport] = ()) -> list[str]:
    """AIS and radar lines in event-time order, then ``late`` AIS at the end."""
    timed: list[tuple[datetime, int, str]] = []
    for r in ais:
        assert r.ts is not None
        timed += [(r.ts, 0, x) for x in to_lines([r], "rx")]
    for c in contacts:
        assert c.ts is not None
        timed.append((c.ts, 1, tag_block(c.ts, "radar1") + radar_sentence(c, RADAR)))
    timed.sort(key=lambda x: (x[0], x[1]))
    out = [x for _, _, x in timed]
    for r in late:
        out += to_lines([r], "rx")
    return out


def dark(run: Run) -> list[Alert]:
    return [a for a in run.alerts if a.kind == "dark_target"]


def far_traffic(hours: float) -> list[PositionReport]:
    """A vessel far away that keeps the event clock moving."""
    return track(366000009, T0, 17.0, -75.0, 10.0, 0.0, 10.0, hours * H)


def test_radar_of_ais_vessels_is_matched_and_a_dark_track_is_one_alert() -> None:
    ais1 = track(311000001, T0, 18.05, -76.85, 12.0, 90.0, 10.0, 1.0 * H)
    ais2 = track(311000002, T0, 17.95, -76.70, 8.0, 300.0, 10.0, 1.0 * H)
    hidden = track(999000001, T0 + timedelta(minutes=5), 18.15, -76.70, 6.0, 200.0, 10.0,
                   0.5 * H)  # sends no AIS: only its radar sweeps go in
    contacts = (sweeps(ais1, 1, noise_m=300.0) + sweeps(ais2, 2, seed=2)
                + sweeps(hidden, 7, seed=3, lost=True))
    run = replay_lines(lines(ais1 + ais2 + far_traffic(1.2), contacts), settings())
    states = dark(run)
    assert {a.alert_id for a in states} == {states[0].alert_id}, "one alert for the track"
    assert [a.status for a in states[:-1]] == ["open"] * (len(states) - 1)
    assert states[-1].status == "closed"
    first, last = states[0], states[-1]
    assert first.mmsi == 0 and first.evidence["contact_id"] == "7"
    assert first.start == hidden[0].ts
    # decided once the watermark passed the contact's time + the window, not before
    detected = datetime.fromisoformat(first.evidence["detected_at"].replace("Z", "+00:00"))
    assert detected.timestamp() > ts_of(hidden[0]).timestamp() + 600.0
    assert last.end is not None and abs((last.end - ts_of(hidden[-1])).total_seconds()) < 7
    assert last.evidence["ended"] == "lost"
    assert last.evidence["dark_sweeps"] == last.evidence["sweeps"] > 250
    # updates while dark, but far fewer than sweeps
    assert 2 <= len(states) <= 6
    near = first.evidence["nearest_ais"]
    assert near and near[0]["mmsi"] in (311000001, 311000002) and near[0]["distance_m"] > 1500


def test_track_lost_by_silence_and_a_reused_target_number_is_a_new_alert() -> None:
    a = track(999000001, T0, 18.15, -76.70, 6.0, 200.0, 10.0, 0.25 * H)
    b = track(999000002, T0 + timedelta(hours=1), 18.10, -76.60, 6.0, 20.0, 10.0, 0.25 * H)
    run = replay_lines(lines(far_traffic(2.0), sweeps(a, 5) + sweeps(b, 5, seed=9)),
                       settings())
    alerts = {x.alert_id: x for x in dark(run)}
    assert len(alerts) == 2
    assert all(x.status == "closed" and x.evidence["ended"] == "lost" for x in alerts.values())


def test_sar_detections_dark_and_matched() -> None:
    ais = track(311000001, T0, 18.05, -76.85, 12.0, 90.0, 10.0, 1.0 * H)
    t_sar = T0 + timedelta(minutes=30)
    on_ais = destination(*_at(ais, t_sar), 400.0, 45.0)
    csv_lines = ["detect_id,detect_lat,detect_lon,detect_timestamp,length_m",
                 f"D1,{on_ais[0]:.6f},{on_ais[1]:.6f},{t_sar.isoformat()},120",
                 f"D2,18.3,-76.4,{t_sar.isoformat()},35"]
    from ingest.sources import Source
    from mda.runner import EmbeddedRunner

    alerts: list[Alert] = []
    runner = EmbeddedRunner(settings(), alerts.append)
    ais_data = ("\n".join(lines(ais + far_traffic(1.5), [])) + "\n").encode()
    runner.run([Source.from_bytes("ais.nmea", ais_data),
                Source.from_bytes("sar.csv", ("\n".join(csv_lines) + "\n").encode())])
    got = [a for a in alerts if a.kind == "dark_target"]
    assert {a.evidence["contact_id"] for a in got} == {"D2"}
    assert [a.status for a in got] == ["open", "closed"]
    assert got[-1].evidence["sensor"] == "sar" and got[-1].evidence["length_m"] == 35.0
    assert got[-1].start == got[-1].end == t_sar


def _at(reports: list[PositionReport], t: datetime) -> tuple[float, float]:
    r = min(reports, key=lambda r: abs((ts_of(r) - t).total_seconds()))
    return r.lat, r.lon


def test_late_ais_within_the_lateness_is_waited_for() -> None:
    """The vessel's AIS comes after its radar contacts in the stream, within the allowed
    lateness: the decision waits, the contacts match, nothing is raised."""
    ais = track(311000001, T0 + timedelta(minutes=20), 18.05, -76.85, 12.0, 90.0, 10.0,
                0.25 * H)
    contacts = sweeps(ais[:60], 1)  # the first 10 minutes
    body = lines(far_traffic(1.0), contacts)
    # the AIS of those 10 minutes arrives 4 minutes late (lateness 300 s)
    late_lines = []
    for r in ais:
        late_lines.append((ts_of(r) + timedelta(minutes=4), to_lines([r], "rx")))
    merged = [(epoch_of(x), x) for x in body] + [(t, x) for t, xs in late_lines for x in xs]
    merged.sort(key=lambda p: p[0])
    run = replay_lines([x for _, x in merged], settings(sort_files=False))
    assert dark(run) == []
    assert run.stats["rejected"].get("too_late", 0) == 0


def epoch_of(line: str) -> datetime:
    from ingest.framing import tag_block as parse_tag

    body = line[1:line.index("\\", 1)]
    ts = parse_tag(body.encode()).ts
    assert ts is not None
    return datetime.fromtimestamp(ts, T0.tzinfo)


def test_late_ais_after_the_decision_retracts_the_dark_target() -> None:
    """The AIS arrives an hour late, after the dark_target was raised: it is too late for the
    ordered detectors (rejected too_late, counted) but re-checks the contact: retracted."""
    ais = track(311000001, T0 + timedelta(minutes=20), 18.05, -76.85, 12.0, 90.0, 10.0,
                0.25 * H)
    contacts = sweeps(ais, 1, lost=True)
    run = replay_lines(lines(far_traffic(2.0), contacts, late=ais), settings(sort_files=False))
    states = dark(run)
    assert states, "the contact is dark until its AIS comes"
    assert {a.alert_id for a in states} == {states[0].alert_id}
    assert states[0].status == "open"
    assert states[-1].status == "retracted"
    assert states[-1].evidence["retracted_by_mmsi"] == 311000001
    assert run.stats["rejected"]["too_late"] == len(ais)


def test_late_ais_of_another_vessel_far_away_retracts_nothing() -> None:
    hidden = track(999000001, T0 + timedelta(minutes=20), 18.05, -76.85, 12.0, 90.0, 10.0,
                   0.25 * H)
    other = track(311000005, T0 + timedelta(minutes=20), 18.30, -76.85, 12.0, 90.0, 10.0,
                  0.25 * H)
    run = replay_lines(lines(far_traffic(2.0), sweeps(hidden, 1, lost=True), late=other),
                       settings(sort_files=False))
    assert dark(run)[-1].status == "closed"


def test_settings_change_the_decision() -> None:
    """A looser match distance explains a contact 2 km from an AIS vessel; the default does
    not."""
    ais = track(311000001, T0, 18.05, -76.85, 12.0, 90.0, 10.0, 0.5 * H)
    contacts = [replace(c, lat=destination(c.lat, c.lon, 2000.0, 0.0)[0])
                for c in sweeps(ais, 4, noise_m=0.0)]
    body = lines(ais + far_traffic(1.0), contacts)
    assert dark(replay_lines(body, settings()))
    s = settings()
    loose = replace(s, detectors={**s.detectors,
                                  "dark_target": DarkTargetSettings(match_distance_m=2500.0)})
    assert dark(replay_lines(body, loose)) == []


def test_late_ais_beyond_the_recheck_horizon_retracts_nothing() -> None:
    ais = track(311000001, T0 + timedelta(minutes=20), 18.05, -76.85, 12.0, 90.0, 10.0,
                0.25 * H)
    s = settings(sort_files=False)
    short = replace(s, detectors={**s.detectors,
                                  "dark_target": DarkTargetSettings(recheck_s=1800.0)})
    body = lines(far_traffic(3.0), sweeps(ais, 1, lost=True), late=ais)
    assert dark(replay_lines(body, short))[-1].status == "closed"  # 2 h late > 30 min
    assert dark(replay_lines(body, s))[-1].status == "retracted"  # within the default 6 h


def test_a_track_that_starts_transmitting_is_identified_and_closed() -> None:
    """The radar follows a vessel whose AIS is off for its first 30 minutes: dark, then
    identified once its AIS has matched the track for a whole window; the alert ends there."""
    full = track(311000001, T0, 18.05, -76.85, 12.0, 90.0, 10.0, 1.0 * H)
    on = [r for r in full if r.ts is not None and r.ts >= T0 + timedelta(minutes=30)]
    run = replay_lines(lines(on + far_traffic(1.5), sweeps(full, 1)), settings())
    states = dark(run)
    assert {a.alert_id for a in states} == {states[0].alert_id}
    last = states[-1]
    assert last.status == "closed" and last.evidence["ended"] == "identified"
    assert last.evidence["identified_mmsi"] == 311000001
    assert last.end is not None
    # it ends when the AIS came on (sweeps a window before that match it already), not at
    # the end of the track, and the sweeps since were not dark
    came_on = (T0 + timedelta(minutes=30)).timestamp()
    assert abs(last.end.timestamp() - came_on) <= 12
    assert last.evidence["dark_sweeps"] < last.evidence["sweeps"]
