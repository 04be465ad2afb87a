"""``mda ingest`` of a live receiver (issue 10) agrees with the embedded live path on a real
broker: untimed sentences are timed on arrival, the watermark follows the wall clock when the
feed is quiet (its ticks drive the workers' dark-vessel timers), and a feed that stops is one
``feed_outage`` alert (raised by the ingest, which hears the whole feed) and no fleet of dark
vessels.

The ingest's live feed is stepped with a fake wall clock, as tests/live/test_idle_watermark.py
steps the embedded one (40 minutes of the Vernon capture as received, then 3 hours of
silence); a worker consumes what it published."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mda.settings import Settings, load_settings
from mda.streaming.local_kafka import LocalKafka
from mda.streaming.publish import KafkaPublisher
from mda.streaming.topics import Topics
from tests.live.test_idle_watermark import Quiet, feed_then_silence, stop_the_feed
from tests.streaming.helpers import mda, prefix, read_topic, start_worker, stop, wait_for

# The settings of the embedded test (lateness 10 s, one receiver's fringe off), as a file the
# worker reads too; BLIND also turns the gap detector's feed and coverage rules off.
CONFIG = """
[ingest]
allowed_lateness_s = 10.0

[gap]
fringe_min_vessels = 1000000
"""
BLIND = CONFIG.replace("[gap]\n", "[gap]\nfeed_aware = false\ncheck_coverage = false\n")


def _through_kafka(kafka: LocalKafka, tmp_path: Path, shared: Path, config: Path,
                   settings: Settings) -> tuple[list[dict[str, Any]], int]:
    """Every alert state on the alerts topic once a worker has consumed all the ingest
    published (its lag is 0), and the number of watermark ticks the ingest sent."""
    p = prefix()
    topics = Topics(prefix=p)
    topics.ensure(kafka.bootstrap)
    pub = KafkaPublisher(kafka.bootstrap, topics, settings, tick_every_s=60.0)
    try:
        feed_then_silence(pub.live([Quiet()], clock=lambda: 0.0), shared)
        pub.finish()
    finally:
        pub.close()
    log = tmp_path / f"{p}.log"
    worker = start_worker(kafka.bootstrap, p, f"{p}-w", log, "--config",
                          str(config), "--checkpoint-every", "1")

    def lag() -> int:
        out = mda("worker", "--status", "--bootstrap", kafka.bootstrap, "--topic-prefix", p,
                  "--app-id", f"{p}-w", "--no-shore")
        assert out.returncode == 0, out.stderr
        return int(json.loads(out.stdout)["lag"])

    try:
        assert wait_for(lambda: lag() == 0, timeout_s=180, every_s=2.0), log.read_text()[-3000:]
    finally:
        stop(worker)
    alerts = [json.loads(m.value) for m in read_topic(kafka.bootstrap, topics.alerts)]
    return alerts, pub.sent["ticks"]


def test_a_live_feed_that_stops_is_one_feed_outage_on_kafka_too(
        kafka: LocalKafka, tmp_path: Path, shared: Path) -> None:
    config = tmp_path / "live.toml"
    config.write_text(CONFIG)
    settings = load_settings("watch", str(config))
    want = [a for a in stop_the_feed(shared, settings) if a.kind in ("feed_outage", "gap")]
    assert [(a.kind, a.status) for a in want] == [("feed_outage", "open")]
    got, ticks = _through_kafka(kafka, tmp_path, shared, config, settings)
    # the quiet 3 hours were ticked on the wall clock: about one tick a minute of them
    assert ticks >= 180
    assert [(a["kind"], a["status"]) for a in got] == [("feed_outage", "open")]
    assert got[0]["alert_id"] == want[0].alert_id
    assert got[0]["evidence"]["source"] == Quiet.name


def test_without_the_feed_rule_the_workers_open_the_same_gaps_on_the_wall_clock(
        kafka: LocalKafka, tmp_path: Path, shared: Path) -> None:
    """No position comes after the feed stops: only the ingest's wall-clock ticks can move
    the workers' time on to the gap threshold."""
    config = tmp_path / "blind.toml"
    config.write_text(BLIND)
    settings = load_settings("watch", str(config))
    want = {a.alert_id: a.mmsi for a in stop_the_feed(shared, settings) if a.kind == "gap"}
    assert len(set(want.values())) >= 2
    got, _ = _through_kafka(kafka, tmp_path, shared, config, settings)
    assert {a["alert_id"]: a["mmsi"] for a in got if a["kind"] == "gap"} == want
