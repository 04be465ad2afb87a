"""The small protocol every detector follows, and the registry.

A detector has a settings dataclass (defaults, presets, ``enabled``), per-vessel state, and two
pure steps, both in event time, never the wall clock:

* :meth:`Detector.step` takes one position report, in event-time order;
* :meth:`Detector.advance` says the stream's watermark reached ``t`` (no record older than
  ``t`` will come), so time-driven events (a vessel silent too long) can fire;
* :meth:`Detector.evict` drops the state of vessels not heard since a time (a live run calls
  it from its ticks, in event time, so memory stays bounded over days).
* :meth:`Detector.contact` takes one non-AIS contact (radar, SAR), in the same event-time
  order as the positions (default: ignored);
* :meth:`Detector.late` sees a position that came after the watermark had passed it (the
  runner rejects it as too late for the ordered steps); a detector that re-checks past
  decisions with late data (dark targets) may still use it (default: ignored).

Both return the alerts (lifecycle states) they produce. The same code runs in the embedded
runner and in streaming workers.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, get_args

from mda.records import Alert, PositionReport, SensorContact, Severity
from mda.vessels import NOTHING_KNOWN, VesselLookup

# The settings presets every detector defines (BRIEF section 5): ``watch`` for a watch floor,
# ``skylight`` and ``gfw`` after Skylight's and Global Fishing Watch's published definitions.
Preset = Literal["watch", "skylight", "gfw"]
PRESET_NAMES: tuple[Preset, ...] = get_args(Preset)

ShoreDistance = Callable[[float, float], float | None]  # (lat, lon) -> nautical miles, or None
PortDistance = Callable[[float, float], float | None]  # (lat, lon) -> km to nearest port, or None
OnLand = Callable[[float, float, float], bool]  # (lat, lon, min_inland_km) -> on land


class ZoneRuleView(Protocol):
    """What the zone detector asks of a zone's rule (zones.catalogue.ZoneRule)."""

    @property
    def severity(self) -> Severity: ...

    def matches(self, ship_type: int | None, flag_iso3: str | None, sog_kn: float | None,
                sovereign: str | None) -> bool: ...

    def describe(self, kind: str, sovereign: str | None) -> str: ...


