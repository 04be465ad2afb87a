"""The geography detectors consult: zones, shore distance, ports. Built once per run from the
settings and command-line files; handed to detectors as pure lookups (a DetectorContext)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detectors.base import DetectorContext, Transmitter
from mda.vessels import VesselLookup

if TYPE_CHECKING:
    from zones.catalogue import Zone, ZoneRule
    from zones.index import ZoneIndex
    from zones.ports import PortIndex
    from zones.shore import ShoreDistance


def parse_zone_arg(arg: str) -> tuple[str | None, str]:
    """``KIND=FILE`` or ``FILE`` -> (kind or None, file)."""
    kind, sep, path = arg.partition("=")
    if sep and kind and "/" not in kind and "\\" not in kind and not Path(arg).exists():
        return kind.strip(), path
    return None, arg


@dataclass
class Geography:
    """Zones, shore distance and ports for one run."""

    zones: ZoneIndex | None = None
    shore: ShoreDistance | None = None
    ports: PortIndex | None = None
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def load(
        cls,
        zone_args: Sequence[str] = (),
        land_file: str | None = None,
        port_files: Sequence[str] = (),
        rules: dict[str, ZoneRule] | None = None,
        shore: bool = True,
    ) -> Geography:
        """Load zone files (``[KIND=]FILE``), the shore (land polygons from ``land_file``, else
        the landmetrics grid unless ``shore`` is False) and port lists."""
        from zones.catalogue import load_zones
        from zones.index import ZoneIndex
        from zones.ports import PortIndex
        from zones.shore import ShoreDistance

        warnings: list[str] = []
        all_zones: list[Zone] = []
        for arg in zone_args:
            kind, path = parse_zone_arg(arg)
            found, warns = load_zones(path, kind=kind, rules=rules)
            all_zones.extend(found)
            warnings.extend(warns)
        ports = PortIndex()
        for path in port_files:
            for port in PortIndex.from_csv(path).ports():
                ports.add(port)
        if land_file:
            sd: ShoreDistance | None = ShoreDistance.from_land_file(land_file)
        else:
            sd = ShoreDistance.default() if shore else None
        return cls(ZoneIndex(all_zones) if all_zones else None, sd, ports, warnings)

    def context(self, vessel_info: VesselLookup,
                ship_type: Callable[[int], int | None],
                transmitter: Transmitter | None = None) -> DetectorContext:
        zones, shore, ports = self.zones, self.shore, self.ports
        return DetectorContext(
            vessel_info=vessel_info,
            ship_type=ship_type,
            transmitter=transmitter,
            shore_distance_nm=None if shore is None else shore.distance_nm,
            port_distance_km=None if ports is None else ports.distance_km,
            on_land=None if shore is None else shore.on_land,
            zones_at=None if zones is None else zones.containing,
        )

    def observe(self, lat: float, lon: float, t: float) -> None:
        """A vessel seen moored or at anchor: evidence of a port area there."""
        if self.ports is not None:
            self.ports.observe_stationary(lat, lon, t)

    def observe_stop(self, lat: float, lon: float, mmsi: int) -> None:
        """A vessel seen stopped (whatever its status says): with enough distinct vessels
        stopped in one place, an anchorage learned from the traffic."""
        if self.ports is not None:
            self.ports.observe_stop(lat, lon, mmsi)

    def describe(self) -> dict[str, Any]:
        return {
            "zones": 0 if self.zones is None else len(self.zones.zones),
            "shore": None if self.shore is None else type(self.shore).__name__,
            "ports": 0 if self.ports is None else len(self.ports),
        }


def write_learned(path: str | Path, *indexes: PortIndex | None) -> int:
    """Write the anchorages learned in ``indexes`` (the geography's, with those loaded from an
    earlier run, and a detector set's) to one CSV (``PortIndex.write_learned``)."""
    from zones.ports import PortIndex

    combined = PortIndex()
    for index in indexes:
        if index is not None:
            for port in index.observed():
                combined.add(port)
    return combined.write_learned(path)
