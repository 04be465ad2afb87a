"""Scoring: what the watch detected, what it missed, what it raised for nothing, and how fast.

Alerts are read as the JSON objects of ``alerts.jsonl`` (every lifecycle state; the last state
of an ``alert_id`` wins, its first state says when it was raised). An alert is a **true
positive** when a required truth event of its kind matches it: the same vessel (both vessels,
in either order, for a rendezvous), the same zone for zone alerts, and times that overlap
within ``tolerance_h``. Otherwise it is **expected** when it matches an optional truth event (a
rendezvous partner that also loiters, an exit in the last hour), **unlabelled** when it
concerns a vessel of a real AIS background (nobody knows what those did), and a **false
positive** otherwise; false positives on decoy vessels are also counted per decoy.

An event is **detected** when at least one alert matches it, else **missed**. Precision is
TP / (TP + FP) over alerts; recall is detected / events.

**Detection delay** is the event time at which the alert was raised less the event time at
which the data first proved the event under the settings' definition ("the proof"):

* gap: proof at the last report + ``threshold_h``; raised at ``evidence.detected_at``;
* rendezvous, loitering: proof at the start + ``min_duration_h``; raised at the start +
  ``evidence.duration_h`` of the first state;
* zone_entry: proof at the first report inside; raised at the start + ``evidence.dwell_h``
  of the first state;
* zone_exit: proof at the first report outside; raised at the alert's start (the detector
  confirms an exit ``exit_after_s`` later, by design, and the alert carries no emission
  time);
* spoofing: proof at the first displaced (or second-transmitter) report; raised at the
  alert's start;
* dark_target (no MMSI: matched by the sensor contact its evidence names, a radar track or a
  SAR detection, ``truth.contact_key``): proof at the first contact + ``match_window_s`` (AIS
  up to a window later would explain it); raised at ``evidence.detected_at``. A dark_target
  on a ``sensed_ais`` decoy's contact is a decoy false positive.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mda.exercise.truth import Truth, TruthEvent, contact_key
from mda.records import ALERT_KINDS, AlertKind, parse_utc

if TYPE_CHECKING:
    from mda.settings import Settings

# Every alert kind that ground truth can script (a feed outage is not a vessel event).
KINDS: tuple[AlertKind, ...] = tuple(k for k in ALERT_KINDS if k != "feed_outage")


def _t(text: Any) -> float | None:
    if not isinstance(text, str):
        return None
    return parse_utc(text).timestamp()


def read_alerts(path: str | Path) -> list[dict[str, Any]]:
    """Alert JSON objects from a JSON-lines file (``ValueError`` naming the line if bad)."""
    p = Path(path)
    out: list[dict[str, Any]] = []
    with p.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{p.name}: line {n}: not JSON: {exc}") from None
            if not isinstance(obj, dict) or "alert_id" not in obj or "kind" not in obj:
                raise ValueError(f"{p.name}: line {n}: not an alert (no alert_id or kind)")
            out.append(obj)
    return out


@dataclass(frozen=True)
class Definitions:
    """The thresholds the proof times use (from the detector settings)."""

    gap_threshold_h: float = 2.0
    rendezvous_min_h: float = 1.0
    loitering_min_h: float = 3.0
    dark_target_window_s: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Definitions:
        from detectors.dark_target import DarkTargetSettings
        from detectors.gap import GapSettings
        from detectors.loitering import LoiteringSettings
        from detectors.rendezvous import RendezvousSettings

        return cls(settings.detector("gap", GapSettings).threshold_h,
                   settings.detector("rendezvous", RendezvousSettings).min_duration_h,
                   settings.detector("loitering", LoiteringSettings).min_duration_h,
                   settings.detector("dark_target", DarkTargetSettings).match_window_s)

    def proof(self, e: TruthEvent) -> float:
        if e.kind == "gap":
            return e.start + self.gap_threshold_h * 3600.0
        if e.kind == "rendezvous":
            return e.start + self.rendezvous_min_h * 3600.0
        if e.kind == "loitering":
            return e.start + self.loitering_min_h * 3600.0
        if e.kind == "dark_target":
            return e.start + self.dark_target_window_s
        return e.start


def raised_at(first: Mapping[str, Any]) -> float | None:
    """When an alert was raised (event time), from its first lifecycle state."""
    start = _t(first.get("start"))
    ev = first.get("evidence") or {}
    kind = first.get("kind")
    if kind in ("gap", "dark_target") and isinstance(ev.get("detected_at"), str):
        return _t(ev["detected_at"])
    if start is None:
        return None
    if kind in ("rendezvous", "loitering") and isinstance(ev.get("duration_h"), int | float):
        return start + float(ev["duration_h"]) * 3600.0
    if kind == "zone_entry" and isinstance(ev.get("dwell_h"), int | float):
        return start + float(ev["dwell_h"]) * 3600.0
    return start


@dataclass
class KindScore:
    kind: str
    events: int = 0
    detected: int = 0
    alerts: int = 0
    tp: int = 0
    fp: int = 0
    decoy_fp: int = 0
    expected: int = 0
    unlabelled: int = 0
    delays_s: list[float] = field(default_factory=list)

    @property
    def missed(self) -> int:
        return self.events - self.detected

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.detected / self.events if self.events else None

    def as_dict(self) -> dict[str, Any]:
        d = self.delays_s
        return {
            "events": self.events, "detected": self.detected, "missed": self.missed,
            "alerts": self.alerts, "true_positives": self.tp, "false_positives": self.fp,
            "decoy_false_positives": self.decoy_fp, "expected": self.expected,
            "unlabelled": self.unlabelled,
            "precision": None if self.precision is None else round(self.precision, 4),
            "recall": None if self.recall is None else round(self.recall, 4),
            "delay_median_s": round(statistics.median(d), 1) if d else None,
            "delay_max_s": round(max(d), 1) if d else None,
        }


@dataclass
class Score:
    kinds: dict[str, KindScore]
    decoys: dict[str, dict[str, int]]
    false_alerts: list[dict[str, Any]]
    missed: list[dict[str, Any]]
    tolerance_h: float
    definitions: Definitions

    def kind(self, kind: str) -> KindScore:
        return self.kinds.get(kind) or KindScore(kind)

    @property
    def decoy_alerts(self) -> int:
        return sum(d["alerts"] for d in self.decoys.values())

    def as_dict(self) -> dict[str, Any]:
        total = KindScore("all")
        for k in self.kinds.values():
            total.events += k.events
            total.detected += k.detected
            total.alerts += k.alerts
            total.tp += k.tp
            total.fp += k.fp
            total.decoy_fp += k.decoy_fp
            total.expected += k.expected
            total.unlabelled += k.unlabelled
            total.delays_s += k.delays_s
        return {
            "kinds": {k: v.as_dict() for k, v in self.kinds.items()},
            "total": total.as_dict(),
            "decoys": self.decoys,
            "decoy_alerts": self.decoy_alerts,
            "tolerance_h": self.tolerance_h,
            "definitions": {"gap_threshold_h": self.definitions.gap_threshold_h,
                            "rendezvous_min_duration_h": self.definitions.rendezvous_min_h,
                            "loitering_min_duration_h": self.definitions.loitering_min_h,
                            "dark_target_window_s": self.definitions.dark_target_window_s},
            "false_alerts": self.false_alerts,
            "missed": self.missed,
        }


def alert_contact(a: Mapping[str, Any]) -> str | None:
    """The sensor contact a dark_target alert is about (``truth.contact_key``), else None."""
    ev = a.get("evidence") or {}
    if a.get("kind") != "dark_target" or "contact_id" not in ev:
        return None
    return contact_key(str(ev.get("sensor")), str(ev.get("source")), str(ev["contact_id"]))


def _matches(a: Mapping[str, Any], e: TruthEvent, clock: float, tol_s: float) -> bool:
    if a.get("kind") != e.kind:
        return False
    mmsi, other = a.get("mmsi"), a.get("other_mmsi")
    if e.kind == "dark_target":
        if alert_contact(a) not in e.params.get("contacts", ()):
            return False
    elif e.kind == "rendezvous":
        if {mmsi, other} != {e.mmsi, e.other_mmsi}:
            return False
    elif mmsi != e.mmsi:
        return False
    if e.zone_id is not None and str(a.get("zone_id")) != str(e.zone_id):
        return False
    start = _t(a.get("start"))
    end = _t(a.get("end"))
    if start is None:
        return False
    a_end = clock if end is None else end
    e_end = clock if e.end is None else e.end
    return start <= e_end + tol_s and a_end >= e.start - tol_s


def score(alerts: Iterable[Mapping[str, Any]], truth: Truth, tolerance_h: float = 1.0,
          definitions: Definitions | None = None) -> Score:
    """Score alert states against the truth (see the module docstring)."""
    defs = definitions or Definitions()
    tol_s = tolerance_h * 3600.0
    first: dict[str, Mapping[str, Any]] = {}
    last: dict[str, Mapping[str, Any]] = {}
    for a in alerts:
        aid = str(a["alert_id"])
        first.setdefault(aid, a)
        last[aid] = a
    clock = truth.end
    kinds: dict[str, KindScore] = {}

    def ks(kind: str) -> KindScore:
        return kinds.setdefault(kind, KindScore(kind))

    for k in KINDS:
        if any(e.kind == k for e in truth.events):
            ks(k)
    required = [e for e in truth.events if e.required]
    optional = [e for e in truth.events if not e.required]
    for e in required:
        ks(e.kind).events += 1
    decoy_of = {m: d for d in truth.decoys for m in d.mmsis}
    decoy_of_contact = {k: d for d in truth.decoys for k in d.params.get("contacts", ())}
    decoys: dict[str, dict[str, int]] = {}
    for d in truth.decoys:
        entry = decoys.setdefault(d.kind, {"count": 0, "alerts": 0})
        entry["count"] += 1
    real = set(truth.real_mmsis)
    detected_at: dict[int, float] = {}
    hit: set[int] = set()
    false_alerts: list[dict[str, Any]] = []
    for aid, a in last.items():
        kind = str(a["kind"])
        s = ks(kind)
        s.alerts += 1
        matched = [i for i, e in enumerate(required) if _matches(a, e, clock, tol_s)]
        when = raised_at(first[aid])
        if matched:
            s.tp += 1
            for i in matched:
                hit.add(i)
                if when is not None:
                    detected_at[i] = min(detected_at.get(i, when), when)
            continue
        if any(_matches(a, e, clock, tol_s) for e in optional):
            s.expected += 1
            continue
        vessels = {a.get("mmsi"), a.get("other_mmsi")} - {None}
        if vessels & real:
            s.unlabelled += 1
            continue
        s.fp += 1
        decoy = next((decoy_of[m] for m in vessels if m in decoy_of), None)  # type: ignore[index]
        if decoy is None:
            decoy = decoy_of_contact.get(alert_contact(a) or "")
        if decoy is not None:
            s.decoy_fp += 1
            decoys[decoy.kind]["alerts"] += 1
        if len(false_alerts) < 100:
            false_alerts.append({"alert_id": aid, "kind": kind, "mmsi": a.get("mmsi"),
                                 "other_mmsi": a.get("other_mmsi"), "start": a.get("start"),
                                 "decoy": None if decoy is None else decoy.id,
                                 "summary": a.get("summary")})
    missed: list[dict[str, Any]] = []
    for i, e in enumerate(required):
        if i in hit:
            ks(e.kind).detected += 1
            if i in detected_at:
                ks(e.kind).delays_s.append(detected_at[i] - defs.proof(e))
        elif len(missed) < 100:
            missed.append({"id": e.id, "kind": e.kind, "mmsi": e.mmsi,
                           "other_mmsi": e.other_mmsi, "zone_id": e.zone_id,
                           "start": e.to_dict()["start"], "source": e.source})
    ordered = {k: kinds[k] for k in [*KINDS, *sorted(set(kinds) - set(KINDS))] if k in kinds}
    return Score(ordered, decoys, false_alerts, missed, tolerance_h, defs)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _minutes(s: float | None) -> str:
    return "-" if s is None else f"{s / 60.0:.1f}"


def table(result: Score) -> str:
    """The score as a text table (one row per alert kind, then the totals and decoys)."""
    d = result.as_dict()
    head = ("kind", "events", "detected", "missed", "alerts", "TP", "FP", "decoy FP",
            "precision", "recall", "delay med min", "delay max min")
    rows = []
    for name, k in [*d["kinds"].items(), ("all", d["total"])]:
        rows.append((name, str(k["events"]), str(k["detected"]), str(k["missed"]),
                     str(k["alerts"]), str(k["true_positives"]), str(k["false_positives"]),
                     str(k["decoy_false_positives"]), _fmt(k["precision"]),
                     _fmt(k["recall"]), _minutes(k["delay_median_s"]),
                     _minutes(k["delay_max_s"])))
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]

    def line(r: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(r, widths, strict=True)))

    out = [line(head), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in rows]
    decoys = ", ".join(f"{k} {v['count']} ({v['alerts']} alerts)"
                       for k, v in d["decoys"].items()) or "none"
    out.append(f"decoys: {decoys}")
    extra = d["total"]
    if extra["expected"] or extra["unlabelled"]:
        out.append(f"also: {extra['expected']} expected side alerts (optional truth), "
                   f"{extra['unlabelled']} alerts on real background vessels (unlabelled)")
    return "\n".join(out)
