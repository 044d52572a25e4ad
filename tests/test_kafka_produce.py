"""`lantern produce` against a real Kafka broker (scripts/kafka start; LANTERN_KAFKA = its
bootstrap address; skipped without it). Every real alert file in ../shared/data goes into a
4-partition topic; an independent consumer (confluent-kafka, in a consumer group with manual
commits) reads everything back and checks the message count, that each payload is exactly
one input file's bytes, and that one key always lands in one partition."""
import collections
import glob
import hashlib
import io
import os
import subprocess
import time
import uuid

import pytest

KAFKA = os.environ.get("LANTERN_KAFKA")
pytestmark = pytest.mark.skipif(not KAFKA, reason="LANTERN_KAFKA is not set (scripts/kafka start)")


def consume_all(topic, expected, timeout_s=90):
    from confluent_kafka import Consumer, TopicPartition

    group = f"lantern-test-{uuid.uuid4().hex}"
    c = Consumer({"bootstrap.servers": KAFKA, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got = []
    deadline = time.time() + timeout_s
    while len(got) < expected and time.time() < deadline:
        batch = c.consume(num_messages=500, timeout=1.0)
        for m in batch:
            assert m.error() is None, m.error()
            got.append((m.partition(), m.offset(), m.key(), m.value()))
        if batch:
            c.commit(asynchronous=False)
    # Nothing beyond what was produced.
    for _ in range(3):
        extra = c.consume(num_messages=100, timeout=0.5)
        got.extend((m.partition(), m.offset(), m.key(), m.value()) for m in extra if not m.error())
    parts = [TopicPartition(topic, p) for p in range(4)]
    committed = {tp.partition: tp.offset for tp in c.committed(parts, timeout=10)}
    high = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(4)}
    c.close()
    return got, committed, high


def produce(lantern, topic, *args):
    r = subprocess.run([lantern, "produce", "--to", f"kafka://{KAFKA}/{topic}", "--partitions", "4",
                        *args], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_real_files_round_trip(lantern, data_dir):
    files = sorted(glob.glob(os.path.join(data_dir, "**", "*.avro"), recursive=True))
    assert len(files) > 1000
    want = collections.Counter()
    for f in files:
        with open(f, "rb") as fh:
            want[hashlib.sha256(fh.read()).hexdigest()] += 1

    topic = f"lantern-test-real-{uuid.uuid4().hex[:12]}"
    out = produce(lantern, topic, "--schema-dir", os.path.join(data_dir, "lsst", "schema"), data_dir)
    assert f"produced {len(files)} messages" in out, out
    assert "failed 0" in out, out

    got, committed, high = consume_all(topic, len(files))
    assert len(got) == len(files)
    assert collections.Counter(hashlib.sha256(v).hexdigest() for _, _, _, v in got) == want
    # Confluent-framed Rubin packets keep their magic byte and schema id.
    assert sum(1 for *_, v in got if v[:1] == b"\x00") > 0
    assert sum(1 for *_, v in got if v[:4] == b"Obj\x01") > 1000
    # Keys are object ids; one object stays in one partition; all 4 partitions used.
    partitions_of_key = collections.defaultdict(set)
    for p, _, k, _ in got:
        if k is not None:
            partitions_of_key[k].add(p)
    assert len(partitions_of_key) > 300
    assert all(len(ps) == 1 for ps in partitions_of_key.values())
    assert {p for p, *_ in got} == {0, 1, 2, 3}
    # The group's commits reached the end of every partition.
    assert committed == high
    assert sum(high.values()) == len(files)


def test_simulated_alerts(lantern):
    import fastavro

    topic = f"lantern-test-sim-{uuid.uuid4().hex[:12]}"
    out = produce(lantern, topic, "--simulate", "60", "--rate", "100", "--compression", "zstd")
    assert "produced 60 messages (0 without key)" in out, out
    got, committed, high = consume_all(topic, 60)
    assert len(got) == 60
    for _, _, key, value in got:
        records = list(fastavro.reader(io.BytesIO(value)))
        assert len(records) == 1
        assert key.decode() == records[0]["objectId"]
    assert committed == high


def test_bad_url_is_a_clear_error(lantern):
    r = subprocess.run([lantern, "produce", "--to", "kafka://127.0.0.1/x", "--simulate", "1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert "has no :PORT" in r.stderr
