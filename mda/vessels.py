"""What is known of each vessel: static data merged over time, and the flag from the MID."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from mda.flags import flag_of
from mda.records import ANON_ID_BASE, VesselStatic, is_anonymous_id

_FIELDS = [f.name for f in fields(VesselStatic) if f.name not in ("ts", "mmsi")]


class VesselRegistry:
    """Merges static reports per MMSI (later non-empty values win; class B type 24 parts A and
    B fill different fields)."""

    def __init__(self) -> None:
        self._known: dict[int, dict[str, Any]] = {}
        self._info: dict[int, dict[str, Any]] = {}
        self._ship_type: dict[int, int] = {}

    def update(self, static: VesselStatic) -> None:
        entry = self._known.setdefault(static.mmsi, {})
        for name in _FIELDS:
            value = getattr(static, name)
            if value is not None:
                entry[name] = value
        if static.ship_type:
            self._ship_type[static.mmsi] = static.ship_type
        self._info.pop(static.mmsi, None)

    def info(self, mmsi: int) -> dict[str, Any]:
        """Name, callsign, IMO, ship type, size, and flag of an MMSI, as far as known. The
        dict is shared until the next static report of the vessel: do not modify it."""
        out = self._info.get(mmsi)
        if out is None:
            out = dict(self._known.get(mmsi, {}))
            flag = flag_of(mmsi)
            out["flag"] = flag.iso3 if flag else None
            out["flag_country"] = flag.country if flag else None
            if is_anonymous_id(mmsi):
                # not an MMSI: the data provider's anonymised vessel number (mda.records)
                out["anonymous_id"] = mmsi - ANON_ID_BASE
            if len(self._info) > 200_000:
                self._info.clear()
            self._info[mmsi] = out
        return out

    def ship_type(self, mmsi: int) -> int | None:
        """The AIS ship type code of an MMSI, if known (a fast path for detectors)."""
        return self._ship_type.get(mmsi)

    def __len__(self) -> int:
        return len(self._known)


def describe(mmsi: int, info: dict[str, Any]) -> str:
    """``MMSI 311000123 (SEA STAR, Bahamas)``: how a watch officer names a vessel; a vessel
    known only by a provider's anonymised number is ``vessel ID 17 (anonymised, no MMSI)``."""
    if is_anonymous_id(mmsi):
        return f"vessel ID {mmsi - ANON_ID_BASE} (anonymised, no MMSI)"
    bits = [b for b in (info.get("name"), info.get("flag_country")) if b]
    return f"MMSI {mmsi}" + (f" ({', '.join(bits)})" if bits else "")
