"""Decoded-AIS tables: CSV (NOAA MarineCadastre and similar schemas, auto-detected by header)
and JSON lines (GFW gpsdio style). Rows become the same records NMEA decoding produces. Also
satellite SAR vessel detections (GFW form, :class:`SarDecoder`): sensor contacts."""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ingest import quarantine as q
from ingest import vocab
from ingest.decode import Decoded
from ingest.framing import epoch_from_number
from ingest.quarantine import IngestStats, Reject
from mda.records import (
    SENSOR_SAR,
    TIME_TAG,
    PositionReport,
    SensorContact,
    VesselStatic,
    anonymous_id,
    parse_utc,
)

# Column aliases, lower-cased. The first name of each list is the MarineCadastre one; then the
# DMA aisdk, MarineTraffic, GFW and VesselsValue names.
ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "ssvid", "mmsi_number"),
    "ts": ("basedatetime", "timestamp", "timestamp_utc", "# timestamp", "datetime", "time",
           "t", "epoch", "ais_pos_timestamp"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude", "long"),
    "sog": ("sog", "speed", "speed_kn", "speed_knotsx10"),
    "cog": ("cog", "course"),
    "heading": ("heading", "true_heading"),
    "status": ("status", "nav_status", "navigational status", "navigational_status"),
    "name": ("vesselname", "shipname", "name", "ship_name"),
    "imo": ("imo",),
    "callsign": ("callsign", "call_sign", "callsign"),
    "ship_type": ("vesseltype", "shiptype", "ship_type", "vessel_type"),
    "length": ("length", "length_m"),
    "beam": ("width", "beam", "width_m"),
    "draught": ("draft", "draught", "draught_metersx10"),
    "destination": ("destination",),
    "transmitter": ("transceiverclass", "mobile_type", "transceiver_class"),
    # A provider's anonymised vessel number, used only when the table has no MMSI column
    # (VesselsValue ``ID``); it becomes mda.records.anonymous_id(ID), never a made-up MMSI.
    "vessel_id": ("id", "vessel_id"),
}

# Columns that hold a tenth of the unit (MarineTraffic): multiply by this.
SCALE: dict[str, float] = {"speed_knotsx10": 0.1, "draught_metersx10": 0.1}

# Cells that mean "no value" in the wild.
_NULLS = frozenset({"", "null", "none", "nan", "n/a", "na"})


SAR_COLUMNS = ("detect_id", "detect_lat", "detect_lon", "detect_timestamp")


def _columns_of(line: str) -> set[str]:
    return {c.strip().lower().lstrip("\ufeff") for c in line.replace(";", ",").split(",")}


def looks_like_sar_header(line: str) -> bool:
    return all(c in _columns_of(line) for c in SAR_COLUMNS)


def looks_like_table_header(line: str) -> bool:
    cols = _columns_of(line)
    ident = set(ALIASES["mmsi"]) | set(ALIASES["vessel_id"])
    return bool(cols & ident) and bool(cols & set(ALIASES["lat"]))


def _num(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in _NULLS):
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f else None  # NaN -> None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value not in (None, "") else ""
    return None if text.lower() in _NULLS else text