class ZoneView(Protocol):
    """What the zone detector reads of a zone (zones.catalogue.Zone): no geometry, the
    lookup has done the geometry."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def sovereign(self) -> str | None: ...

    @property
    def rule(self) -> ZoneRuleView: ...


ZoneLookup = Callable[[float, float], Sequence[ZoneView]]  # (lat, lon) -> zones containing it
Transmitter = Callable[[int], str]  # mmsi -> mda.vessels.transmitter_class ("vessel", ...)


@dataclass(frozen=True, slots=True)
class DetectorSettings:
    enabled: bool = True


S = TypeVar("S", bound=DetectorSettings)


@dataclass(frozen=True)
class DetectorContext:
    """What detectors may consult besides the records: all pure lookups."""

    vessel_info: VesselLookup = lambda mmsi: NOTHING_KNOWN
    # AIS ship type of an MMSI; a fast path over vessel_info (derived from it when not given)
    ship_type: Callable[[int], int | None] | None = None
    shore_distance_nm: ShoreDistance | None = None
    port_distance_km: PortDistance | None = None
    on_land: OnLand | None = None
    zones_at: ZoneLookup | None = None
    # What kind of station an MMSI is (mda.vessels.transmitter_class: "vessel",
    # "aid_to_navigation", "base_station", ...); derived from vessel_info when not given
    transmitter: Transmitter | None = None

    def __post_init__(self) -> None:
        if self.transmitter is None:
            from mda.vessels import transmitter_class

            vinfo = self.vessel_info

            def transmitter(mmsi: int) -> str:
                return transmitter_class(mmsi, vinfo(mmsi))

            object.__setattr__(self, "transmitter", transmitter)
        if self.ship_type is None:
            info = self.vessel_info

            def ship_type(mmsi: int) -> int | None:
                return info(mmsi).ship_type

            object.__setattr__(self, "ship_type", ship_type)

    def transmitter_of(self, mmsi: int) -> str:
        assert self.transmitter is not None
        return self.transmitter(mmsi)

    def ship_type_of(self, mmsi: int) -> int | None:
        assert self.ship_type is not None
        return self.ship_type(mmsi)


NO_ALERTS: list[Alert] = []  # shared empty result: callers must not modify what they get


class Detector(ABC, Generic[S]):
    """Base class of detectors (see the module docstring).

    ``next_due`` is the watermark up to which :meth:`advance` has nothing to do (strictly: it
    acts only once the watermark passes it); runners may skip calls until then. Detectors with
    time-driven events keep it current; the default, minus infinity, means "always call".
    """

    name: ClassVar[str]
    settings_type: ClassVar[type[DetectorSettings]]
    presets: ClassVar[dict[Preset, Any]]
    next_due: float = float("-inf")

    def __init__(self, settings: S, context: DetectorContext | None = None) -> None:
        self.settings = settings
        self.context = context or DetectorContext()
        # Cases a rule looked at and did not alert on, by reason (a run's summary shows them).
        self.counters: Counter[str] = Counter()

    def __getstate__(self) -> dict[str, Any]:
        """State for a snapshot (a streaming worker's checkpoint): everything but the
        context, whose look-ups are re-attached after loading."""
        state = dict(self.__dict__)
        state["context"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.context is None:
            self.context = DetectorContext()

    @abstractmethod
    def step(self, report: PositionReport, t: float) -> list[Alert]:
        """One position report (``t`` is its event time in epoch seconds)."""

    def advance(self, watermark: float) -> list[Alert]:
        """The watermark moved to ``watermark`` (epoch seconds)."""
        return NO_ALERTS

    def contact(self, contact: SensorContact, t: float) -> list[Alert]:
        """One non-AIS contact (``t`` its event time), ordered with the positions."""
        return NO_ALERTS

    def late(self, report: PositionReport, t: float) -> list[Alert]:
        """A position older than the watermark (not stepped): for re-checks only."""
        return NO_ALERTS

    def follow_feeds(self, down: dict[str, tuple[str, float]]) -> None:
        """The sources another process judged down at this point of event time, as
        ``{source: (reason, since)}`` (a streaming worker hears one partition's share of each
        feed; the ingest runs the feed detector and reports this with its watermark ticks).
        A detector that judges by feed health uses it instead of its own view."""

    def input_complete_until(self, t: float) -> None:
        """Whoever runs the detector says the input covers every source until ``t`` (``mda
        replay --until``: no record up to then means the vessels were silent, not the
        receivers), so silence before ``t`` is not a feed outage."""

    def configure(self, settings: dict[str, DetectorSettings],
                  running: dict[str, Detector[Any]]) -> None:
        """The settings of every detector (enabled or not) and the detectors running beside
        this one, for a rule that judges by another's state (the gap detector reads the feed
        detector's :class:`~detectors.feed.SourceWatch`, or keeps its own when it does not
        run)."""

    def evict(self, before_epoch_s: float) -> int:
        """Forget the per-vessel state of vessels last heard before ``before_epoch_s`` (event
        time), so a live run's state stays bounded; returns how many vessels were dropped.
        State an open alert still needs (a dark vessel's open gap) is kept until the alert
        ends. A vessel heard again after eviction starts afresh. Detectors without per-vessel
        state keep the default (nothing to drop)."""
        return 0


class Deadlines:
    """A lazy min-heap of (due time, key) with the owner's ``next_due`` kept in step."""

    __slots__ = ("heap", "owner")

    def __init__(self, owner: Detector[Any]) -> None:
        self.heap: list[tuple[float, Any]] = []
        self.owner = owner
        owner.next_due = float("inf")

    def push(self, due: float, key: Any) -> None:
        heapq.heappush(self.heap, (due, key))
        if due < self.owner.next_due:
            self.owner.next_due = due

    def pop_before(self, watermark: float) -> list[tuple[float, Any]]:
        """Remove and return the entries due strictly before ``watermark``, earliest first."""
        heap = self.heap
        out = []
        while heap and heap[0][0] < watermark:
            out.append(heapq.heappop(heap))
        self.owner.next_due = heap[0][0] if heap else float("inf")
        return out

