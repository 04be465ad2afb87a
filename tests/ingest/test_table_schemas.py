"""Every column of the decoded-AIS table schemas in shared/data, on tiny hand-written rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingest.sources import Source
from mda.records import PositionReport, VesselStatic, anonymous_id, is_anonymous_id
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from mda.vessels import VesselRegistry, describe


class Decoded:
    def __init__(self, text: str, name: str = "t.csv") -> None:
        self.positions: list[PositionReport] = []
        self.statics: list[VesselStatic] = []
        self.alerts: list[Any] = []
        runner = EmbeddedRunner(preset_settings(), self.alerts.append,
                                on_position=self.positions.append,
                                on_static=self.statics.append)
        self.summary = runner.run([Source.from_bytes(name, text.encode("utf-8"))]).as_dict()
        self.registry = runner.registry

    def pos(self, mmsi: int) -> list[PositionReport]:
        return [p for p in self.positions if p.mmsi == mmsi]

    def static(self, mmsi: int) -> VesselStatic:
        return next(s for s in self.statics if s.mmsi == mmsi)


MT_HEAD = ("MMSI;SHIP_ID;STATUS;SPEED_KNOTSx10;LON;LAT;COURSE;HEADING;TIMESTAMP_UTC;VESSEL_TYPE;"
           "LENGTH;WIDTH;GRT;DWT;DRAUGHT_METERSx10")


def test_marinetraffic_columns() -> None:
    rows = [
        MT_HEAD,
        "224205230;165785;7;30;-5.1559148;36.383018;189;511;2016-06-01 04:43:49;Fishing;17.0;"
        "5.0;NULL;NULL;NULL",
        "211325220;133109;99;0;-5.3571582;36.157688;360;90;2016-06-01 04:43:48;Sailing Vessel;"
        "13.0;4.0;NULL;NULL;25",
        "224000001;1;15;1023;-5.3;36.1;10;10;2016-06-01 04:44:00;Law Enforce;NULL;NULL;NULL;"
        "NULL;NULL",
        "224000002;2;95;abc;-5.3;36.2;10;10;2016-06-01 04:44:00;Spaceship;20;5;NULL;NULL;NULL",
        "992241093;3;0;0;-5.4;36.1;0;511;2016-06-01 04:44:00;Light, without Sectors;0;0;NULL;"
        "NULL;NULL",
    ]
    d = Decoded("\n".join(rows) + "\n")
    fishing = d.pos(224205230)[0]
    assert fishing.sog_kn == 3.0  # SPEED_KNOTSx10 is a tenth of a knot
    assert fishing.cog_deg == 189.0
    assert fishing.heading_deg is None  # 511: not available
    assert fishing.nav_status == 7
    assert d.static(224205230).ship_type == 30
    assert d.static(224205230).length_m == 17.0 and d.static(224205230).beam_m == 5.0
    assert d.static(224205230).draught_m is None  # NULL
    sailing = d.pos(211325220)[0]
    assert sailing.nav_status is None  # 99 is MarineTraffic's, not an AIS status
    assert sailing.cog_deg is None and sailing.heading_deg == 90
    assert d.static(211325220).ship_type == 36
    assert d.static(211325220).draught_m == 2.5
    law = d.pos(224000001)[0]
    assert law.nav_status is None and law.sog_kn is None  # 15 undefined; 102.3 not available
    assert d.static(224000001).ship_type == 55
    # unreadable cells: the record is kept, the cell is None and counted
    odd = d.pos(224000002)[0]
    assert odd.sog_kn is None and odd.nav_status is None and odd.cog_deg == 10.0
    assert d.static(224000002).ship_type is None
    assert d.summary["inputs"][0]["unreadable_cells"] == {"SPEED_KNOTSx10": 1, "VESSEL_TYPE": 1}
    light = d.static(992241093)
    assert light.ship_type is None and light.transmitter == "AtoN"
    assert light.length_m is None  # 0 = not available
    assert d.summary["rejected"] == {}


DMA_HEAD = ("timestamp_utc,mmsi,lon,lat,shiptype,length,mobile_type,navigational_status,ROT,SOG,"
            "COG,Heading,imo,callsign,name,cargo_type,width,draught,destination,eta,source_type")


def test_dma_columns() -> None:
    rows = [
        DMA_HEAD,
        "2022-11-01 09:05:36,314216000,7.985228,55.41161,Cargo,100,Class A,Under way using "
        "engine,0.0,11.4,91.4,95,9192612,8PSY,WILSON CADIZ,No additional information,13,3.3,"
        "ESBJERG,01/11/2022 08:30:00,AIS",
        "2022-11-01 09:05:36,219029708,8.333623,55.582928,SAR,6,Class A,Under way using engine,"
        "0.0,39.8,126.3,126,Unknown,XPH8160,SAR BIL THYBOROEN,,2,,,,AIS",
        "2022-11-01 09:05:40,219000001,8.1,55.5,Fishing,15,Class B,Engaged in fishing,,2.1,,,"
        "Unknown,,FISHER,,5,,,,AIS",
        "2022-11-01 09:05:41,219000002,8.1,55.6,Undefined,,Class A,Unknown value,,,,,Unknown,,"
        "X,,,,,,AIS",
        "2022-11-01 09:05:42,219000003,8.1,55.7,Dredging,,Class A,Restricted maneuverability,,"
        "1,1,1,Unknown,,Y,,,,,,AIS",
        "2022-11-01 09:05:43,219000004,8.1,55.8,Reserved,,Class A,Reserved for future amendment"
        " [HSC],,1,1,1,Unknown,,Z,,,,,,AIS",
        "2022-11-01 09:05:44,992111827,6.58,54.01,Undefined,,AtoN,Unknown value,,,,,Unknown,,"
        "FINO3 PLATFORM,,,,,,AIS",
    ]
    d = Decoded("\n".join(rows) + "\n")
    cargo = d.static(314216000)
    assert (cargo.ship_type, cargo.imo, cargo.transmitter, cargo.draught_m) == (
        70, 9192612, "Class A", 3.3)
    assert d.pos(314216000)[0].nav_status == 0
    sar = d.static(219029708)
    assert sar.ship_type == 51 and sar.imo is None  # "Unknown" IMO
    assert sar.transmitter == "Class A" and sar.name == "SAR BIL THYBOROEN"
    fisher = d.pos(219000001)[0]
    assert fisher.nav_status == 7 and fisher.sog_kn == 2.1 and fisher.cog_deg is None
    assert d.static(219000001).transmitter == "Class B"
    assert d.pos(219000002)[0].nav_status is None
    assert d.static(219000002).ship_type is None
    assert d.pos(219000003)[0].nav_status == 3
    assert d.static(219000003).ship_type == 33
    assert d.pos(219000004)[0].nav_status is None and d.static(219000004).ship_type is None
    assert d.static(992111827).transmitter == "AtoN"
    # the transmitter reaches what detectors and the map see of the vessel
    assert d.registry.info(992111827).transmitter == "AtoN"
    assert "unreadable_cells" not in d.summary["inputs"][0]


def test_marinecadastre_transceiver_class_and_numeric_type() -> None:
    rows = [
        "MMSI,BaseDateTime,LAT,LON,SOG,COG,Heading,VesselName,IMO,CallSign,VesselType,Status,"
        "Length,Width,Draft,Cargo,TransceiverClass",
        "367752440,2023-01-11T00:00:00,43.07917,-70.75733,0.0,360.0,95.0,SAN JOSE,,WDI9818,31,0,"
        ",,,,A",
        "367000001,2023-01-11T00:00:10,43.1,-70.7,5.0,90.0,90.0,,IMO1234567,,0,15,,,,,B",
    ]
    d = Decoded("\n".join(rows) + "\n")
    assert d.static(367752440).ship_type == 31
    assert d.static(367752440).transmitter == "Class A"
    other = d.static(367000001)
    assert other.ship_type is None and other.transmitter == "Class B" and other.imo == 1234567
    assert d.pos(367000001)[0].nav_status is None


def test_vesselsvalue_ids_are_anonymous_not_mmsis_and_dates_are_day_first() -> None:
    rows = [
        "\ufeffID,ais_pos_timestamp,longitude,latitude",
        "1,20/03/2021 00:22,32.32925,31.4386",
        "1,20/03/2021 01:25,32.3986,31.40955",
        "2,02/03/2021 10:00,32.5,30.0",
        "x,02/03/2021 10:00,32.5,30.0",
    ]
    d = Decoded("\n".join(rows) + "\n")
    one = d.pos(anonymous_id(1))
    assert [p.ts for p in one] == [datetime(2021, 3, 20, 0, 22, tzinfo=UTC),
                                   datetime(2021, 3, 20, 1, 25, tzinfo=UTC)]
    assert d.pos(anonymous_id(2))[0].ts == datetime(2021, 3, 2, 10, 0, tzinfo=UTC)  # 2 March
    assert all(is_anonymous_id(p.mmsi) for p in d.positions)
    # a bad ID is a reject with a reason, not a crash or a silent drop
    assert d.summary["rejected"] == {"bad_row": 1}
    assert d.summary["inputs"][0]["anonymous_ids"] == 3
    # no "invalid MMSI" spoofing alert for a number that is not an MMSI
    assert not [a for a in d.alerts if a.evidence.get("reason") == "invalid_mmsi"]
    info = VesselRegistry().info(anonymous_id(1))
    assert info.flag is None and info.anonymous_id == 1
    assert info.to_dict() == {"flag": None, "flag_country": None, "anonymous_id": 1}
    assert describe(anonymous_id(1), info) == "vessel ID 1 (anonymised, no MMSI)"


def test_positions_only_tracks_get_derived_speed_and_counted_missing_fields() -> None:
    rows = [
        "mmsi,timestamp_utc,lon,lat,trajectory_id",
        "367466930,2020-12-01 04:49:45,-74.0315,40.41692,a",
        "367466930,2020-12-01 04:50:45,-74.0315,40.41792,a",  # 111 m north in 60 s: 3.6 kn
        "367466930,2020-12-01 04:50:45,-74.0315,40.41792,a",  # duplicate time: not derived
    ]
    d = Decoded("\n".join(rows) + "\n")
    first, second, third = d.pos(367466930)
    assert first.sog_kn is None and not first.derived
    assert second.derived and second.sog_kn is not None and abs(second.sog_kn - 3.6) < 0.05
    assert second.cog_deg is not None and min(second.cog_deg, 360 - second.cog_deg) < 0.5
    assert third.sog_kn is None and not third.derived
    src = d.summary["inputs"][0]
    assert src["derived_speed"] == d.summary["derived_speed"] == 1
    assert src["missing_fields"] == {"sog": 2, "cog": 2, "nav_status": 3, "ship_type": 0,
                                     "vessels_without_ship_type": 1}
