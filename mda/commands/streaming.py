"""``mda kafka``, ``mda ingest``, ``mda worker``, ``mda alerts``: the streaming path."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from mda.commands.common import time_arg


def _bootstrap_arg(p: argparse.ArgumentParser, config: bool = False) -> None:
    p.add_argument("--bootstrap", metavar="HOST:PORT",
                   help="Kafka bootstrap servers (default: [kafka] bootstrap, then "
                        "KAFKA_BOOTSTRAP_SERVERS, then 127.0.0.1:9092)")
    p.add_argument("--topic-prefix", metavar="PREFIX",
                   help="topic names are PREFIX.positions, .static, .alerts, .deadletter, "
                        ".cells, .state (default: [kafka] topic_prefix, mda)")
    p.add_argument("--partitions", type=int,
                   help="partitions of the topics; ingest and workers must agree (default: "
                        "[kafka] partitions, 4)")
    if config:
        p.add_argument("--config", metavar="FILE",
                       help="TOML settings file (its [kafka] table; see "
                            "docs/configuration.md)")


def _kafka_settings(args: argparse.Namespace) -> Any:
    from mda.settings import DEFAULT_PRESET, load_settings

    return load_settings(getattr(args, "preset", None) or DEFAULT_PRESET,
                         getattr(args, "config", None)).kafka


def _topics(args: argparse.Namespace, kafka: Any = None) -> Any:
    from mda.streaming.topics import Topics

    k = kafka or _kafka_settings(args)
    return Topics(prefix=args.topic_prefix or k.topic_prefix,
                  partitions=args.partitions or k.partitions, retention_h=k.retention_h)


def _servers(args: argparse.Namespace, kafka: Any = None) -> str:
    from mda.streaming.topics import bootstrap

    k = kafka or _kafka_settings(args)
    return bootstrap(args.bootstrap or k.bootstrap or None)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from mda.commands.common import add_detection_args

    k = sub.add_parser("kafka", help="a local Kafka broker for development and tests",
                       description="Run a real single-node Apache Kafka 4.x broker (KRaft) "
                                   "from Maven Central jars, without Docker. Needs Java 17 and "
                                   "Maven; the jars are fetched once into .cache/kafka.")
    ksub = k.add_subparsers(dest="kafka_command", metavar="ACTION")
    for action, text in (("up", "start the broker and wait until it answers"),
                         ("down", "stop the broker"), ("status", "is it running?")):
        kp = ksub.add_parser(action, help=text)
        kp.add_argument("--port", type=int, default=9092, help="broker port (default 9092; "
                        "the controller uses PORT+1)")
        kp.add_argument("--partitions", type=int, default=4)
        if action == "down":
            kp.add_argument("--wipe", action="store_true", help="also delete its data")
    k.set_defaults(func=_kafka)

    i = sub.add_parser("ingest", help="decode AIS and publish it to Kafka",
                       description="Decode SOURCE (a file, - for stdin, or live receivers: "
                                   "tcp://HOST:PORT, udp://[HOST]:PORT to listen, "
                                   "gpsd://HOST[:PORT]) and publish positions, static data, "
                                   "watermark ticks, feed outages and rejected lines to the "
                                   "Kafka topics. Live receivers run until Ctrl-C: untimed "
                                   "sentences are timed on arrival and the watermark follows "
                                   "the wall clock when the feed is quiet (as in mda live).")
    i.add_argument("sources", nargs="+", metavar="SOURCE")
    _bootstrap_arg(i)
    add_detection_args(i)
    i.add_argument("--speed", type=float, metavar="N",
                   help="pace a file at N times real time (default: as fast as possible)")
    i.add_argument("--tick-every", type=float, metavar="SECONDS",
                   help="send a watermark tick each SECONDS of event time (default: [kafka] "
                        "tick_every_s, 60)")
    i.add_argument("--until", metavar="TIME", type=time_arg,
                   help="advance the clock to TIME at the end")
    i.add_argument("--idle-timeout", type=float, metavar="S",
                   help="network sources: stop after S seconds without data")
    i.add_argument("--duration", type=float, metavar="S",
                   help="live receivers: stop after S seconds (default: until Ctrl-C)")
    i.set_defaults(func=_ingest)

    w = sub.add_parser("worker", help="run the detector workers (a Kafka consumer group)",
                       description="Run a worker (an aiokafka consumer-group member reading "
                                   "batches) that runs every detector on the Kafka topics and "
                                   "publishes alerts. Start several with the same --app-id to "
                                   "share the partitions.")
    _bootstrap_arg(w)
    add_detection_args(w)
    w.add_argument("--app-id", default="mda-worker", help="consumer group / app id")
    w.add_argument("--loglevel", default="info", choices=["error", "warn", "info", "debug"],
                   help="log level on stderr (default info: a metrics line every 10 s)")
    w.add_argument("--checkpoint-every", type=float, metavar="SECONDS",
                   help="checkpoint changed state this often (default: [kafka] "
                        "checkpoint_every_s, 10)")
    w.add_argument("--metrics-every", type=float, default=10.0, metavar="SECONDS",
                   help="log a metrics line (lag, rate, state size) this often (default 10)")
    w.add_argument("--status", action="store_true",
                   help="print the group's checkpoints and lag as JSON (read from the broker) "
                        "and exit")
    w.set_defaults(func=_worker)

    a = sub.add_parser("alerts", help="read the alerts topic")
    asub = a.add_subparsers(dest="alerts_command", metavar="ACTION")
    tail = asub.add_parser("tail", help="print alerts as they arrive, for a watch officer")
    _bootstrap_arg(tail, config=True)
    tail.add_argument("--from-beginning", action="store_true")
    tail.add_argument("--json", action="store_true", help="print raw JSON lines")
    dump = asub.add_parser("dump", help="write the alerts topic from the beginning to a file")
    _bootstrap_arg(dump, config=True)
    dump.add_argument("--out", required=True, metavar="FILE.jsonl")
    dump.add_argument("--idle-timeout", type=float, default=5.0, metavar="S",
                      help="stop once no new alert came for S seconds (default 5)")
    a.set_defaults(func=_alerts)


def _kafka(args: argparse.Namespace) -> int:
    from mda.streaming.local_kafka import KafkaError, LocalKafka

    if args.kafka_command is None:
        print("usage: mda kafka up|down|status [--port N]", file=sys.stderr)
        return 2
    k = LocalKafka(port=args.port, partitions=args.partitions)
    try:
        if args.kafka_command == "up":
            print(k.up())
        elif args.kafka_command == "down":
            stopped = k.down()
            if args.wipe:
                k.wipe()
            print("stopped" if stopped else "not running")
        else:
            st = k.status()
            print(json.dumps(st))
            return 0 if st["running"] else 1
    except KafkaError as exc:
        print(f"mda: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _ingest(args: argparse.Namespace) -> int:
    from ingest.network import NetworkSource
    from ingest.sources import Source
    from mda.commands.common import load_detection
    from mda.streaming.publish import KafkaPublisher

    live = [s for s in args.sources if NetworkSource.is_network(s.rpartition("=")[2])]
    if live and len(live) != len(args.sources):
        print("mda ingest: error: give either files (and -) or live receivers, not both",
              file=sys.stderr)
        return 2
    if live:
        return _ingest_live(args)
    settings, _ = load_detection(args)
    servers = _servers(args, settings.kafka)
    topics = _topics(args, settings.kafka)
    topics.ensure(servers)
    sources: list[Any] = [
        NetworkSource(s, idle_timeout_s=args.idle_timeout) if NetworkSource.is_network(s)
        else Source.open(s) for s in args.sources]
    pub = KafkaPublisher(servers, topics, settings,
                         tick_every_s=args.tick_every or settings.kafka.tick_every_s,
                         speed=args.speed)
    t0 = time.monotonic()
    try:
        summary = pub.run(sources, until=args.until)
    finally:
        pub.close()
    dt = time.monotonic() - t0
    s = summary.stats
    print(f"published {pub.sent['positions']:,} positions, {pub.sent['statics']:,} statics, "
          f"{pub.sent['ticks']:,} ticks, {pub.sent['alerts']:,} feed alerts, "
          f"{pub.sent['rejects']:,} rejected lines to {servers} in {dt:.1f} s "
          f"({s.lines_read / max(dt, 1e-9):,.0f} lines/s)")
    return 0


def _ingest_live(args: argparse.Namespace) -> int:
    """``mda ingest`` of live receivers: mda.live's feed (arrival times, the watermark on the
    wall clock, per-source health) publishing to Kafka until Ctrl-C or --duration."""
    import threading

    from mda.commands.common import stop_on_signals
    from mda.commands.live import live_settings, open_sources
    from mda.streaming.publish import KafkaPublisher

    settings, _ = live_settings(args)
    servers = _servers(args, settings.kafka)
    topics = _topics(args, settings.kafka)
    topics.ensure(servers)
    stop = threading.Event()
    sources = open_sources(args.sources, stop)
    if args.idle_timeout:
        for src in sources:
            src.idle_timeout_s = args.idle_timeout
    pub = KafkaPublisher(servers, topics, settings,
                         tick_every_s=args.tick_every or settings.kafka.tick_every_s)
    feed = pub.live(sources)

    print(f"mda ingest: reading {', '.join(args.sources)}; publishing to {servers}; Ctrl-C "
          "stops", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    try:
        with stop_on_signals(stop):
            summary = feed.run(stop, duration_s=args.duration)
        pub.finish()
    finally:
        pub.close()
    dt = time.monotonic() - t0
    print(f"published {pub.sent['positions']:,} positions, {pub.sent['statics']:,} statics, "
          f"{pub.sent['ticks']:,} ticks, {pub.sent['alerts']:,} feed alerts, "
          f"{pub.sent['rejects']:,} rejected lines to {servers} in {dt:.1f} s "
          f"({summary.stats.lines_read:,} lines read)")
    return 0


def _worker(args: argparse.Namespace) -> int:
    import asyncio
    import logging
    import os
    import signal
    import threading

    from mda.commands.common import load_detection
    from mda.streaming import logs
    from mda.streaming.worker import Worker, status

    settings, geography = load_detection(args)
    servers = _servers(args, settings.kafka)
    topics = _topics(args, settings.kafka)
    if args.status:
        print(json.dumps(asyncio.run(status(servers, topics, args.app_id)), indent=2))
        return 0
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logs.install(handler)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger("mda").setLevel(getattr(logging, args.loglevel.upper().replace(
        "WARN", "WARNING").replace("WARNINGING", "WARNING")))
    try:
        topics.ensure(servers)
    except Exception as exc:
        print(f"mda: topics not checked ({exc}); the worker waits for the broker",
              file=sys.stderr)
    worker = Worker(servers, topics, settings, geography, app_id=args.app_id,
                    checkpoint_every_s=args.checkpoint_every
                    or settings.kafka.checkpoint_every_s,
                    metrics_every_s=args.metrics_every)
    grace_s = 8.0

    def hard_stop() -> None:
        # the broker is gone and a client does not give up: what was not checkpointed is
        # replayed by the next worker, so stopping now loses nothing
        print("mda: worker did not stop in time; exiting", file=sys.stderr, flush=True)
        os._exit(1)

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def on_signal() -> None:
            timer = threading.Timer(grace_s, hard_stop)
            timer.daemon = True
            timer.start()
            worker.stop()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, on_signal)
        await worker.run()

    asyncio.run(main())
    return 0


def _alerts(args: argparse.Namespace) -> int:
    from kafka import KafkaConsumer

    if args.alerts_command is None:
        print("usage: mda alerts tail|dump ...", file=sys.stderr)
        return 2
    topics = _topics(args)
    servers = _servers(args)
    if args.alerts_command == "dump":
        consumer = KafkaConsumer(topics.alerts, bootstrap_servers=servers,
                                 auto_offset_reset="earliest", enable_auto_commit=False,
                                 consumer_timeout_ms=int(args.idle_timeout * 1000))
        n = 0
        with open(args.out, "w", encoding="utf-8") as out:
            for msg in consumer:
                out.write(msg.value.decode() + "\n")
                n += 1
        consumer.close()
        print(f"wrote {n:,} alert states to {args.out}")
        return 0
    consumer = KafkaConsumer(topics.alerts, bootstrap_servers=servers,
                             auto_offset_reset="earliest" if args.from_beginning else "latest",
                             enable_auto_commit=False)
    for msg in consumer:
        if args.json:
            print(msg.value.decode(), flush=True)
            continue
        a = json.loads(msg.value)
        print(f"{a['start'][:16]} {a['severity']:<6} {a['kind']:<10} {a['status']:<7} "
              f"{a['summary']}", flush=True)
    return 0
