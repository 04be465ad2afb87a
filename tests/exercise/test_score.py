"""The scorer on hand-made alerts and truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mda.exercise.score import Definitions, raised_at, read_alerts, score, table
from mda.exercise.truth import Truth, TruthDecoy, TruthEvent, load_truth
from mda.settings import preset_settings

T0 = 1_700_000_000.0
H = 3600.0


def iso(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


def alert(aid: str, kind: str, mmsi: int, start: float, end: float | None = None,
          other: int | None = None, zone: str | None = None, **evidence: object) -> dict[str, Any]:
    return {"alert_id": aid, "kind": kind, "status": "open" if end is None else "closed",
            "mmsi": mmsi, "other_mmsi": other, "start": iso(start),
            "end": None if end is None else iso(end), "zone_id": zone, "evidence": evidence,
            "summary": f"{kind} {mmsi}"}


def truth() -> Truth:
    ev = [
        TruthEvent("gap-1", "gap", 1, T0, T0 + 3 * H, 15.0, -70.0),
        TruthEvent("gap-2", "gap", 2, T0 + H, None, 15.0, -70.0),
        TruthEvent("rv-1", "rendezvous", 3, T0, T0 + 2 * H, 15.0, -70.0, other_mmsi=4),
        TruthEvent("rv-1/loitering", "loitering", 4, T0, T0 + 2 * H, 15.0, -70.0,
                   required=False),
        TruthEvent("z-1", "zone_entry", 5, T0, T0 + H, 15.0, -70.0, zone_id="A"),
        TruthEvent("z-1x", "zone_exit", 5, T0 + H, T0 + H, 15.0, -70.0, zone_id="A"),
    ]
    decoys = [TruthDecoy("d-1", "short_meeting", [8, 9], T0, T0 + 0.3 * H, 15.0, -70.0)]
    return Truth("t", 1, T0 - H, T0 + 10 * H, ev, decoys, real_mmsis=[99])


def test_true_and_false_positives_misses_and_delays() -> None:
    alerts = [
        alert("a", "gap", 1, T0, None, detected_at=iso(T0 + 2 * H + 30)),
        alert("a", "gap", 1, T0, T0 + 3 * H, detected_at=iso(T0 + 2 * H + 30)),  # closed
        alert("b", "rendezvous", 4, T0 + 60, T0 + 2 * H, other=3, duration_h=1.0),  # order
        alert("c", "loitering", 4, T0, None, duration_h=3.0),  # an optional event: expected
        alert("d", "zone_entry", 5, T0, None, zone="B", dwell_h=0.1),  # wrong zone: FP
        alert("e", "zone_entry", 5, T0 + 30, None, zone="A", dwell_h=0.05),
        alert("f", "rendezvous", 8, T0, None, other=9, duration_h=1.0),  # on a decoy
        alert("g", "gap", 99, T0, None),  # a real background vessel: unlabelled
        alert("h", "gap", 7, T0 + 8 * H, None),  # nobody: FP
    ]
    s = score(alerts, truth(), definitions=Definitions.from_settings(preset_settings()))
    gap, rv, lo = s.kind("gap"), s.kind("rendezvous"), s.kind("loitering")
    assert (gap.events, gap.detected, gap.missed, gap.alerts) == (2, 1, 1, 3)
    assert (gap.tp, gap.fp, gap.unlabelled) == (1, 1, 1)
    assert gap.delays_s == [30.0]  # raised 30 s after last report + 2 h
    assert (rv.events, rv.detected, rv.tp, rv.fp, rv.decoy_fp) == (1, 1, 1, 1, 1)
    assert rv.delays_s == [60.0]
    assert rv.precision == 0.5 and rv.recall == 1.0
    assert (lo.events, lo.alerts, lo.expected, lo.fp, lo.precision, lo.recall) == (
        0, 1, 1, 0, None, None)
    ze, zx = s.kind("zone_entry"), s.kind("zone_exit")
    assert (ze.tp, ze.fp, ze.detected) == (1, 1, 1)
    assert ze.delays_s == [pytest.approx(30 + 180.0)]
    assert (zx.events, zx.detected, zx.missed) == (1, 0, 1)
    assert s.decoys == {"short_meeting": {"count": 1, "alerts": 1}}
    d = s.as_dict()
    assert d["total"]["true_positives"] == 3 and d["total"]["false_positives"] == 3
    assert {m["id"] for m in d["missed"]} == {"gap-2", "z-1x"}
    assert {f["alert_id"] for f in d["false_alerts"]} == {"d", "f", "h"}
    assert [f["decoy"] for f in d["false_alerts"] if f["alert_id"] == "f"] == ["d-1"]
    text = table(s)
    assert "gap" in text and "0.50" in text and "short_meeting 1 (1 alerts)" in text


def test_time_tolerance() -> None:
    late = alert("x", "gap", 1, T0 + 5 * H, None)  # 2 h after the event ended
    assert score([late], truth()).kind("gap").tp == 0
    assert score([late], truth(), tolerance_h=3).kind("gap").tp == 1


def test_raised_at_by_kind() -> None:
    assert raised_at(alert("a", "spoofing", 1, T0)) == T0
    assert raised_at(alert("a", "loitering", 1, T0, duration_h=3.0)) == T0 + 3 * H
    assert raised_at(alert("a", "gap", 1, T0, detected_at=iso(T0 + 7201))) == T0 + 7201


def test_files_round_trip(tmp_path: Path) -> None:
    t = truth()
    t.write(tmp_path / "truth.json")
    back = load_truth(tmp_path / "truth.json")
    assert [e.to_dict() for e in back.events] == [e.to_dict() for e in t.events]
    assert back.real_mmsis == [99] and back.decoy_mmsis == {8, 9}
    p = tmp_path / "alerts.jsonl"
    p.write_text("\n".join(json.dumps(alert(str(k), "gap", 1, T0)) for k in range(3)) + "\n\n")
    assert len(read_alerts(p)) == 3
    p.write_text('{"kind": "gap"}\n')
    with pytest.raises(ValueError, match=r"alerts\.jsonl: line 1: not an alert"):
        read_alerts(p)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match=r"bad\.json: not an exercise truth file"):
        load_truth(tmp_path / "bad.json")


def test_dark_targets_are_matched_by_their_contact_not_an_mmsi() -> None:
    radar = "radar:mda-radar-1:17"
    ev = [TruthEvent("dt-1", "dark_target", 0, T0, T0 + H, 15.0, -70.0,
                     params={"contacts": [radar]}),
          TruthEvent("dt-2", "dark_target", 0, T0 + 2 * H, T0 + 2 * H, 15.0, -70.0,
                     params={"contacts": ["sar:dt-2-1"]})]
    decoys = [TruthDecoy("d-1", "sensed_ais", [311000001], T0, T0 + H, 15.0, -70.0,
                         params={"contacts": ["radar:mda-radar-2:4"]})]
    t = Truth("t", 1, T0 - H, T0 + 10 * H, ev, decoys)

    def dark(aid: str, sensor: str, source: str, ident: str, start: float,
             end: float | None) -> dict[str, Any]:
        return alert(aid, "dark_target", 0, start, end, sensor=sensor, source=source,
                     contact_id=ident, detected_at=iso(start + 700))

    alerts = [
        dark("a", "radar", "mda-radar-1", "17", T0, None),
        dark("a", "radar", "mda-radar-1", "17", T0, T0 + H),
        dark("b", "sar", "/some/dir/sar.csv", "dt-2-1", T0 + 2 * H, T0 + 2 * H),  # any file
        dark("c", "radar", "mda-radar-2", "4", T0, T0 + H),  # the decoy's contact
        dark("d", "radar", "mda-radar-1", "18", T0, T0 + H),  # another target: FP
        dark("e", "radar", "mda-radar-1", "17", T0 + 6 * H, None),  # same target, later: FP
    ]
    s = score(alerts, t, definitions=Definitions.from_settings(preset_settings()))
    k = s.kind("dark_target")
    assert (k.events, k.detected, k.alerts, k.tp, k.fp, k.decoy_fp) == (2, 2, 5, 2, 3, 1)
    assert s.decoys["sensed_ais"] == {"count": 1, "alerts": 1}
    assert sorted(k.delays_s) == [100.0, 100.0]  # raised 700 s after, proof a window after
