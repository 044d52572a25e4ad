"""Level 1 pipeline (`lantern run`) over the real alerts in ../shared/data, checked against an
independent reading of the same files with fastavro:

* objects: one per distinct object id (ZTF objectId; Rubin diaObjectId, else ssObjectId);
* detections: every detection of every packet (the triggering one and each previous detection
  with an id) stored exactly once — the store's count equals the number of distinct
  (object, source id) pairs;
* forced photometry and non-detections: one row per distinct (object, time, band);
* alerts: one per distinct alert id; cutouts: three per alert that carries them;
* rerunning over the same files changes no table (SHA-256 of every key and value);
* `lantern object` and `lantern cone` return what was stored.
"""
from __future__ import annotations

import functools
import json
import os
import subprocess

import pytest

from fastavro_compare import decode_reference

ZTF_BANDS = {1: "g", 2: "r", 3: "i"}


def run(*args, check=True, **kw):
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stderr}")
    return proc


def stats(lantern, data_dir, digest=False):
    args = [lantern, "stats", "--json", "--data-dir", data_dir]
    if digest:
        args.append("--digest")
    out = json.loads(run(*args).stdout)
    out.pop("disk_bytes")  # depends on flushes and compactions, not on content
    return out


def alert_files(root):
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files if f.endswith(".avro")]
    return sorted(out)


def lsst_object_id(rec):
    src = rec["diaSource"]
    if src.get("diaObjectId"):
        return str(src["diaObjectId"])
    if src.get("ssObjectId"):
        return str(src["ssObjectId"])
    if rec.get("diaObject") and rec["diaObject"].get("diaObjectId") is not None:
        return str(rec["diaObject"]["diaObjectId"])
    return str(rec["ssSource"]["ssObjectId"])


@functools.lru_cache(maxsize=None)
def expected_rows(data_dir):
    """Distinct keys per table, from fastavro."""
    exp = {k: set() for k in ("objects", "detections", "forced", "nondetections", "alerts")}
    exp["jd"] = {}  # ZTF (object, candid) -> set of jd values the packets gave it
    cutouts = set()
    for path in alert_files(os.path.join(data_dir, "ztf")) + alert_files(os.path.join(data_dir, "lsst")):
        ref = decode_reference(path, os.path.join(data_dir, "lsst", "schema"))
        for rec in ref.records:
            if "objectId" in rec:  # ZTF
                obj = ("ztf", rec["objectId"])
                exp["objects"].add(obj)
                exp["alerts"].add(("ztf", rec["candid"]))
                exp["detections"].add((obj, rec["candid"]))
                exp["jd"].setdefault((obj, rec["candid"]), set()).add(rec["candidate"]["jd"])
                for p in rec.get("prv_candidates") or []:
                    if p.get("candid") is not None:
                        exp["detections"].add((obj, p["candid"]))
                        exp["jd"].setdefault((obj, p["candid"]), set()).add(p["jd"])
                    else:
                        exp["nondetections"].add((obj, p["jd"], p["fid"]))
                for f in rec.get("fp_hists") or []:
                    exp["forced"].add((obj, f["jd"], f["fid"]))
                for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
                    c = rec.get(kind)
                    if c and c.get("stampData"):
                        cutouts.add(("ztf", rec["candid"], kind))
            else:  # Rubin
                obj = ("lsst", lsst_object_id(rec))
                src = rec["diaSource"]
                alert_id = rec.get("diaSourceId") or rec.get("alertId") or src["diaSourceId"]
                exp["objects"].add(obj)
                exp["alerts"].add(("lsst", alert_id))
                exp["detections"].add((obj, src["diaSourceId"]))
                for p in rec.get("prvDiaSources") or []:
                    exp["detections"].add((obj, p["diaSourceId"]))
                for f in rec.get("prvDiaForcedSources") or []:
                    exp["forced"].add((obj, f["midpointMjdTai"], f["band"]))
                for n in rec.get("prvDiaNondetectionLimits") or []:
                    exp["nondetections"].add((obj, n["midpointMjdTai"], n["band"]))
                for kind in ("cutoutScience", "cutoutTemplate", "cutoutDifference"):
                    if rec.get(kind):
                        cutouts.add(("lsst", alert_id, kind))
    counts = {k: len(v) for k, v in exp.items() if k != "jd"}
    counts["cutouts"] = len(cutouts)
    return counts, exp


@pytest.fixture(scope="module")
def real_store(lantern, data_dir, tmp_path_factory):
    store = tmp_path_factory.mktemp("real") / "store"
    proc = run(lantern, "run", "--source", f"files:{data_dir}", "--schema-dir",
               os.path.join(data_dir, "lsst", "schema"), "--data-dir", store, "--progress", "0")
    return store, proc.stderr


