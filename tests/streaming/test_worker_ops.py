"""Operations of the workers against a real broker: SIGTERM stops a worker within 10 s while
its broker is down, the connection errors meanwhile are logged with backoff, --status reports
the checkpoints and the lag, and only slow positions are re-keyed to cells."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from mda.streaming.local_kafka import LocalKafka
from tests.helpers import REPO
from tests.streaming.helpers import (
    final_alerts,
    mda,
    prefix,
    read_topic,
    start_worker,
    stop,
    wait_for,
)

SAMPLE = REPO / "replay_data" / "sample" / "caribbean_sample.nmea"


def ingest_and_start(kafka: LocalKafka, tmp_path: Path, *extra: str) -> tuple[
        str, Path, subprocess.Popen[bytes]]:
    """The sample ingested under a new prefix and one worker on it: (prefix, log, worker)."""
    p = prefix()
    assert mda("ingest", str(SAMPLE), "--bootstrap", kafka.bootstrap, "--topic-prefix", p,
               "--no-shore").returncode == 0
    log = tmp_path / "w.log"
    return p, log, start_worker(kafka.bootstrap, p, f"{p}-w", log, *extra)


def test_sigterm_stops_a_worker_within_10_s_while_the_broker_is_down(
        kafka: LocalKafka, tmp_path: Path) -> None:
    p, log, worker = ingest_and_start(kafka, tmp_path, "--metrics-every", "1")
    try:
        assert wait_for(lambda: "assigned" in log.read_text(), timeout_s=120, every_s=0.5), (
            log.read_text()[-3000:])
        assert wait_for(lambda: bool(final_alerts(kafka.bootstrap, p)), timeout_s=120)
        kafka.down()
        try:
            before = len(log.read_text().splitlines())
            time.sleep(6.0)
            during = log.read_text().splitlines()[before:]
            t0 = time.monotonic()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
            took = time.monotonic() - t0
        finally:
            kafka.up()
    finally:
        stop(worker, kill=True)
    assert took < 10.0, (took, log.read_text()[-3000:])
    # backoff: a handful of lines in 6 s without a broker, not ten per 100 ms
    assert len(during) < 40, "\n".join(during[-40:])


def test_status_reports_checkpoints_and_lag_and_only_slow_vessels_go_to_cells(
        kafka: LocalKafka, tmp_path: Path) -> None:
    p, log, worker = ingest_and_start(kafka, tmp_path, "--checkpoint-every", "1",
                                      "--metrics-every", "1")

    def status() -> dict[str, object]:
        out = mda("worker", "--status", "--bootstrap", kafka.bootstrap, "--topic-prefix", p,
                  "--app-id", f"{p}-w", "--no-shore")
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))

    try:
        assert wait_for(lambda: status()["lag"] == 0 and int(str(status()["state_bytes"])) > 0,
                        timeout_s=180, every_s=1.0), (status(), log.read_text()[-3000:])
        assert wait_for(lambda: "metrics {" in log.read_text(), timeout_s=30, every_s=0.5)
    finally:
        stop(worker)
    line = next(x for x in log.read_text().splitlines() if "metrics {" in x)
    assert "'lag'" in line and "'rate_per_s'" in line and "'state_bytes'" in line
    positions = [json.loads(m.value) for m in read_topic(kafka.bootstrap, f"{p}.positions")]
    positions = [o for o in positions if o["k"] == "p"]
    cells = [json.loads(m.value) for m in read_topic(kafka.bootstrap, f"{p}.cells")]
    cells = [o for o in cells if o["k"] == "p"]
    slow = {(o["m"], o["t"]) for o in positions
            if (o["s"] is None or o["s"] <= 2.0) and o["n"] not in (1, 5) and o["t"]}
    assert slow <= {(o["m"], o["t"]) for o in cells}  # every slow position reached its cell
    fast_sent = {(o["m"], o["t"]) for o in cells} - slow
    fast = {(o["m"], o["t"]) for o in positions} - slow
    assert len(fast_sent) < len(fast) / 4  # a fast one only when a vessel stops being slow


def test_a_checkpoint_of_many_chunks_is_read_back_from_the_state_topic(
        kafka: LocalKafka) -> None:
    """A 12 MB checkpoint (14 chunks) written to the state topic is what a newly assigned
    worker reads back (the reader once started at the topic's end and found nothing)."""
    import asyncio

    from aiokafka import AIOKafkaProducer

    from mda.settings import preset_settings
    from mda.streaming import state
    from mda.streaming.topics import Topics
    from mda.streaming.worker import Worker

    topics = Topics(prefix=prefix())
    topics.ensure(kafka.bootstrap)
    blob = os.urandom(12_000_000)

    async def write_and_read() -> bytes | None:
        producer = AIOKafkaProducer(bootstrap_servers=kafka.bootstrap, acks="all")
        await producer.start()
        try:
            for k, v in state.records("app/vessels/2", blob, 99, 1, 0.0):
                await producer.send_and_wait(topics.state, value=v, key=k.encode(),
                                             partition=0)
        finally:
            await producer.stop()
        view = await Worker(kafka.bootstrap, topics, preset_settings(), None,
                            app_id="app")._read_state()
        found = view.blob("app/vessels/2")
        return None if found is None else found[1]

    assert asyncio.run(write_and_read()) == blob
