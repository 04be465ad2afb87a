"""Issue 9, spoofing on real regional traffic: each noise cause and the AIDASOL miss, a test."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from mda.records import Alert
from tests.detectors.test_regional_noise import replay_real
from tests.helpers import SHARED

US = "tracktable_marinecadastre_us_coastal_2020-06-30.csv.gz"
GULF = "tracktable_marinecadastre_gulf_of_mexico_2020-06-30.csv.gz"
DMA = "dma_north_sea_2022-11-01_0905-1105_aisanalyze.csv.gz"
VERNON = "caribewave_vernon_seine_nmea_localtime_2016-03-31.log.gz"
GIBRALTAR = "marinetraffic_gibraltar_strait_2016-06-01_sample.csv.gz"


@cache
def spoofing(name: str) -> tuple[list[Alert], dict[str, int]]:
    """The last state of every spoofing alert of a replay, and the detector's counters."""
    assert (SHARED / "regional" / name).is_file(), f"missing {name} in {SHARED}"
    run, runner = replay_real(name)
    alerts = [a for a in run.final().values() if a.kind == "spoofing"]
    det = next(d for d in runner.detectors if d.name == "spoofing")
    return alerts, dict(det.counters)


def standing(alerts: list[Alert], reason: str) -> list[Alert]:
    return [a for a in alerts if a.evidence["reason"] == reason and a.status != "retracted"]


@pytest.mark.slow
def test_great_lakes_and_rivers_are_water(shared: Path) -> None:
    # 338367068 in the Straits of Mackinac (45.779N 84.720W): land on the 0.1 degree grid.
    alerts, c = spoofing(US)
    assert not [a for a in alerts if a.mmsi == 338367068 and a.evidence["reason"] == "on_land"]
    assert len(standing(alerts, "on_land")) <= 15  # 297 before issue 9
    assert c["land_learned_water"] + c["land_navigating"] > 100
    vernon, _ = spoofing(VERNON)  # barges on the Seine at Vernon: 37 "on land" before
    assert standing(vernon, "on_land") == []


def test_receiver_glitch_near_mobile_is_not_spoofing(shared: Path) -> None:
    # 12:51 on 2020-06-30: 18 vessels "jump" at once near Mobile (367305380: 18 km in 1 s).
    alerts, c = spoofing(GULF)
    assert not [a for a in alerts if a.mmsi == 367305380]
    assert c["receiver_glitch"] >= 10
    us, cu = spoofing(US)
    assert len(standing(us, "speed")) <= 8  # 87 before issue 9
    assert cu["single_fix"] + cu["stale_position"] + cu["reachable"] >= 50


def test_shared_mmsi_summary_matches_its_evidence(shared: Path) -> None:
    # 367569830 (Los Angeles): "two vessels share this MMSI ... 0 km apart" before issue 9.
    alerts, _ = spoofing(US)
    assert not [a for a in alerts if a.mmsi == 367569830]
    shared_alerts = standing(alerts, "shared_mmsi")
    assert shared_alerts and len(shared_alerts) <= 8  # 26 before issue 9
    for a in shared_alerts:
        ev = a.evidence
        assert ev["distance_km"] >= 10
        assert f"{ev['distance_km']:.0f} km apart" in a.summary
        a_ = (ev["track_a_lat"], ev["track_a_lon"])
        b_ = (ev["track_b_lat"], ev["track_b_lon"])
        assert a_ != b_


@pytest.mark.slow
def test_aidasol_in_seven_places_is_one_shared_mmsi_alert(shared: Path) -> None:
    alerts, _ = spoofing(DMA)
    aida = [a for a in alerts if a.mmsi == 247302900]
    assert [a.evidence["reason"] for a in aida] == ["shared_mmsi"]
    places = aida[0].evidence["places"]
    assert len(places) >= 7
    lats = [p["lat"] for p in places]
    assert max(lats) > 57.7 and min(lats) < 53.6  # Gothenburg ... Hamburg
    assert "places" in aida[0].summary


def test_non_vessels_are_not_spoofing(shared: Path) -> None:
    alerts, c = spoofing(DMA)
    for mmsi in (992111827, 992111828, 219018486):  # FINO3 PLATFORM / INSTRUMENTS, SAR BIL
        assert not [a for a in alerts if a.mmsi == mmsi and a.status != "retracted"]
    assert not [a for a in alerts if str((a.vessel or {}).get("name", "")).startswith("SAR BIL")
                and a.status != "retracted"]
    assert standing(alerts, "invalid_mmsi") == []  # 11 well-formed AtoNs before issue 9
    assert c["not_a_vessel:aid_to_navigation"] >= 10 and c["not_a_vessel:land_unit"] >= 3
    gib, _ = spoofing(GIBRALTAR)  # ten 992xxxxxx AtoNs of Spain and Morocco
    assert standing(gib, "invalid_mmsi") == [] and standing(gib, "on_land") == []
