"""Decoded-AIS tables: CSV (NOAA MarineCadastre and similar schemas, auto-detected by header)
and JSON lines (GFW gpsdio style). Rows become the same records NMEA decoding produces."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ingest import quarantine as q
from ingest.decode import Decoded
from ingest.framing import epoch_from_number
from ingest.quarantine import IngestStats, Reject
from mda.records import PositionReport, VesselStatic

# Column aliases, lower-cased. The first name of each list is the MarineCadastre one.
ALIASES: dict[str, tuple[str, ...]] = {
    "mmsi": ("mmsi", "ssvid", "mmsi_number"),
    "ts": ("basedatetime", "timestamp", "timestamp_utc", "# timestamp", "datetime", "time",
           "t", "epoch"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "longitude", "long"),
    "sog": ("sog", "speed", "speed_kn"),
    "cog": ("cog", "course"),
    "heading": ("heading", "true_heading"),
    "status": ("status", "nav_status", "navigational status"),
    "name": ("vesselname", "shipname", "name", "ship_name"),
    "imo": ("imo",),
    "callsign": ("callsign", "call_sign", "callsign"),
    "ship_type": ("vesseltype", "shiptype", "ship_type"),
    "length": ("length", "length_m"),
    "beam": ("width", "beam", "width_m"),
    "draught": ("draft", "draught"),
    "destination": ("destination",),
}


def looks_like_table_header(line: str) -> bool:
    cols = {c.strip().lower() for c in line.replace(";", ",").split(",")}
    return bool(cols & set(ALIASES["mmsi"])) and bool(cols & set(ALIASES["lat"]))


def _num(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if f == f else None  # NaN -> None


def _text(value: Any) -> str | None:
    text = str(value).strip() if value not in (None, "") else ""
    return text or None


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
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


class TableDecoder:
    """Turns rows (dicts) into records; same ``out``/``rejects``/``feed``/``flush`` shape as
    :class:`ingest.decode.NmeaDecoder`."""

    def __init__(self, source: str, stats: IngestStats, kind: str) -> None:
        self.source = source
        self.stats = stats
        self.kind = kind  # "csv" or "jsonl"
        self.out: list[Decoded] = []
        self.rejects: list[Reject] = []
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

    def _row(self, line_no: int, raw: bytes, row: dict[str, Any], cols: dict[str, str]) -> None:
        get: Callable[[str], Any] = lambda f: row.get(cols[f]) if f in cols else None  # noqa: E731
        mmsi_f = _num(get("mmsi"))
        if mmsi_f is None:
            self._reject(line_no, raw, q.BAD_ROW, "no MMSI")
            return
        mmsi = int(mmsi_f)
        if not 100_000_000 <= mmsi <= 999_999_999:
            self._reject(line_no, raw, q.INVALID_MMSI, f"MMSI {mmsi} is not nine digits")
            return
        ts = parse_ts(get("ts"))
        if ts is not None and not q.MIN_TS <= ts <= q.MAX_TS:
            self._reject(line_no, raw, q.BAD_TIMESTAMP, f"time {get('ts')!r}")
            return
        if ts is None and get("ts") not in (None, ""):
            self._reject(line_no, raw, q.BAD_ROW, f"unreadable time {get('ts')!r}")
            return
        dt = None if ts is None else datetime.fromtimestamp(ts, UTC)
        lines = [(line_no, raw)]
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
            sog, cog, hdg = _num(get("sog")), _num(get("cog")), _num(get("heading"))
            status = _num(get("status"))
            self.stats.positions += 1
            if ts is None:
                self.stats.positions_untimed += 1
            self.out.append((PositionReport(
                dt, mmsi, lat, lon,
                None if sog is None or sog >= 102.2 or sog < 0 else sog,
                None if cog is None or cog >= 360 or cog < 0 else cog,
                None if hdg is None or hdg >= 360 or hdg < 0 else int(hdg),
                None if status is None or status == 15 else int(status),
                int(_num(row.get("type")) or 0) if self.kind == "jsonl" else 0,
                self.source,
            ), ts, lines))
        name = _text(get("name"))
        ship_type = _num(get("ship_type"))
        if name or ship_type:
            imo_text = _text(get("imo"))
            imo_digits = "".join(ch for ch in imo_text or "" if ch.isdigit())
            self.stats.statics += 1
            self.out.append((VesselStatic(
                dt, mmsi,
                imo=int(imo_digits) if imo_digits else None,
                name=name,
                callsign=_text(get("callsign")),
                ship_type=int(ship_type) if ship_type else None,
                length_m=_num(get("length")),
                beam_m=_num(get("beam")),
                draught_m=_num(get("draught")),
                destination=_text(get("destination")),
            ), ts, lines))

    def flush(self) -> None:
        return None
