"""Text values of decoded-AIS tables mapped to AIS codes (ITU-R M.1371).

Providers write ship types and navigational status as words: the DMA ``aisdk`` CSV
(``shiptype`` "Fishing", "SAR", "Port tender"; ``navigational_status`` "Under way using
engine"), MarineTraffic exports (``VESSEL_TYPE`` "Bulk Carrier", "Law Enforce", "Pilot
Vessel"). Each function returns the AIS code, or ``None`` for "not available", "undefined",
"reserved" and for words it does not know (the caller counts those, it never guesses).

Ship type codes used: 20 WIG, 30 fishing, 31 towing, 32 towing (large), 33 dredging or
underwater ops, 34 diving ops, 35 military ops, 36 sailing, 37 pleasure craft, 40 high-speed
craft, 50 pilot, 51 search and rescue, 52 tug, 53 port tender, 54 anti-pollution, 55 law
enforcement, 58 medical transport, 59 non-combatant (RR Resolution No. 18), 60 passenger,
70 cargo, 80 tanker, 90 other. The first digit is the category; MarineTraffic's finer words
("Bulk Carrier", "LPG Tanker") map to the category's first code (70, 80).
"""

from __future__ import annotations

# Exact words (lower case, single spaces). Both DMA and MarineTraffic spellings.
SHIP_TYPES: dict[str, int | None] = {
    # not available / not a ship type
    "undefined": None, "unspecified": None, "unknown": None, "reserved": None,
    "not available": None, "inland, unknown": None, "spare": None,
    # DMA aisdk words
    "wig": 20, "fishing": 30, "towing": 31, "towing long/wide": 32, "dredging": 33,
    "diving": 34, "military": 35, "sailing": 36, "pleasure": 37, "hsc": 40, "pilot": 50,
    "sar": 51, "tug": 52, "port tender": 53, "anti-pollution": 54, "law enforcement": 55,
    "medical": 58, "not party to conflict": 59, "passenger": 60, "cargo": 70, "tanker": 80,
    "other": 90,
    # MarineTraffic words
    "wing in grnd": 20, "military ops": 35, "sailing vessel": 36, "pleasure craft": 37,
    "yacht": 37, "high speed craft": 40, "pilot vessel": 50, "search and rescue": 51,
    "law enforce": 55, "passengers ship": 60, "ro-ro/passenger ship": 60,
    "diving support vessel": 34, "dredger": 33, "hopper dredger": 33, "motor hopper": 33,
    "trenching support vessel": 33, "pollution control vessel": 54, "tug/supply vessel": 52,
    "fire fighting vessel": 90, "supply vessel": 90, "supply tender": 90,
    "special vessel": 90, "utility vessel": 90, "construction support vessel": 90,
    "local vessel": 90,
}

# Words that are stations, not ships (MarineTraffic lists aids to navigation and VTS base
# stations under VESSEL_TYPE): no ship type; the transmitter says what they are.
STATION_TYPES: dict[str, str] = {
    "manned vts": "Base Station",
    "reference point": "AtoN", "navigation aid": "AtoN", "racon": "AtoN",
    "fixed structure off shore": "AtoN", "light vessel / lanby / rigs": "AtoN",
}
_ATON_WORDS = frozenset({"mark", "beacon", "light", "buoy", "racon"})

# When no exact word matches: a category word inside a longer name ("Oil Products Tanker",
# "Container Ship", "Vehicles Carrier"). Checked in this order.
_SHIP_KEYWORDS: tuple[tuple[str, int], ...] = (
    ("tanker", 80), ("passenger", 60), ("ferry", 60), ("cargo", 70), ("carrier", 70),
    ("container", 70), ("reefer", 70), ("bulk", 70), ("ro-ro", 70), ("heavy lift", 70),
    ("fishing", 30), ("trawler", 30), ("dredg", 33), ("tug", 52), ("pilot", 50),
    ("sailing", 36), ("yacht", 37),
)


def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def ship_type_code(text: str) -> tuple[int | None, bool]:
    """``(code, known)``: the AIS ship type of a ship-type word, and whether the word was
    recognised (``(None, True)`` for "Undefined"; ``(None, False)`` for a word not known)."""
    key = _norm(text)
    if key in SHIP_TYPES:
        return SHIP_TYPES[key], True
    if station_type(text) is not None:
        return None, True
    for word, code in _SHIP_KEYWORDS:
        if word in key:
            return code, True
    return None, False


def station_type(text: str) -> str | None:
    """``"AtoN"`` or ``"Base Station"`` when a ship-type word names a station, else None."""
    key = _norm(text)
    if key in STATION_TYPES:
        return STATION_TYPES[key]
    if _ATON_WORDS & set(key.replace(",", " ").split()):
        return "AtoN"
    return None


# Navigational status words (DMA ``navigational_status``), lower case.
NAV_STATUS: dict[str, int | None] = {
    "under way using engine": 0, "at anchor": 1, "not under command": 2,
    "restricted maneuverability": 3, "restricted manoeuvrability": 3,
    "restricted manoeuverability": 3, "constrained by her draught": 4, "moored": 5,
    "aground": 6, "engaged in fishing": 7, "under way sailing": 8,
    "power-driven vessel towing astern": 11,
    "power-driven vessel pushing ahead or towing alongside": 12,
    "ais-sart": 14, "ais-sart is active": 14,
    "unknown value": None, "unknown": None, "undefined": None, "not defined": None,
    "reserved for future use": None, "reserved for future amendment [hsc]": None,
    "reserved for future amendment [wig]": None,
}


def nav_status_code(value: str) -> tuple[int | None, bool]:
    """``(code, known)`` for a nav status cell: a number 0..14 (15 "undefined" and anything
    outside 0..15, such as MarineTraffic's own 95/96/98/99, are ``None``), or a word."""
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        key = _norm(text)
        if key in NAV_STATUS:
            return NAV_STATUS[key], True
        if key.startswith("reserved"):
            return None, True
        return None, False
    if number != int(number):
        return None, False
    code = int(number)
    return (code if 0 <= code <= 14 else None), True


# Transmitter classes (DMA ``mobile_type``; MarineCadastre ``TransceiverClass`` "A"/"B").
_TRANSMITTERS = {"a": "Class A", "b": "Class B", "class a": "Class A", "class b": "Class B",
                 "base station": "Base Station", "aton": "AtoN"}


def transmitter_name(text: str) -> str | None:
    """The transmitter class in one spelling ("Class A", "Class B", "Base Station", "AtoN");
    other words are kept as written ("SAR Airborne", "Search and Rescue Transponder")."""
    key = _norm(text)
    if not key or key in ("unknown", "undefined", "null"):
        return None
    return _TRANSMITTERS.get(key, " ".join(text.split()))
