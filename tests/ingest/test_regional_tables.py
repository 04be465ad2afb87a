"""Issue 9, ingest: the decoded-AIS tables in shared/data/regional, read column by column."""

from __future__ import annotations

import csv
import gzip
import statistics
from pathlib import Path
from typing import Any

import pytest

from ingest.sources import Source
from mda.records import Alert, PositionReport, VesselStatic, is_anonymous_id
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings

GIBRALTAR = "regional/marinetraffic_gibraltar_strait_2016-06-01_sample.csv.gz"
DMA = "regional/dma_north_sea_2022-11-01_0905-1105_aisanalyze.csv.gz"
GULF = "regional/tracktable_marinecadastre_gulf_of_mexico_2020-06-30.csv.gz"
SUEZ = "regional/vesselsvalue_suez_evergiven_2021-03-20_to_24.csv.gz"


class Replayed:
    def __init__(self, path: Path, keep: bool = True) -> None:
        self.alerts: list[Alert] = []
        self.positions: list[PositionReport] = []
        self.statics: list[VesselStatic] = []
        runner = EmbeddedRunner(preset_settings(), self.alerts.append,
                                on_position=self.positions.append if keep else None,
                                on_static=self.statics.append if keep else None)
        self.summary: dict[str, Any] = runner.run([Source.open(str(path))]).as_dict()

    def final(self) -> dict[str, dict[str, Any]]:
        return {a.alert_id: a.to_dict() for a in self.alerts}


