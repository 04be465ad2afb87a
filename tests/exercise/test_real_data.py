"""Exercises on real public data (the shared folder): a real AIS file as background traffic,
and zones and ports from official layers (Belize MPAs, the NGA World Port Index)."""

from __future__ import annotations

from pathlib import Path

from mda.exercise.generate import generate_file
from mda.exercise.replay import replay_exercise
from tests.exercise.test_generator import decode
from tests.helpers import ts_of

GULF = """
[scenario]
name = "gulf-real-background"
seed = 3
start = 2024-07-01T00:00:00Z
duration_h = 12

[area]
min_lat = 22.0
max_lat = 28.5
min_lon = -96.0
max_lon = -84.0

[[ports]]
name = "Galveston"
lat = 29.310
lon = -94.790
country = "USA"

[[ports]]
name = "Veracruz"
lat = 19.205
lon = -96.130
country = "MEX"

[[ports]]
name = "Tampico"
lat = 22.250
lon = -97.800
country = "MEX"

[[ports]]
name = "Coatzacoalcos"
lat = 18.150
lon = -94.420
country = "MEX"

[[ports]]
name = "Key West"
lat = 24.550
lon = -81.805
country = "USA"

[[ports]]
name = "Havana"
lat = 23.140
lon = -82.345
country = "CUB"

[background]
ais_file = "{ais}"
vessels = 5

[[events]]
kind = "gap"
count = 2

[[events]]
kind = "rendezvous"

[[events]]
kind = "loitering"
duration_h = 3.5

[[events]]
kind = "spoofing"

[[decoys]]
kind = "short_meeting"
"""


def test_a_real_ais_file_as_background(shared: Path, tmp_path: Path) -> None:
    ais = shared / "regional" / "tracktable_marinecadastre_gulf_of_mexico_2020-06-30.csv.gz"
    scenario = tmp_path / "gulf.toml"
    scenario.write_text(GULF.replace("{ais}", ais.as_posix()))
    ex = generate_file(scenario, tmp_path / "out")
    real = set(ex.truth.real_mmsis)
    assert len(real) > 100  # the file's vessels of the first 12 hours, times shifted
    pos, _, _ = decode(ex.traffic)
    seen = {r.mmsi for r in pos}
    assert real <= seen
    assert not real & {m for e in ex.truth.events for m in (e.mmsi, e.other_mmsi)}
    assert min(ts_of(r) for r in pos).isoformat().startswith("2024-07-01T00:")
    result = replay_exercise(ex.out_dir)
    s = result.score
    for kind in ("gap", "rendezvous", "loitering", "spoofing"):
        assert s.kind(kind).recall == 1.0, (kind, s.as_dict()["missed"])
    # alerts on the real vessels are not labelled: neither true nor false positives
    assert s.decoy_alerts == 0
    assert all(f["mmsi"] not in real for f in s.as_dict()["false_alerts"])


def test_zones_and_ports_from_official_layers(shared: Path, tmp_path: Path) -> None:
    mpas = shared / "zones" / "belize_marine_protected_areas_2005.geojson"
    wpi = shared / "ports" / "nga_world_port_index_pub150.csv.gz"
    scenario = tmp_path / "belize.toml"
    scenario.write_text(f"""
[scenario]
name = "belize-official-layers"
seed = 9
start = 2024-04-01T00:00:00Z
duration_h = 10

[area]
min_lat = 15.5
max_lat = 20.0
min_lon = -88.0
max_lon = -83.5

[geography]
zones = ["mpa={mpas.as_posix()}"]
ports = ["{wpi.as_posix()}"]

[[ports]]
name = "Belize City"
lat = 17.487
lon = -88.180
country = "BLZ"

[[ports]]
name = "Puerto Cortes"
lat = 15.848
lon = -87.945
country = "HND"

[[ports]]
name = "George Town"
lat = 19.293
lon = -81.385
country = "CYM"

[background]
vessels = 10

[[events]]
kind = "zone_entry"
zone = "belize_marine_protected_areas_2005:15"
count = 2
flag = "HND"
duration_h = 1.5

[[events]]
kind = "loitering"
""")
    ex = generate_file(scenario, tmp_path / "out")
    entries = [e for e in ex.truth.events if e.kind == "zone_entry" and e.required]
    assert len(entries) >= 2
    assert {e.zone_id for e in entries} >= {"belize_marine_protected_areas_2005:15"}
    result = replay_exercise(ex.out_dir)
    s = result.score
    for kind in ("zone_entry", "loitering"):
        k = s.kind(kind)
        assert k.recall == 1.0 and k.precision == 1.0, (kind, s.as_dict())