def test_every_real_alert_is_stored_exactly_once(lantern, data_dir, real_store):
    store, log = real_store
    got = stats(lantern, store)
    counts, _ = expected_rows(data_dir)
    for table in ("objects", "detections", "forced", "nondetections", "alerts", "cutouts"):
        assert got[table] == counts[table], f"{table}: store {got[table]}, expected {counts[table]}"
    assert got["positions"] == got["objects"]
    # The truncated file ends cleanly after its first block: nothing is bad, nothing is lost.
    assert got["deadletters"] == 0, got["deadletters_by_reason"]


def test_bad_packets_become_dead_letters_and_the_rest_flows(lantern, data_dir, tmp_path):
    native = os.path.join(data_dir, "ztf", "alerts", "native")
    good = alert_files(native)[:5]
    src = tmp_path / "in"
    src.mkdir()
    for i, path in enumerate(good):
        (src / f"good{i}.avro").write_bytes(open(path, "rb").read())
    data = open(good[0], "rb").read()
    (src / "truncated.avro").write_bytes(data[: len(data) - 5000])  # cut inside the block
    (src / "garbage.avro").write_bytes(b"\x07not an alert at all" * 10)
    store = tmp_path / "store"
    proc = run(lantern, "run", "--source", f"files:{src}", "--data-dir", store, "--progress", "0")
    got = stats(lantern, store)
    assert got["alerts"] == len(good)
    assert got["deadletters"] == 2, got
    reasons = " ".join(got["deadletters_by_reason"])
    assert "unknown framing" in reasons and "truncated" in reasons, reasons
    assert "dead letters 2" in proc.stderr


def test_rerun_changes_nothing(lantern, data_dir, real_store, tmp_path):
    store, _ = real_store
    before = stats(lantern, store, digest=True)
    # A restart skips what is stored; a fresh run over a copy of the files redoes everything.
    run(lantern, "run", "--source", f"files:{data_dir}", "--schema-dir",
        os.path.join(data_dir, "lsst", "schema"), "--data-dir", store, "--progress", "0")
    assert stats(lantern, store, digest=True) == before
    for strategy in ("upsert", "select"):
        again = tmp_path / strategy
        for _ in range(2):
            run(lantern, "run", "--source", f"files:{data_dir}", "--schema-dir",
                os.path.join(data_dir, "lsst", "schema"), "--data-dir", again, "--progress", "0",
                "--history", strategy, "--threads", "1")
        twice = stats(lantern, again, digest=True)
        for table in ("objects", "detections", "forced", "nondetections", "alerts", "cutouts"):
            assert twice[table] == before[table], (strategy, table)


def test_features_cover_the_full_history(lantern, data_dir, real_store):
    """Object features come from every detection of every packet of the object (stored +
    packet), not from one packet: ncand, jdmin and jdmax against the union, for a sample of
    ZTF objects (those whose detections all came with one time)."""
    store, _ = real_store
    _, exp = expected_rows(data_dir)
    per_object = {}
    for (obj, candid), jds in exp["jd"].items():
        per_object.setdefault(obj, []).append(jds)
    checked = 0
    for (survey, obj), jd_sets in sorted(per_object.items())[::6]:
        if any(len(j) != 1 for j in jd_sets):
            continue
        jds = [next(iter(j)) for j in jd_sets]
        f = json.loads(run(lantern, "object", obj, "--data-dir", store).stdout)["features"]
        assert f["ncand"] == len(jds), obj
        assert abs(f["jdmin"] - min(jds)) < 1e-6 and abs(f["jdmax"] - max(jds)) < 1e-6, obj
        checked += 1
    assert checked > 100, checked


def test_object_and_cone(lantern, data_dir, real_store):
    store, _ = real_store
    _, exp = expected_rows(data_dir)
    ztf = sorted(o for s, o in exp["objects"] if s == "ztf")[0]
    obj = json.loads(run(lantern, "object", ztf, "--data-dir", store).stdout)
    assert obj["object_id"] == ztf and obj["survey"] == "ztf"
    for key in ("features", "context", "detections", "forced", "nondetections"):
        assert key in obj
    want = {c for (s, o), c in exp["detections"] if s == "ztf" and o == ztf}
    assert {d["candid"] for d in obj["detections"]} == want
    for d in obj["detections"]:
        assert d["band"] in ("g", "r", "i") and abs(d["mjd"] - (d["jd"] - 2400000.5)) < 1e-6
    assert obj["features"]["ncand"] == len(want)
    got = run(lantern, "cone", obj["ra"], obj["dec"], 1, "--json", "--data-dir", store).stdout
    rows = [json.loads(line) for line in got.splitlines()]
    assert rows and rows[0]["object_id"] == ztf and rows[0]["separation"] < 1e-6
    assert run(lantern, "object", "nope", "--data-dir", store, check=False).returncode == 1


# With the write-ahead log, synced every batch; and without it (the default), where a crash
# loses the unflushed writes of every table together and the restart redoes them — frequent
# flushes make kills land before, during and after them.
@pytest.mark.parametrize("durability", [("--sync",), ("--flush-seconds", "0.05")],
                         ids=["wal-sync", "no-wal"])
