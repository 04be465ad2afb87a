"""Zones: the zone catalogue and its rules, the point-in-zone index, distance to shore and to
port. Pure library code: no printing, no clock; heavy data (geopandas, landmetrics' grid) is
loaded on first use, never at import."""

from zones.catalogue import (
    DEFAULT_RULES,
    ZONE_KINDS,
    Zone,
    ZoneError,
    ZoneRule,
    check_zones,
    load_zones,
    sovereign_of,
)
from zones.index import ZoneIndex
from zones.ports import Port, PortIndex
from zones.shore import ShoreDistance

__all__ = [
    "DEFAULT_RULES",
    "ZONE_KINDS",
    "Port",
    "PortIndex",
    "ShoreDistance",
    "Zone",
    "ZoneError",
    "ZoneIndex",
    "ZoneRule",
    "check_zones",
    "load_zones",
    "sovereign_of",
]
