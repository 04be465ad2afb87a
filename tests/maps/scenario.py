"""A small picture for map tests: the committed Caribbean sample (gaps, loitering) plus a
synthetic rendezvous (a fishing vessel beside a reefer) and a second transmitter on one MMSI
(a jump, then a shared MMSI), replayed through the embedded runner with a track collector, as
``mda replay --map`` does."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from ingest.sources import Source
from maps.tracks import TrackCollector
from mda.records import VesselStatic
from mda.runner import EmbeddedRunner
from mda.settings import preset_settings
from mda.synthetic import epoch, to_lines, track
from mda.vessels import VesselLookup
from tests.helpers import REPO

SAMPLE = REPO / "replay_data" / "sample" / "caribbean_sample.nmea"
T0 = epoch("2024-03-12T06:00:00Z")
FISHER, REEFER, SPOOFER = 412000777, 352000888, 256000999


@dataclass
class Picture:
    alerts: list[dict[str, Any]]
    tracks: TrackCollector
    info: VesselLookup


def extra_lines() -> list[str]:
    h = timedelta(hours=1)
    statics = [VesselStatic(T0, FISHER, name="HAI FENG 7", ship_type=30, length_m=40.0),
               VesselStatic(T0, REEFER, name="<b>COLD & STAR</b>", ship_type=70,
                            length_m=110.0),
               VesselStatic(T0, SPOOFER, name="GHOST", ship_type=70, length_m=90.0)]
    a = track(FISHER, T0 + h, 14.6, -65.2, 0.4, 30.0, 120, 4 * 3600)
    b = track(REEFER, T0 + h + timedelta(seconds=60), 14.6015, -65.2, 0.4, 30.0, 120, 4 * 3600)
    s = track(SPOOFER, T0, 17.0, -64.0, 10.0, 90.0, 120, 3 * 3600)
    jumped = [replace(r, lat=r.lat - 1.5) for r in s[60:]]
    # From report 60 on a second transmitter uses the MMSI 1.5 degrees south: a jump, then a
    # shared MMSI (both keep reporting).
    items = statics + sorted(a + b + s + jumped, key=lambda r: (r.ts, r.mmsi))
    return to_lines(items)


def picture() -> Picture:
    alerts: list[dict[str, Any]] = []
    tracks = TrackCollector()
    runner = EmbeddedRunner(preset_settings(), lambda x: alerts.append(x.to_dict()),
                            on_position=tracks.add)
    data = ("\n".join(extra_lines()) + "\n").encode()
    runner.run([Source.open(str(SAMPLE)), Source.from_bytes("extra", data)])
    return Picture(alerts, tracks, runner.registry.info)
