"""Issue 9 on real regional traffic: the noise causes seen by a watch officer, each a test."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.sources import Source
from mda.geography import Geography
from mda.records import Alert
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from tests.helpers import SHARED, Run

WPI = SHARED / "ports" / "nga_world_port_index_pub150.csv.gz"


def replay_real(name: str) -> tuple[Run, EmbeddedRunner]:
    alerts: list[Alert] = []
    runner = EmbeddedRunner(preset_settings(), alerts.append,
                            geography=Geography.load(port_files=[str(WPI)]))
    summary = runner.run([Source.open(str(SHARED / "regional" / name))])
    return Run(summary, alerts, []), runner


def counters(runner: EmbeddedRunner, name: str) -> dict[str, int]:
    return {k: 0 for k in ("stopped", "berth", "edge", "outage", "thin", "fringe", "port",
                           "inland", "harbour_cluster")} | dict(
        next(d for d in runner.detectors if d.name == name).counters)


@pytest.mark.slow
def test_moored_fishing_boats_in_a_harbour_are_not_a_web_of_rendezvous(shared: Path) -> None:
    # Hvide Sande and Thorsminde: 34 boats moored together, 476 "rendezvous" before issue 9.
    run, runner = replay_real("dma_north_sea_2022-11-01_0905-1105_aisanalyze.csv.gz")
    rdv = [a for a in run.final().values() if a.kind == "rendezvous"]
    assert len(rdv) <= 5
    # Most of them report "Moored" (read since the DMA status text is decoded); the cluster
    # rule takes the rest (it took over a thousand observations when the status was unread).
    assert counters(runner, "rendezvous")["harbour_cluster"] > 0


@pytest.mark.slow
def test_berthed_ferry_is_not_a_dark_vessel_every_night(shared: Path) -> None:
    # 367482990 berths at Weehawken overnight: ten 'dark' gaps a week before issue 9.
    run, runner = replay_real("tracktable_marinecadastre_ny_harbor_2020-12-01_to_07.csv.gz")
    ferry = [a for a in run.final().values() if a.kind == "gap" and a.mmsi == 367482990]
    assert len(ferry) <= 2
    c = counters(runner, "gap")
    assert c["berth"] + c["stopped"] > 100


def test_leaving_one_receivers_range_is_not_a_dark_vessel(shared: Path) -> None:
    # Guadeloupe: one shore receiver; ATLANTICJET at Pointe-a-Pitre (status 0, 0.3 kn) silent.
    run, runner = replay_real("caribewave_guadeloupe_epoch_nmea_2017-03-21.csv.gz")
    gaps = [a for a in run.final().values() if a.kind == "gap"]
    assert not [a for a in gaps if a.mmsi == 329003100]
    assert len(gaps) <= 2  # 27 before issue 9: a tenth at most
    c = counters(runner, "gap")
    assert c["stopped"] + c["edge"] + c["outage"] + c["berth"] >= 5
    # Yachts heard once or twice off Basse-Terre, ships sailing south out of range where other
    # tracks begin and end: thin reception and the fringe, not dark vessels.
    assert c["thin"] >= 3 and c["fringe"] >= 5
    assert not [a for a in gaps if a.mmsi in (219500000, 373071000, 227014480)]
    # The run's summary says what was not alerted and why.
    assert run.summary.as_dict()["not_alerted"]["gap"] == dict(sorted(
        next(d for d in runner.detectors if d.name == "gap").counters.items()))


@pytest.mark.slow
def test_towboats_on_the_ohio_are_not_a_rendezvous_at_sea(shared: Path) -> None:
    # 366999503 alongside another vessel on the Ohio at Paducah (37.15N 88.49W) for 3.2 h,
    # a "rendezvous" before issue 9; the land mask counts the river as land.
    run, runner = replay_real("tracktable_marinecadastre_us_coastal_2020-06-30.csv.gz")
    rdv = [a for a in run.final().values() if a.kind == "rendezvous"]
    assert not [a for a in rdv if 366999503 in (a.mmsi, a.other_mmsi)]
    assert counters(runner, "rendezvous")["inland"] > 100
    # Net buoys 941xxxxxx tended by the fishing vessel 367501050 off Cape Hatteras: gear, not
    # vessels meeting (nine rendezvous and seven invalid-MMSI alerts among them before).
    gear = [a for a in run.final().values()
            if 900_000_000 <= a.mmsi < 970_000_000
            or 900_000_000 <= (a.other_mmsi or 0) < 970_000_000]
    assert gear == []
