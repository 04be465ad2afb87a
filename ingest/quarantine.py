"""Rejected input: every line that is not used is kept with a reason, and counted."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

# Reasons, in the words of the rejects file and the summary.
BLANK = "blank"
COMMENT = "comment"
NOT_NMEA = "not_nmea"
NON_AIS = "non_ais_sentence"
BAD_TIME_PREFIX = "bad_time_prefix"
NO_CHECKSUM = "truncated_no_checksum"
BAD_CHECKSUM = "bad_checksum"
MALFORMED = "malformed_sentence"
BAD_PAYLOAD = "bad_payload_characters"
EMPTY_PAYLOAD = "empty_payload"
MISSING_FRAGMENT = "missing_fragment"
DUPLICATE = "duplicate"
UNDECODABLE = "undecodable"
TRUNCATED_PAYLOAD = "truncated_payload"
INVALID_MMSI = "invalid_mmsi"
POSITION_OUT_OF_RANGE = "position_out_of_range"
TOO_LATE = "too_late"
BAD_ROW = "bad_row"
BAD_TIMESTAMP = "bad_timestamp"
# Radar (NMEA TTM/TLL) and satellite (SAR CSV) contacts.
BAD_TARGET = "bad_radar_target"  # a TTM/TLL pynmea2 cannot read, or fields out of range
NO_RADAR_POSITION = "no_radar_position"  # a TTM (range/bearing) with no [radar] lat, lon
RELATIVE_BEARING = "relative_bearing"  # a TTM bearing relative to a heading nobody gave
BAD_DETECTION = "bad_sar_detection"  # a SAR row without a readable id, position or time

# Receive times outside this range (1980 .. 2100, epoch seconds) are corrupt, not data.
MIN_TS = 315_532_800.0
MAX_TS = 4_102_444_800.0


@dataclass(frozen=True, slots=True)
class Reject:
    """One rejected input line and why."""

    source: str
    line_no: int
    raw: str
    reason: str
    detail: str = ""

    def to_json(self) -> str:
        obj: dict[str, Any] = {"line_no": self.line_no, "raw": self.raw, "reason": self.reason}
        if self.detail:
            obj["detail"] = self.detail
        obj["source"] = self.source
        return json.dumps(obj, ensure_ascii=False)


@dataclass
class IngestStats:
    """Counters kept by ingest; every line read ends up used or rejected."""

    lines_read: int = 0
    lines_used: int = 0
    messages_decoded: int = 0
    messages_duplicate: int = 0
    positions: int = 0
    positions_without_position: int = 0
    positions_untimed: int = 0
    # positions timed by their arrival at a live source (no time in the input)
    positions_arrival_time: int = 0
    statics: int = 0
    # non-AIS contacts (radar targets, SAR detections), by sensor, and those without a time
    contacts: Counter[str] = field(default_factory=Counter)
    contacts_untimed: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    # messages decoded per AIS message type (index = type, 0..63)
    by_type: list[int] = field(default_factory=lambda: [0] * 64)

    @property
    def message_types(self) -> dict[int, int]:
        return {t: n for t, n in enumerate(self.by_type) if n}
