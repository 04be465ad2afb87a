"""The data contracts (BRIEF section 4): position and static records, and alerts.

Records are frozen, slotted dataclasses. Units are in the field names; times are
timezone-aware UTC datetimes. Missing values ("not available" codes) are ``None``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar, get_args

_T = TypeVar("_T")

# The vocabulary of alerts, in one place: detectors, the exercise scorer, scenarios and the map
# style use these names (mypy checks every literal against them).
AlertKind = Literal["gap", "rendezvous", "loitering", "zone_entry", "zone_exit", "spoofing",
                    "dark_target", "feed_outage"]
# ``open`` starts an alert; a later ``open`` state of the same id updates it (a spoofing alert
# whose evidence grew); ``closed`` ends it; ``retracted`` withdraws it (late AIS showed a dark
# target was a known vessel; an on-land spoofing alert was a vessel navigating water).
AlertStatus = Literal["open", "closed", "retracted"]
Severity = Literal["info", "low", "medium", "high"]
ALERT_KINDS: tuple[AlertKind, ...] = get_args(AlertKind)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

# ITU-R M.1371 navigational status codes that mean the vessel is not under way.
NAV_AT_ANCHOR = 1
NAV_MOORED = 5
NAV_AGROUND = 6

# Which time a record carries (``PositionReport.time_source``): a time the input gave with the
# message (NMEA tag block, receive-time prefix, trailing field, $PGHP header, receiver GPS
# clock, a CSV time column), or the wall-clock UTC time a live source received an untimed
# sentence (ingest/live.py).
TIME_TAG = "tag"
TIME_ARRIVAL = "arrival"


def _slot_init(cls: type[_T]) -> type[_T]:
    """Give a frozen, slotted dataclass an ``__init__`` that sets the slots through their
    descriptors instead of the generated one's ``object.__setattr__`` by name: the same
    parameters and defaults, the same object, about 2.5 times faster. Ingest makes one record
    per message (tests/test_records.py compares the two)."""
    params: list[str] = []
    body: list[str] = []
    scope: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not MISSING or f.init is False:
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields and defaults")
        if f.default is MISSING:
            params.append(f.name)
        else:
            scope[f"_d_{f.name}"] = f.default
            params.append(f"{f.name}=_d_{f.name}")
        scope[f"_s_{f.name}"] = cls.__dict__[f.name].__set__
        body.append(f"    _s_{f.name}(self, {f.name})")
    exec(f"def __init__(self, {', '.join(params)}):\n" + "\n".join(body), scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__annotations__ = dict(cls.__init__.__annotations__)
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@_slot_init
@dataclass(frozen=True, slots=True)
class PositionReport:
    """One position fix of one vessel (AIS types 1-3, 18, 19, 27, or a decoded CSV row)."""

    ts: datetime | None
    mmsi: int
    lat: float
    lon: float
    sog_kn: float | None
    cog_deg: float | None
    heading_deg: int | None
    nav_status: int | None
    msg_type: int
    source: str = ""
    # True when sog_kn/cog_deg were not reported but derived by ingest from this vessel's
    # previous fix (distance / time; ingest/derive.py), so evidence can say so.
    derived: bool = False
    # TIME_TAG, TIME_ARRIVAL, or None for a report without a time.
    time_source: str | None = None

    @property
    def epoch_s(self) -> float:
        """Event time in seconds since the Unix epoch (raises if the report has no time)."""
        if self.ts is None:
            raise ValueError("position report has no timestamp")
        return self.ts.timestamp()


@dataclass(frozen=True, slots=True, kw_only=True)
class StaticFields:
    """The static and voyage fields AIS gives of a vessel (``None``: not given). A
    :class:`VesselStatic` report carries them; ``mda.vessels.VesselInfo`` merges them."""

    imo: int | None = None
    name: str | None = None
    callsign: str | None = None
    ship_type: int | None = None
    length_m: float | None = None
    beam_m: float | None = None
    draught_m: float | None = None
    destination: str | None = None
    # What kind of station sent it, as the input names it ("Class A", "Class B",
    # "Base Station", "AtoN", "SAR Airborne", ...); None when the input does not say.
    transmitter: str | None = None


@dataclass(frozen=True, slots=True)
class VesselStatic(StaticFields):
    """Static and voyage data of one vessel (AIS types 5, 19, 24, or a decoded CSV row); the
    fields of :class:`StaticFields` are given by keyword."""

    ts: datetime | None
    mmsi: int


# Sensors of :class:`SensorContact` (not AIS: the vessel is seen, not heard).
SENSOR_RADAR = "radar"
SENSOR_SAR = "sar"


@dataclass(frozen=True, slots=True)
class SensorContact:
    """One non-AIS observation of a vessel: a radar target (NMEA ``TTM``/``TLL``: a target
    number the radar keeps while it tracks the target) or a satellite SAR detection (one
    ``detect_id`` per detection). It carries no MMSI: who it is, if anyone, is what
    correlation with AIS decides (detectors/dark_target.py)."""

    ts: datetime | None
    sensor: str  # SENSOR_RADAR or SENSOR_SAR
    source: str  # the radar (tag-block station, else the input) or the SAR input
    contact_id: str  # the radar's target number, or the SAR detection id
    lat: float
    lon: float
    sog_kn: float | None = None
    cog_deg: float | None = None
    length_m: float | None = None
    # radar target status: "tracking", "acquiring" or "lost" (TTM/TLL T, Q, L); None for SAR
    status: str | None = None
    name: str | None = None  # a target name the radar gives, if any
    time_source: str | None = None  # as PositionReport.time_source
    # a radar reference target (TTM/TLL field "R"): a fixed object the radar stabilises on
    reference: bool = False

    @property
    def track_key(self) -> tuple[str, str, str]:
        """(sensor, source, contact id): one radar track, or one SAR detection."""
        return (self.sensor, self.source, self.contact_id)


# An identity that is not an MMSI (a data provider's anonymised vessel number, e.g. the
# VesselsValue ``ID`` column) is carried in the ``mmsi`` field as ANON_ID_BASE + that number.
# No MMSI reaches 10**9, so such an id never collides with a real one, has no MID (no flag),
# and MMSI validity checks must skip it (:func:`is_anonymous_id`).
ANON_ID_BASE = 1_000_000_000


def anonymous_id(number: int) -> int:
    """The ``mmsi`` field value for a provider's anonymised vessel number (>= 0)."""
    if number < 0:
        raise ValueError(f"anonymised vessel number must be >= 0, not {number}")
    return ANON_ID_BASE + number


