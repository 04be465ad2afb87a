"""The sensor side of an exercise (issue 12): the contacts the scenario's radars and SAR
satellites make of the ``dark_target`` vessels and of the ``sensed_ais`` decoys, written as

* ``radar.nmea``: tag-blocked (``s:`` the radar, ``c:`` the sweep time) ``$RATLL`` target
  sentences (target number, position, UTC time, status ``T``; the last sweep ``L``, lost), in
  time order;
* ``sar.csv``: SAR vessel detections in the Global Fishing Watch form (``detect_id``,
  ``detect_lat``, ``detect_lon``, ``detect_timestamp``, ``length_m``).

Each contact is the track's position at its time, displaced by a uniform random distance up to
the sensing's ``noise_m`` in a random direction (seeded). The contact keys
(``sensor:source:id``, as ``dark_target`` alerts carry them in their evidence) and times per
script go into the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from mda.exercise.fleet import Sensing
from mda.exercise.truth import contact_key
from mda.geo import destination
from mda.records import iso_utc
from mda.synthetic import radar_sentence, tag_block

RADAR_FILE = "radar.nmea"
SAR_FILE = "sar.csv"


@dataclass
class Written:
    """What was written: files, counts, and per script its contact keys and times."""

    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    contacts: dict[str, list[tuple[str, float]]] = field(default_factory=dict)


def write_sensors(sensings: Sequence[Sensing], out: Path, seed: int) -> Written:
    """Write ``radar.nmea`` and ``sar.csv`` (only those with contacts) into ``out``."""
    from mda.records import SENSOR_RADAR, SensorContact

    w = Written()
    radar: list[tuple[float, str]] = []
    sar: list[tuple[float, str]] = []
    for k, s in enumerate(sensings):
        rng = np.random.default_rng([seed, 4_242_424, k])
        times = np.asarray(s.times, dtype=np.float64)
        lat = np.interp(times, s.track.t, s.track.lat)
        lon = np.interp(times, s.track.t, s.track.lon)
        dist = rng.uniform(0.0, s.noise_m, len(times))
        brg = rng.uniform(0.0, 360.0, len(times))
        for i, t in enumerate(s.times):
            la, lo = destination(float(lat[i]), float(lon[i]), float(dist[i]), float(brg[i]))
            when = datetime.fromtimestamp(t, UTC)
            if s.sensor == SENSOR_RADAR:
                ident = s.target
                c = SensorContact(when, s.sensor, s.source, ident, la, lo,
                                  status="lost" if i == len(s.times) - 1 else "tracking")
                radar.append((t, tag_block(when, s.source) + radar_sentence(c)))
            else:
                ident = f"{s.target}-{i + 1}"
                length = "" if s.length_m is None else f"{s.length_m:.1f}"
                sar.append((t, f"{ident},{la:.6f},{lo:.6f},{iso_utc(when)},{length}"))
            key = contact_key(s.sensor, s.source, ident)
            w.contacts.setdefault(s.script, []).append((key, t))
    for name, rows, head in ((RADAR_FILE, radar, None),
                             (SAR_FILE, sar,
                              "detect_id,detect_lat,detect_lon,detect_timestamp,length_m")):
        if not rows:
            continue
        rows.sort(key=lambda r: r[0])
        text = "\n".join(([head] if head else []) + [r[1] for r in rows]) + "\n"
        (out / name).write_text(text, encoding="ascii")
        w.files.append(name)
        w.counts[name] = len(rows)
    return w
