"""The generator itself: positions at sea, reporting intervals by class and speed, the ground
truth against what the file holds (decoded with the project's ingest), determinism, the noise
a real feed has, and identities."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import chain, islice, pairwise
from pathlib import Path

import numpy as np
import pytest
import shapely

from ingest.dedup import Deduplicator
from ingest.quarantine import IngestStats
from ingest.sources import Source, make_decoder, sniff_format
from mda.exercise.generate import Exercise, generate_file
from mda.exercise.motion import report_interval_s
from mda.exercise.world import HARBOUR_KM, km_many
from mda.flags import flag_of
from mda.geo import haversine_m
from mda.records import PositionReport, SensorContact, VesselStatic
from tests.exercise.conftest import write_tiny
from tests.helpers import ts_of
from zones.catalogue import Zone
from zones.shore import ShoreDistance

DecodedFile = tuple[list[PositionReport], list[VesselStatic], IngestStats]


def decode(path: Path) -> DecodedFile:
    """Every record the project's NMEA decoder gets from a file (duplicates dropped)."""
    stats = IngestStats()
    src = Source.open(str(path))
    lines = src.lines()
    head = list(islice(lines, 20))
    dec = make_decoder(str(path), sniff_format(head), stats, Deduplicator())
    pos: list[PositionReport] = []
    sta: list[VesselStatic] = []

    def take() -> None:
        for rec, _, _ in dec.out:
            if isinstance(rec, PositionReport):
                pos.append(rec)
            else:
                assert isinstance(rec, VesselStatic), rec  # traffic has no sensor contacts
                sta.append(rec)
        dec.out.clear()

    for n, raw in enumerate(chain(head, lines), 1):
        dec.feed(n, raw)
        take()
    dec.flush()
    take()
    return pos, sta, stats


@pytest.fixture(scope="module")
def decoded(tiny: Exercise) -> DecodedFile:
    return decode(tiny.traffic)


@pytest.fixture(scope="module")
def clean_decoded(tiny_clean: Exercise) -> DecodedFile:
    return decode(tiny_clean.traffic)


def by_vessel(reports: list[PositionReport]) -> dict[int, list[PositionReport]]:
    out: dict[int, list[PositionReport]] = defaultdict(list)
    for r in sorted(reports, key=lambda r: (r.ts, r.mmsi)):
        out[r.mmsi].append(r)
    return out


def test_every_position_is_at_sea_or_in_a_harbour(tiny: Exercise,
                                                  decoded: DecodedFile) -> None:
    pos, _, _ = decoded
    lats = np.array([r.lat for r in pos])
    lons = np.array([r.lon for r in pos])
    shore = ShoreDistance.default().many_nm(lats, lons)
    port_km = np.full(len(pos), np.inf)
    for p in tiny.scenario.ports:
        port_km = np.minimum(port_km, km_many(p.lat, p.lon, lats, lons))
    at_sea = shore > 0
    in_harbour = port_km <= HARBOUR_KM
    assert len(pos) > 50_000
    assert (at_sea | in_harbour).all(), [
        (pos[i].mmsi, pos[i].lat, pos[i].lon) for i in np.flatnonzero(~(at_sea | in_harbour))[:5]]
    # most of the traffic is well out at sea, not hugging the harbour allowance
    assert (shore > 3).mean() > 0.5


def test_reporting_intervals_match_class_speed_and_status(tiny_clean: Exercise,
                                                          clean_decoded: DecodedFile) -> None:
    """Without reception noise, the time to a vessel's next report is the ITU-R M.1371
    interval of its class, speed and status (at a change of speed, the shorter of the two)."""
    pos, _, _ = clean_decoded
    twins = {e.mmsi for e in tiny_clean.truth.events if e.reason == "shared_mmsi"}
    # vessels with a scripted silence: a gap, or the moored decoy that goes quiet
    silent = {e.mmsi for e in tiny_clean.truth.events if e.kind == "gap"}
    silent |= {m for d in tiny_clean.truth.decoys if d.kind == "moored_together"
               for m in d.mmsis}
    seen: Counter[tuple[str, int]] = Counter()
    checked = 0
    for mmsi, rs in by_vessel(pos).items():
        if mmsi in twins:
            continue
        for a, b in pairwise(rs):
            assert a.ts is not None and b.ts is not None
            dt = (b.ts - a.ts).total_seconds()
            if mmsi in silent and dt > 1800:
                continue  # the scripted silence
            class_b = a.msg_type == 18
            status = 0 if class_b else (a.nav_status or 0)
            want = {report_interval_s(class_b, x.sog_kn or 0.0, status) for x in (a, b)}
            # speeds are reported with 0.1 kn sensor noise: near a class boundary either
            # side's interval is right
            for x in (a, b):
                for d in (-0.3, 0.3):
                    want.add(report_interval_s(class_b, max(0.0, (x.sog_kn or 0.0) + d),
                                               status))
            assert dt <= max(want) + 1 and dt >= min(want) - 1, (mmsi, a, b, dt, want)
            seen[("B" if class_b else "A", int(dt))] += 1
            checked += 1
    assert checked > 50_000
    # both classes and the intervals of the table occur: class A under way 10 s, moored
    # 3 min; class B 30 s and 3 min
    for key in (("A", 10), ("A", 180), ("B", 30), ("B", 180)):
        assert seen[key] > 0, seen


