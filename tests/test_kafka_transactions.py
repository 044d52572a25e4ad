"""`lantern run --transactional`: the outputs and the input offsets of each checkpoint in one Kafka
transaction, against a real broker (scripts/kafka start; LANTERN_KAFKA = its bootstrap address;
the Kafka cases are skipped without it).

* Real ZTF alerts ×25 in a 4-partition topic; the worker is SIGKILLed after its first
  transaction commit (so with the next one open) and restarted on the same store (so with the
  same transactional id, which fences the dead process and aborts what it left open). A
  read_committed reader then sees every input alert exactly once in <prefix>.alerts, and the
  group's offsets reach the end of every partition. Also with the store's log on (--wal), which
  keeps what the aborted transaction stored: those alerts are produced again, not skipped, and
  the insert streams hold every row the store holds (the rows it kept are published again).
* The same with two workers in one group (each its own store, so its own default id), one of
  them killed and restarted.
* --transactional without a Kafka source and sink is refused, with the reason, before the store
  is created.
"""
import collections
import io
import os
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_kafka_pipeline import (KAFKA, committed_and_high, consume_topic,  # noqa: E402
                                 enriched_alert_ids, insert_rows, produce, run_args, unique)
# Autouse: drops the topics unique() named, here too.
from test_kafka_pipeline import delete_topics  # noqa: E402,F401
from test_pipeline import run  # noqa: E402

needs_kafka = pytest.mark.skipif(not KAFKA,
                                 reason="LANTERN_KAFKA is not set (scripts/kafka start)")


def transactional_args(data_dir, topic, group, prefix, store):
    # Commit every second, so that the kill below lands between two commits mid-stream.
    return [*run_args(data_dir, topic, group, prefix, store), "--transactional",
            "--checkpoint-seconds", "1"]


