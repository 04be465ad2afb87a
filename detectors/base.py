"""The small protocol every detector follows, and the registry.

A detector has a settings dataclass (defaults, presets, ``enabled``), per-vessel state, and two
pure steps, both in event time, never the wall clock:

* :meth:`Detector.step` takes one position report, in event-time order;
* :meth:`Detector.advance` says the stream's watermark reached ``t`` (no record older than
  ``t`` will come), so time-driven events (a vessel silent too long) can fire.

Both return the alerts (lifecycle states) they produce. The same code runs in the embedded
runner and in streaming workers.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from mda.records import Alert, PositionReport

ShoreDistance = Callable[[float, float], float | None]  # (lat, lon) -> nautical miles, or None
PortDistance = Callable[[float, float], float | None]  # (lat, lon) -> km to nearest port, or None
OnLand = Callable[[float, float, float], bool]  # (lat, lon, min_inland_km) -> on land
ZoneLookup = Callable[[float, float], list[Any]]  # (lat, lon) -> zones.Zone objects containing it
VesselInfo = Callable[[int], dict[str, Any]]  # mmsi -> what is known of the vessel


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    enabled: bool = True


S = TypeVar("S", bound=DetectorSettings)


@dataclass(frozen=True)
class DetectorContext:
    """What detectors may consult besides the records: all pure lookups."""

    vessel_info: VesselInfo = lambda mmsi: {}
    shore_distance_nm: ShoreDistance | None = None
    port_distance_km: PortDistance | None = None
    on_land: OnLand | None = None
    zones_at: ZoneLookup | None = None


class Detector(ABC, Generic[S]):
    """Base class of detectors (see the module docstring)."""

    name: ClassVar[str]
    settings_type: ClassVar[type[DetectorSettings]]
    presets: ClassVar[dict[str, Any]]

    def __init__(self, settings: S, context: DetectorContext | None = None) -> None:
        self.settings = settings
        self.context = context or DetectorContext()

    @abstractmethod
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        """One position report (``t`` is its event time in epoch seconds)."""

    def advance(self, watermark: float) -> list[Alert]:
        """The watermark moved to ``watermark`` (epoch seconds)."""
        return []


REGISTRY: dict[str, type[Detector[Any]]] = {}


def register(cls: type[Detector[Any]]) -> type[Detector[Any]]:
    REGISTRY[cls.name] = cls
    return cls