def rows(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def test_unsorted_gibraltar_sample_replays_like_the_sorted_file(shared: Path,
                                                                tmp_path: Path) -> None:
    path = shared / GIBRALTAR
    unsorted = Replayed(path, keep=False)
    # before issue 9: 16,697 of 20,000 rows rejected as too_late
    assert "too_late" not in unsorted.summary["rejected"]
    [done] = unsorted.summary["sorted"]
    assert done["sorted"] and done["out_of_order"] > 10_000
    # the same rows sorted by time beforehand (a temporary copy, not kept)
    table = rows(path, ";")
    table.sort(key=lambda r: r["TIMESTAMP_UTC"])
    copy = tmp_path / "gibraltar_sorted.csv"
    with open(copy, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(table[0]), delimiter=";", lineterminator="\n")
        w.writeheader()
        w.writerows(table)
    ordered = Replayed(copy, keep=False)
    assert ordered.summary["sorted"] == []
    assert "too_late" not in ordered.summary["rejected"]
    assert unsorted.alerts, "the sample has alerts to compare"

    def vessel_alerts(run: Replayed) -> dict[str, dict[str, Any]]:
        return {k: a for k, a in run.final().items() if a["kind"] != "feed_outage"}

    def outages(run: Replayed) -> list[tuple[Any, ...]]:
        # A feed outage names its source (the file), and the copy is another file.
        return sorted((a["start"], a["end"], a["status"], a["evidence"]["reason"])
                      for a in run.final().values() if a["kind"] == "feed_outage")

    assert vessel_alerts(unsorted) == vessel_alerts(ordered)
    assert outages(unsorted) == outages(ordered) and outages(unsorted)
    assert unsorted.summary["alerts"] == ordered.summary["alerts"]
    assert unsorted.summary["positions"] == ordered.summary["positions"]


def test_marinetraffic_speeds_are_knots_and_text_types_map(shared: Path) -> None:
    run = Replayed(shared / GIBRALTAR)
    by_key = {(p.mmsi, p.ts.isoformat()[:19] if p.ts else ""): p for p in run.positions}
    table = rows(shared / GIBRALTAR, ";")
    checked = 0
    for r in table:
        p = by_key.get((int(r["MMSI"]), r["TIMESTAMP_UTC"].replace(" ", "T")))
        if p is None or r["SPEED_KNOTSx10"] in ("", "1023"):
            continue
        assert p.sog_kn is not None
        assert abs(p.sog_kn - int(r["SPEED_KNOTSx10"]) / 10) < 1e-9
        checked += 1
    assert checked > 19_000
    fishing = by_key[(224205230, "2016-06-01T04:43:49")]  # SPEED_KNOTSx10 = 30
    assert fishing.sog_kn == 3.0 and fishing.nav_status == 7
    assert statistics.median(p.sog_kn for p in run.positions if p.sog_kn is not None) < 20
    types = {s.mmsi: s.ship_type for s in run.statics if s.ship_type is not None}
    words = {int(r["MMSI"]): r["VESSEL_TYPE"] for r in table}
    assert types[211325220] == 36  # Sailing Vessel
    expected = {"Fishing": 30, "Tug": 52, "Pilot Vessel": 50, "Law Enforce": 55,
                "Passenger": 60, "High Speed Craft": 40, "Military Ops": 35, "SAR": 51,
                "Pleasure Craft": 37, "Port Tender": 53, "Dredger": 33}
    for mmsi, word in words.items():
        if word in expected and mmsi in types:
            assert types[mmsi] == expected[word], (mmsi, word)
        if word.endswith("Tanker") and mmsi in types:
            assert types[mmsi] == 80, (mmsi, word)
    # MarineTraffic's own status codes (95, 96, 98, 99) and 15 are not AIS statuses
    assert {p.nav_status for p in run.positions} <= set(range(15)) | {None}
    assert sum(p.nav_status is None for p in run.positions) == sum(
        r["STATUS"] in ("15", "95", "96", "98", "99") for r in table
        if 100_000_000 <= int(r["MMSI"]) <= 999_999_999)


@pytest.mark.slow
def test_dma_sar_car_gets_its_type_and_transmitter_and_text_statuses_map(shared: Path) -> None:
    run = Replayed(shared / DMA)
    sar = [s for s in run.statics if s.mmsi == 219029708]  # SAR BIL THYBOROEN
    assert sar and all(s.ship_type == 51 and s.transmitter == "Class A" for s in sar)
    fino = [s for s in run.statics if s.mmsi == 992111827]  # FINO3 PLATFORM
    assert fino and all(s.transmitter == "AtoN" for s in fino)
    assert {s.transmitter for s in run.statics} >= {"Class A", "Class B", "AtoN"}
    table = [r for r in rows(shared / DMA) if 100_000_000 <= int(r["mmsi"]) <= 999_999_999]
    fishing_rows = sum(r["navigational_status"] == "Engaged in fishing" for r in table)
    assert fishing_rows > 0
    # tables have no duplicate filter: every row with a nine-digit MMSI is a position
    assert len(run.positions) == len(table)
    assert sum(p.nav_status == 7 for p in run.positions) == fishing_rows
    assert sum(p.nav_status == 3 for p in run.positions) == sum(
        r["navigational_status"].startswith("Restricted man") for r in table)
    missing = run.summary["missing_fields"]
    assert missing["nav_status"] == sum(
        r["navigational_status"] in ("Unknown value", "Reserved for future amendment [HSC]")
        for r in table)
    assert missing["ship_type"] == sum(r["shiptype"] in ("Undefined", "Reserved")
                                       for r in table)


def test_positions_only_tracks_get_derived_speeds(shared: Path) -> None:
    run = Replayed(shared / GULF)
    derived = [p for p in run.positions if p.derived]
    assert len(derived) > 0.9 * len(run.positions)
    assert all(p.sog_kn is not None and 0 <= p.sog_kn <= 60 for p in derived)
    assert 0 < statistics.median(p.sog_kn or 0 for p in derived) < 25
    assert run.summary["derived_speed"] == len(derived)
    assert run.summary["missing_fields"]["sog"] == len(run.positions) - len(derived)
    assert run.summary["missing_fields"]["vessels_without_ship_type"] == run.summary["vessels"]


def test_vesselsvalue_file_yields_records_with_anonymous_ids(shared: Path) -> None:
    run = Replayed(shared / SUEZ)
    assert len(run.positions) == len(rows(shared / SUEZ))  # every row (was: 0 vessels)
    assert run.summary["vessels"] == len({r["ID"] for r in rows(shared / SUEZ)})
    assert all(is_anonymous_id(p.mmsi) for p in run.positions)
    assert run.summary["first_event_time"].startswith("2021-03-20T00:")  # day-first dates
    assert run.summary["last_event_time"].startswith("2021-03-24T12:52")
    assert not [a for a in run.alerts if a.evidence.get("reason") == "invalid_mmsi"]
    assert run.summary["derived_speed"] > 0.9 * len(run.positions) - run.summary["vessels"]
    assert run.summary["rejected"] == {}