def test_aggregated_feed_keeps_at_most_one_position_per_interval(tmp_path: Path) -> None:
    path = write_tiny(tmp_path, clean=True)
    text = path.read_text().replace("jitter_m = 0", "jitter_m = 0\nkeep_every_s = 60")
    path.write_text(text)
    ex = generate_file(path, tmp_path / "out")
    pos, _, _ = decode(ex.traffic)
    twins = {e.mmsi for e in ex.truth.events if e.reason == "shared_mmsi"}
    gaps = [(ts_of(b) - ts_of(a)).total_seconds() for m, rs in by_vessel(pos).items()
            if m not in twins for a, b in pairwise(rs)]
    assert min(gaps) >= 2  # consecutive buckets may hold reports a few seconds apart
    assert np.median(gaps) >= 60


def test_ground_truth_matches_what_was_written(tiny: Exercise, decoded: DecodedFile) -> None:
    pos, _, _ = decoded
    reports = by_vessel(pos)
    zones = {z.id: z for z in _zones(tiny)}
    kinds = Counter(e.kind for e in tiny.truth.events if e.required)
    assert kinds == {"gap": 1, "rendezvous": 1, "loitering": 1, "zone_entry": 1,
                     "zone_exit": 1, "spoofing": 2, "dark_target": 2}
    contacts = written_contacts(tiny)
    for e in tiny.truth.events:
        if e.kind == "dark_target":
            # its contacts were written, and no AIS vessel is anywhere near them
            mine = [c for c in contacts if key_of(c) in e.params["contacts"]]
            times = sorted(ts_of(c).timestamp() for c in mine)
            if e.params["sensor"] == "sar":
                assert len(mine) == 2
            else:  # a sweep every 6 s for the event's duration
                assert set(np.diff(times)) == {6.0}
                assert times[-1] - times[0] == pytest.approx(e.params["duration_h"] * 3600,
                                                             abs=10)
            assert e.mmsi == 0 and min(ts_of(c).timestamp() for c in mine) == e.start
            for c in mine[::50]:
                near = [r for r in pos if abs((ts_of(r) - ts_of(c)).total_seconds()) <= 600
                        and haversine_m(r.lat, r.lon, c.lat, c.lon) < 1600]
                assert near == []
            continue
        rs = reports[e.mmsi]
        t = np.array([ts_of(r).timestamp() for r in rs])
        if e.kind == "gap":
            assert e.end is not None
            assert e.start in t and e.end in t  # the last report before, the first after
            assert not ((t > e.start) & (t < e.end)).any()
            assert e.end - e.start >= e.params["duration_h"] * 3600
            first = next(r for r in rs if ts_of(r).timestamp() == e.start)
            assert first.sog_kn is not None and first.sog_kn > 5  # under way
        elif e.kind == "rendezvous":
            assert e.other_mmsi is not None and e.end is not None
            other = {ts_of(r).timestamp(): r for r in reports[e.other_mmsi]}
            close = 0
            for r in rs:
                ts = ts_of(r).timestamp()
                if not e.start <= ts <= e.end:
                    continue
                assert r.sog_kn is not None and r.sog_kn < 2
                near = [o for dt in range(-5, 6) if (o := other.get(ts + dt)) is not None]
                if near:
                    d = haversine_m(r.lat, r.lon, near[0].lat, near[0].lon)
                    assert d <= e.params["distance_m"] + 60
                    close += 1
            assert close > 100
            assert (e.end - e.start) / 3600 == pytest.approx(e.params["duration_h"], abs=0.05)
        elif e.kind == "loitering" and e.required:
            assert e.end is not None
            slow = [r for r in rs if e.start <= ts_of(r).timestamp() <= e.end]
            assert slow and all(r.sog_kn is not None and r.sog_kn < 2 for r in slow)
            nm = ShoreDistance.default().many_nm([r.lat for r in slow], [r.lon for r in slow])
            assert nm.min() >= 12
        elif e.kind == "zone_entry":
            assert e.zone_id is not None
            z = zones[e.zone_id]
            first = next(r for r in rs if ts_of(r).timestamp() == e.start)
            assert shapely.contains_xy(z.geometry, first.lon, first.lat)
            before = [r for r in rs if ts_of(r).timestamp() < e.start]
            assert before and not shapely.contains_xy(z.geometry, before[-1].lon,
                                                      before[-1].lat)
        elif e.kind == "zone_exit":
            assert e.zone_id is not None
            z = zones[e.zone_id]
            first = next(r for r in rs if ts_of(r).timestamp() == e.start)
            assert not shapely.contains_xy(z.geometry, first.lon, first.lat)
        elif e.kind == "spoofing" and e.reason == "speed":
            i = int(np.flatnonzero(t == e.start)[0])
            jump = haversine_m(rs[i - 1].lat, rs[i - 1].lon, rs[i].lat, rs[i].lon)
            assert jump >= 0.9 * e.params["jump_km"] * 1000
        elif e.kind == "spoofing":
            assert e.end is not None
            inside = [r for r in rs if e.start <= ts_of(r).timestamp() <= e.end]
            far = max(haversine_m(inside[0].lat, inside[0].lon, r.lat, r.lon) for r in inside)
            assert far >= 0.8 * e.params["jump_km"] * 1000  # two places at once
    # background traffic makes no incursion of its own
    assert all(e.source == "injected" for e in tiny.truth.events)


