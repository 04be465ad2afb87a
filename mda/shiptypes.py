"""AIS ship types (ITU-R M.1371-5, Table 53) in one place: the codes the detectors reason
about, the map's categories, and the words alerts and zone rules use for them.

(Provider spellings of ship types, "Bulk Carrier", "Port tender", are read into these codes by
``ingest.vocab``.)
"""

from __future__ import annotations

from typing import Literal

FISHING = 30
TOWING = (31, 32)
SERVICE = (50, 51, 52, 53, 54, 55, 58)  # pilot, SAR, tug, port tender, anti-pollution, law, medical
PLEASURE = (36, 37)  # sailing, pleasure craft
DREDGING_DIVING_MILITARY = (33, 34, 35)

# The map's categories (legend, colours, CoT types), see ship_category.
ShipCategory = Literal["cargo", "tanker", "passenger", "fishing", "high_speed", "tug_service",
                       "pleasure", "military_law", "other", "unknown"]

# Single words for a code, as a zone rule names whom it is for ("fishing vessel").
_WORDS: dict[int, str] = {
    30: "fishing", 31: "towing", 32: "towing", 33: "dredging", 34: "diving", 35: "military",
    36: "sailing", 37: "pleasure", 50: "pilot", 51: "search and rescue", 52: "tug",
    53: "port tender", 54: "anti-pollution", 55: "law enforcement", 58: "medical transport",
}
_DECADE_WORDS = {2: "wing-in-ground", 4: "high-speed", 6: "passenger", 7: "cargo",
                 8: "tanker", 9: "other-type"}


def is_cargo_or_tanker(ship_type: int | None) -> bool:
    return ship_type is not None and 70 <= ship_type <= 89


def ship_category(ship_type: int | None) -> ShipCategory:
    """The map category of an AIS ship type code."""
    if ship_type is None or ship_type <= 0:
        return "unknown"
    t = int(ship_type)
    if t == FISHING:
        return "fishing"
    if t in (35, 55):
        return "military_law"
    if t in PLEASURE:
        return "pleasure"
    if t in (31, 32, 33, 34) or 50 <= t <= 59:
        return "tug_service"
    by_decade: dict[int, ShipCategory] = {4: "high_speed", 6: "passenger", 7: "cargo",
                                          8: "tanker"}
    return by_decade.get(t // 10, "other")


def type_label(ship_type: int | None) -> str:
    """How an alert names the vessel's type: ``"fishing vessel"``, ``"tanker"``."""
    if ship_type is None:
        return "vessel of unknown type"
    if ship_type == FISHING:
        return "fishing vessel"
    if 70 <= ship_type <= 79:
        return "cargo ship"
    if 80 <= ship_type <= 89:
        return "tanker"
    if 60 <= ship_type <= 69:
        return "passenger ship"
    if ship_type in (31, 32, 52):
        return "tug"
    if ship_type in PLEASURE:
        return "pleasure craft"
    return f"vessel (type {ship_type})"


def type_word(code: int) -> str:
    """One word (or two) for a code: ``"fishing"``, ``"search and rescue"``, ``"cargo"``."""
    if code in _WORDS:
        return _WORDS[code]
    return _DECADE_WORDS.get(code // 10, f"type-{code}")
