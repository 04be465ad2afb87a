"""Ground truth of an exercise: the injected events and the decoys, as written.

Times come from the reports actually written (after reception gaps, thinning and corrupted
lines), not from the plan: a gap starts at the last report before the silence, a zone entry
at the first report inside. Zone visits are found geometrically for every vessel whose type
and flag the zone's rule concerns, so the truth holds every incursion in the data, scripted
or not (a test checks background traffic makes none).

The file (``truth.json``) is one JSON object: ``scenario``, ``seed``, ``start``, ``end``,
``events`` (kind, mmsi, other_mmsi, start, end, lat, lon, zone_id, reason, required, source,
script, params), ``decoys`` (kind, mmsis, start, end, lat, lon, zone_id, params),
``real_mmsis`` (vessels of a real AIS background, whose alerts are not labelled) and
``vessels`` (counts by role). See ``docs/exercises.md``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mda.records import iso_utc, parse_utc

if TYPE_CHECKING:
    from mda.exercise.fleet import Script
    from zones.catalogue import Zone

# Zone visits separated by less than this outside are one visit (as the detector's exit
# hysteresis does); an exit in the last hour of the data cannot be confirmed, so it is not
# required.
VISIT_MERGE_S = 3600.0
LATE_EXIT_S = 3600.0
# Ship types the loitering detector never flags (fishing, towing, dredging, diving, military,
# sailing, pleasure, service craft): a rendezvous partner of any other type also loiters.
NOT_LOITERING = (30, 31, 32, 33, 34, 35, 36, 37, 50, 51, 52, 53, 54, 55, 58)


@dataclass
class TruthEvent:
    id: str
    kind: str
    mmsi: int
    start: float
    end: float | None
    lat: float
    lon: float
    other_mmsi: int | None = None
    zone_id: str | None = None
    reason: str | None = None
    required: bool = True
    source: str = "injected"  # "injected" or "background"
    script: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = _iso(self.start)
        d["end"] = None if self.end is None else _iso(self.end)
        return d


@dataclass
class TruthDecoy:
    id: str
    kind: str
    mmsis: list[int]
    start: float
    end: float
    lat: float
    lon: float
    zone_id: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["start"] = _iso(self.start)
        d["end"] = _iso(self.end)
        return d


@dataclass
class Truth:
    scenario: str
    seed: int
    start: float
    end: float
    events: list[TruthEvent] = field(default_factory=list)
    decoys: list[TruthDecoy] = field(default_factory=list)
    real_mmsis: list[int] = field(default_factory=list)
    vessels: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "start": _iso(self.start),
            "end": _iso(self.end),
            "vessels": self.vessels,
            "events": [e.to_dict() for e in self.events],
            "decoys": [d.to_dict() for d in self.decoys],
            "real_mmsis": sorted(self.real_mmsis),
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @property
    def decoy_mmsis(self) -> set[int]:
        return {m for d in self.decoys for m in d.mmsis}


def contact_key(sensor: str, source: str, contact_id: str) -> str:
    """How truth and scoring name a sensor contact: a radar track by its radar and target
    number (``radar:mda-radar-1:17``), a SAR detection by its id alone (``sar:ID``: the
    detection's source is whatever file name it was replayed from)."""
    return f"sar:{contact_id}" if sensor == "sar" else f"{sensor}:{source}:{contact_id}"


def _iso(t: float) -> str:
    return str(iso_utc(datetime.fromtimestamp(t, UTC)))


def _epoch(text: Any, where: str) -> float:
    if not isinstance(text, str):
        raise ValueError(f"{where}: not an ISO time: {text!r}")
    try:
        return parse_utc(text).timestamp()
    except ValueError:
        raise ValueError(f"{where}: not an ISO time: {text!r}") from None


def load_truth(path: str | Path) -> Truth:
    """Read a ``truth.json``; ``ValueError`` naming the file and entry when it is malformed."""
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"truth file not found: {p}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{p.name}: not JSON: {exc}") from None
    if not isinstance(data, dict) or "events" not in data:
        raise ValueError(f"{p.name}: not an exercise truth file (no 'events')")
    try:
        events = [TruthEvent(
            id=str(e["id"]), kind=str(e["kind"]), mmsi=int(e["mmsi"]),
            start=_epoch(e["start"], f"{p.name}: events[{i}] start"),
            end=None if e.get("end") is None else _epoch(e["end"], f"{p.name}: events[{i}] end"),
            lat=float(e["lat"]), lon=float(e["lon"]),
            other_mmsi=None if e.get("other_mmsi") is None else int(e["other_mmsi"]),
            zone_id=e.get("zone_id"), reason=e.get("reason"),
            required=bool(e.get("required", True)), source=str(e.get("source", "injected")),
            script=e.get("script"), params=dict(e.get("params") or {}))
            for i, e in enumerate(data["events"])]
        decoys = [TruthDecoy(
            id=str(d["id"]), kind=str(d["kind"]), mmsis=[int(m) for m in d["mmsis"]],
            start=_epoch(d["start"], f"{p.name}: decoys[{i}] start"),
            end=_epoch(d["end"], f"{p.name}: decoys[{i}] end"),
            lat=float(d["lat"]), lon=float(d["lon"]), zone_id=d.get("zone_id"),
            params=dict(d.get("params") or {}))
            for i, d in enumerate(data.get("decoys", []))]
        return Truth(str(data.get("scenario", "")), int(data.get("seed", 0)),
                     _epoch(data["start"], f"{p.name}: start"),
                     _epoch(data["end"], f"{p.name}: end"), events, decoys,
                     [int(m) for m in data.get("real_mmsis", [])],
                     {str(k): int(v) for k, v in (data.get("vessels") or {}).items()})
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{p.name}: malformed truth entry: {exc!r}") from None


