"""Spatial detectors on real data: the shared MMSI in GFW's tracks, ports from the World Port
Index suppressing in-port rendezvous, real MPAs answering the zone detector."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from ingest.sources import Source
from mda.geography import Geography
from mda.records import Alert
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from mda.synthetic import epoch, to_lines, track
from tests.helpers import replay

T0 = epoch("2024-06-01T00:00:00Z")


def test_shared_mmsi_in_gfw_tracks_is_flagged(shared: Path) -> None:
    s = preset_settings()
    s = replace(s, ingest=replace(s.ingest, allowed_lateness_s=1e12))
    run = replay([shared / "tracks/gfw_gpsdio-segment_satellite_tracks_2014-2015.jsonl.gz"], s)
    shared_ids = {a.mmsi for a in run.final().values()
                  if a.kind == "spoofing" and a.evidence["reason"] == "shared_mmsi"}
    assert 240000000 in shared_ids
    alert = next(a for a in run.final().values() if a.mmsi == 240000000
                 and a.kind == "spoofing" and a.evidence["reason"] == "shared_mmsi")
    # off Colombia (~11 N 75 W) and in the Bay of Bengal: thousands of km apart
    assert alert.evidence["distance_km"] > 10_000
    assert alert.severity == "high"


def _harbour_pair() -> bytes:
    # two vessels without a navigational status drifting together in San Juan harbour
    a = track(366000001, T0, 18.455, -66.120, 0.4, 10.0, 120, 3 * 3600, nav_status=None)
    b = track(366000002, T0 + timedelta(seconds=60), 18.4565, -66.1195, 0.4, 10.0, 120,
              3 * 3600, nav_status=None)
    items = sorted([*a, *b], key=lambda r: (r.ts, r.mmsi))
    return ("\n".join(to_lines(items)) + "\n").encode()


def _rendezvous(geography: Geography) -> list[Alert]:
    alerts: list[Alert] = []
    EmbeddedRunner(preset_settings(), alerts.append, geography=geography).run(
        [Source.from_bytes("harbour", _harbour_pair())])
    return [a for a in alerts if a.kind == "rendezvous"]


def test_world_port_index_suppresses_in_port_rendezvous(shared: Path) -> None:
    assert _rendezvous(Geography.load(shore=False)) != []  # without ports: looks like a meeting
    with_ports = Geography.load(
        port_files=[str(shared / "ports/nga_world_port_index_pub150.csv.gz")], shore=False)
    assert _rendezvous(with_ports) == []


def test_vessels_seen_moored_mark_a_port_area_without_a_list() -> None:
    from mda.records import NAV_MOORED
    from mda.synthetic import with_status

    moored = [with_status(track(366000100 + k, T0 - timedelta(hours=1), 18.4555, -66.1198,
                                0.0, 0.0, 600, 3600), NAV_MOORED) for k in range(3)]
    items = sorted([r for m in moored for r in m], key=lambda r: (r.ts, r.mmsi))
    data = ("\n".join(to_lines(items)) + "\n").encode() + _harbour_pair()
    alerts: list[Alert] = []
    EmbeddedRunner(preset_settings(), alerts.append,
                   geography=Geography.load(shore=False)).run([Source.from_bytes("p", data)])
    assert [a for a in alerts if a.kind == "rendezvous"] == []
