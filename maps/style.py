"""Colours and labels shared by the report map, the live picture and the exports: ship-type
categories (AIS type codes, ITU-R M.1371-5 Table 53), alert kinds (Okabe-Ito colours, safe for
colour-blind readers), severities (ring colour and size) and zone kinds."""

from __future__ import annotations

from typing import Any

from mda.records import AlertKind, Severity
from mda.shiptypes import ShipCategory

# Ship-type categories: (key, label, colour), in legend order.
SHIP_CATEGORIES: tuple[tuple[ShipCategory, str, str], ...] = (
    ("cargo", "cargo", "#2ca02c"),
    ("tanker", "tanker", "#d62728"),
    ("passenger", "passenger", "#1f77b4"),
    ("fishing", "fishing", "#ff7f0e"),
    ("high_speed", "high-speed craft", "#bcbd22"),
    ("tug_service", "tug, pilot, service", "#17becf"),
    ("pleasure", "pleasure, sailing", "#e377c2"),
    ("military_law", "military, law enforcement", "#6a3d9a"),
    ("other", "other", "#8c564b"),
    ("unknown", "unknown type", "#7f7f7f"),
)
SHIP_COLOURS = {k: c for k, _, c in SHIP_CATEGORIES}


# Alert kinds: (key, label, colour).
ALERT_STYLES: tuple[tuple[AlertKind, str, str], ...] = (
    ("gap", "AIS gap (dark vessel)", "#000000"),
    ("rendezvous", "rendezvous", "#0072b2"),
    ("loitering", "loitering", "#009e73"),
    ("zone_entry", "zone entry", "#cc79a7"),
    ("zone_exit", "zone exit", "#e0b8d3"),
    ("spoofing", "spoofing / identity", "#d55e00"),
    ("feed_outage", "feed outage (receiver down)", "#56b4e9"),
    ("dark_target", "dark target (sensor contact, no AIS)", "#7b3294"),
)
ALERT_COLOURS: dict[str, str] = {k: c for k, _, c in ALERT_STYLES}
OTHER_ALERT_COLOUR = "#999999"

# Severities: (key, ring colour, ring weight px, radius px).
SEVERITY_STYLES: tuple[tuple[Severity, str, int, int], ...] = (
    ("info", "#ffffff", 1, 6),
    ("low", "#f0e442", 2, 7),
    ("medium", "#e69f00", 3, 9),
    ("high", "#ff0000", 4, 11),
)

# Zone kinds: (key, label, colour, fill opacity, dash).
ZONE_STYLES: tuple[tuple[str, str, str, float, str | None], ...] = (
    ("eez", "EEZ", "#1f78b4", 0.0, "8 6"),
    ("territorial_sea", "territorial sea", "#1f78b4", 0.08, None),
    ("contiguous_zone", "contiguous zone", "#6baed6", 0.0, "4 4"),
    ("fishing_zone", "fishing zone", "#33a02c", 0.05, "6 3"),
    ("mpa", "marine protected area", "#238b45", 0.25, None),
    ("closure", "closure", "#ff7f00", 0.2, None),
    ("restricted", "restricted area", "#e31a1c", 0.2, None),
    ("exercise", "exercise area", "#6a3d9a", 0.15, "2 4"),
)


def alert_colour(kind: str) -> str:
    return ALERT_COLOURS.get(kind, OTHER_ALERT_COLOUR)


def style_config() -> dict[str, Any]:
    """Everything the browser code needs to draw and explain the layers (the legend is built
    from this, so the map and its legend cannot disagree)."""
    return {
        "ships": [{"key": k, "label": lbl, "colour": c} for k, lbl, c in SHIP_CATEGORIES],
        "alerts": [{"key": k, "label": lbl, "colour": c} for k, lbl, c in ALERT_STYLES],
        "other_alert_colour": OTHER_ALERT_COLOUR,
        "severities": [{"key": k, "ring": c, "weight": w, "radius": r}
                       for k, c, w, r in SEVERITY_STYLES],
        "zones": [{"key": k, "label": lbl, "colour": c, "fill": f, "dash": d}
                  for k, lbl, c, f, d in ZONE_STYLES],
    }
