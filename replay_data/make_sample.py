"""Generate ``replay_data/sample/caribbean_sample.nmea``: a small, seeded AIS sample that the
project makes itself (no third-party data), used by the README's main-job command.

Run: ``.venv/bin/python replay_data/make_sample.py`` (same output bytes every time).
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

from mda.records import NAV_MOORED, PositionReport, VesselStatic
from mda.synthetic import drop_between, epoch, tag_block, to_lines, track, with_status

OUT = Path(__file__).parent / "sample" / "caribbean_sample.nmea"
T0 = epoch("2024-03-12T06:00:00Z")
HOURS = 8


def build(seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    h = timedelta(hours=1)
    span = HOURS * 3600
    vessels: list[tuple[VesselStatic, list[PositionReport]]] = []

    def static(mmsi: int, name: str, ship_type: int, length: float, dest: str) -> VesselStatic:
        return VesselStatic(T0, mmsi, imo=None, name=name, callsign=f"C{mmsi % 100000}",
                            ship_type=ship_type, length_m=length, beam_m=length / 6,
                            draught_m=round(length / 25, 1), destination=dest)

    # Transits across the Caribbean Sea: no alerts expected.
    transits = [
        (311000101, "CARIB TRADER", 70, 180.0, "KINGSTON", 15.2, -67.0, 13.0, 262.0),
        (636019802, "ATLANTIC GLORY", 80, 240.0, "PANAMA", 16.1, -66.0, 12.0, 245.0),
        (538007123, "MARE NOSTRUM", 70, 200.0, "CARTAGENA", 14.4, -69.5, 14.5, 230.0),
        (355123000, "PACIFIC HOPE", 70, 160.0, "POINT LISAS", 14.0, -72.0, 11.0, 95.0),
        (319224000, "CAYMAN BREEZE", 37, 35.0, "GEORGE TOWN", 17.3, -75.0, 8.0, 280.0),
    ]
    for mmsi, name, st, length, dest, lat, lon, sog, cog in transits:
        vessels.append((static(mmsi, name, st, length, dest),
                        track(mmsi, T0, lat, lon, sog, cog, 120, span)))

    # A fishing vessel that goes dark for 3 h in the middle of the sea, then reappears.
    fv = track(345070300, T0, 15.8, -71.0, 7.5, 160.0, 120, span)
    vessels.append((static(345070300, "DONA LUPITA", 30, 28.0, ""),
                    drop_between(fv, T0 + 2.5 * h, T0 + 5.5 * h)))
    # A reefer that stops at sea, drifts, and is silent for 2.5 h: stopped at sea still counts.
    rf = track(341888000, T0, 16.6, -68.4, 0.3, 40.0, 180, span)
    vessels.append((static(341888000, "FROST CARRIER", 70, 120.0, ""),
                    drop_between(rf, T0 + 1 * h, T0 + 3.5 * h)))
    # A tanker moored in San Juan, silent for 4 h: moored vessels do not open gaps.
    mo = with_status(track(366998100, T0, 18.4620, -66.1060, 0.0, 0.0, 180, span), NAV_MOORED)
    vessels.append((static(366998100, "ISLA GRANDE", 80, 150.0, "SAN JUAN"),
                    drop_between(mo, T0 + 2 * h, T0 + 6 * h)))
    # A cargo ship that goes dark 3 h before the end of the sample and stays dark.
    dk = track(312456000, T0, 17.9, -73.5, 10.0, 120.0, 120, span)
    vessels.append((static(312456000, "NIGHT RUNNER", 70, 90.0, "???"),
                    drop_between(dk, T0 + 5 * h, T0 + 9 * h)))

    items: list[PositionReport | VesselStatic] = []
    for st_rec, reports in vessels:
        for k in range(0, HOURS * 60, 30):  # static data every 30 min while transmitting
            t = T0 + timedelta(minutes=k)
            if any(r.ts == t for r in reports):
                items.append(VesselStatic(t, st_rec.mmsi, st_rec.imo, st_rec.name,
                                          st_rec.callsign, st_rec.ship_type, st_rec.length_m,
                                          st_rec.beam_m, st_rec.draught_m, st_rec.destination))
        items.extend(reports)
    items.sort(key=lambda r: (r.ts, r.mmsi, isinstance(r, PositionReport)))
    lines = to_lines(items, station="mda-sample-rx1")

    # Real feeds are dirty: add a duplicate reception from a second station, a corrupted
    # checksum, a truncated line, a blank line and a line a few seconds out of order.
    out: list[str] = []
    for i, line in enumerate(lines):
        out.append(line)
        if i % 97 == 13:
            body, sentence = line[1:].split("\\", 1)
            ts = int(body.split("c:")[1].split("*")[0])
            out.append(tag_block(T0.fromtimestamp(ts + 1, T0.tzinfo), "mda-sample-rx2")
                       + sentence)
        if i % 499 == 250:
            out.append(line[:-2] + ("00" if not line.endswith("00") else "11"))
        if i % 733 == 400:
            out.append(line[: len(line) // 2])
        if i % 911 == 500:
            out.append("")
    for i in range(40, len(out) - 1, 613):
        if rng.random() < 0.9 and out[i] and out[i + 1]:
            out[i], out[i + 1] = out[i + 1], out[i]
    return out


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(build()) + "\n", encoding="ascii")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
