"""What is known of each vessel: static data merged over time, and the flag from the MID."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from mda.flags import flag_of, mid_of
from mda.records import ANON_ID_BASE, StaticFields, VesselStatic, is_anonymous_id

_FIELDS = [f.name for f in fields(StaticFields)]
# The look-up caches are dropped when they reach this many MMSIs (a bound on memory). The
# world's AIS is a few hundred thousand transmitters a day: a smaller bound made a live feed
# of 200,000 vessels clear its caches at every new vessel (18 us a report, measured).
_CACHE_MAX = 2_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class VesselInfo(StaticFields):
    """What is known of one vessel: its static fields merged over time (``None``: not known),
    the flag its MMSI's MID gives, and the provider's number when the id is anonymised."""

    flag: str | None = None  # ISO alpha-3
    flag_country: str | None = None
    anonymous_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The ``vessel`` object of an alert (BRIEF section 4): the known static fields, the
        flag (``null`` when the MID is not allocated) and ``anonymous_id`` when there is one."""
        out: dict[str, Any] = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        out["flag"] = self.flag
        out["flag_country"] = self.flag_country
        if self.anonymous_id is not None:
            out["anonymous_id"] = self.anonymous_id
        return out


NOTHING_KNOWN = VesselInfo()

# mmsi -> what is known of the vessel (VesselRegistry.info, or a fixed table in a test)
VesselLookup = Callable[[int], VesselInfo]


def vessel_info(mmsi: int, known: Mapping[str, Any] | None = None) -> VesselInfo:
    """The :class:`VesselInfo` of an MMSI from static fields by name (unknown names are
    ignored; a ship type 0 is "not available"), with the flag from its MID."""
    fields_ = {k: v for k, v in (known or {}).items() if k in _FIELDS and v is not None}
    if not fields_.get("ship_type"):
        fields_.pop("ship_type", None)
    flag = flag_of(mmsi)
    return VesselInfo(**fields_, flag=flag.iso3 if flag else None,
                      flag_country=flag.country if flag else None,
                      anonymous_id=mmsi - ANON_ID_BASE if is_anonymous_id(mmsi) else None)


class VesselRegistry:
    """Merges static reports per MMSI (later non-empty values win; class B type 24 parts A and
    B fill different fields)."""

    def __init__(self) -> None:
        self._known: dict[int, dict[str, Any]] = {}
        self._info: dict[int, VesselInfo] = {}
        self._ship_type: dict[int, int] = {}
        self._class: dict[int, str] = {}

    def update(self, static: VesselStatic) -> None:
        entry = self._known.setdefault(static.mmsi, {})
        for name in _FIELDS:
            value = getattr(static, name)
            if value is not None:
                entry[name] = value
        if static.ship_type:
            self._ship_type[static.mmsi] = static.ship_type
        self._info.pop(static.mmsi, None)
        self.__dict__.setdefault("_class", {}).pop(static.mmsi, None)

    def info(self, mmsi: int) -> VesselInfo:
        """Name, callsign, IMO, ship type, size, and flag of an MMSI, as far as known (kept
        until the next static report of the vessel)."""
        out = self._info.get(mmsi)
        if out is None:
            out = vessel_info(mmsi, self._known.get(mmsi))
            if len(self._info) >= _CACHE_MAX:
                self._info.clear()
            self._info[mmsi] = out
        return out

    def ship_type(self, mmsi: int) -> int | None:
        """The AIS ship type code of an MMSI, if known (a fast path for detectors)."""
        return self._ship_type.get(mmsi)

    def transmitter(self, mmsi: int) -> str:
        """What kind of station an MMSI is (:func:`transmitter_class`), cached until the next
        static report of the MMSI."""
        cache: dict[int, str] = self.__dict__.setdefault("_class", {})  # older snapshots
        out = cache.get(mmsi)
        if out is None:
            out = transmitter_class(mmsi, self._known.get(mmsi))
            if len(cache) >= _CACHE_MAX:
                cache.clear()
            cache[mmsi] = out
        return out

    def __len__(self) -> int:
        return len(self._known)


def describe(mmsi: int, info: VesselInfo) -> str:
    """``MMSI 311000123 (SEA STAR, Bahamas)``: how a watch officer names a vessel; a vessel
    known only by a provider's anonymised number is ``vessel ID 17 (anonymised, no MMSI)``."""
    if is_anonymous_id(mmsi):
        return f"vessel ID {mmsi - ANON_ID_BASE} (anonymised, no MMSI)"
    bits = [b for b in (info.name, info.flag_country) if b]
    return f"MMSI {mmsi}" + (f" ({', '.join(bits)})" if bits else "")


# -- what kind of station transmits --------------------------------------------------------------
VESSEL = "vessel"
AID_TO_NAVIGATION = "aid_to_navigation"
BASE_STATION = "base_station"
SAR_AIRCRAFT = "sar_aircraft"
CRAFT_ASSOCIATED = "craft_associated"
GEAR_MARKER = "buoy_or_net_marker"
LAND_UNIT = "land_unit"
DISTRESS_BEACON = "distress_beacon"
TRANSMITTER_CLASSES = (VESSEL, AID_TO_NAVIGATION, BASE_STATION, SAR_AIRCRAFT, CRAFT_ASSOCIATED,
                       GEAR_MARKER, LAND_UNIT, DISTRESS_BEACON)

