"""A generated exercise through the embedded pipeline (every enabled detector, the exercise's
own zones and ports, the landmetrics shore), and its score."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mda.exercise.score import Definitions, Score, score
from mda.exercise.truth import Truth, load_truth
from mda.records import Alert, PositionReport
from mda.vessels import VesselLookup


@dataclass
class Manifest:
    """What ``exercise.json`` says about a generated exercise folder."""

    out_dir: Path
    traffic: Path
    truth: Path
    zone_args: list[str]
    port_files: list[str]
    data: dict[str, Any] = field(default_factory=dict)
    sensors: list[Path] = field(default_factory=list)  # radar and SAR contact files

    @classmethod
    def read(cls, out_dir: str | Path) -> Manifest:
        d = Path(out_dir)
        path = d / "exercise.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"not a generated exercise (no exercise.json): {d}") from None
        return cls(d, d / data["traffic"], d / data["truth"], list(data.get("zones", [])),
                   list(data.get("ports", [])), data,
                   [d / name for name in data.get("sensors", [])])


@dataclass
class ReplayResult:
    alerts: list[Alert]
    summary: Any  # mda.runner.Summary
    truth: Truth
    score: Score
    zones: list[Any]  # zones.Zone of the exercise (for a map)
    vessel_info: VesselLookup  # what the run learnt of each vessel


def replay_exercise(out_dir: str | Path, settings: Any = None,
                    on_alert: Callable[[Alert], None] | None = None,
                    on_position: Callable[[PositionReport], None] | None = None,
                    progress: Callable[[int], None] | None = None,
                    tolerance_h: float = 1.0) -> ReplayResult:
    """Replay ``out_dir``'s traffic with ``settings`` (default: the ``watch`` preset) and score
    the alerts against its truth. ``on_position`` sees every position released to the
    detectors (e.g. to collect tracks for a map)."""
    from ingest.sources import Source
    from mda.geography import Geography
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings, zone_rules

    m = Manifest.read(out_dir)
    settings = settings or preset_settings()
    geography = Geography.load(zone_args=m.zone_args, port_files=m.port_files,
                               rules=zone_rules(settings))
    alerts: list[Alert] = []

    def sink(a: Alert) -> None:
        alerts.append(a)
        if on_alert is not None:
            on_alert(a)

    runner = EmbeddedRunner(settings, sink, geography=geography, on_position=on_position)
    summary = runner.run([Source.open(str(p)) for p in (m.traffic, *m.sensors)],
                         progress=progress)
    truth = load_truth(m.truth)
    result = score([a.to_dict() for a in alerts], truth, tolerance_h,
                   Definitions.from_settings(settings))
    zones = [] if geography.zones is None else list(geography.zones.zones)
    return ReplayResult(alerts, summary, truth, result, zones, runner.registry.info)
