"""Zones: catalogue, rules, spatial index (see issue 3)."""