# Names fishing-gear transmitters announce: "... BUOY", a battery level ("NET1 85%"), net marks.
_GEAR_NAME = re.compile(r"BUOY|\d\s*%|%\s*\d|NET\s*MARK|FISHING\s*GEAR|\bGEAR\b")
# Rescue vehicles ashore: Danish "SAR BIL" (SAR car), "RESCUE CAR", "SAR CAR", "SAR TRUCK".
_LAND_NAME = re.compile(r"^SAR\s*BIL\b|\b(SAR|RESCUE)\s*(CAR|VAN|TRUCK|VEHICLE)\b")
# DMA ``mobile_type`` values (and similar feeds' device types), when a record carries one.
_MOBILE_TYPES = {"base station": BASE_STATION, "aton": AID_TO_NAVIGATION,
                 "search and rescue transponder": DISTRESS_BEACON,
                 "man overboard device": DISTRESS_BEACON, "sart": DISTRESS_BEACON,
                 "epirb": DISTRESS_BEACON, "sar airborne": SAR_AIRCRAFT}


def _field(info: Any, name: str) -> Any:
    if type(info) is dict:  # the registry's own entries: skip the (slow) ABC check
        return info.get(name)
    return info.get(name) if isinstance(info, Mapping) else getattr(info, name, None)


def transmitter_class(mmsi: int, info: Any = None) -> str:
    """What kind of station an MMSI belongs to, from its form (ITU-R M.585), the device type a
    feed reports (``mobile_type``, e.g. DMA's "Class A" / "Base Station" / "AtoN", read with
    ``getattr`` or as a key when present), and its name:

    * ``base_station``: 00MIDxxxx;
    * ``sar_aircraft``: 111MIDxxx;
    * ``distress_beacon``: 970xxyyyy SART, 972xxyyyy MOB, 974xxyyyy EPIRB-AIS;
    * ``aid_to_navigation``: 99MIDxxxx (also platforms and wind farms announced that way);
    * ``craft_associated``: 98MIDxxxx (a tender or daughter craft of a parent ship);
    * ``buoy_or_net_marker``: a fishing-gear transmitter, by name ("... BUOY", a battery level
      such as "NET 85%", "NET MARK"); these use 98x/99x or made-up ship MMSIs alike; also any
      9xxxxxxxx MMSI outside the 97x/98x/99x forms (900000000-969999999);
    * ``land_unit``: a rescue vehicle ashore ("SAR BIL HANSTHOLM": Danish SAR car);
    * ``vessel``: everything else (ship stations, and malformed MMSIs, which the spoofing
      detector judges as vessels).

    ``info`` is what is known of the MMSI (a dict such as :meth:`VesselRegistry.info` returns,
    or a record); pure, no look-ups beyond the MID table."""
    if info:  # nothing known (None, or an empty entry): the MMSI's form alone decides
        name = str(_field(info, "name") or "").upper()
        if name and _LAND_NAME.search(name):
            return LAND_UNIT
        if name and _GEAR_NAME.search(name):
            return GEAR_MARKER
        # the record's ``transmitter`` (ingest), or a raw ``mobile_type``
        mobile = _field(info, "transmitter") or _field(info, "mobile_type")
        if isinstance(mobile, str):
            found = _MOBILE_TYPES.get(mobile.strip().lower())
            if found is not None:
                return found
    if not 0 <= mmsi <= 999_999_999:
        return VESSEL
    if mmsi < 10_000_000:
        return BASE_STATION
    if 111_000_000 <= mmsi <= 111_999_999:
        return SAR_AIRCRAFT
    if 970_000_000 <= mmsi <= 979_999_999:
        return DISTRESS_BEACON
    if mmsi >= 990_000_000:
        return AID_TO_NAVIGATION
    if mmsi >= 980_000_000:
        return CRAFT_ASSOCIATED
    if 900_000_000 <= mmsi < 970_000_000:
        # No station of any kind has this form (no MID starts with 9); in practice such
        # numbers are fishing-gear markers (941xxxxxx net buoys moving with a fishing vessel
        # off Cape Hatteras in the US coastal capture).
        return GEAR_MARKER
    return VESSEL


def valid_form(mmsi: int, cls: str) -> bool:
    """Whether ``mmsi`` is a well-formed MMSI for a station of class ``cls``: its form is the
    one M.585 gives that class and its MID is allocated (SART/MOB/EPIRB carry a maker code, not
    a MID). Ship stations: MIDxxxxxx with MID 2xx-7xx."""
    if cls == DISTRESS_BEACON:
        return 970_000_000 <= mmsi <= 979_999_999
    mid = mid_of(mmsi)
    if mid is None or flag_of(mmsi) is None:
        return False
    if cls == BASE_STATION:
        return mmsi < 10_000_000
    if cls == SAR_AIRCRAFT:
        return 111_000_000 <= mmsi <= 111_999_999
    if cls == AID_TO_NAVIGATION:
        return mmsi >= 990_000_000
    if cls == CRAFT_ASSOCIATED:
        return 980_000_000 <= mmsi < 990_000_000
    return 200_000_000 <= mmsi <= 799_999_999
