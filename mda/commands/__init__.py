"""Sub-commands of ``mda`` that live in their own modules.

Each module listed in :data:`MODULES` exposes ``register(subparsers)``, which adds its parsers
and sets ``func`` (a callable taking the parsed arguments and returning an exit status) with
``set_defaults``. Modules must be cheap to import: heavy packages are imported inside the
command functions, so ``mda --help`` stays fast. A module that is not present is skipped.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util

MODULES = (
    "mda.commands.streaming",  # mda kafka, ingest, worker, alerts
    "mda.commands.maps",  # mda map, assets, serve, export
    "mda.commands.exercise",  # mda exercise, demo
    "mda.commands.live",  # mda live
)


def register_all(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    for name in MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        importlib.import_module(name).register(sub)
