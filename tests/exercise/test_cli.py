"""``mda exercise generate|score|run`` and ``mda demo`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mda.cli import main
from mda.exercise.score import KINDS
from tests.exercise.conftest import write_tiny


def test_help_lists_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exercise" in out and "demo" in out
    with pytest.raises(SystemExit):
        main(["exercise", "run", "--help"])
    out = capsys.readouterr().out
    for flag in ("--out", "--seed", "--preset", "--no-map", "--json"):
        assert flag in out


@pytest.mark.slow
def test_generate_score_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = write_tiny(tmp_path)
    gen = tmp_path / "gen"
    assert main(["exercise", "generate", str(scenario), "--out", str(gen), "-q"]) == 0
    out = capsys.readouterr().out
    assert "truth" in out and "1 gap" in out
    for name in ("traffic.nmea", "truth.json", "zones.geojson", "ports.csv", "exercise.json"):
        assert (gen / name).is_file()

    run = tmp_path / "run"
    assert main(["exercise", "run", str(scenario), "--out", str(run), "--no-map",
                 "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "precision" in out and "map        unavailable: skipped (--no-map)" in out
    assert (run / "traffic.nmea").read_bytes() == (gen / "traffic.nmea").read_bytes()
    score = json.loads((run / "score.json").read_text())
    for kind in KINDS:
        assert score["kinds"][kind]["recall"] == 1.0, (kind, score["missed"])
        assert score["kinds"][kind]["precision"] == 1.0, (kind, score["false_alerts"])
    assert score["decoy_alerts"] == 0

    # the same score from the files, as a table and as JSON
    alerts, truth = str(run / "alerts.jsonl"), str(run / "truth.json")
    assert main(["exercise", "score", alerts, truth, "--out", str(tmp_path / "s.json")]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0].split()[:3] == ["kind", "events", "detected"]
    assert main(["exercise", "score", alerts, truth, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["kinds"] == score["kinds"]
    assert json.loads((tmp_path / "s.json").read_text())["kinds"] == score["kinds"]


def test_errors_are_messages_not_tracebacks(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[scenario]\nname = \"x\"\nstart = 2024-01-01T00:00:00Z\nduration_h = 2\n"
                   "[area]\nmin_lat = 10\nmax_lat = 20\nmin_lon = -80\nmax_lon = -60\n"
                   "[[events]]\nkind = \"gap\"\nspeed = 3\n")
    assert main(["exercise", "generate", str(bad), "--out", str(tmp_path / "o")]) == 2
    assert "bad.toml: [[events]] #1 (gap) key 'speed'" in capsys.readouterr().err
    assert main(["exercise", "score", str(bad), str(bad)]) == 2
    assert "bad.toml: line 1: not JSON" in capsys.readouterr().err
    assert main(["exercise"]) == 2


@pytest.mark.slow
def test_demo_detects_every_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    score = json.loads((out / "score.json").read_text())
    for kind in KINDS:
        k = score["kinds"][kind]
        assert k["events"] >= 1 and k["missed"] == 0, (kind, score["missed"])
        assert k["false_positives"] == 0, (kind, score["false_alerts"])
    assert score["decoy_alerts"] == 0
    assert (out / "alerts.jsonl").stat().st_size > 0
    # the report map is written, with every alert of the run in it
    page = (out / "map.html").read_text(encoding="utf-8")
    assert f"map        {out / 'map.html'}" in printed
    assert "L.map(" in page or "leaflet" in page.lower()
    ids = {json.loads(x)["alert_id"] for x in
           (out / "alerts.jsonl").read_text().splitlines()}
    assert ids and all(i in page for i in ids)
    for line in ("alerts     ", "score      "):
        assert line in printed
