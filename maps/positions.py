"""Positions for maps and exports from AIS inputs (any format ``mda replay`` reads), decoded
by the embedded runner with every detector off: tracks (thinned) and what is known of each
vessel (static data, flag)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from maps.tracks import TrackCollector
from mda.vessels import VesselLookup


def collect_positions(inputs: Sequence[str], lateness_s: float | None = None,
                      collector: TrackCollector | None = None,
                      ) -> tuple[TrackCollector, VesselLookup, dict[str, Any]]:
    """Decode ``inputs`` (merged in event-time order) into a track collector. Returns the
    collector, the vessel-info look-up and the run's summary (``--stats`` form)."""
    from ingest.sources import Source
    from mda.runner import EmbeddedRunner
    from mda.settings import preset_settings

    settings = preset_settings()
    settings = settings.only()
    if lateness_s is not None:
        settings = replace(settings, ingest=replace(settings.ingest,
                                                     allowed_lateness_s=lateness_s))
    tracks = collector if collector is not None else TrackCollector()
    runner = EmbeddedRunner(settings, on_position=tracks.add)
    summary = runner.run([Source.open(name) for name in inputs])
    return tracks, runner.registry.info, summary.as_dict()
