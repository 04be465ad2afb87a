"""Detectors: pure, event-time state machines that turn records into alerts.

Every detector is listed here, once: :data:`DETECTORS` in the order the runner steps them
(the feed detector first: the others may judge by the feeds' state), and :data:`REGISTRY` by
name for the settings (``[gap]``, ``[feed]``, ...).
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
    FeedDetector,
    GapDetector,
    LoiteringDetector,
    RendezvousDetector,
    SpoofingDetector,
    ZoneDetector,
    DarkTargetDetector,
)
REGISTRY: dict[str, type[Detector[Any]]] = {d.name: d for d in DETECTORS}
