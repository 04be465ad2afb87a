"""The scenario file: the committed scenarios load; mistakes are errors that name the file and
the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mda.exercise.generate import generate_file
from mda.exercise.scenario import SHIP_TYPES, Span, load_scenario
from mda.exercise.scenario import ScenarioError as E
from tests.exercise.conftest import CARIBBEAN
from tests.helpers import REPO

SCENARIOS = REPO / "replay_data" / "scenarios"

BASE = f"""
include = ["{CARIBBEAN.as_posix()}"]

[scenario]
name = "t"
start = 2024-01-01T00:00:00Z
duration_h = 10
"""


@pytest.mark.parametrize("name", ["demo", "small", "medium", "large"])
def test_committed_scenarios_load(name: str) -> None:
    s = load_scenario(SCENARIOS / name / "scenario.toml")
    assert s.ports and len(s.zones) == 4
    assert {e.kind for e in s.events} == {"gap", "rendezvous", "loitering", "zone_entry",
                                          "spoofing", "dark_target"}
    assert {d.kind for d in s.decoys} == {"fast_crossing", "short_meeting", "moored_together",
                                          "zone_transit", "sensed_ais"}
    assert {e.params["sensor"] for e in s.events if e.kind == "dark_target"} == {"radar", "sar"}
    assert (SCENARIOS / name / "README.md").is_file()


def test_committed_sizes() -> None:
    def vessels(name: str) -> int:
        s = load_scenario(SCENARIOS / name / "scenario.toml")
        two = {"rendezvous", "short_meeting", "fast_crossing", "moored_together"}
        return (s.background.vessels + sum(e.count * (2 if e.kind in two else 1)
                                           for e in (*s.events, *s.decoys)))

    assert 90 <= vessels("small") <= 120
    assert 900 <= vessels("medium") <= 1100
    assert 4800 <= vessels("large") <= 5200


def test_defaults_and_types(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(BASE + """
[[events]]
kind = "rendezvous"
count = 3
duration_h = [1.5, 2.0]
ship_types = ["fishing", 70]

[[events]]
kind = "gap"
duration_h = 3
at = [15.0, -75.0]
""")
    s = load_scenario(p)
    rv, gap = s.events
    assert rv.count == 3 and rv.span("duration_h") == Span(1.5, 2.0)
    assert rv.params["ship_types"] == (SHIP_TYPES["fishing"], 70)
    assert rv.span("distance_m") == Span(100.0, 300.0)  # the default
    assert gap.params["at"] == (15.0, -75.0) and gap.span("duration_h") == Span(3.0, 3.0)
    assert s.end_s - s.start_s == 36000


@pytest.mark.parametrize(("extra", "where"), [
    ("[[events]]\nkind = \"gap\"\nduraton_h = 3\n", "[[events]] #1 (gap) key 'duraton_h'"),
    ("[[events]]\nkind = \"gap\"\nduration_h = [4, 3]\n", "key 'duration_h'"),
    ("[[events]]\nkind = \"gapp\"\n", "[[events]] #1 key 'kind'"),
    ("[[events]]\nkind = \"zone_entry\"\n", "(zone_entry) key 'zone': is required"),
    ("[[events]]\nkind = \"gap\"\nflag = \"XXX\"\n", "key 'flag'"),
    ("[[events]]\nkind = \"gap\"\ncount = 2\nat = [15, -70]\n", "key 'at'"),
    ("[[events]]\nkind = \"spoofing\"\nmode = \"teleport\"\n", "key 'mode'"),
    ("[[decoys]]\nkind = \"zone_transit\"\nthrough = \"yes\"\n", "[[decoys]] #1"),
    ("[[events]]\nkind = \"dark_target\"\nsensor = \"sonar\"\n", "(dark_target) key 'sensor'"),
    ("[[decoys]]\nkind = \"sensed_ais\"\ndetections = 0\n", "(sensed_ais) key 'detections'"),
    ("[background]\nvessels = -1\n", "[background] key 'vessels'"),
    ("[background]\nmix = { cargo = 1, submarine = 1 }\n", "[background] key 'mix'"),
    ("[reception]\nnatural_gap_min = [5, 300]\n", "[reception] key 'natural_gap_min'"),
    ("[reception]\nmax_delay_s = 600\n", "[reception] key 'max_delay_s'"),
    ("[[zones]]\nid = \"z\"\nname = \"Z\"\nkind = \"lagoon\"\ncircle = {lat=1, lon=2, "
     "radius_nm=3}\n", "[[zones]] #1 key 'kind'"),
    ("[[zones]]\nid = \"jam-pedro-closure\"\nname = \"Z\"\nkind = \"mpa\"\ncircle = {lat=1, "
     "lon=2, radius_nm=3}\n", "key 'id'"),
    ("[weather]\nwind = 3\n", "top level key 'weather'"),
])
def test_errors_name_the_file_and_the_key(tmp_path: Path, extra: str, where: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(BASE + extra)
    with pytest.raises(E) as err:
        load_scenario(p)
    assert str(err.value).startswith("bad.toml: ")
    assert where in str(err.value)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(E, match="not found"):
        load_scenario(tmp_path / "nope.toml")
    (tmp_path / "x.toml").write_text("[scenario\n")
    with pytest.raises(E, match=r"x\.toml: not valid TOML"):
        load_scenario(tmp_path / "x.toml")
    (tmp_path / "y.toml").write_text("[scenario]\nname = \"y\"\nduration_h = 3\n")
    with pytest.raises(E, match=r"y.toml: \[scenario\] key 'start': is required"):
        load_scenario(tmp_path / "y.toml")
    (tmp_path / "z.toml").write_text(BASE.replace(CARIBBEAN.as_posix(), "missing.toml"))
    with pytest.raises(E, match="not found"):
        load_scenario(tmp_path / "z.toml")


def test_an_unknown_zone_is_an_error_when_generating(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(BASE + "[[events]]\nkind = \"zone_entry\"\nzone = \"atlantis\"\n")
    with pytest.raises(E, match=r"s.toml: \[\[events\]\] #1 \(zone_entry\): key 'zone': "
                                r"no zone with id 'atlantis'"):
        generate_file(p, tmp_path / "out")


def test_a_zone_whose_rule_spares_the_vessel_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "s.toml"
    p.write_text(BASE + "[[events]]\nkind = \"zone_entry\"\nzone = \"ven-aves-ts\"\n"
                        "flag = \"VEN\"\n")
    with pytest.raises(E, match=r"does not concern a vessel .* flagged VEN"):
        generate_file(p, tmp_path / "out")


def test_background_routes_name_ports(tmp_path: Path) -> None:
    p = tmp_path / "r.toml"
    p.write_text(BASE + "[background]\nroutes = [[\"Kingston\", \"Gotham\"]]\n")
    with pytest.raises(E, match=r"\[background\] key 'routes': no port named 'Gotham'"):
        load_scenario(p)
    p.write_text(BASE + "[background]\nroutes = [[\"Kingston\", \"Cartagena\"]]\n")
    assert load_scenario(p).background.routes == (("Kingston", "Cartagena"),)
