"""Maritime domain awareness stream processor: records, settings, embedded runner and CLI."""

__version__ = "0.1.0"
