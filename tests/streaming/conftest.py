"""A real Kafka broker for the streaming tests (never a mock), started from the project's own
Maven Central jars on free 127.0.0.1 ports and stopped at the end. In CI a broker that cannot
start fails the run instead of skipping it."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mda.streaming.local_kafka import LocalKafka


def _two_free_ports() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        with socket.socket() as s2:
            try:
                s2.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two consecutive free ports")


@pytest.fixture(scope="session")
def kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalKafka]:
    if (shutil.which("java") is None or shutil.which("mvn") is None) and not os.environ.get("CI"):
        pytest.skip("Java and Maven are needed for the Kafka broker")
    from mda.streaming.local_kafka import cache_dir

    home = tmp_path_factory.mktemp("kafka")
    libs = cache_dir() / "kafka" / "libs"
    broker = LocalKafka(port=_two_free_ports(), partitions=4, home=home)
    # share the jars fetched once into the project cache
    fetched = LocalKafka(home=cache_dir() / "kafka").fetch()
    Path(broker.libs).parent.mkdir(parents=True, exist_ok=True)
    if not broker.libs.exists():
        broker.libs.symlink_to(libs if libs.exists() else fetched)
    broker.up()
    try:
        yield broker
    finally:
        broker.wipe()