def is_anonymous_id(mmsi: int) -> bool:
    """True when ``mmsi`` carries an anonymised vessel number, not an MMSI."""
    return mmsi >= ANON_ID_BASE


def iso_utc(ts: datetime | None) -> str | None:
    """ISO 8601 with a ``Z`` suffix, to the millisecond; ``None`` stays ``None``."""
    if ts is None:
        return None
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC) -> aware UTC datetime.
    ``ValueError`` if it is not one. Every command and file reader parses times here."""
    dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return dt.astimezone(UTC) if dt.tzinfo else dt.replace(tzinfo=UTC)


def alert_id(kind: str, mmsi: int, other_mmsi: int | None, start: datetime,
             extra: str | None = None) -> str:
    """Deterministic alert id: the same event in a replay, a restart or a duplicate delivery
    gets the same id, so sinks can upsert. ``extra`` tells apart events of one kind that may
    start together (a zone id, a spoofing reason)."""
    key = f"{kind}|{mmsi}|{other_mmsi or ''}|{iso_utc(start)}|{extra or ''}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True, slots=True)
class Alert:
    """One state of an alert's lifecycle (``open`` -> updates -> ``closed`` or ``retracted``)."""

    alert_id: str
    kind: AlertKind
    status: AlertStatus
    severity: Severity
    mmsi: int
    start: datetime
    end: datetime | None
    lat: float
    lon: float
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    vessel: dict[str, Any] = field(default_factory=dict)
    other_mmsi: int | None = None
    zone_id: str | None = None
    zone_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The alert as the JSON object of BRIEF section 4."""
        return {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "status": self.status,
            "severity": self.severity,
            "mmsi": self.mmsi,
            "other_mmsi": self.other_mmsi,
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "lat": round(self.lat, 6),
            "lon": round(self.lon, 6),
            "zone_id": self.zone_id,
            "zone_name": self.zone_name,
            "vessel": self.vessel,
            "evidence": self.evidence,
            "summary": self.summary,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), sort_keys=False)