def written_contacts(ex: Exercise) -> list[SensorContact]:
    """The radar and SAR contacts of the exercise's sensor files, decoded by ingest."""
    from mda.runner import EmbeddedRunner

    seen: list[SensorContact] = []
    runner = EmbeddedRunner(on_contact=seen.append)
    runner.run([Source.open(str(ex.out_dir / name)) for name in ex.sensors])
    assert runner.stats.rejected == {} and runner.stats.contacts_untimed == 0
    return seen


def key_of(c: SensorContact) -> str:
    from mda.exercise.truth import contact_key

    return contact_key(c.sensor, c.source, c.contact_id)


def test_decoys_are_what_they_claim(tiny: Exercise, decoded: DecodedFile) -> None:
    pos, _, _ = decoded
    reports = by_vessel(pos)
    kinds = {d.kind: d for d in tiny.truth.decoys}
    assert set(kinds) == {"fast_crossing", "short_meeting", "moored_together", "zone_transit",
                          "sensed_ais"}
    sensed = kinds["sensed_ais"]
    mine = [c for c in written_contacts(tiny) if key_of(c) in sensed.params["contacts"]]
    assert len(mine) > 100  # radar sweeps every 6 s
    at = {ts_of(r).timestamp(): r for r in reports[sensed.mmsis[0]]}
    offsets = [haversine_m(c.lat, c.lon, r.lat, r.lon) for c in mine
               if (r := at.get(ts_of(c).timestamp())) is not None]
    assert offsets and max(offsets) <= sensed.params["noise_m"] + 50  # the vessel, with noise
    moored = kinds["moored_together"]
    a, b = (reports[m] for m in moored.mmsis)
    assert all(r.nav_status == 5 for r in a + b)
    assert haversine_m(a[0].lat, a[0].lon, b[0].lat, b[0].lon) < 100
    assert max((ts_of(y) - ts_of(x)).total_seconds() for x, y in pairwise(b)) >= 3 * 3600  # silent
    fast = kinds["fast_crossing"]
    x, y = (reports[m] for m in fast.mmsis)
    at = {ts_of(r).timestamp(): r for r in y}
    closest = min(haversine_m(r.lat, r.lon, o.lat, o.lon) for r in x
                  for dt in range(-5, 6) if (o := at.get(ts_of(r).timestamp() + dt)) is not None)
    assert closest < 500
    assert all(r.sog_kn is not None and r.sog_kn > 5
               for r in x if fast.start <= ts_of(r).timestamp() <= fast.end)
    transit = kinds["zone_transit"]
    assert transit.zone_id is not None
    zone = {z.id: z for z in _zones(tiny)}[transit.zone_id]
    rs = reports[transit.mmsis[0]]
    inside = shapely.contains_xy(zone.geometry, [r.lon for r in rs], [r.lat for r in rs])
    assert not inside.any()
    gap_deg = min(shapely.distance(zone.geometry, shapely.Point(r.lon, r.lat)) for r in rs)
    assert gap_deg * 60 < 2 * transit.params["distance_nm"] + 2  # it does pass close by