@dataclass
class Reports:
    """The position reports of one MMSI that reached the file intact, in time order."""

    t: npt.NDArray[np.int64]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    sog: npt.NDArray[np.float64]


@dataclass(frozen=True)
class VesselInfo:
    ship_type: int | None
    flag: str | None
    role: str


def derive(scripts: Sequence[Script], reports: Mapping[int, Reports],
           info: Mapping[int, VesselInfo], zones: Sequence[Zone], start: float, end: float,
           jumped: Mapping[str, list[int]], twins: Mapping[str, list[int]],
           contacts: Mapping[str, list[tuple[str, float]]] | None = None
           ) -> tuple[list[TruthEvent], list[TruthDecoy]]:
    """Truth events and decoys from the scripts and what was written (module docstring).
    ``jumped``: script id -> times of the displaced reports; ``twins``: script id -> times of
    the second transmitter's reports; ``contacts``: script id -> (contact key, time) of the
    sensor contacts written (a ``dark_target`` event spans its first to its last contact;
    its ``params.contacts`` and a ``sensed_ais`` decoy's name the keys)."""
    events: list[TruthEvent] = []
    decoys: list[TruthDecoy] = []
    zone_scripts: dict[int, str] = {}
    sensed = contacts or {}
    for s in scripts:
        keys = sorted({k for k, _ in sensed.get(s.id, [])})
        if s.decoy:
            params = dict(s.params)
            if keys:
                params["contacts"] = keys
            decoys.append(TruthDecoy(s.id, s.kind, list(s.mmsis), s.t0, s.t1, s.lat, s.lon,
                                     s.zone_id, params))
            continue
        if s.kind == "dark_target":
            sensed_at = [t for _, t in sensed.get(s.id, [])]
            if sensed_at:
                events.append(TruthEvent(s.id, "dark_target", 0, min(sensed_at), max(sensed_at),
                                         s.lat, s.lon, script=s.id,
                                         params={**s.params, "contacts": keys}))
            continue
        r = reports.get(s.mmsis[0])
        if s.kind == "zone_entry":
            zone_scripts[s.mmsis[0]] = s.id
            continue
        if r is None or not len(r.t):
            continue
        if s.kind == "gap":
            before = np.flatnonzero(r.t < s.t0)
            after = np.flatnonzero(r.t >= s.t1)
            if not len(before):
                continue
            i = int(before[-1])
            events.append(TruthEvent(
                s.id, "gap", s.mmsis[0], float(r.t[i]),
                float(r.t[after[0]]) if len(after) and s.t1 < end else None,
                float(r.lat[i]), float(r.lon[i]), script=s.id, params=dict(s.params)))
        elif s.kind in ("rendezvous", "loitering"):
            inside = np.flatnonzero((r.t >= s.t0) & (r.t <= s.t1))
            if not len(inside):
                continue
            t0, t1 = float(r.t[inside[0]]), float(r.t[inside[-1]])
            other = s.mmsis[1] if s.kind == "rendezvous" else None
            events.append(TruthEvent(s.id, s.kind, s.mmsis[0], t0, t1, s.lat, s.lon,
                                     other_mmsi=other, script=s.id, params=dict(s.params)))
            if s.kind == "rendezvous":
                for m in s.mmsis:  # a vessel slow at sea for hours also loiters
                    vi = info.get(m)
                    if vi is not None and vi.ship_type not in NOT_LOITERING:
                        events.append(TruthEvent(f"{s.id}/loitering", "loitering", m, t0, t1,
                                                 s.lat, s.lon, required=False, script=s.id))
        elif s.kind == "spoofing":
            times = jumped.get(s.id) if s.reason == "speed" else twins.get(s.id)
            if not times:
                continue
            events.append(TruthEvent(s.id, "spoofing", s.mmsis[0], float(min(times)),
                                     float(max(times)), s.lat, s.lon, reason=s.reason,
                                     script=s.id, params=dict(s.params)))
    events += zone_events(reports, info, zones, end, zone_scripts)
    return events, decoys


