"""One test per line format found in the shared real captures: what was decoded from it."""

from __future__ import annotations

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest
from pyais.stream import IterMessages

from mda.settings import Settings, preset_settings
from tests.helpers import replay


def unsorted_ok() -> Settings:
    """Satellite and concatenated files are far out of order: allow any lateness."""
    s = preset_settings()
    return replace(s, ingest=replace(s.ingest, allowed_lateness_s=1e12))


def test_plain_vdm_without_time_matches_bare_pyais(shared: Path, tmp_path: Path) -> None:
    path = shared / "nmea" / "aishub_3min_global_gpsd-contrib.nmea.gz"
    with gzip.open(path, "rb") as f:
        lines = [ln.rstrip(b"\r\n") for ln in f]
    pyais_ok = 0
    for msg in IterMessages(lines):
        try:
            msg.decode()
            pyais_ok += 1
        except Exception:
            pass
    run = replay([path])
    s = run.stats
    # every message pyais decodes on its own is decoded here or rejected as a duplicate
    assert s["messages_decoded"] + s["messages_duplicate"] == pyais_ok
    # every line not used is a reject with a reason; the counts add up to the lines read
    assert len(run.rejects) == s["lines_rejected"]
    assert s["lines_read"] == len(lines) == s["lines_used"] + s["lines_rejected"]
    assert all(r.reason for r in run.rejects)
    assert s["positions_untimed"] == s["positions"] > 60_000
    assert s["first_event_time"] is None


@pytest.mark.parametrize(
    ("rel", "decoded", "first", "last"),
    [
        # NMEA 4.0 tag block with c: (unix s), talkers AB/BS
        ("nmea/amsa_risky_tagblock_c_2014-12-31.nmea", 100,
         "2014-12-31T12:59:57", "2014-12-31T13:00:01"),
        # 19-digit nanosecond epoch before each line
        ("nmea/go-ais_nstimestamp_2019-02-16.nmea", 866,
         "2019-02-16T07:52:46", "2019-02-16T07:52:48"),
        # Gatehouse $PGHP before each sentence, talkers AI/BS/AB/BY/SS and "--"
        ("nmea/dma_aislib_pghp_2010-06-11.txt", 4051,
         "2010-06-11T11:46:10", "2010-06-11T11:46:38"),
        # DMA three-line form: \si:AISD*3F\ + $PGHP + !BSVDM
        ("nmea/dma_aisabnormal_5min_denmark_2013-11-12.nmea.gz", 26077,
         "2013-11-12T12:00:00", "2013-11-12T12:04:59"),
        # USCG NAIS trailing fields ,r<station>,<epoch>
        ("nmea/noaadata_uscg_2006-07-15.ais", 853,
         "2006-07-15T00:01:3", "2006-07-15T00:02:20"),
        ("nmea/aisdb_uscg_20120101.nmea", 26, "2012-01-01T05:01:00", "2012-01-08"),
        # tag blocks with s:, c: and t:, blank lines
        ("nmea/aisdb_tagblock_20211101.nm4", 979, "2021-11-01T01:58:0", "2021-11-01T01:59:06"),
        # AIS mixed with GPS sentences: $GPRMC gives the time
        ("nmea/gpsd_ais-nmea_gps-mixed_2020-04-07.log", 171,
         "2020-04-07T21:39:50", "2020-04-07T21:42:33"),
        # "<unix s>,!AIVDM" after a CSV header
        ("regional/caribewave_guadeloupe_epoch_nmea_2017-03-21.csv.gz", 20403,
         "2017-03-21T05:51:", "2017-03-21T21:15:"),
        # "YYYY-MM-DD HH:MM:SS, !AIVDM" (naive times are read as UTC)
        ("regional/caribewave_vernon_seine_nmea_localtime_2016-03-31.log.gz", 56567,
         "2016-03-31T00:00:01", "2016-03-31T23:"),
    ],
)
def test_timestamped_formats(shared: Path, rel: str, decoded: int, first: str,
                             last: str) -> None:
    run = replay([shared / rel], unsorted_ok())
    s = run.stats
    assert s["messages_decoded"] == decoded
    assert s["positions_untimed"] == 0
    assert s["first_event_time"].startswith(first)
    assert s["last_event_time"] <= last + "~"
    assert s["lines_read"] == s["lines_used"] + s["lines_rejected"]