def _zones(ex: Exercise) -> list[Zone]:
    from zones.catalogue import load_zones

    return load_zones(ex.out_dir / "zones.geojson")[0]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path, tiny: Exercise) -> None:
    again = generate_file(write_tiny(tmp_path / "a"), tmp_path / "a" / "out")
    assert again.traffic.read_bytes() == tiny.traffic.read_bytes()
    assert again.truth_path.read_bytes() == tiny.truth_path.read_bytes()
    other = generate_file(write_tiny(tmp_path / "b", seed=43), tmp_path / "b" / "out")
    assert other.traffic.read_bytes() != tiny.traffic.read_bytes()


def test_the_feed_is_dirty_like_a_real_one(tiny: Exercise, decoded: DecodedFile) -> None:
    _, _, stats = decoded
    assert stats.messages_duplicate > 1000  # heard again by mda-rx2
    assert stats.rejected["bad_checksum"] > 10 and stats.rejected["truncated_no_checksum"] > 10
    stations = Counter(line[:12] for line in tiny.traffic.read_bytes().split(b"\n", 200_000))
    assert stations[b"\\s:mda-rx2,c"] > 500
    tag = re.compile(rb"^\\s:mda-rx1,c:(\d{10})\*")
    times = [int(m.group(1)) for line in tiny.traffic.read_bytes().splitlines()
             if (m := tag.match(line))]
    back = sum(1 for a, b in pairwise(times) if b < a - 1)
    assert back > 50  # lines delivered late, out of order
    assert max(a - b for a, b in pairwise(times)) <= 300  # within the allowed lateness


def test_identities_are_real_mmsis_with_static_data(tiny: Exercise,
                                                    decoded: DecodedFile) -> None:
    pos, sta, _ = decoded
    mmsis = {r.mmsi for r in pos}
    assert all(200_000_000 <= m <= 799_999_999 and flag_of(m) is not None for m in mmsis)
    # class B sends its name (type 24 part A) and its type (part B) separately
    assert mmsis <= {s.mmsi for s in sta if s.name}
    assert mmsis <= {s.mmsi for s in sta if s.ship_type}
    classes = Counter(r.msg_type for r in pos)
    assert classes[1] > 0 and classes[18] > 0
    types = {s.ship_type for s in sta}
    assert {30, 70, 80} <= types
    first_static: dict[int, VesselStatic] = {}
    for s in sta:
        first_static.setdefault(s.mmsi, s)
    first_pos: dict[int, PositionReport] = {}
    for r in pos:
        first_pos.setdefault(r.mmsi, r)
    # a vessel's static data comes with its first report, so rules on ship type apply at once
    late = [m for m in mmsis if ts_of(first_static[m]) > ts_of(first_pos[m])]
    assert len(late) <= 0.1 * len(mmsis)


def test_background_sails_the_named_routes(tmp_path: Path) -> None:
    from tests.exercise.conftest import CARIBBEAN

    path = tmp_path / "routes.toml"
    path.write_text(f"""
include = ["{CARIBBEAN.as_posix()}"]

[scenario]
name = "routes"
start = 2024-02-01T00:00:00Z
duration_h = 6

[background]
vessels = 8
mix = {{ cargo = 1, tanker = 1 }}
routes = [["Kingston", "Cartagena"]]
""")
    ex = generate_file(path, tmp_path / "out")
    pos, sta, _ = decode(ex.traffic)
    ports = {p.name: p for p in ex.scenario.ports}
    stopped = [r for r in pos if r.nav_status in (1, 5)]
    assert stopped
    for r in stopped:
        near = min(haversine_m(r.lat, r.lon, ports[n].lat, ports[n].lon)
                   for n in ("Kingston", "Cartagena"))
        assert near < 6000, r
    assert {s.destination for s in sta if s.destination} <= {"KINGSTON", "CARTAGENA"}
