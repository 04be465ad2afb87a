"""Fixtures of the map tests: the asset cache and a headless Chromium with no network.

Both skip when missing on a developer machine and fail under CI (``CI`` set): the test
command installs Chromium (``scripts/ensure-chromium.sh``) and fills the cache
(``mda assets fetch``), so a missing one there is a broken setup, not a reason to skip."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from maps.assets import AssetCache

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


def need(ok: bool, why: str) -> None:
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{why}; CI must not skip this test")
    pytest.skip(why)


@pytest.fixture(scope="session")
def assets() -> AssetCache:
    cache = AssetCache()
    need(cache.complete(), f"asset cache incomplete at {cache.root} (run .venv/bin/mda assets "
                           "fetch)")
    return cache


@pytest.fixture
def chrome(tmp_path: Path) -> Iterator[Any]:
    """Headless Chromium through chromedriver (both from Debian; Selenium Manager is never
    asked to download anything), with every network request outside 127.0.0.1 failing: a
    proxy that does not exist and a host resolver that resolves nothing."""
    need(CHROMIUM.exists() and CHROMEDRIVER.exists(),
         "Chromium not installed (bash scripts/ensure-chromium.sh)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        need(False, "selenium not installed")
        raise
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'chrome-profile'}",
                "--window-size=1400,900", "--proxy-server=http://127.0.0.1:9",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=opts)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
