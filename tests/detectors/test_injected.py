"""Detection quality on injected events: a built scenario with ten events of every kind, decoys
that must not alert, and background traffic, replayed through the whole embedded pipeline
(NMEA encoding, ingest, real Belize MPAs and the NGA World Port Index from the shared data,
the landmetrics shore grid), scored by the exercise scorer (``mda.exercise.score``). Recall and
precision must be at least 0.9 per kind. (Generated scenarios with sea routes and reception
noise are in ``tests/exercise``; this one keeps its hand-placed geometry.)"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from ingest.sources import Source
from mda.exercise.score import Score, score
from mda.exercise.truth import Truth, TruthDecoy, TruthEvent
from mda.geography import Geography
from mda.records import NAV_MOORED, Alert, PositionReport, VesselStatic
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings, zone_rules
from mda.synthetic import epoch, legs, to_lines, track, with_status
from tests.helpers import ts_of

T0 = epoch("2024-06-01T00:00:00Z")
END = T0 + timedelta(hours=8)


class Scene:
    def __init__(self) -> None:
        self.reports: list[PositionReport] = []
        self.statics: list[VesselStatic] = []
        self.truth: list[TruthEvent] = []
        self.decoys: set[int] = set()
        self._next = 0

    def vessel(self, mid: int, ship_type: int, name: str) -> int:
        self._next += 1
        mmsi = mid * 1_000_000 + 10_000 + self._next
        self.statics.append(VesselStatic(T0, mmsi, name=name, ship_type=ship_type,
                                         length_m=60.0))
        return mmsi

    def add(self, reports: list[PositionReport]) -> None:
        self.reports += [r for r in reports if r.ts is not None and r.ts <= END]

    def event(self, kind: str, mmsi: int, h0: float, h1: float, other: int | None = None) -> None:
        self.truth.append(TruthEvent(f"{kind}-{len(self.truth)}", kind, mmsi,
                                     (T0 + timedelta(hours=h0)).timestamp(),
                                     (T0 + timedelta(hours=h1)).timestamp(), 0.0, 0.0,
                                     other_mmsi=other))

    def ground_truth(self) -> Truth:
        decoys = [TruthDecoy(f"decoy-{m}", "decoy", [m], T0.timestamp(), END.timestamp(), 0.0,
                             0.0) for m in sorted(self.decoys)]
        return Truth("injected", 11, T0.timestamp(), END.timestamp(), self.truth, decoys)

    def lines(self) -> list[str]:
        items: list[PositionReport | VesselStatic] = [*self.statics, *self.reports]
        items.sort(key=lambda r: (r.ts, r.mmsi))
        return to_lines(items)


BELIZE_MPAS = [(16.707, -88.17), (16.131, -88.291), (16.852, -87.781), (16.463, -88.196),
               (18.136, -87.863)]


def build() -> Scene:
    rng = random.Random(11)
    s = Scene()
    h = timedelta(hours=1)
    for i in range(10):  # gaps: cargo ships dark for 3-4 h at sea
        m = s.vessel(636, 70, f"DARK {i}")
        full = track(m, T0, 14.0 + 0.3 * i, -78.0 + 0.2 * i, 11.0, 60.0, 120, 8 * 3600)
        off, dur = 2 + rng.random(), 3 + rng.random()
        s.add([r for r in full if not (T0 + off * h <= ts_of(r) < T0 + (off + dur) * h)])
        s.event("gap", m, off, off + dur)
    for i in range(10):  # rendezvous: a fishing vessel and a cargo ship meet for 2.5 h
        lat, lon = 13.0 + 0.4 * i, -76.0 + 0.3 * i
        a, b = s.vessel(440, 30, f"FISHER {i}"), s.vessel(351, 70, f"CARRIER {i}")
        s.add(legs(a, T0, lat, lon - 0.25, [(8, 90, 1.7), (0.6, 45, 2.5), (8, 200, 3.8)]))
        s.add(legs(b, T0 + timedelta(seconds=60), lat + 0.0022, lon - 0.25,
                   [(8, 90, 1.7), (0.6, 45, 2.5), (9, 330, 3.8)]))
        s.event("rendezvous", a, 1.7, 4.2, other=b)
    for i in range(10):  # loitering: tankers drifting 4.5 h far from shore
        m = s.vessel(538, 84, f"WAITER {i}")
        s.add(legs(m, T0, 14.0 + 0.5 * (i % 5), -70.0 + 1.5 * (i // 5) + 0.2 * i,
                   [(11, 120, 1.0), (0.7, 200, 4.5), (11, 300, 2.5)]))
        s.event("loitering", m, 1.0, 5.5)
    for i in range(10):  # zone entries: foreign fishing vessels into Belize MPAs and out
        lat, lon = BELIZE_MPAS[i % 5]
        m = s.vessel(775, 30, f"INTRUDER {i}")
        start = T0 + timedelta(minutes=40 * i % 90)
        s.add(legs(m, start, lat + 0.002 * i, lon + 0.16,
                   [(6, 270, 1.6), (0.3, 0, 1.5), (6, 90, 6.0)]))
        # the whole track: on its way in and out it may cross other MPAs, which is also an
        # incursion (the truth is per vessel, every MPA it enters counts)
        s.event("zone_entry", m, 0.0, 8.0)
        s.event("zone_exit", m, 0.0, 8.0)
    for i in range(10):  # spoofing: one report 100+ km away from the track
        m = s.vessel(241, 70, f"JUMPER {i}")
        full = track(m, T0, 11.5 + 0.2 * i, -66.0 + 0.3 * i, 12.0, 270.0, 120, 8 * 3600)
        j = 120 + 5 * i
        bad = PositionReport(full[j].ts, m, full[j].lat + 1.2, full[j].lon, 12.0, 270.0, 270,
                             0, 1)
        s.add([*full[:j], bad, *full[j + 1:]])
        s.event("spoofing", m, j * 2 / 60 - 0.1, j * 2 / 60 + 0.1)
    for i in range(2):  # spoofing: two ships sharing one MMSI, 1,500 km apart
        m = s.vessel(229, 70, f"TWIN {i}")
        s.add(track(m, T0, 12.0 + i, -62.0, 10.0, 0.0, 120, 8 * 3600))
        s.add(track(m, T0 + timedelta(seconds=30), 24.0 + i, -80.0 + 0.5 * i, 10.0, 180.0, 180,
                    8 * 3600))
        s.event("spoofing", m, 0.0, 8.0)

    def decoy(m: int) -> int:
        s.decoys.add(m)
        return m

    # decoys: crossing at speed; a short meeting; moored together in port; slow together in
    # a harbour (no nav status); a fishing vessel passing outside the MPAs; background transits
    a, b = decoy(s.vessel(310, 70, "CROSS A")), decoy(s.vessel(311, 70, "CROSS B"))
    s.add(track(a, T0, 15.5, -74.0, 12.0, 90.0, 120, 8 * 3600))
    s.add(track(b, T0 + timedelta(seconds=60), 15.5012, -72.37, 12.0, 270.0, 120, 8 * 3600))
    a, b = decoy(s.vessel(312, 70, "BRIEF A")), decoy(s.vessel(314, 70, "BRIEF B"))
    s.add(legs(a, T0, 16.5, -73.0, [(8, 90, 2.0), (0.5, 0, 0.33), (8, 90, 5.6)]))
    s.add(legs(b, T0 + timedelta(seconds=60), 16.502, -73.0,
               [(8, 90, 2.0), (0.5, 0, 0.33), (8, 180, 5.6)]))
    a, b = decoy(s.vessel(367, 80, "MOORED A")), decoy(s.vessel(368, 80, "MOORED B"))
    s.add(with_status(track(a, T0, 18.4620, -66.1060, 0.0, 0.0, 180, 8 * 3600), NAV_MOORED))
    s.add(with_status(track(b, T0, 18.4625, -66.1063, 0.0, 0.0, 180, 8 * 3600), NAV_MOORED))
    a, b = decoy(s.vessel(369, 70, "HARBOUR A")), decoy(s.vessel(366, 70, "HARBOUR B"))
    s.add([*track(a, T0, 18.455, -66.120, 0.4, 10.0, 120, 8 * 3600)])
    s.add([*track(b, T0 + timedelta(seconds=60), 18.4565, -66.1195, 0.4, 10.0, 120,
                  8 * 3600)])
    for k in range(2):
        f = decoy(s.vessel(775, 30, f"PASSING {k}"))
        s.add(track(f, T0, 16.0 + 0.3 * k, -87.25, 7.0, 0.0, 120, 8 * 3600))
    for k in range(20):
        m = decoy(s.vessel(305 if k % 2 else 636, 70 + k % 10, f"TRANSIT {k}"))
        s.add(track(m, T0 + timedelta(seconds=7 * k), 12.5 + 0.2 * k, -81.0 + 0.5 * k,
                    9.0 + k % 6, 45.0 + 9 * k, 120, 8 * 3600))
    return s


@pytest.fixture(scope="module")
def scenario_run(shared: Path) -> tuple[Scene, list[Alert], Score]:
    scene = build()
    settings = preset_settings()
    geography = Geography.load(
        zone_args=[f"mpa={shared / 'zones/belize_marine_protected_areas_2005.geojson'}"],
        port_files=[str(shared / "ports/nga_world_port_index_pub150.csv.gz")],
        rules=zone_rules(settings))
    alerts: list[Alert] = []
    runner = EmbeddedRunner(settings, alerts.append, geography=geography)
    data = ("\n".join(scene.lines()) + "\n").encode()
    summary = runner.run([Source.from_bytes("scenario", data)])
    assert summary.stats.rejected == {}
    return scene, alerts, score([a.to_dict() for a in alerts], scene.ground_truth())


@pytest.mark.parametrize("kind", ["gap", "rendezvous", "loitering", "zone_entry", "zone_exit",
                                  "spoofing"])
def test_recall_and_precision_per_kind(scenario_run: tuple[Scene, list[Alert], Score],
                                       kind: str) -> None:
    _, _, result = scenario_run
    k = result.kind(kind)
    assert k.events == sum(1 for t in scenario_run[0].truth if t.kind == kind)
    assert k.recall is not None and k.recall == 1.0, (
        f"{kind}: recall {k.recall} ({k.missed} of {k.events} missed)")
    assert k.precision is not None and k.precision == 1.0, (
        f"{kind}: precision {k.precision} ({k.fp} false alerts)")


def test_decoys_raise_nothing(scenario_run: tuple[Scene, list[Alert], Score]) -> None:
    scene, alerts, result = scenario_run
    noisy = sorted({(a.kind, a.mmsi, a.summary) for a in alerts
                    if a.mmsi in scene.decoys or (a.other_mmsi in scene.decoys)})
    assert noisy == []
    assert result.decoy_alerts == 0
