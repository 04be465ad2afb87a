"""The [kafka] settings table: topics, partitions, retention, ticks, checkpoints, producer."""

from __future__ import annotations

from pathlib import Path

import pytest

from mda.settings import SettingsError, load_settings, to_toml


def test_kafka_table_is_read_checked_and_shown(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[kafka]\ntopic_prefix = "coast"\npartitions = 8\nretention_h = 24\n'
                   'checkpoint_every_s = 5\n')
    k = load_settings(config=cfg).kafka
    assert (k.topic_prefix, k.partitions, k.retention_h, k.checkpoint_every_s) == (
        "coast", 8, 24.0, 5.0)
    assert 'topic_prefix = "coast"' in to_toml(load_settings(config=cfg))
    cfg.write_text('[kafka]\ncompression = "snappy"\n')
    with pytest.raises(SettingsError, match="compression"):
        load_settings(config=cfg)
    cfg.write_text("[kafka]\npartition = 2\n")
    with pytest.raises(SettingsError, match="no key 'partition'"):
        load_settings(config=cfg)


def test_kafka_table_names_the_topics_of_the_streaming_commands(tmp_path: Path) -> None:
    import argparse

    from mda.commands.streaming import _topics

    cfg = tmp_path / "s.toml"
    cfg.write_text('[kafka]\ntopic_prefix = "coast"\npartitions = 2\nretention_h = 12\n')
    args = argparse.Namespace(topic_prefix=None, partitions=None, config=str(cfg), preset=None)
    t = _topics(args)
    assert (t.positions, t.partitions, t.retention_h) == ("coast.positions", 2, 12.0)
    args.partitions = 6  # the command line wins
    assert _topics(args).partitions == 6
