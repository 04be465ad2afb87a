"""The live picture follows the Kafka topics: positions from mda ingest, alerts from the
alerts topic appear in the picture's state and on its HTTP endpoint."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

from ingest.sources import Source
from maps.server import PictureServer, PictureState
from mda.records import Alert
from mda.runner import EmbeddedRunner
from mda.streaming.follow import KafkaFollower
from mda.streaming.local_kafka import LocalKafka
from mda.streaming.publish import KafkaPublisher
from mda.streaming.topics import Topics
from tests.helpers import REPO
from tests.streaming.helpers import prefix

SAMPLE = REPO / "replay_data" / "sample" / "caribbean_sample.nmea"


def test_serve_follows_positions_and_alerts_on_kafka(kafka: LocalKafka) -> None:
    from kafka import KafkaProducer

    topics = Topics(prefix=prefix())
    topics.ensure(kafka.bootstrap)
    pub = KafkaPublisher(kafka.bootstrap, topics)
    pub.run([Source.open(str(SAMPLE))])
    pub.close()
    alerts: list[Alert] = []
    EmbeddedRunner(on_alert=alerts.append).run([Source.open(str(SAMPLE))])
    state = PictureState()
    server = PictureServer(state, "127.0.0.1", 0).start()
    stop = threading.Event()
    follower = KafkaFollower(kafka.bootstrap, topics)
    thread = threading.Thread(target=follower.run, args=(state, stop), daemon=True)
    thread.start()
    try:
        # the worker's part, by hand: one alert published on the alerts topic
        producer = KafkaProducer(bootstrap_servers=kafka.bootstrap)
        producer.send(topics.alerts, key=alerts[-1].alert_id.encode(),
                      value=alerts[-1].to_json().encode())
        producer.flush()
        producer.close()
        deadline = time.monotonic() + 60
        seen: list[str] = []
        vessels = 0
        while time.monotonic() < deadline:
            with urllib.request.urlopen(server.url + "/api/alerts", timeout=5) as r:
                seen = [f["properties"]["alert_id"] for f in json.load(r)["features"]]
            with urllib.request.urlopen(server.url + "/api/vessels", timeout=5) as r:
                vessels = len(json.load(r)["features"])
            if seen and vessels == 9:
                break
            time.sleep(0.5)
        assert seen == [alerts[-1].alert_id]
        assert vessels == 9  # every vessel of the sample, from the positions topic
    finally:
        stop.set()
        thread.join(timeout=10)
        server.stop()
    assert follower.skipped == 0
