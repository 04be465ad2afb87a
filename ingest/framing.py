"""NMEA line framing: strip what real feeds wrap around AIS sentences.

Handles, per line: leading receive-time prefixes (unix s/ms/us/ns, ISO date-time, with a space
or a comma), NMEA 4.0 tag blocks (``\\s:..,c:..,g:..*hh\\``, several per line), Gatehouse
``$PGHP`` headers, GPS clock sentences (``$--RMC``, ``$--ZDA``), and trailing fields after the
checksum (USCG ``,r<station>,<epoch>``, AMSA ``,<epoch ms>``). Pure functions on bytes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from mda.records import parse_utc

ARMOUR = bytes(range(48, 88)) + bytes(range(96, 120))  # the six-bit armour characters
_TAG_CACHE: dict[bytes, TagBlock] = {}
_PGHP_CACHE: dict[tuple[bytes, ...], float] = {}


def nmea_checksum(body: bytes) -> int:
    """XOR of all bytes (the NMEA checksum of the text between the delimiter and ``*``)."""
    n = int.from_bytes(body, "little")
    size = len(body)
    while size > 1:
        half = (size + 1) >> 1
        n = (n ^ (n >> (half << 3))) & ((1 << (half << 3)) - 1)
        size = half
    return n


def epoch_from_number(value: float) -> float | None:
    """Seconds since the epoch from a number in s, ms, us or ns (chosen by magnitude)."""
    if value <= 0:
        return None
    if value > 1e17:
        return value / 1e9
    if value > 1e14:
        return value / 1e6
    if value > 1e11:
        return value / 1e3
    return value


def parse_time_text(text: bytes) -> float | None:
    """A receive time written before a sentence: a unix number or an ISO 8601 date-time
    (naive ones are taken as UTC). ``None`` when it is neither."""
    text = text.strip(b" ,;\t")
    if not text:
        return None
    if text[0] in b"0123456789" and text.replace(b".", b"", 1).isdigit():
        return epoch_from_number(float(text))
    try:
        return parse_utc(text.decode("ascii")).timestamp()
    except (ValueError, UnicodeDecodeError):
        return None


class TagBlock:
    """The fields of an NMEA 4.0 tag block that ingest uses (immutable once built; use
    :func:`tag_block` to get one, cached, since consecutive lines often share a tag block)."""

    __slots__ = ("group", "station", "ts")

    def __init__(self, text: bytes) -> None:
        self.ts: float | None = None
        self.station: str | None = None
        self.group: tuple[int, int, str] | None = None
        star = text.find(b"*")
        if star >= 0:
            text = text[:star]
        for item in text.split(b","):
            key, _, val = item.partition(b":")
            if key == b"c":
                try:  # noqa: SIM105 (contextlib.suppress costs a microsecond a tag block)
                    self.ts = epoch_from_number(float(val))
                except ValueError:
                    pass
            elif key == b"s":
                self.station = val.decode("ascii", "replace")
            elif key == b"g":
                parts = val.split(b"-", 2)
                if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit():
                    self.group = (int(parts[0]), int(parts[1]), parts[2].decode("ascii", "replace"))


def tag_block(text: bytes) -> TagBlock:
    tag = _TAG_CACHE.get(text)
    if tag is None:
        if len(_TAG_CACHE) > 4096:
            _TAG_CACHE.clear()
        tag = _TAG_CACHE[text] = TagBlock(text)
    return tag


def trailing_fields(trailing: bytes) -> tuple[float | None, str | None]:
    """(receive time, station) from the fields some feeds append after the checksum."""
    ts: float | None = None
    station: str | None = None
    for item in trailing.split(b","):
        if not item:
            continue
        if ts is None and item.isdigit():
            ts = epoch_from_number(float(item))
        elif station is None and item[:1] == b"r":
            station = item[1:].decode("ascii", "replace")
    return ts, station


def pghp_time(fields: list[bytes]) -> float | None:
    """Time of a Gatehouse ``$PGHP,1,yyyy,m,d,h,mi,s,ms,...`` header."""
    try:
        minute_key = tuple(fields[2:7])
        base = _PGHP_CACHE.get(minute_key)
        if base is None:
            y, mo, d, h, mi = (int(f) for f in minute_key)
            base = datetime(y, mo, d, h, mi, tzinfo=UTC).timestamp()
            if len(_PGHP_CACHE) > 1024:
                _PGHP_CACHE.clear()
            _PGHP_CACHE[minute_key] = base
        s, ms = int(fields[7]), int(fields[8])
        if not (0 <= s <= 60 and 0 <= ms <= 999):
            return None
        return base + s + ms / 1000.0
    except (ValueError, TypeError, OverflowError):
        return None


def gps_clock_time(fields: list[bytes]) -> float | None:
    """UTC from a GPS ``$--RMC`` (time, ..., ddmmyy) or ``$--ZDA`` (time, dd, mm, yyyy)."""
    kind = fields[0][-3:]
    try:
        hms = fields[1]
        h, mi, sec = int(hms[0:2]), int(hms[2:4]), float(hms[4:])
        if kind == b"RMC":
            dmy = fields[9]
            d, mo, y = int(dmy[0:2]), int(dmy[2:4]), 2000 + int(dmy[4:6])
        else:
            d, mo, y = int(fields[2]), int(fields[3]), int(fields[4])
        whole = int(sec)
        return datetime(y, mo, d, h, mi, whole, int((sec - whole) * 1e6), tzinfo=UTC).timestamp()
    except (ValueError, IndexError):
        return None


def payload_is_armoured(payload: bytes) -> bool:
    """True when every character is a valid AIS six-bit armour character."""
    return not payload.translate(None, ARMOUR)