def parse_ts(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return epoch_from_number(float(value))
    text = str(value).strip()
    if text.replace(".", "", 1).isdigit():
        return epoch_from_number(float(text))
    for fmt in ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            pass
    try:
        return parse_utc(text).timestamp()
    except ValueError:
        return None


class TableDecoder:
    """Turns rows (dicts) into records; same ``out``/``rejects``/``feed``/``flush`` shape as
    :class:`ingest.decode.NmeaDecoder`.

    A cell that cannot be read (a word not known for a ship type, text in a number column)
    becomes ``None`` in an otherwise good record and is counted in ``unreadable`` (column ->
    count); a row without a usable identity or time is rejected with a reason.

    Identity: the MMSI column; a table without one but with a provider's vessel number
    (VesselsValue ``ID``) gets :func:`mda.records.anonymous_id` of it, which no MMSI can
    equal, carries no flag and is not checked as an MMSI (counted in ``anonymous``).
    """

    def __init__(self, source: str, stats: IngestStats, kind: str) -> None:
        self.source = source
        self.stats = stats
        self.kind = kind  # "csv" or "jsonl"
        self.out: list[Decoded] = []
        self.rejects: list[Reject] = []
        self.unreadable: Counter[str] = Counter()
        self.anonymous = 0
        self._columns: dict[str, str] | None = None
        self._header: list[str] | None = None
        self._delimiter = ","

    def _reject(self, line_no: int, raw: bytes, reason: str, detail: str = "") -> None:
        self.stats.rejected[reason] += 1
        self.rejects.append(
            Reject(self.source, line_no, raw.decode("utf-8", "replace"), reason, detail))

    def _map(self, keys: list[str]) -> dict[str, str]:
        lower = {k.strip().lower().lstrip("\ufeff"): k for k in keys}
        found: dict[str, str] = {}
        for field, names in ALIASES.items():
            for name in names:
                if name in lower:
                    found[field] = lower[name]
                    break
        return found

    def feed(self, line_no: int, raw: bytes) -> None:
        self.stats.lines_read += 1
        text = raw.decode("utf-8", "replace").strip().lstrip("\ufeff")
        if not text:
            self._reject(line_no, raw, q.BLANK)
            return
        row: dict[str, Any]
        if self.kind == "jsonl":
            try:
                row = json.loads(text)
                if not isinstance(row, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                self._reject(line_no, raw, q.BAD_ROW, str(exc)[:120])
                return
            columns = self._map(list(row))
        else:
            if self._header is None:
                self._delimiter = ";" if text.count(";") > text.count(",") else ","
                self._header = next(csv.reader([text], delimiter=self._delimiter))
                self._columns = self._map(self._header)
                self.stats.lines_used += 1
                return
            values = next(csv.reader([text], delimiter=self._delimiter))
            if len(values) != len(self._header):
                self._reject(line_no, raw, q.BAD_ROW, "wrong number of columns")
                return
            row = dict(zip(self._header, values, strict=True))
            assert self._columns is not None
            columns = self._columns
        self._row(line_no, raw, row, columns)

    def _number(self, row: dict[str, Any], cols: dict[str, str], field: str) -> float | None:
        """A numeric cell (scaled for ``...x10`` columns); unreadable text -> None, counted."""
        col = cols.get(field)
        if col is None:
            return None
        value = row.get(col)
        f = _num(value)
        if f is None:
            if isinstance(value, str) and value.strip().lower() not in _NULLS:
                self.unreadable[col] += 1
            return None
        scale = SCALE.get(col.strip().lower())
        return f * scale if scale else f

    def _ship_type(self, row: dict[str, Any], cols: dict[str, str]) -> tuple[int | None,
                                                                              str | None]:
        """AIS ship type (a number 1..99 or a word, ingest/vocab.py) and, when the word names
        a station (MarineTraffic "Navigation Aid", "Manned VTS"), the transmitter."""
        col = cols.get("ship_type")
        value = None if col is None else row.get(col)
        if value is None or (isinstance(value, str) and value.strip().lower() in _NULLS):
            return None, None
        f = _num(value)
        if f is not None:
            if f == int(f) and 1 <= f <= 99:
                return int(f), None
            if f != 0:  # 0 = not available
                self.unreadable[str(col)] += 1
            return None, None
        code, known = vocab.ship_type_code(str(value))
        if not known:
            self.unreadable[str(col)] += 1
        return code, vocab.station_type(str(value))

    def _status(self, row: dict[str, Any], cols: dict[str, str]) -> int | None:
        col = cols.get("status")
        value = None if col is None else row.get(col)
        if value is None or (isinstance(value, str) and value.strip().lower() in _NULLS):
            return None
        code, known = vocab.nav_status_code(str(value))
        if not known:
            self.unreadable[str(col)] += 1
        return code

    def _identity(self, line_no: int, raw: bytes, row: dict[str, Any],
                  cols: dict[str, str]) -> int | None:
        get: Callable[[str], Any] = lambda f: row.get(cols[f]) if f in cols else None  # noqa: E731
        if "mmsi" not in cols and "vessel_id" in cols:
            number = _num(get("vessel_id"))
            if number is None or number < 0 or number != int(number):
                self._reject(line_no, raw, q.BAD_ROW, f"unreadable vessel ID {get('vessel_id')!r}")
                return None
            self.anonymous += 1
            return anonymous_id(int(number))
        mmsi_f = _num(get("mmsi"))
        if mmsi_f is None:
            self._reject(line_no, raw, q.BAD_ROW, "no MMSI")
            return None
        mmsi = int(mmsi_f)
        if not 100_000_000 <= mmsi <= 999_999_999:
            self._reject(line_no, raw, q.INVALID_MMSI, f"MMSI {mmsi} is not nine digits")
            return None
        return mmsi

    def _row(self, line_no: int, raw: bytes, row: dict[str, Any], cols: dict[str, str]) -> None:
        get: Callable[[str], Any] = lambda f: row.get(cols[f]) if f in cols else None  # noqa: E731
        mmsi = self._identity(line_no, raw, row, cols)
        if mmsi is None:
            return
        ts = parse_ts(get("ts"))
        if ts is not None and not q.MIN_TS <= ts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"time {get('ts')!r}")
            return
        if ts is None and get("ts") not in (None, ""):
            self._reject(line_no, raw, q.BAD_ROW, f"unreadable time {get('ts')!r}")
            return
        dt = None if ts is None else datetime.fromtimestamp(ts, UTC)
        lines = ((line_no, raw),)
        self.stats.lines_used += 1
        self.stats.messages_decoded += 1
        lat, lon = _num(get("lat")), _num(get("lon"))
        has_position_fields = "lat" in cols and cols["lat"] in row
        if not has_position_fields:
            pass  # a static-only row (e.g. a type 5 message in JSON lines)
        elif lat is None or lon is None or lat == 91.0 or lon == 181.0:
            self.stats.positions_without_position += 1
        elif not (-90 <= lat <= 90 and -180 <= lon <= 180):
            self.stats.lines_used -= 1
            self._reject(line_no, raw, q.POSITION_OUT_OF_RANGE, f"lat {lat} lon {lon}")
            return
        else:
            sog = self._number(row, cols, "sog")
            cog = self._number(row, cols, "cog")
            hdg = self._number(row, cols, "heading")
            self.stats.positions += 1
            if ts is None:
                self.stats.positions_untimed += 1
            self.out.append((PositionReport(
                dt, mmsi, lat, lon,
                None if sog is None or sog >= 102.2 or sog < 0 else sog,
                None if cog is None or cog >= 360 or cog < 0 else cog,
                None if hdg is None or hdg >= 360 or hdg < 0 else int(hdg),
                self._status(row, cols),
                int(_num(row.get("type")) or 0) if self.kind == "jsonl" else 0,
                self.source, False, None if ts is None else TIME_TAG,
            ), ts, lines))
        name = _text(get("name"))
        ship_type, station = self._ship_type(row, cols)
        transmitter = station
        tx_text = _text(get("transmitter"))
        if tx_text is not None:
            transmitter = vocab.transmitter_name(tx_text) or station
        imo_text = _text(get("imo"))
        imo_digits = "".join(ch for ch in imo_text or "" if ch.isdigit())
        static = VesselStatic(
            dt, mmsi,
            imo=int(imo_digits) if imo_digits else None,
            name=name,
            callsign=_text(get("callsign")),
            ship_type=ship_type,
            length_m=self._positive(row, cols, "length"),
            beam_m=self._positive(row, cols, "beam"),
            draught_m=self._positive(row, cols, "draught"),
            destination=_text(get("destination")),
            transmitter=transmitter,
        )
        if static != VesselStatic(dt, mmsi):  # any static field known
            self.stats.statics += 1
            self.out.append((static, ts, lines))

    def _positive(self, row: dict[str, Any], cols: dict[str, str], field: str) -> float | None:
        """A size in metres; 0 means "not available" in AIS."""
        f = self._number(row, cols, field)
        return f if f is not None and f > 0 else None

    def flush(self) -> None:
        return None


class SarDecoder(TableDecoder):
    """SAR vessel detections (``detect_id``, ``detect_lat``, ``detect_lon``,
    ``detect_timestamp``, optional ``length_m``) -> :class:`SensorContact`, one per detection.
    A row without a readable id, position or time is rejected (``bad_sar_detection``); a
    length that cannot be read is None (counted in ``unreadable``); a row with no time is
    counted as untimed."""

    def __init__(self, source: str, stats: IngestStats) -> None:
        super().__init__(source, stats, "csv")
        self._lower: dict[str, str] = {}

    def _row(self, line_no: int, raw: bytes, row: dict[str, Any], cols: dict[str, str]) -> None:
        if not self._lower and self._header:
            self._lower = {h.strip().lower().lstrip("\ufeff"): h for h in self._header}
        get: Callable[[str], str] = lambda c: str(row.get(self._lower.get(c, c)) or "").strip()  # noqa: E731
        ident = get("detect_id")
        lat, lon = _num(get("detect_lat")), _num(get("detect_lon"))
        if not ident:
            self._reject(line_no, raw, q.BAD_DETECTION, "no detect_id")
            return
        if lat is None or lon is None:
            self._reject(line_no, raw, q.BAD_DETECTION,
                         f"unreadable position {get('detect_lat')!r}, {get('detect_lon')!r}")
            return
        if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
            self._reject(line_no, raw, q.POSITION_OUT_OF_RANGE, f"lat {lat} lon {lon}")
            return
        stamp = get("detect_timestamp")
        # BigQuery exports write "2021-06-01 10:23:45 UTC"
        ts = parse_ts(stamp.removesuffix(" UTC")) if stamp else None
        if stamp and ts is None:
            self._reject(line_no, raw, q.BAD_DETECTION, f"unreadable time {stamp!r}")
            return
        if ts is not None and not q.MIN_TS <= ts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"time {stamp!r}")
            return
        length = _num(get("length_m"))
        if get("length_m") and length is None:
            self.unreadable["length_m"] += 1
        self.stats.lines_used += 1
        self.stats.messages_decoded += 1
        self.stats.contacts[SENSOR_SAR] += 1
        if ts is None:
            self.stats.contacts_untimed += 1
        contact = SensorContact(
            None if ts is None else datetime.fromtimestamp(ts, UTC), SENSOR_SAR, self.source,
            ident, lat, lon, length_m=length if length is not None and length > 0 else None,
            time_source=None if ts is None else TIME_TAG)
        self.out.append((contact, ts, ((line_no, raw),)))
