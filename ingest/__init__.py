"""Ingest: NMEA framing, pyais decoding into records, validation and quarantine, sources."""
