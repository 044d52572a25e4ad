"""`lantern run` from Kafka to Kafka against a real broker (scripts/kafka start; LANTERN_KAFKA
= its bootstrap address; skipped without it).

* Real alerts of ../shared/data multiplied ×25 (`lantern produce --multiply 25`) into a
  4-partition topic; `lantern run --source kafka://… --sink kafka://…` consumes them: every
  input alert is in the store exactly once and in <prefix>.alerts exactly once per input
  packet, the insert streams hold exactly the store's rows, and the group's commits reach the
  end of every partition.
* Two `lantern run` processes in one consumer group, one SIGKILLed mid-stream and restarted:
  nothing is lost and no store holds an alert twice.
* The broker stopped for 20 s mid-run and restarted: the run waits, recovers and completes.
* A corrupt message ends up in <prefix>.deadletter with its reason; the rest flows.
"""
import base64
import collections
import json
import math
import os
import signal
import struct
import subprocess
import sys
import time
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_pipeline import run, stats  # noqa: E402

KAFKA = os.environ.get("LANTERN_KAFKA")
pytestmark = pytest.mark.skipif(not KAFKA, reason="LANTERN_KAFKA is not set (scripts/kafka start)")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


CREATED = []  # topic names and prefixes, deleted when the module ends


def unique(name):
    n = f"lt-{name}-{uuid.uuid4().hex[:10]}"
    CREATED.append(n)
    return n


@pytest.fixture(scope="module", autouse=True)
def delete_topics():
    """The multiplied streams are gigabytes: drop this module's topics afterwards."""
    yield
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": KAFKA})
    names = [t for t in admin.list_topics(timeout=10).topics
             if any(n in t for n in CREATED)]
    if names:
        for f in admin.delete_topics(names, operation_timeout=30).values():
            try:
                f.result()
            except Exception:  # noqa: BLE001 - best effort
                pass


def consume_topic(topic, idle_s=30.0, timeout_s=240, isolation="read_committed"):
    """Every message of `topic` from the beginning: read until each partition's position reaches
    its high watermark (taken at the start), or nothing arrives for idle_s. The position, not
    the last message, marks the end: transactional topics end in a commit marker."""
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": KAFKA, "group.id": unique("reader"),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": isolation,
                  "max.partition.fetch.bytes": 16 << 20, "fetch.max.bytes": 64 << 20})
    partitions = list(c.list_topics(topic, timeout=10).topics[topic].partitions)
    high = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    assigned = [TopicPartition(topic, p, 0) for p in partitions]
    c.assign(assigned)
    got = []
    deadline = time.time() + timeout_s
    last = time.time()
    while (time.time() < deadline and time.time() - last < idle_s
           and any(max(tp.offset, 0) < high[tp.partition] for tp in c.position(assigned))):
        batch = c.consume(num_messages=1000, timeout=0.5)
        for m in batch:
            if m.error() is None:
                got.append((m.key(), m.value()))
        if batch:
            last = time.time()
    c.close()
    return got


def insert_rows(topic):
    """The rows of an insert stream: each message is a JSON array of the rows one alert brought
    to one table, keyed by their object id (docs/formats.md)."""
    rows = []
    for key, value in consume_topic(topic):
        batch = json.loads(value)
        assert isinstance(batch, list) and batch, (topic, value[:200])
        assert all(r["objectId"] == key.decode() for r in batch), (topic, key, value[:200])
        rows.extend(batch)
    return rows


