"""The ``mda`` command end to end, as a user runs it (subprocess) and in-process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mda.cli import main
from tests.helpers import REPO

SAMPLE = REPO / "replay_data" / "sample" / "caribbean_sample.nmea"


def mda(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mda.cli", *args], input=stdin,
                          capture_output=True, cwd=REPO, check=False,
                          text=stdin is None)


def test_help_explains_itself() -> None:
    out = mda("--help")
    assert out.returncode == 0 and "replay" in out.stdout and "config" in out.stdout
    sub = mda("replay", "--help")
    for flag in ("--alerts", "--rejects", "--preset", "--config", "--until", "--stats"):
        assert flag in sub.stdout


def test_help_does_not_import_heavy_packages() -> None:
    code = ("import sys; from mda.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('faust', 'kafka', 'aiokafka', 'geopandas', 'folium', 'pyais') "
            "if m in sys.modules]\nprint(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO,
                         check=True)
    assert out.stdout.strip().endswith("[]")


def test_replay_sample_writes_alerts_rejects_and_stats(tmp_path: Path) -> None:
    alerts, rejects, stats = tmp_path / "a.jsonl", tmp_path / "r.jsonl", tmp_path / "s.json"
    code = main(["replay", str(SAMPLE), "--alerts", str(alerts), "--rejects", str(rejects),
                 "--stats", str(stats), "--quiet"])
    assert code == 0
    summary = json.loads(stats.read_text())
    for key in ("lines_read", "messages_decoded", "rejected", "vessels", "alerts"):
        assert key in summary
    rows = [json.loads(x) for x in alerts.read_text().splitlines()]
    fields = {"alert_id", "kind", "status", "severity", "mmsi", "other_mmsi", "start", "end",
              "lat", "lon", "zone_id", "zone_name", "vessel", "evidence", "summary"}
    assert rows and all(set(r) == fields for r in rows)
    final = {r["alert_id"]: r for r in rows}
    # the sample's scripted events: two gaps that close, one vessel still dark at the end
    dark = {r["vessel"]["name"]: r["status"] for r in final.values() if r["kind"] == "gap"}
    assert dark == {"DONA LUPITA": "closed", "FROST CARRIER": "closed", "NIGHT RUNNER": "open"}
    # the reefer stopped at sea also loiters (a rendezvous with a dark partner?)
    loiter = [r for r in final.values() if r["kind"] == "loitering"]
    assert [r["vessel"]["name"] for r in loiter] == ["FROST CARRIER"]
    assert summary["alerts"] == {"gap": 3, "loitering": 1}
    rej = [json.loads(x) for x in rejects.read_text().splitlines()]
    assert len(rej) == sum(summary["rejected"].values())
    assert all({"line_no", "raw", "reason"} <= set(r) for r in rej)


def test_until_advances_the_clock(tmp_path: Path) -> None:
    stats = tmp_path / "s.json"
    # the moored tanker is never a gap; every vessel under way is dark 12 h after the end
    assert main(["replay", str(SAMPLE), "--until", "2024-03-13T02:00:00Z", "--stats", str(stats),
                 "-q"]) == 0
    summary = json.loads(stats.read_text())
    assert summary["clock_at_end"] == "2024-03-13T02:00:00.000Z"
    assert summary["alerts"]["gap"] == 3 + 7


def test_config_file_changes_the_threshold(tmp_path: Path) -> None:
    cfg = tmp_path / "mda.toml"
    cfg.write_text("[gap]\nthreshold_h = 2.6\n")
    stats = tmp_path / "s.json"
    assert main(["replay", str(SAMPLE), "--config", str(cfg), "--stats", str(stats), "-q"]) == 0
    # the 2.5 h silence of the drifting reefer is no longer a gap
    assert json.loads(stats.read_text())["alerts"]["gap"] == 2
    cfg.write_text("[gap]\nenabled = false\n[loitering]\nenabled = false\n")
    assert main(["replay", str(SAMPLE), "--config", str(cfg), "--stats", str(stats), "-q"]) == 0
    assert json.loads(stats.read_text())["alerts"] == {}


def test_bad_config_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[gap]\nthreshold_hours = 3\n")
    assert main(["replay", str(SAMPLE), "--config", str(cfg), "-q"]) == 2
    assert "threshold_hours" in capsys.readouterr().err
    cfg.write_text("[gapp]\n")
    assert main(["config", "show", "--config", str(cfg)]) == 2
    assert "unknown table [gapp]" in capsys.readouterr().err


def test_config_show_round_trips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "show", "--preset", "skylight"]) == 0
    text = capsys.readouterr().out
    assert "[gap]" in text and "threshold_h = 6.0" in text
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    assert main(["config", "show", "--config", str(cfg)]) == 0
    assert capsys.readouterr().out == text


def test_settings_detector_is_the_detectors_own_class() -> None:
    from detectors.feed import FeedSettings
    from detectors.gap import GapSettings
    from mda.settings import preset_settings

    s = preset_settings("skylight")
    assert s.detector("gap", GapSettings).threshold_h == 6.0
    with pytest.raises(TypeError, match="'gap' are a GapSettings, not a FeedSettings"):
        s.detector("gap", FeedSettings)
    with pytest.raises(KeyError):
        s.detector("gapp", GapSettings)


def test_stdin_and_missing_file() -> None:
    out = mda("replay", "-", "--stats", "/dev/stdout", "-q", stdin=SAMPLE.read_bytes())
    assert out.returncode == 0
    assert json.loads(out.stdout)["alerts"]["gap"] == 3
    missing = mda("replay", "no/such/file.nmea")
    assert missing.returncode == 2 and "input not found" in missing.stderr


def test_several_inputs_are_merged_in_time_order(tmp_path: Path) -> None:
    # one file per receiving station, as two receivers would record them
    lines = SAMPLE.read_text().splitlines()
    odd, even = tmp_path / "a.nmea", tmp_path / "b.nmea"
    odd.write_text("\n".join(x for x in lines if "rx2" not in x) + "\n")
    even.write_text("\n".join(x for x in lines if "rx2" in x) + "\n")
    s1, s2 = tmp_path / "1.json", tmp_path / "2.json"
    assert main(["replay", str(SAMPLE), "--stats", str(s1), "-q"]) == 0
    assert main(["replay", str(odd), str(even), "--stats", str(s2), "-q"]) == 0
    one, two = json.loads(s1.read_text()), json.loads(s2.read_text())
    assert two["alerts"] == one["alerts"]
    assert two["positions"] == one["positions"]
    assert two["message_types"]["1"] == one["message_types"]["1"]


def test_replay_says_what_it_did_not_alert_on_and_why(
        shared: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stats = tmp_path / "s.json"
    assert main(["replay", str(shared / "regional" /
                               "caribewave_guadeloupe_epoch_nmea_2017-03-21.csv.gz"),
                 "--ports", str(shared / "ports" / "nga_world_port_index_pub150.csv.gz"),
                 "--stats", str(stats)]) == 0
    not_alerted = json.loads(stats.read_text())["not_alerted"]
    assert not_alerted["gap"]["fringe"] > 0 and not_alerted["gap"]["thin"] > 0
    line = next(x for x in capsys.readouterr().out.splitlines()
                if x.startswith("not alerted (gap)"))
    assert f"fringe {not_alerted['gap']['fringe']}" in line


def test_replay_says_it_sorted_an_unsorted_file_and_what_fields_are_missing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "tracks.csv"
    path.write_text("mmsi,timestamp_utc,lon,lat\n"
                    "311000001,2024-01-01 01:00:00,-70.0,10.0\n"
                    "311000001,2024-01-01 00:00:00,-70.1,10.0\n"
                    "311000001,2024-01-01 01:01:00,-70.0,10.001\n", encoding="utf-8")
    stats = tmp_path / "s.json"
    assert main(["replay", str(path), "--stats", str(stats), "--no-shore"]) == 0
    out = capsys.readouterr().out
    assert "is not in time order (1 of 3 positions" in out and "sorted by event time" in out
    assert "of 3 positions 1 have no speed (after 2 speeds derived from positions)" in out
    summary = json.loads(stats.read_text())
    assert summary["rejected"] == {}
    assert summary["sorted"][0]["out_of_order"] == 1
    assert summary["missing_fields"]["vessels_without_ship_type"] == 1


def test_learned_anchorages_persist_for_the_next_run(shared: Path, tmp_path: Path) -> None:
    # Suez, March 2021: ships queueing at anchor during the Ever Given blockage. The first run
    # learns the anchorages where many stop (paired as rendezvous before it knows them); the
    # next run starts with them.
    suez = str(shared / "regional" / "vesselsvalue_suez_evergiven_2021-03-20_to_24.csv.gz")
    wpi = str(shared / "ports" / "nga_world_port_index_pub150.csv.gz")
    learned, s1, s2 = tmp_path / "anchorages.csv", tmp_path / "s1.json", tmp_path / "s2.json"
    assert main(["replay", suez, "--ports", wpi, "--learn-ports", str(learned), "--stats",
                 str(s1), "-q"]) == 0
    first = json.loads(s1.read_text())
    assert first["learned_anchorages"] >= 5
    assert learned.read_text().splitlines()[0] == "name,latitude,longitude"
    assert main(["replay", suez, "--ports", wpi, "--learn-ports", str(learned), "--stats",
                 str(s2), "-q"]) == 0
    second = json.loads(s2.read_text())
    assert second["learned_anchorages"] >= first["learned_anchorages"]
    assert second["alerts"].get("rendezvous", 0) < first["alerts"].get("rendezvous", 0)
