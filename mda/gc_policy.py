"""The garbage collector's policy for a batch replay.

A replay allocates millions of short-lived objects and holds a file's records (ingest/prepare.py
sorts what is out of order), none of them in reference cycles worth hunting for every few
hundred allocations: with Python's default thresholds, full collections that walk everything
loaded (modules, zones, the shore grid) and every record held took half of decoding time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BATCH_THRESHOLDS = (20_000, 20, 20)


@contextmanager
def batch_collection() -> Iterator[None]:
    """While a batch replay runs: what is loaded already is kept out of the collector's way
    (``gc.freeze``) and it collects less often; both are undone after."""
    old = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*BATCH_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*old)
        gc.unfreeze()