def test_satellite_pghp_with_trailing_epoch(shared: Path) -> None:
    # exactEarth via AMSA: $PGHP (satellite time) wins over the trailing ground epoch
    run = replay([shared / "nmea/amsa_risky_exactearth_sat_pghp_2012-01-31.nmea.gz"],
                 unsorted_ok())
    s = run.stats
    assert s["message_types"]["5"] > 900
    assert s["first_event_time"].startswith("2012-01-31T05:")
    assert s["last_event_time"].startswith("2012-01-31T06:5")
    # a batch replay of the file sorts it (store-and-forward data arrives late) and says so
    batch = replay([shared / "nmea/amsa_risky_exactearth_sat_pghp_2012-01-31.nmea.gz"])
    assert "too_late" not in batch.stats["rejected"]
    assert batch.stats["sorted"][0]["out_of_order"] > 0
    # as a stream (a live feed is never sorted), with the default lateness, late data is
    # quarantined and counted
    live = preset_settings()
    live = replace(live, ingest=replace(live.ingest, sort_files=False))
    strict = replay([shared / "nmea/amsa_risky_exactearth_sat_pghp_2012-01-31.nmea.gz"], live)
    assert strict.stats["rejected"]["too_late"] > 0
    assert strict.stats["lines_read"] == strict.stats["lines_used"] + strict.stats[
        "lines_rejected"]


def test_tag_block_groups_assemble_two_part_type5(shared: Path) -> None:
    run = replay([shared / "nmea/amsa_risky_exactearth_tagblock_2012.nmea"], unsorted_ok())
    assert run.stats["message_types"]["5"] == 21
    assert run.stats["messages_decoded"] == 200
    run2 = replay([shared / "nmea/edge_cases/gfw-ais-tools_ee-multiline.nmea"])
    assert run2.stats["message_types"].get("5") == 2
    assert run2.rejects == []


def test_two_tagged_sentences_on_one_line(shared: Path) -> None:
    run = replay([shared / "nmea/edge_cases/gfw-ais-tools_spire-test.nmea"])
    s = run.stats
    # 2 lines with 2 sentences each: four units, every one accounted for
    assert s["lines_read"] == 4 == s["lines_used"] + s["lines_rejected"]
    assert s["messages_decoded"] == 1


def test_marinecadastre_csv_is_detected(shared: Path) -> None:
    run = replay([shared / "csv/marinecadastre_aisdb_sample_2023-01-11.csv"], unsorted_ok())
    s = run.stats
    assert s["lines_read"] == 1001
    assert s["positions"] == 998 and s["vessels"] == 998
    assert s["first_event_time"].startswith("2023-01-11T00:00:00")
    assert s["last_event_time"].startswith("2023-01-11T23:59:01")
    assert {r.reason for r in run.rejects} == {"invalid_mmsi"}


def test_gfw_json_lines_tracks(shared: Path) -> None:
    path = shared / "tracks/gfw_gpsdio-segment_satellite_tracks_2014-2015.jsonl.gz"
    run = replay([path], unsorted_ok())
    with gzip.open(path, "rt") as f:
        rows = [json.loads(x) for x in f]
    with_pos = [r for r in rows if r.get("lat") is not None and r.get("lon") is not None]
    no_pos = [r for r in rows if "lat" in r and (r["lat"] is None or r["lon"] is None)]
    assert run.stats["positions"] == len(with_pos)
    assert run.stats["positions_without_position"] == len(no_pos) > 0
    assert run.stats["vessels"] == 10


def test_gpsd_annotated_comments_are_rejected_as_comments(shared: Path) -> None:
    run = replay([shared / "nmea/gpsd_sample_annotated.aivdm"])
    assert run.stats["rejected"]["comment"] > 900
    assert run.stats["message_types"].keys() >= {"1", "4", "5", "18", "24"}
