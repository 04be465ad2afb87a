"""The last ingest step of one source, before its records reach the runner (or Kafka):
sort a batch file that is out of time order, derive missing speeds, count missing fields.

* **Sorting.** A file replayed in a batch is read whole (its decoded records held in memory:
  the captures this project replays are up to ~250k rows, a few hundred MB at most; above
  ``max_records`` the file is fed as read, and the runner's lateness applies). If any
  record is more than the allowed lateness behind an earlier one, the runner would reject it
  as ``too_late``: the records are then sorted by event time (stable; untimed records first,
  as they do not feed time-based detection) and the report says so. A file in order, or out
  of order only within the lateness, is fed as read. Live sources (network, stdin) are never
  held back: the caller passes ``sort=False``.
* **Derived speed** (:class:`ingest.derive.SpeedDeriver`) for table inputs, after the sort.
* **Missing fields.** Per source: positions without speed, course or nav status, statics
  without a ship type, and vessels with positions but no known ship type, so a rule that
  cannot be evaluated is said once in the summary, not passed silently.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ingest.decode import Decoded
from ingest.derive import SpeedDeriver
from mda.records import PositionReport, SensorContact, VesselStatic, is_anonymous_id

MAX_SORT_RECORDS = 2_000_000


@dataclass
class SourceReport:
    """What ingest did with one source (a ``inputs`` entry of the run summary)."""

    name: str
    format: str = ""
    records: int = 0  # records held (positions and statics) when sorting was considered
    sorted_positions: int = 0  # timed positions among them
    # positions more than the allowed lateness behind an earlier one, as read
    out_of_order: int = 0
    sorted: bool = False
    too_large_to_sort: bool = False
    positions: int = 0
    statics: int = 0
    contacts: int = 0  # radar and SAR contacts
    derived_speed: int = 0
    anonymous_ids: int = 0
    missing: Counter[str] = field(default_factory=Counter)
    unreadable: dict[str, int] = field(default_factory=dict)
    _with_position: set[int] = field(default_factory=set, repr=False)
    _with_type: set[int] = field(default_factory=set, repr=False)

    def observe(self, rec: PositionReport | VesselStatic | SensorContact) -> None:
        if isinstance(rec, SensorContact):
            self.contacts += 1
        elif type(rec) is PositionReport:
            self.positions += 1
            if rec.sog_kn is None:
                self.missing["sog"] += 1
            if rec.cog_deg is None:
                self.missing["cog"] += 1
            if rec.nav_status is None:
                self.missing["nav_status"] += 1
            self._with_position.add(rec.mmsi)
        else:
            assert isinstance(rec, VesselStatic)
            self.statics += 1
            if rec.ship_type is None:
                self.missing["ship_type"] += 1
            else:
                self._with_type.add(rec.mmsi)

    @property
    def vessels_without_ship_type(self) -> int:
        return len(self._with_position - self._with_type)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "format": self.format}
        if self.sorted or self.too_large_to_sort:
            out["sorted"] = {"records": self.records, "positions": self.sorted_positions,
                             "out_of_order": self.out_of_order, "sorted": self.sorted}
        out["positions"] = self.positions
        if self.contacts:
            out["contacts"] = self.contacts
        out["missing_fields"] = {
            "sog": self.missing["sog"], "cog": self.missing["cog"],
            "nav_status": self.missing["nav_status"], "ship_type": self.missing["ship_type"],
            "vessels_without_ship_type": self.vessels_without_ship_type,
        }
        out["derived_speed"] = self.derived_speed
        if self.anonymous_ids:
            out["anonymous_ids"] = self.anonymous_ids
        if self.unreadable:
            out["unreadable_cells"] = dict(sorted(self.unreadable.items()))
        return out


def _key(item: Decoded) -> float:
    return float("-inf") if item[1] is None else item[1]


def prepare(items: Iterator[Decoded], report: SourceReport, lateness_s: float, sort: bool,
            derive: bool | None = None) -> Iterator[Decoded]:
    """The records of one source, sorted if needed, with derived speeds, counted in
    ``report`` (module docstring). ``derive=None``: for tables (``report.format`` csv or
    jsonl, known once the source's first records are decoded), not for NMEA."""
    stream: Iterator[Decoded] = items
    if sort:
        stream = _sorted(items, report, lateness_s)
    deriver: SpeedDeriver | None = None
    observe = report.observe
    first = True
    for item in stream:
        if first:
            first = False
            if derive is None:
                derive = report.format in ("csv", "jsonl")
            deriver = SpeedDeriver() if derive else None
        rec, ts, lines = item
        if deriver is not None and ts is not None and type(rec) is PositionReport:
            new = deriver(rec, ts)
            if new is not rec:
                report.derived_speed += 1
                item = (new, ts, lines)
                rec = new
        if not isinstance(rec, SensorContact) and is_anonymous_id(rec.mmsi):
            report.anonymous_ids += 1
        observe(rec)
        yield item


def _sorted(items: Iterator[Decoded], report: SourceReport,
            lateness_s: float) -> Iterator[Decoded]:
    held: list[Decoded] = []
    newest = float("-inf")
    late = 0
    timed = 0
    for item in items:
        held.append(item)
        ts = item[1]
        if ts is not None and type(item[0]) is not VesselStatic:
            timed += 1
            if ts > newest:
                newest = ts
            elif ts < newest - lateness_s:
                late += 1
        if len(held) >= MAX_SORT_RECORDS:
            report.too_large_to_sort = late > 0
            report.records = len(held)
            report.sorted_positions = timed
            report.out_of_order = late
            yield from held
            held.clear()
            yield from items
            return
    report.records = len(held)
    report.sorted_positions = timed
    report.out_of_order = late
    if late:
        held.sort(key=_key)
        report.sorted = True
    yield from held