def test_crash_safety_sigkill_and_restart(lantern, tmp_path, durability):
    """SIGKILL at random moments, restart until the run completes by itself: the final store
    equals the one an uninterrupted run builds."""
    import random
    import signal
    import time

    src = tmp_path / "alerts"
    src.mkdir()
    run(lantern, "simulate", "--survey", "ztf", "--count", "1500", "--seed", "7",
        "--out", src / "ztf.avro")
    run(lantern, "simulate", "--survey", "lsst", "--count", "800", "--seed", "8",
        "--out", src / "lsst.avro")
    # Small batches: many commits, so kills land between and inside them.
    args = ["run", "--source", f"files:{src}", "--threads", "2", "--batch", "2", *durability,
            "--progress", "0"]
    reference = tmp_path / "reference"
    start = time.monotonic()
    run(lantern, *args, "--data-dir", reference)
    duration = time.monotonic() - start
    want = stats(lantern, reference, digest=True)
    assert want["alerts"] == 2300 and want["deadletters"] == 0

    rng = random.Random(20261128)
    # Kill at random moments within the first part of a run's expected duration; if a run
    # finishes before any kill lands (the machine got faster), start over with shorter windows.
    for round_, scale in enumerate((0.8, 0.4, 0.2)):
        crashed = tmp_path / f"crashed{round_}"
        kills = 0
        # Up to eight kills, then a run left alone (without the log, a run killed before its
        # first flush keeps nothing, so kills alone need not make progress).
        for attempt in range(9):
            proc = subprocess.Popen([str(lantern), *args, "--data-dir", str(crashed)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                proc.wait(timeout=rng.uniform(0.05, scale) * duration if attempt < 8 else 600)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
            assert proc.returncode == 0, f"run {attempt} exited with {proc.returncode}"
            break
        else:
            pytest.fail("the run never completed")
        if kills >= 2:
            break
    assert kills >= 2, "the test should kill the process mid-run at least twice"
    got = stats(lantern, crashed, digest=True)
    assert got == want


def write_filters(data_dir, filters):
    """The registry file (<data-dir>/filters.json, as `lantern filter add` writes it)."""
    path = os.path.join(str(data_dir), "filters.json")
    os.makedirs(str(data_dir), exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(filters, f)
    os.replace(path + ".tmp", path)


def filter_results(lantern, store):
    out = stats(lantern, store)
    return out["filter_results"]


def test_streaming_filters_agree_with_the_historical_engine(lantern, data_dir, tmp_path):
    """The streaming engine (every active filter over every batch, inside `lantern run`) against
    `lantern query` over the final store. `ncand` never decreases, so an object passes
    `ncand >= 3` at some alert exactly when it passes it at the end: the objects in the
    filter's results equal the query's rows."""
    store = tmp_path / "store"
    write_filters(store, [
        {"owner": "test", "name": "multi", "survey": "ztf", "selected": "objects.objectId, ncand",
         "tables": "objects", "conditions": "ncand >= 3", "active": True, "mode": "lite"},
        {"owner": "test", "name": "muted", "survey": "ztf", "selected": "objects.objectId",
         "tables": "objects", "conditions": "ncand >= 1", "active": False, "mode": "plain"},
    ])
    r = run(lantern, "run", "--source", f"files:{os.path.join(data_dir, 'ztf')}",
            "--data-dir", store, "--progress", "0")
    assert "filter test.multi:" in r.stderr and "filter test.muted" not in r.stderr, r.stderr
    q = run(lantern, "query", "--data-dir", store, "--selected", "objects.objectId, ncand",
            "--conditions", "ncand >= 3", "--limit", "1000000", "--json")
    want = {json.loads(line)["objects.objectId"] for line in q.stdout.splitlines() if line.strip()}
    assert len(want) > 20
    got = set()
    n = 0
    for line in run(lantern, "filter", "results", "test", "multi", "--data-dir", store,
                    "--limit", "1000000").stdout.splitlines():
        msg = json.loads(line)
        assert msg["ncand"] >= 3 and msg["UTC"] and msg["alertId"]
        assert len(msg["lightcurve"]) >= 1
        got.add(msg["objects.objectId"])
        n += 1
    assert got == want
    assert filter_results(lantern, store) == n


def test_a_changed_filter_takes_effect_without_restart(lantern, tmp_path):
    import signal
    import time

    store = tmp_path / "store"
    proc = subprocess.Popen([lantern, "run", "--data-dir", str(store), "--rate", "300",
                             "--progress", "0"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(4)
    write_filters(store, [{"owner": "live", "name": "all", "survey": "ztf",
                           "selected": "objects.objectId", "tables": "objects",
                           "conditions": "ncand >= 1", "active": True, "mode": "plain"}])
    time.sleep(4)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "1 active filters" in err, err
    assert filter_results(lantern, store) > 100
