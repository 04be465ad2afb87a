"""Detectors: pure, event-time state machines that turn records into alerts."""
