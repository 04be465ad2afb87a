"""``mda exercise generate``: a scenario -> AIS traffic (NMEA with tag blocks), zones, ports and
the ground truth, in an output folder. Seeded and deterministic: the same scenario and seed give
the same bytes (with the same versions of numpy and searoute).

Output files:

* ``traffic.nmea``: tag-blocked ``!AIVDM`` lines in arrival order (receiver ``mda-rx1``;
  duplicate receptions from ``mda-rx2``), with the reception noise the scenario asks for;
* ``truth.json``: the injected events and decoys as written (:mod:`mda.exercise.truth`);
* ``zones.geojson``: the scenario's own zones (when it defines any);
* ``ports.csv``: the scenario's ports (name, lat, lon, country);
* ``radar.nmea``, ``sar.csv``: the radar and SAR contacts of ``dark_target`` events and
  ``sensed_ais`` decoys, when the scenario has any (:mod:`mda.exercise.sensors`);
* ``exercise.json``: what was written (counts) and how to replay it (zone and port files).
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from mda.exercise.background import plan_background
from mda.exercise.events import plan_events
from mda.exercise.fleet import PlanError, Planner, Vessel, flag_iso3
from mda.exercise.motion import Samples, report_times, sample
from mda.exercise.nmea import position_lines, position_payloads, static_sentences, tag_block
from mda.exercise.scenario import Scenario, ScenarioError
from mda.exercise.truth import Reports, Truth, VesselInfo, derive
from mda.exercise.world import Registry, World
from mda.records import PositionReport, VesselStatic

if TYPE_CHECKING:
    from zones.catalogue import Zone
    from zones.ports import PortIndex

Progress = Callable[[str], None]
STATION = b"mda-rx1"
STATION_DUP = b"mda-rx2"
_CHUNK = 200_000


@dataclass
class Exercise:
    """A generated exercise: where its files are and what they hold."""

    scenario: Scenario
    out_dir: Path
    traffic: Path
    truth_path: Path
    zone_args: list[str]
    port_files: list[str]
    truth: Truth
    counts: dict[str, Any] = field(default_factory=dict)
    sensors: list[str] = field(default_factory=list)  # radar.nmea, sar.csv (file names)

    def manifest(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "scenario_file": str(self.scenario.path),
            "seed": self.scenario.seed,
            "traffic": self.traffic.name,
            "sensors": self.sensors,
            "truth": self.truth_path.name,
            "zones": self.zone_args,
            "ports": self.port_files,
            "counts": self.counts,
        }


@dataclass
class _Real:
    """A real AIS file as background: its records (times shifted), decoded by ingest."""

    positions: list[PositionReport]
    statics: list[VesselStatic]
    mmsis: set[int]
    class_b: set[int]


class _Table:
    """Rows to write, column by column (one row per message: a position or a static)."""

    def __init__(self) -> None:
        self.cols: dict[str, list[npt.NDArray[Any]]] = {
            k: [] for k in ("t", "vi", "kind", "lat", "lon", "sog", "cog", "heading",
                            "status", "msgtype", "protected")}

    def positions(self, vi: int, s: Samples, msgtype: int, protected: npt.NDArray[np.bool_]
                  ) -> None:
        n = len(s)
        c = self.cols
        c["t"].append(s.t)
        c["vi"].append(np.full(n, vi, dtype=np.int64))
        c["kind"].append(np.zeros(n, dtype=np.int8))
        c["lat"].append(s.lat)
        c["lon"].append(s.lon)
        c["sog"].append(s.sog)
        c["cog"].append(s.cog)
        c["heading"].append(s.heading)
        c["status"].append(s.status)
        c["msgtype"].append(np.full(n, msgtype, dtype=np.int64))
        c["protected"].append(protected)

    def statics(self, vi: int, times: npt.NDArray[np.int64]) -> None:
        n = len(times)
        c = self.cols
        c["t"].append(times)
        c["vi"].append(np.full(n, vi, dtype=np.int64))
        c["kind"].append(np.ones(n, dtype=np.int8))
        for k in ("lat", "lon", "sog", "cog"):
            c[k].append(np.zeros(n))
        for k in ("heading", "status", "msgtype"):
            c[k].append(np.zeros(n, dtype=np.int64))
        c["protected"].append(np.zeros(n, dtype=bool))

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        return {k: (np.concatenate(v) if v else np.empty(0)) for k, v in self.cols.items()}


def _in_windows(t: npt.NDArray[np.int64], windows: Sequence[tuple[float, float]]
                ) -> npt.NDArray[np.bool_]:
    out = np.zeros(len(t), dtype=bool)
    for a, b in windows:
        out |= (t >= a) & (t < b)
    return out


def _own_zones(scenario: Scenario, out: Path) -> Path | None:
    if not scenario.zones:
        return None
    features = []
    for z in scenario.zones:
        props: dict[str, Any] = {"id": z.id, "name": z.name, "kind": z.kind}
        if z.sovereign:
            props["sovereign"] = z.sovereign
        props.update(z.rule)
        features.append({"type": "Feature", "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [list(map(list, z.ring))]}})
    path = out / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, indent=1)
                    + "\n", encoding="utf-8")
    return path


def _load_zones(zone_args: Sequence[str]) -> list[Zone]:
    from mda.geography import parse_zone_arg
    from mda.settings import preset_settings, zone_rules
    from zones.catalogue import load_zones

    rules = zone_rules(preset_settings())
    zones: list[Zone] = []
    for arg in zone_args:
        kind, path = parse_zone_arg(arg)
        found, _ = load_zones(path, kind=kind, rules=rules)
        zones += found
    return zones


def _write_ports(scenario: Scenario, out: Path) -> Path | None:
    if not scenario.ports:
        return None
    path = out / "ports.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["name", "lat", "lon", "country"])
        for p in scenario.ports:
            w.writerow([p.name, p.lat, p.lon, p.country or ""])
    return path


def _extra_ports(files: Sequence[str]) -> PortIndex | None:
    if not files:
        return None
    from zones.ports import PortIndex

    index = PortIndex()
    for path in files:
        for port in PortIndex.from_csv(path).ports():
            index.add(port)
    return index


def _read_real(scenario: Scenario) -> _Real | None:
    """Decode a real AIS file with the project's ingest; shift its times to the scenario's
    start (``ais_shift``) and keep what falls in the scenario's span."""
    path = scenario.background.ais_file
    if path is None:
        return None
    from ingest.dedup import Deduplicator
    from ingest.quarantine import IngestStats
    from ingest.sources import Source, make_decoder, sniff_format

    src = Source.open(str(path))
    lines = src.lines()
    head = list(islice(lines, 20))
    decoder = make_decoder(str(path), sniff_format(head), IngestStats(), Deduplicator())
    records: list[tuple[Any, float]] = []
    for n, raw in enumerate(chain(head, lines), 1):
        decoder.feed(n, raw)
        if decoder.out:
            records += [(rec, ts) for rec, ts, _ in decoder.out if ts is not None]
            decoder.out.clear()
    decoder.flush()
    records += [(rec, ts) for rec, ts, _ in decoder.out if ts is not None]
    if not records:
        raise ScenarioError(f"{scenario.path.name}: [background] key 'ais_file': "
                            f"{path.name} has no timed records (a real background needs "
                            "receive times)")
    shift = 0.0
    if scenario.background.ais_shift:
        shift = float(int(scenario.start_s) - int(min(ts for _, ts in records)))
    from dataclasses import replace
    from datetime import UTC, datetime

    positions: list[PositionReport] = []
    statics: list[VesselStatic] = []
    for rec, ts in records:
        t = ts + shift
        if not scenario.start_s <= t < scenario.end_s:
            continue
        when = datetime.fromtimestamp(int(t), UTC)
        if isinstance(rec, PositionReport):
            positions.append(replace(rec, ts=when))
        else:
            statics.append(replace(rec, ts=when))
    mmsis = {r.mmsi for r in positions} | {s.mmsi for s in statics}
    class_b = {r.mmsi for r in positions if r.msg_type in (18, 19)}
    return _Real(positions, statics, mmsis, class_b)