def wait_for_messages(topic, proc, timeout_s=120):
    """Returns once `topic` holds a message, or when `proc` has ended, or after timeout_s."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    c = Consumer({"bootstrap.servers": KAFKA, "group.id": unique("probe")})
    deadline = time.time() + timeout_s
    try:
        while time.time() < deadline and proc.poll() is None:
            meta = c.list_topics(topic, timeout=5).topics.get(topic)
            try:
                if meta is not None and meta.error is None and meta.partitions:
                    if any(c.get_watermark_offsets(TopicPartition(topic, p), timeout=5)[1] > 0
                           for p in meta.partitions):
                        return
            except KafkaException:  # a just-created partition without its leader yet
                pass
            time.sleep(0.2)
    finally:
        c.close()


def committed_and_high(topic, group, partitions=4):
    from confluent_kafka import Consumer, TopicPartition

    c = Consumer({"bootstrap.servers": KAFKA, "group.id": group, "enable.auto.commit": False})
    parts = [TopicPartition(topic, p) for p in range(partitions)]
    committed = {tp.partition: tp.offset for tp in c.committed(parts, timeout=10)}
    high = {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)}
    c.close()
    return committed, high


def enriched_alert_ids(messages):
    """alertId of each <prefix>.alerts message (Avro single-object encoding, Lantern's schema)."""
    import fastavro

    with open(os.path.join(REPO, "schemas", "lantern", "alert_enriched.avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    import io
    ids = []
    for _, value in messages:
        assert value[:2] == b"\xc3\x01", value[:2]
        rec = fastavro.schemaless_reader(io.BytesIO(value[10:]), schema)
        ids.append((rec["survey"], rec["alertId"]))
    return ids


def produce(lantern, data_dir, topic, *args):
    r = subprocess.run([lantern, "produce", "--to", f"kafka://{KAFKA}/{topic}", "--partitions", "4",
                        "--schema-dir", os.path.join(data_dir, "lsst", "schema"), *args],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr
    return r.stdout


def run_args(data_dir, topic, group, prefix, store):
    return ["run", "--source", f"kafka://{KAFKA}/{topic}", "--group", group,
            "--sink", f"kafka://{KAFKA}", "--sink-prefix", prefix, "--exit-when-idle", "6",
            "--schema-dir", os.path.join(data_dir, "lsst", "schema"), "--data-dir", store,
            "--cutouts", "count", "--progress", "0"]


def avro_insert_rows(topic, schemas_topic):
    """The rows of an insert stream written with --insert-format avro (docs/formats.md): each
    message is single-object encoded (C3 01, the schema's fingerprint, the datum); the schemas
    are in <prefix>.schemas keyed by the fingerprint's hex. Decoded with fastavro, flattened to
    the JSON format's shape (leading keys, then the survey's fields; nulls left out)."""
    import io

    import fastavro

    schemas = {k.decode(): fastavro.parse_schema(json.loads(v))
               for k, v in consume_topic(schemas_topic)}
    rows = []
    for key, value in consume_topic(topic):
        assert value[:2] == b"\xc3\x01", (topic, value[:10])
        message = fastavro.schemaless_reader(io.BytesIO(value[10:]), schemas[value[2:10].hex()])
        assert message["objectId"] == key.decode() and message["rows"], (topic, key)
        for r in message["rows"]:
            row = {"survey": message["survey"], "objectId": message["objectId"],
                   "mjd": r["mjd"], "band": r["band"]}
            row.update((k, v) for k, v in r["row"].items()
                       if v is not None and k not in ("survey", "objectId", "mjd", "band"))
            rows.append(row)
    return rows


@pytest.fixture(scope="module")
def reference(lantern, data_dir, tmp_path_factory):
    """The store of a plain run over the real files (exactly-once against fastavro is checked
    by test_pipeline.py): what one copy of the data gives."""
    store = tmp_path_factory.mktemp("files") / "store"
    run(lantern, "run", "--source", f"files:{data_dir}", "--schema-dir",
        os.path.join(data_dir, "lsst", "schema"), "--data-dir", store, "--progress", "0")
    return stats(lantern, store)


def test_multiplied_real_alerts_exactly_once(lantern, data_dir, reference, tmp_path):
    topic, group, prefix = unique("in"), unique("group"), unique("out")
    out = produce(lantern, data_dir, topic, "--multiply", "25", data_dir)
    assert "failed 0" in out, out
    store = tmp_path / "store"
    r = run(lantern, *run_args(data_dir, topic, group, prefix, store), timeout=1800)
    got = stats(lantern, store)
    for table in ("objects", "detections", "forced", "nondetections", "alerts"):
        assert got[table] == 25 * reference[table], (table, got[table], reference[table])
    assert got["deadletters"] == 25 * reference["deadletters"]

    # Each input packet's alerts once in <prefix>.alerts; every stored alert is there.
    alerts = consume_topic(f"{prefix}.alerts")
    ids = enriched_alert_ids(alerts)
    assert len(set(ids)) == got["alerts"]
    # Insert streams: exactly the rows the store wrote; objects (compacted) by distinct key.
    for table in ("detections", "forced", "nondetections"):
        rows = insert_rows(f"{prefix}.insert.{table}")
        assert len(rows) == got[table], (table, len(rows), got[table], r.stderr)
    objects = consume_topic(f"{prefix}.insert.objects")
    assert len({k for k, _ in objects}) == got["objects"]
    # Compaction keeps an object's last message: it must be the object's final state in the
    # store, so one object's messages must go out in the order its alerts were stored (the
    # two workers' batches share objects: the ×25 copies of Fink's and ZTF's own files of one
    # alert keep one object id).
    last = {}
    for key, value in objects:
        last[key.decode()] = json.loads(value)
    q = subprocess.run([lantern, "query", "--data-dir", str(store), "--json", "--selected",
                        "objects.objectId, ncand, jdmax", "--limit", "100000000"],
                       capture_output=True, text=True, timeout=300)
    assert q.returncode == 0, q.stderr
    final = [json.loads(line) for line in q.stdout.splitlines()]
    assert len(final) > 1000, len(final)
    stale = [(f, last[f["objects.objectId"]]["ncand"], last[f["objects.objectId"]]["jdmax"])
             for f in final
             if (last[f["objects.objectId"]]["ncand"], last[f["objects.objectId"]]["jdmax"])
             != (f["ncand"], f["jdmax"])]
    assert not stale, (len(stale), stale[:3])
    committed, high = committed_and_high(topic, group)
    assert committed == high


def test_avro_insert_rows_equal_the_json_ones(lantern, data_dir, reference, tmp_path):
    """--insert-format avro: the same rows as the JSON insert streams, decoded independently
    (fastavro, schemas from <prefix>.schemas), and as many as the store holds. A detection
    that comes both as one packet's candidate and as a later packet's prv_candidate is stored
    from whichever is processed first. Two workers claim batches in stream order, so with one
    message per batch both runs store the same records (larger batches sort an object's alerts
    by time, and which alerts share a batch varies from run to run)."""
    topic = unique("in")
    produce(lantern, data_dir, topic, data_dir)
    got = {}
    for fmt in ("json", "avro"):
        prefix = unique(f"out-{fmt}")
        store = tmp_path / fmt
        run(lantern, *run_args(data_dir, topic, unique("group"), prefix, store),
            "--insert-format", fmt, "--threads", "2", "--batch", "1", timeout=900)
        counts = stats(lantern, store)
        got[fmt] = {}
        for table in ("detections", "forced", "nondetections"):
            rows = (insert_rows(f"{prefix}.insert.{table}") if fmt == "json" else
                    avro_insert_rows(f"{prefix}.insert.{table}", f"{prefix}.schemas"))
            assert len(rows) == counts[table] == reference[table], (fmt, table)
            got[fmt][table] = rows

    def same(a, b):  # an Avro value against its JSON text (docs/formats.md)
        if isinstance(a, float) and math.isnan(a):
            return b == "NaN"
        if isinstance(a, float) and math.isinf(a):
            return b == ("Infinity" if a > 0 else "-Infinity")
        if isinstance(a, bytes):
            return base64.b64encode(a).decode() == b
        if isinstance(a, float) or isinstance(b, float):  # floats print their shortest text
            return a == b or abs(a - b) <= 1e-6 * max(abs(a), abs(b))
        return a == b

    def identity(row):
        return (row["objectId"], row["mjd"], row["band"], row.get("candid"),
                row.get("diaSourceId"), row.get("diaForcedSourceId"), row.get("pid"))

    for table in ("detections", "forced", "nondetections"):
        by_id = collections.defaultdict(list)
        for row in got["json"][table]:
            by_id[identity(row)].append(row)
        for row in got["avro"][table]:
            matches = by_id[identity(row)]
            assert matches, (table, identity(row))
            want = matches[0]
            assert set(row) == set(want), (table, set(row) ^ set(want))
            bad = [k for k in row if not same(row[k], want[k])]
            assert not bad, (table, bad[:5], {k: (row[k], want[k]) for k in bad[:5]})


def test_two_workers_one_killed(lantern, data_dir, reference, tmp_path):
    """Two processes in one group, each with its own store; one is SIGKILLed and restarted.
    Together the stores hold every alert; each store holds each alert once (keys), and the
    alerts topic is complete."""
    topic, group, prefix = unique("in"), unique("group"), unique("out")
    produce(lantern, data_dir, topic, "--multiply", "9", data_dir)
    stores = [tmp_path / "a", tmp_path / "b"]
    procs = [subprocess.Popen([lantern, *run_args(data_dir, topic, group, prefix, s)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for s in stores]
    # Kill the first worker as soon as the group's output has started (a fixed wait let a fast
    # build finish the whole stream first), so that it dies with work in flight.
    wait_for_messages(f"{prefix}.alerts", procs[0])
    assert procs[0].poll() is None, "the first worker ended before it could be killed"
    procs[0].send_signal(signal.SIGKILL)
    procs[0].wait()
    procs[0] = subprocess.Popen([lantern, *run_args(data_dir, topic, group, prefix, stores[0])],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for p in procs:
        _, err = p.communicate(timeout=1200)
        assert p.returncode == 0, err
    ids = set(enriched_alert_ids(consume_topic(f"{prefix}.alerts")))
    assert len(ids) == 9 * reference["alerts"]
    totals = [stats(lantern, s) for s in stores]
    # Redone work after the kill may sit in both stores, never twice in one (keys).
    assert sum(t["alerts"] for t in totals) >= 9 * reference["alerts"]
    committed, high = committed_and_high(topic, group)
    assert committed == high


def test_exit_when_idle_waits_for_the_group(lantern, data_dir, reference, tmp_path):
    """--exit-when-idle: a worker whose own partitions are drained keeps waiting while another
    member of its group holds partitions with messages left (a member that died holds them
    until its session expires), then takes them over when that member leaves. Before, the
    worker left at once and those messages were never processed."""
    import threading
    from confluent_kafka import Consumer

    topic, group, prefix = unique("in"), unique("group"), unique("out")
    produce(lantern, data_dir, topic, data_dir)
    # A member that takes its share of the partitions and never commits anything.
    member = Consumer({"bootstrap.servers": KAFKA, "group.id": group,
                       "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    member.subscribe([topic])
    deadline = time.time() + 60
    while not member.assignment() and time.time() < deadline:
        member.poll(0.2)
    assert member.assignment(), "the member got no partitions"
    args = run_args(data_dir, topic, group, prefix, tmp_path / "store")
    args[args.index("--exit-when-idle") + 1] = "2"
    proc = subprocess.Popen([lantern, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    deadline = time.time() + 120
    while (proc.poll() is None and time.time() < deadline
           and not any("idle, but the group" in line for line in lines)):
        member.poll(0.2)  # keeps the member in the group (and in the rebalance)
    assert proc.poll() is None, "".join(lines)
    assert any("idle, but the group" in line for line in lines), "".join(lines)
    shared = len(member.assignment())
    assert 0 < shared < 4, shared
    member.close()  # leaves the group without a commit: its partitions go to the worker
    assert proc.wait(timeout=300) == 0, "".join(lines)
    reader.join(timeout=10)
    assert stats(lantern, tmp_path / "store")["alerts"] == reference["alerts"], "".join(lines)
    committed, high = committed_and_high(topic, group)
    assert committed == high


def test_broker_outage(lantern, data_dir, reference, tmp_path):
    """The broker stops for 20 s mid-run and comes back: the run waits and completes."""
    port = KAFKA.rsplit(":", 1)[1]
    kafka_dir = os.environ.get("LANTERN_KAFKA_DIR")
    if not kafka_dir:
        pytest.skip("LANTERN_KAFKA_DIR (the broker's --dir) is not set")
    topic, group, prefix = unique("in"), unique("group"), unique("out")
    produce(lantern, data_dir, topic, "--multiply", "9", data_dir)
    store = tmp_path / "store"
    args = run_args(data_dir, topic, group, prefix, store)
    args[args.index("--exit-when-idle") + 1] = "40"
    proc = subprocess.Popen([lantern, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    time.sleep(3)
    assert proc.poll() is None
    kafka = os.path.join(REPO, "scripts", "kafka")
    subprocess.run([kafka, "stop", "--dir", kafka_dir], check=True, capture_output=True)
    time.sleep(20)
    subprocess.run([kafka, "start", "--dir", kafka_dir, "--port", port], check=True,
                   capture_output=True)
    _, err = proc.communicate(timeout=1200)
    assert proc.returncode == 0, err
    # The run saw the broker go (librdkafka reports the refused connections).
    assert "refused" in err or "checkpoint failed" in err, err[-2000:]
    got = stats(lantern, store)
    assert got["alerts"] == 9 * reference["alerts"]
    ids = enriched_alert_ids(consume_topic(f"{prefix}.alerts"))
    assert len(set(ids)) == got["alerts"]
    committed, high = committed_and_high(topic, group)
    assert committed == high


def test_corrupt_message_goes_to_deadletter(lantern, data_dir, tmp_path):
    from confluent_kafka import Producer

    topic, group, prefix = unique("in"), unique("group"), unique("out")
    ztf = os.path.join(data_dir, "ztf", "alerts", "native")
    files = sorted(os.path.join(d, f) for d, _, fs in os.walk(ztf) for f in fs
                   if f.endswith(".avro"))[:20]
    p = Producer({"bootstrap.servers": KAFKA, "message.max.bytes": 16 << 20})
    for i, f in enumerate(files):
        with open(f, "rb") as fh:
            p.produce(topic, fh.read(), key=os.path.basename(f).encode())
        if i == 10:
            p.produce(topic, b"Obj\x01this is not an alert", key=b"bad")
    p.flush(30)
    store = tmp_path / "store"
    # A user filter too: its matches go to lantern.filter.<owner>.<name> and the store.
    owner = unique("owner")
    os.makedirs(store)
    with open(store / "filters.json", "w") as f:
        json.dump([{"owner": owner, "name": "all", "survey": "ztf",
                    "selected": "objects.objectId, ncand", "conditions": "ncand >= 1"}], f)
    run(lantern, *run_args(data_dir, topic, group, prefix, store), timeout=600)
    got = stats(lantern, store)
    assert got["filter_results"] >= 20
    filtered = consume_topic(f"lantern.filter.{owner}.all")
    assert len(filtered) == got["filter_results"]
    assert all(json.loads(v)["ncand"] >= 1 for _, v in filtered)
    assert got["deadletters"] == 1
    assert got["alerts"] >= 20
    dead = consume_topic(f"{prefix}.deadletter")
    assert len(dead) == 1
    d = json.loads(dead[0][1])
    assert d["origin"].startswith(f"kafka:{topic}/")
    assert d["reason"]
    import base64
    assert base64.b64decode(d["raw_base64"]) == b"Obj\x01this is not an alert"
