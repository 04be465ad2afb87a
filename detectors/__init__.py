"""Detectors: pure, event-time state machines that turn records into alerts.

Every detector is listed here, once: :data:`DETECTORS` in the order the runner steps them,
and :data:`REGISTRY` by name for the settings (``[gap]``, ``[feed]``, ...).
"""

from __future__ import annotations

from typing import Any

from detectors.base import Detector
from detectors.dark_target import DarkTargetDetector
from detectors.feed import FeedDetector
from detectors.gap import GapDetector
from detectors.loitering import LoiteringDetector
from detectors.rendezvous import RendezvousDetector
from detectors.spoofing import SpoofingDetector
from detectors.zone import ZoneDetector

DETECTORS: tuple[type[Detector[Any]], ...] = (
    DarkTargetDetector,
    # The gap detector steps before the feed detector: it judges a silence by the feeds'
    # state before the report at hand is heard (that report may be the feed's return), and
    # reads the feed detector's SourceWatch rather than keeping a copy (Detector.configure).
    GapDetector,
    FeedDetector,
    LoiteringDetector,
    RendezvousDetector,
    SpoofingDetector,
    ZoneDetector,
)
REGISTRY: dict[str, type[Detector[Any]]] = {d.name: d for d in DETECTORS}