def start(lantern, args):
    return subprocess.Popen([lantern, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def wait_for_commit(topic, group, proc, timeout_s=120):
    """Returns once `group` has committed an offset on `topic`, or when `proc` has ended."""
    deadline = time.time() + timeout_s
    while time.time() < deadline and proc.poll() is None:
        committed, _ = committed_and_high(topic, group)
        if any(o > 0 for o in committed.values()):
            return
        time.sleep(0.2)


def input_alert_ids(topic):
    """candid of every alert in the input topic (ZTF Avro containers). The real data holds some
    alerts twice (the same packet from two archives), so ids repeat: each is expected in the
    output as often as in the input."""
    import fastavro

    return [rec["candid"] for _, value in consume_topic(topic)
            for rec in fastavro.reader(io.BytesIO(value))]


def kill_and_restart(lantern, procs, i, args, topic, group):
    wait_for_commit(topic, group, procs[i])
    assert procs[i].poll() is None, "the worker ended before it could be killed"
    procs[i].send_signal(signal.SIGKILL)
    procs[i].wait()
    committed, high = committed_and_high(topic, group)
    assert sum(committed.values()) < sum(high.values()), \
        "the whole stream was committed before the kill: the test needs a longer stream"
    procs[i] = start(lantern, args)


def assert_exactly_once(prefix, topic, group, expected):
    ids = [alert_id for _, alert_id in enriched_alert_ids(consume_topic(f"{prefix}.alerts"))]
    got, want = collections.Counter(ids), collections.Counter(expected)
    extra, missing = got - want, want - got
    assert not extra, f"{sum(extra.values())} alerts more often than in the input, e.g. " \
        f"{list(extra.items())[:5]}"
    assert not missing, f"{sum(missing.values())} input alerts missing, e.g. " \
        f"{list(missing.items())[:5]}"
    assert len(ids) == len(expected)
    # Aborted output is in the log too: read_uncommitted may see more, never less.
    raw = consume_topic(f"{prefix}.alerts", isolation="read_uncommitted")
    assert len(raw) >= len(ids)
    committed, high = committed_and_high(topic, group)
    assert committed == high


def assert_insert_streams_cover_the_store(lantern, prefix, store):
    """Every row the store holds is in its insert stream (read_committed), none that it does
    not: a replayed batch republishes the rows an aborted attempt stored (at least once, so rows
    are counted as distinct keys)."""
    import json

    stats = json.loads(run(lantern, "stats", "--data-dir", store, "--json").stdout)
    keys = {"detections": ("objectId", "candid"), "forced": ("objectId", "mjd", "band"),
            "nondetections": ("objectId", "mjd", "band")}
    for table, fields in keys.items():
        rows = insert_rows(f"{prefix}.insert.{table}")
        distinct = {tuple(r[f] for f in fields) for r in rows}
        assert len(distinct) == stats[table], (table, len(distinct), stats[table], len(rows))
    assert stats["detections"] > 0 and stats["nondetections"] > 0


@needs_kafka
@pytest.mark.parametrize("log", [[], ["--wal"]], ids=["no-log", "wal"])
def test_killed_worker_restarted_exactly_once(lantern, data_dir, tmp_path, log):
    """With --wal the store keeps the rows and done marks of the aborted transaction: the
    restarted worker must produce their alerts again, not skip them as stored."""
    topic, group, prefix = unique("in"), unique("group"), unique("out")
    produce(lantern, data_dir, topic, "--multiply", "25",
            os.path.join(data_dir, "ztf", "alerts", "native"))
    expected = input_alert_ids(topic)
    assert expected
    args = [*transactional_args(data_dir, topic, group, prefix, tmp_path / "store"), *log]
    procs = [start(lantern, args)]
    kill_and_restart(lantern, procs, 0, args, topic, group)
    _, err = procs[0].communicate(timeout=600)
    assert procs[0].returncode == 0, err
    assert "transactional id lantern-" in err, err
    assert_exactly_once(prefix, topic, group, expected)
    assert_insert_streams_cover_the_store(lantern, prefix, tmp_path / "store")


def print_output_diagnosis(prefix, expected):
    """Whether what read_committed misses is in the log at all (read_uncommitted), and each
    output partition's last stable offset against its high watermark (a transaction left open
    holds the former back)."""
    from confluent_kafka import Consumer, TopicPartition

    committed = collections.Counter(
        a for _, a in enriched_alert_ids(consume_topic(f"{prefix}.alerts")))
    raw = collections.Counter(a for _, a in enriched_alert_ids(
        consume_topic(f"{prefix}.alerts", isolation="read_uncommitted")))
    missing = collections.Counter(expected) - committed
    print(f"read_committed {sum(committed.values())}, read_uncommitted {sum(raw.values())}, "
          f"missing {sum(missing.values())}, of which in the log "
          f"{sum((missing & raw).values())}")
    topic = f"{prefix}.alerts"
    for isolation in ("read_committed", "read_uncommitted"):
        c = Consumer({"bootstrap.servers": KAFKA, "group.id": unique("diag"),
                      "isolation.level": isolation})
        parts = c.list_topics(topic, timeout=10).topics[topic].partitions
        print(isolation, {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
                          for p in parts})
        c.close()


@needs_kafka
def test_two_workers_one_killed_exactly_once(lantern, data_dir, tmp_path):
    topic, group, prefix = unique("in"), unique("group"), unique("out")
    produce(lantern, data_dir, topic, "--multiply", "25",
            os.path.join(data_dir, "ztf", "alerts", "native"))
    expected = input_alert_ids(topic)
    args = [transactional_args(data_dir, topic, group, prefix, tmp_path / s) for s in "ab"]
    procs = [start(lantern, a) for a in args]
    kill_and_restart(lantern, procs, 0, args[0], topic, group)
    errs = []
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        errs.append(err)
    try:
        assert_exactly_once(prefix, topic, group, expected)
    except AssertionError:
        for name, err in zip("ab", errs):  # the workers' own account, for the diagnosis
            print(f"--- worker {name} (restarted: {name == 'a'}) stderr:\n{err[-4000:]}")
        print_output_diagnosis(prefix, expected)
        raise


def test_transactional_needs_kafka_source_and_sink(lantern, tmp_path):
    store = tmp_path / "store"
    refusals = {
        ("--source", "sim", "--count", "10", "--transactional"): "--transactional needs a Kafka",
        ("--source", "kafka://127.0.0.1:9/in", "--transactional"): "--transactional needs a Kafka",
        ("--source", "kafka://127.0.0.1:9/in", "--sink", "kafka://127.0.0.1:9",
         "--transactional-id", "x"): "--transactional-id needs --transactional",
    }
    for args, reason in refusals.items():
        r = run(lantern, "run", *args, "--data-dir", store, "--progress", "0", check=False,
                timeout=60)
        assert r.returncode == 1, (args, r.stderr)
        assert reason in r.stderr, (args, r.stderr)
    assert not store.exists()