def generate(scenario: Scenario, out_dir: str | Path, progress: Progress | None = None
             ) -> Exercise:
    """Generate the exercise of ``scenario`` into ``out_dir`` (see the module docstring).
    Raises :class:`ScenarioError` when the scenario asks for something that cannot be
    placed (the message names the table)."""
    say = progress or (lambda text: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    own = _own_zones(scenario, out)
    zone_args = ([] if own is None else [str(own)]) + list(scenario.zone_files)
    ports_path = _write_ports(scenario, out)
    port_files = ([] if ports_path is None else [str(ports_path)]) + list(scenario.port_files)
    zones = _load_zones(zone_args)
    from zones.shore import ShoreDistance

    say("reading the real AIS background" if scenario.background.ais_file else "planning")
    real = _read_real(scenario)
    world = World(scenario, zones, ShoreDistance.default(), _extra_ports(scenario.port_files))
    registry = Registry(taken=real.mmsis if real else None)
    start, end = scenario.start_s, scenario.end_s
    planner = Planner(world, registry, start, end)
    rng = random.Random(scenario.seed)
    events_rng = random.Random(rng.random())
    background_rng = random.Random(rng.random())
    try:
        say(f"placing {sum(e.count for e in scenario.events)} events and "
            f"{sum(d.count for d in scenario.decoys)} decoys")
        plan_events(planner, scenario, events_rng)
        say(f"planning {scenario.background.vessels} background vessels")
        placed = plan_background(planner, scenario.background, background_rng)
    except PlanError as exc:
        raise ScenarioError(str(exc)) from None
    say(f"sampling reports of {len(planner.vessels)} tracks")
    table, jumped, twins = _sample(planner.vessels, scenario)
    if real is not None:
        _add_real(table, real, len(planner.vessels))
    cols = table.arrays()
    say(f"writing {len(cols['t']):,} messages")
    counts, good = _write(out / "traffic.nmea", cols, planner.vessels, real, scenario)
    from mda.exercise.sensors import write_sensors

    sensed = write_sensors(planner.sensings, out, scenario.seed)
    counts.update({f"contacts_{k.split('.')[0]}": n for k, n in sensed.counts.items()})

    info: dict[int, VesselInfo] = {}
    for v in planner.vessels:
        info.setdefault(v.mmsi, VesselInfo(v.static.ship_type, flag_iso3(v.mmsi), v.role))
    reports = {m: r for m, r in good.items() if m in info}
    events, decoys = derive(planner.scripts, reports, info, zones, start, end, jumped, twins,
                            sensed.contacts)
    roles: dict[str, int] = {}
    for vi in info.values():
        roles[vi.role] = roles.get(vi.role, 0) + 1
    if real is not None:
        roles["real"] = len(real.mmsis)
    truth = Truth(scenario.name, scenario.seed, start, end, events, decoys,
                  sorted(real.mmsis) if real else [], roles)
    truth_path = out / "truth.json"
    truth.write(truth_path)
    counts["background_requested"] = scenario.background.vessels
    counts["background_placed"] = placed
    counts["vessels"] = roles
    ex = Exercise(scenario, out, out / "traffic.nmea", truth_path, zone_args, port_files, truth,
                  counts, sensed.files)
    (out / "exercise.json").write_text(json.dumps(ex.manifest(), indent=1) + "\n",
                                       encoding="utf-8")
    return ex


def _sample(vessels: Sequence[Vessel], scenario: Scenario
            ) -> tuple[_Table, dict[str, list[int]], dict[str, list[int]]]:
    rec = scenario.reception
    start, end = scenario.start_s, scenario.end_s
    days = (end - start) / 86400.0
    table = _Table()
    jumped: dict[str, list[int]] = {}
    twins: dict[str, list[int]] = {}
    for vi, v in enumerate(vessels):
        nr = np.random.default_rng([scenario.seed, vi])
        times = report_times(v.track, v.class_b, start, end, float(nr.random()))
        silent = list(v.dark)
        if v.transmit is not None:
            times = times[(times >= v.transmit[0]) & (times < v.transmit[1])]
        else:  # short natural reception gaps, away from the scripted windows
            for _ in range(int(nr.poisson(rec.natural_gaps_per_day * days))):
                g0 = float(nr.uniform(start, end))
                g1 = g0 + rec.natural_gap_min.pick(float(nr.random())) * 60.0
                if not any(g0 < b and g1 > a for a, b in v.protect):
                    silent.append((g0, g1))
        times = times[~_in_windows(times, silent)]
        if rec.keep_every_s > 0 and len(times):
            k = int(rec.keep_every_s)
            buckets = (times + int(nr.integers(0, k))) // k
            times = times[np.unique(buckets, return_index=True)[1]]
        if not len(times):
            continue
        s = sample(v.track, times, nr, rec.jitter_m)
        for j in v.jumps:
            idx = np.flatnonzero(s.t >= j.t)[:j.reports]
            s.lat[idx] = np.round(s.lat[idx] + j.dlat, 6)
            s.lon[idx] = np.round(s.lon[idx] + j.dlon, 6)
            jumped.setdefault(v.label, []).extend(int(x) for x in s.t[idx])
        if v.transmit is not None:
            twins.setdefault(v.label, []).extend(int(x) for x in s.t)
        protected = _in_windows(s.t, v.protect)
        table.positions(vi, s, 18 if v.class_b else 1, protected)
        every = int(rec.static_every_s)
        st = np.arange(int(times[0]), int(times[-1]) + 1, every, dtype=np.int64)
        st = st + int(nr.integers(0, every)) if len(st) > 1 else st
        st = np.concatenate([times[:1], st[(st > times[0]) & (st <= times[-1])]])
        st = st[~_in_windows(st, silent)]
        table.statics(vi, st)
    return table, jumped, twins


def _add_real(table: _Table, real: _Real, first_vi: int) -> None:
    """Rows of the real background (vessel indices from ``first_vi`` on, in MMSI order)."""
    index = {m: first_vi + k for k, m in enumerate(sorted(real.mmsis))}
    by_vessel: dict[int, list[PositionReport]] = {}
    for r in real.positions:
        by_vessel.setdefault(r.mmsi, []).append(r)
    for mmsi, rs in sorted(by_vessel.items()):
        rs.sort(key=lambda r: (r.ts, r.lat, r.lon))
        n = len(rs)
        s = Samples(
            np.array([int(r.ts.timestamp()) for r in rs if r.ts], dtype=np.int64),
            np.array([r.lat for r in rs]), np.array([r.lon for r in rs]),
            np.array([102.3 if r.sog_kn is None else min(r.sog_kn, 102.2) for r in rs]),
            np.array([360.0 if r.cog_deg is None else r.cog_deg for r in rs]),
            np.array([511 if r.heading_deg is None else r.heading_deg for r in rs],
                     dtype=np.int64),
            np.array([15 if r.nav_status is None else r.nav_status for r in rs],
                     dtype=np.int64))
        table.positions(index[mmsi], s, 18 if mmsi in real.class_b else 1,
                        np.zeros(n, dtype=bool))
    by_static: dict[int, list[int]] = {}
    for st in real.statics:
        if st.ts is not None:
            by_static.setdefault(st.mmsi, []).append(int(st.ts.timestamp()))
    for mmsi, ts in sorted(by_static.items()):
        table.statics(index[mmsi], np.array(sorted(set(ts)), dtype=np.int64))


def _static_lines(vessels: Sequence[Vessel], real: _Real | None, first_vi: int
                  ) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {}
    for vi, v in enumerate(vessels):
        if vi not in out:
            out[vi] = static_sentences(v.static, v.class_b, seq_id=vi % 9 + 1)
    if real is not None:
        latest: dict[int, VesselStatic] = {}
        for st in real.statics:
            prev = latest.get(st.mmsi)
            latest[st.mmsi] = st if prev is None else _merge(prev, st)
        for k, m in enumerate(sorted(real.mmsis)):
            if m in latest:
                out[first_vi + k] = static_sentences(latest[m], m in real.class_b,
                                                     seq_id=k % 9 + 1)
    return out


def _merge(a: VesselStatic, b: VesselStatic) -> VesselStatic:
    from dataclasses import fields, replace

    return replace(a, **{f.name: getattr(b, f.name) for f in fields(b)
                         if getattr(b, f.name) is not None})


def _write(path: Path, cols: dict[str, npt.NDArray[Any]], vessels: Sequence[Vessel],
           real: _Real | None, scenario: Scenario) -> tuple[dict[str, Any], dict[int, Reports]]:
    """Apply the reception noise, order by arrival, encode and write; returns the counts and
    the position reports that reached the file intact, by MMSI."""
    rec = scenario.reception
    n = len(cols["t"])
    mmsi_of = np.array([v.mmsi for v in vessels]
                       + (sorted(real.mmsis) if real is not None else []), dtype=np.int64)
    rr = np.random.default_rng([scenario.seed, 7_777_777])
    t = cols["t"].astype(np.int64)
    corrupt = (rr.random(n) < rec.corrupt) & ~cols["protected"]
    corrupt_kind = np.where(rr.random(n) < 0.5, 1, 2) * corrupt
    dup = (rr.random(n) < rec.duplicates) & ~corrupt
    late = rr.random(n) < rec.out_of_order
    arrival = t + np.where(late, rr.uniform(1.0, rec.max_delay_s, n), 0.0)
    d_idx = np.flatnonzero(dup)
    rows = np.concatenate([np.arange(n), d_idx])
    station = np.concatenate([np.zeros(n, dtype=np.int8), np.ones(len(d_idx), dtype=np.int8)])
    tag_t = np.concatenate([t, t[d_idx] + rr.integers(0, 2, len(d_idx))])
    arr = np.concatenate([arrival, arrival[d_idx] + rr.uniform(0.1, 1.5, len(d_idx))])
    bad = np.concatenate([corrupt_kind, np.zeros(len(d_idx), dtype=np.int64)])
    channel = np.where(rr.random(len(rows)) < 0.5, ord("A"), ord("B")).astype(np.uint8)
    cut = rr.random(len(rows))
    kind = cols["kind"][rows]
    order = np.lexsort((-kind, cols["vi"][rows], arr))
    statics = _static_lines(vessels, real, len(vessels))
    lines_written = 0
    with path.open("wb") as f:
        for c0 in range(0, len(order), _CHUNK):
            idx = order[c0:c0 + _CHUNK]
            chunk: list[bytes] = [b""] * len(idx)
            src = rows[idx]
            is_pos = kind[idx] == 0
            for st_code, st_name in ((0, STATION), (1, STATION_DUP)):
                sel = np.flatnonzero(is_pos & (station[idx] == st_code))
                if not len(sel):
                    continue
                r = src[sel]
                payloads = position_payloads(
                    cols["msgtype"][r], mmsi_of[cols["vi"][r]], cols["status"][r],
                    cols["sog"][r], cols["lon"][r], cols["lat"][r], cols["cog"][r],
                    cols["heading"][r], t[r] % 60, np.ones(len(r), dtype=np.int64))
                encoded = position_lines(tag_t[idx[sel]], st_name, channel[idx[sel]], payloads)
                for k, line in zip(sel, encoded, strict=True):
                    chunk[k] = line
            for k in np.flatnonzero(~is_pos):
                row = int(idx[k])
                name = (STATION if station[row] == 0 else STATION_DUP).decode()
                tag = tag_block(int(tag_t[row]), name)
                sentences = statics.get(int(cols["vi"][rows[row]]))
                chunk[k] = "\n".join(tag + s for s in sentences or []).encode("ascii")
            for k in np.flatnonzero(bad[idx] > 0):
                row = int(idx[k])
                chunk[k] = _corrupt(chunk[k], int(bad[row]), float(cut[row]))
            chunk = [c for c in chunk if c]
            lines_written += sum(c.count(b"\n") + 1 for c in chunk)
            f.write(b"\n".join(chunk) + b"\n")
    good = _good_reports(cols, t, corrupt, mmsi_of)
    counts = {
        "lines": lines_written,
        "positions": int((cols["kind"] == 0).sum()),
        "statics": int((cols["kind"] == 1).sum()),
        "duplicates": len(d_idx),
        "corrupted": int(corrupt.sum()),
        "delayed": int(late.sum()),
    }
    return counts, good


def _corrupt(line: bytes, how: int, u: float) -> bytes:
    first, nl, rest = line.partition(b"\n")
    if how == 1:  # a wrong checksum
        last = first[-1:]
        first = first[:-1] + (b"0" if last != b"0" else b"1")
    else:  # truncated
        first = first[:max(20, int(len(first) * (0.3 + 0.6 * u)))]
    return first + nl + rest


def _good_reports(cols: dict[str, npt.NDArray[Any]], t: npt.NDArray[np.int64],
                  corrupt: npt.NDArray[np.bool_], mmsi_of: npt.NDArray[np.int64]
                  ) -> dict[int, Reports]:
    keep = np.flatnonzero((cols["kind"] == 0) & ~corrupt)
    m = mmsi_of[cols["vi"][keep]]
    order = np.lexsort((t[keep], m))
    keep, m = keep[order], m[order]
    out: dict[int, Reports] = {}
    if not len(keep):
        return out
    bounds = np.flatnonzero(np.diff(m)) + 1
    for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(keep)], strict=True):
        r = keep[a:b]
        out[int(m[a])] = Reports(t[r], cols["lat"][r], cols["lon"][r], cols["sog"][r])
    return out


def generate_file(scenario_path: str | Path, out_dir: str | Path,
                  progress: Progress | None = None, seed: int | None = None) -> Exercise:
    """Load a scenario file and generate it (``seed`` overrides the scenario's)."""
    from dataclasses import replace

    from mda.exercise.scenario import load_scenario

    scenario = load_scenario(scenario_path)
    if seed is not None:
        scenario = replace(scenario, seed=seed)
    return generate(scenario, out_dir, progress)