def zone_events(reports: Mapping[int, Reports], info: Mapping[int, VesselInfo],
                zones: Sequence[Zone], end: float, scripted: Mapping[int, str]
                ) -> list[TruthEvent]:
    """Entries and exits of every vessel into every zone whose rule concerns it."""
    import shapely

    out: list[TruthEvent] = []
    for zone in zones:
        minx, miny, maxx, maxy = zone.geometry.bounds
        for mmsi, r in reports.items():
            vi = info.get(mmsi)
            if vi is None or not len(r.t):
                continue
            if not (zone.rule.matches(vi.ship_type, vi.flag, None, zone.sovereign)
                    or zone.rule.min_sog_kn is not None or zone.rule.max_sog_kn is not None):
                continue
            near = (r.lon >= minx) & (r.lon <= maxx) & (r.lat >= miny) & (r.lat <= maxy)
            if not near.any():
                continue
            inside = np.zeros(len(r.t), dtype=bool)
            inside[near] = shapely.contains_xy(zone.geometry, r.lon[near], r.lat[near])
            for a, b in _visits(r.t, inside):
                hits = [k for k in range(a, b + 1) if inside[k] and zone.rule.matches(
                    vi.ship_type, vi.flag, float(r.sog[k]), zone.sovereign)]
                if not hits:
                    continue
                script = scripted.get(mmsi)
                source = "injected" if script else "background"
                eid = f"{script or mmsi}/{zone.id}@{int(r.t[a])}"
                last_in = float(r.t[b])
                exit_t = float(r.t[b + 1]) if b + 1 < len(r.t) else None
                # one report across the line is not an entry (the detector's hysteresis)
                several = int(inside[a:b + 1].sum()) >= 2
                out.append(TruthEvent(eid + "/entry", "zone_entry", mmsi, float(r.t[a]),
                                      last_in, float(r.lat[a]), float(r.lon[a]),
                                      zone_id=zone.id, source=source, script=script,
                                      required=several))
                if exit_t is not None:
                    out.append(TruthEvent(eid + "/exit", "zone_exit", mmsi, exit_t, exit_t,
                                          float(r.lat[b + 1]), float(r.lon[b + 1]),
                                          zone_id=zone.id, source=source, script=script,
                                          required=several and exit_t <= end - LATE_EXIT_S))
    return out


def _visits(t: npt.NDArray[np.int64], inside: npt.NDArray[np.bool_]) -> Iterable[tuple[int,
                                                                                        int]]:
    """(first, last) indices of runs of inside reports, runs less than VISIT_MERGE_S apart
    merged."""
    idx = np.flatnonzero(inside)
    if not len(idx):
        return []
    runs: list[tuple[int, int]] = []
    a = b = int(idx[0])
    for k in idx[1:]:
        k = int(k)
        if k == b + 1 or t[k] - t[b] < VISIT_MERGE_S:
            b = k
        else:
            runs.append((a, b))
            a = b = k
    runs.append((a, b))
    return runs
