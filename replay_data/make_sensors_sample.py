"""Generate the radar and SAR sample (issue 12), data the project makes itself:

* ``replay_data/sample/kingston_radar.nmea``: one hour of AIS (tag-blocked ``!AIVDM``) from
  receiver ``kgn-ais`` interleaved with ``$RATTM`` targets of a coastal radar at Port Royal,
  Kingston (17.936 N, 76.841 W; replay with ``--radar-at 17.936,-76.841``), a sweep every 6 s:
  three AIS vessels the radar follows (matched), and one vessel that sends no AIS (a dark
  target);
* ``replay_data/sample/kingston_sar.csv``: three SAR detections in the Global Fishing Watch
  form, two of AIS vessels and one of the vessel without AIS.

Run: ``.venv/bin/python replay_data/make_sensors_sample.py`` (same bytes every time).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

from mda.geo import destination
from mda.records import PositionReport, SensorContact, VesselStatic, iso_utc
from mda.synthetic import epoch, radar_sentence, tag_block, to_lines, track

HERE = Path(__file__).parent / "sample"
RADAR = (17.936, -76.841)
T0 = epoch("2024-03-12T14:00:00Z")
HOUR = 3600.0


def _at(reports: list[PositionReport], t: datetime) -> PositionReport:
    return min(reports, key=lambda r: abs((r.ts - t).total_seconds()))  # type: ignore[operator]


def build(seed: int = 12) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    ais = {
        339300101: ("BLUE MOUNTAIN", 70, track(339300101, T0, 17.80, -76.95, 11.0, 75.0, 10,
                                                HOUR)),
        636020555: ("CARIBBEAN STAR", 80, track(636020555, T0, 17.72, -76.70, 9.5, 290.0, 10,
                                                 HOUR)),
        339300777: ("PORT ROYAL PILOT", 50, track(339300777, T0 + timedelta(minutes=10),
                                                   17.90, -76.83, 7.0, 180.0, 10, 0.75 * HOUR)),
    }
    dark = track(0, T0 + timedelta(minutes=5), 17.78, -76.62, 8.0, 240.0, 6, 0.8 * HOUR)
    timed: list[tuple[datetime, int, str]] = []
    for mmsi, (name, ship_type, reps) in ais.items():
        static = VesselStatic(T0, mmsi, name=name, callsign=f"6Y{mmsi % 1000}",
                              ship_type=ship_type, length_m=120.0, beam_m=20.0)
        timed += [(T0, 0, line) for line in to_lines([static], "kgn-ais")]
        timed += [(r.ts, 0, line) for r in reps for line in to_lines([r], "kgn-ais")
                  if r.ts is not None]
    for number, reps in ((1, ais[339300101][2]), (2, ais[636020555][2]),
                         (3, ais[339300777][2]), (4, dark)):
        first, last = reps[0].ts, reps[-1].ts
        assert first is not None and last is not None
        t = first
        while t <= last:
            r = _at(reps, t)
            lat, lon = destination(r.lat, r.lon, rng.uniform(0, 150), rng.uniform(0, 360))
            status = "lost" if t + timedelta(seconds=6) > last else "tracking"
            c = SensorContact(t, "radar", "kgn-radar", str(number), lat, lon, r.sog_kn,
                              r.cog_deg, status=status)
            timed.append((t, 1, tag_block(t, "kgn-radar") + radar_sentence(c, RADAR)))
            t += timedelta(seconds=6)
    timed.sort(key=lambda x: (x[0], x[1]))
    nmea = [line for _, _, line in timed]
    t_sar = T0 + timedelta(minutes=35)
    sar = ["detect_id,detect_lat,detect_lon,detect_timestamp,length_m"]
    for ident, reps, length in (("KGN-S1-001", ais[339300101][2], 118.0),
                                ("KGN-S1-002", ais[636020555][2], 131.5),
                                ("KGN-S1-003", dark, 34.0)):
        r = _at(reps, t_sar)
        lat, lon = destination(r.lat, r.lon, rng.uniform(50, 300), rng.uniform(0, 360))
        sar.append(f"{ident},{lat:.5f},{lon:.5f},{iso_utc(t_sar)},{length}")
    return nmea, sar


def main() -> None:
    nmea, sar = build()
    (HERE / "kingston_radar.nmea").write_text("\n".join(nmea) + "\n", encoding="ascii")
    (HERE / "kingston_sar.csv").write_text("\n".join(sar) + "\n", encoding="ascii")


if __name__ == "__main__":
    main()
