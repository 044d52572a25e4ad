"""Behaviour of the `lantern` command that users rely on: inspect output and errors, the
decode benchmark's JSON, and simulate → inspect."""
import json
import os
import shutil
import subprocess


def run(*args, check=True):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"{args} failed ({p.returncode}): {p.stderr}")
    return p


REQUIRED_KEYS = {"file", "index", "survey", "schema_version", "alert_id", "object_id", "ra",
                 "dec", "mjd", "band", "n_prv_detections", "n_forced", "n_nondetections",
                 "cutouts"}


def test_inspect_directory_lists_every_alert(lantern, data_dir):
    d = os.path.join(data_dir, "ztf", "alerts", "fink_multi")
    lines = run(lantern, "inspect", d).stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 31 + 11 + 56  # records per file, from the MANIFEST
    for r in rows:
        assert REQUIRED_KEYS <= r.keys()
        assert r["survey"] == "ztf"
        assert isinstance(r["alert_id"], int) and r["alert_id"] > 0
        assert r["file"].startswith(d)
    # record numbers restart at 0 in each file
    by_file = {}
    for r in rows:
        by_file.setdefault(r["file"], []).append(r["index"])
    assert all(v == list(range(len(v))) for v in by_file.values())


def test_inspect_keeps_the_path_as_given(lantern, data_dir):
    f = os.path.join(data_dir, "ztf", "alerts", "native", "boom", "tests_data_alerts_ztf")
    first = sorted(os.listdir(f))[0]
    path = os.path.join(f, first)
    row = json.loads(run(lantern, "inspect", path).stdout.splitlines()[0])
    assert row["file"] == path
    assert row["cutouts"] == {"science": row["cutouts"]["science"],
                              "template": row["cutouts"]["template"],
                              "difference": row["cutouts"]["difference"]}
    assert all(v > 1000 for v in row["cutouts"].values())


def test_rubin_confluent_needs_and_uses_schema_dir(lantern, data_dir):
    f = os.path.join(data_dir, "lsst", "alerts", "pittgoogle_confluent_wire", "lsst.v11_1.avro")
    p = run(lantern, "inspect", f, check=False)
    assert p.returncode != 0
    assert "schema id 1101" in p.stderr and "--schema-dir" in p.stderr
    ok = run(lantern, "inspect", "--schema-dir", os.path.join(data_dir, "lsst", "schema"), f)
    row = json.loads(ok.stdout)
    assert row["survey"] == "lsst" and row["schema_version"] == "11.1"


def test_bad_file_is_reported_and_the_rest_continue(lantern, data_dir, tmp_path):
    src = os.path.join(data_dir, "ztf", "alerts", "native", "boom", "tests_data_alerts_ztf")
    files = sorted(os.listdir(src))
    good = tmp_path / "a_good.avro"
    shutil.copy(os.path.join(src, files[0]), good)
    data = (tmp_path / "a_good.avro").read_bytes()
    (tmp_path / "b_truncated.avro").write_bytes(data[: len(data) // 2])
    (tmp_path / "c_garbage.avro").write_bytes(b"\x07not an alert at all")
    shutil.copy(os.path.join(src, files[1]), tmp_path / "d_good.avro")
    p = run(lantern, "inspect", str(tmp_path), check=False)
    assert p.returncode != 0
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert [os.path.basename(r["file"]) for r in rows] == ["a_good.avro", "d_good.avro"]
    errors = p.stderr.strip().splitlines()
    assert len(errors) == 2
    assert "b_truncated.avro" in errors[0] and "byte " in errors[0]
    assert "c_garbage.avro" in errors[1] and "byte 0" in errors[1]


def test_full_prints_every_field(lantern, data_dir):
    f = os.path.join(data_dir, "ztf", "alerts", "native", "boom", "tests_data_alerts_ztf")
    row = json.loads(run(lantern, "inspect", "--full", f).stdout.splitlines()[0])
    fields = row["fields"]
    assert fields["candid"] == row["alert_id"]
    assert fields["objectId"] == row["object_id"]
    assert abs(fields["candidate"]["ra"] - row["ra"]) < 1e-12
    assert len(fields["candidate"]) == 103  # every candidate field of schema 4.02


def test_bench_decode_json(lantern, data_dir):
    d = os.path.join(data_dir, "ztf", "alerts", "native", "kowalski")
    out = json.loads(run(lantern, "bench", "decode", d, "--seconds", "0.2", "--json").stdout)
    assert out["alerts"] == 12
    assert out["alerts_per_s"] > 0 and out["mb_per_s"] > 0


def test_simulate_then_inspect(lantern, tmp_path):
    for survey in ("ztf", "lsst"):
        out = tmp_path / f"{survey}.avro"
        run(lantern, "simulate", "--survey", survey, "--count", "300", "--out", str(out),
            "--seed", "7")
        rows = [json.loads(line) for line in run(lantern, "inspect", str(out)).stdout.splitlines()]
        assert len(rows) == 300
        assert {r["survey"] for r in rows} == {survey}
        assert len({r["alert_id"] for r in rows}) == 300
        assert len({r["object_id"] for r in rows}) < 300  # objects recur with history
        assert any(r["n_prv_detections"] > 0 for r in rows)
        fmt = "fits.gz" if survey == "ztf" else "fits"
        assert all(r["cutout_formats"] == {"science": fmt, "template": fmt, "difference": fmt}
                   for r in rows)
        mjds = [r["mjd"] for r in rows]
        assert mjds == sorted(mjds)


def test_bare_datum_with_schema_file(lantern, data_dir, tmp_path):
    wire = os.path.join(data_dir, "lsst", "alerts", "pittgoogle_confluent_wire", "lsst.v9_0.avro")
    bare = tmp_path / "bare.avro"
    bare.write_bytes(open(wire, "rb").read()[5:])  # drop magic byte and schema id
    schema = os.path.join(data_dir, "lsst", "schema", "9.0", "lsst.v9_0.alert.avsc")
    row = json.loads(run(lantern, "inspect", "--schema", schema, str(bare)).stdout)
    framed = json.loads(run(lantern, "inspect", "--schema-dir",
                            os.path.join(data_dir, "lsst", "schema"), wire).stdout)
    assert row["framing"] == "bare" and framed["framing"] == "confluent"
    for key in ("alert_id", "object_id", "ra", "dec", "mjd", "band", "n_prv_detections"):
        assert row[key] == framed[key]


def png_size(path):
    """(width, height) from a PNG's IHDR chunk, after checking the signature."""
    head = open(path, "rb").read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def test_render_cutout_and_light_curve(lantern, data_dir, tmp_path):
    f = os.path.join(data_dir, "ztf", "alerts", "native", "kowalski", "data_ztf_alerts_20200202",
                     "1127561443215015014.avro")
    out = tmp_path / "sci.png"
    row = json.loads(run(lantern, "render", "--in", f, "--cutout", "difference", "--stretch",
                         "asinh", "--scale", "3", "--png", str(out)).stdout)
    assert row["object_id"] == "ZTF20aadyyvk" and row["cutout"] == "difference"
    assert (row["width"], row["height"]) == (63, 63)
    assert row["vmin"] < row["vmax"]
    assert png_size(out) == (63 * 3, 63 * 3)
    assert row["bytes"] == os.path.getsize(out)

    lc = tmp_path / "lc.png"
    row = json.loads(run(lantern, "render", "--in", f, "--lightcurve", "--width", "640",
                         "--height", "360", "--png", str(lc)).stdout)
    assert row["lightcurve"] == "magnitude"
    assert row["points"] == 62 and row["limits"] == 5  # candidate + 61 prv detections, 5 limits
    assert png_size(lc) == (640, 360)

    # Rubin: plain FITS cutouts chosen by alert id; light curve in flux.
    rubin = os.path.join(data_dir, "lsst", "alerts", "fink_client", "part-2-918301.avro")
    row = json.loads(run(lantern, "render", "--in", rubin, "--alert-id", "170094456523456557",
                         "--png", str(out)).stdout)
    assert row["survey"] == "lsst" and (row["width"], row["height"]) == (30, 30)
    assert png_size(out) == (120, 120)
    row = json.loads(run(lantern, "render", "--in", rubin, "--alert-id", "170094456523456557",
                         "--lightcurve", "--png", str(lc)).stdout)
    assert row["lightcurve"] == "flux_njy" and png_size(lc) == (800, 500)

    # Errors: an unknown alert id, and a ZTF 1.5 packet whose cutouts are JPEG.
    p = run(lantern, "render", "--in", rubin, "--alert-id", "1", "--png", str(out), check=False)
    assert p.returncode == 1 and "no alert with id 1" in p.stderr
    jpeg_dir = os.path.join(data_dir, "ztf", "alerts", "native", "ampel-ztf", "tar.tst")
    jpeg = os.path.join(jpeg_dir, sorted(os.listdir(jpeg_dir))[0])
    p = run(lantern, "render", "--in", jpeg, "--png", str(out), check=False)
    assert p.returncode == 1 and "not FITS" in p.stderr


def test_xmatch_lcat_equals_csv(lantern, data_dir, tmp_path):
    catalog = os.path.join(data_dir, "catalogs", "tycho2_astrometry_index4109.csv.gz")
    lcat = tmp_path / "tycho2.lcat"
    run(lantern, "catalog", "build", "--csv", catalog, "--id-col", "id", "--ra-col", "ra",
        "--dec-col", "dec", "--out", lcat)
    queries = tmp_path / "q.csv"
    queries.write_text("id,ra,dec\n1,225.9310760,-35.3587112\n2,10,10\n3,359.9999,0.0\n"
                       "4,83.8,-5.4\n5,0.0,89.99\n")
    outputs = []
    for cat, index in ((catalog, "zones2d"), (lcat, "zones2d"), (lcat, "zones1d"), (lcat, "htm")):
        out = tmp_path / f"m{len(outputs)}.csv"
        run(lantern, "xmatch", "--catalog", cat, "--in", queries, "--out", out, "--radius", "600",
            "--all", "--index", index)
        outputs.append(out.read_text())
    assert outputs[0].count("\n") > 3
    assert all(o == outputs[0] for o in outputs)


def test_filter_registry_commands(lantern, data_dir, tmp_path):
    d = str(tmp_path / "data")
    add = [lantern, "filter", "add", "--data-dir", d, "--owner", "alice", "--name", "bright",
           "--selected", "objectId, ncand", "--conditions", "ncand > 1 ORDER BY ncand DESC"]
    assert "added filter alice/bright" in run(*add).stdout
    assert "replaced filter alice/bright" in run(*add, "--mode", "lite", "--quota-mb", "5").stdout
    run(lantern, "filter", "add", "--data-dir", d, "--owner", "bob", "--name", "lsst",
        "--survey", "lsst", "--selected", "diaObjectId", "--conditions", "nDiaSources >= 5",
        "--muted")
    listed = json.loads(run(lantern, "filter", "list", "--json", "--data-dir", d).stdout)
    assert [(f["owner"], f["name"], f["active"]) for f in listed] == [
        ("alice", "bright", True), ("bob", "lsst", False)]
    shown = json.loads(run(lantern, "filter", "show", "alice", "bright", "--data-dir", d).stdout)
    assert shown["mode"] == "lite" and shown["daily_quota_bytes"] == 5000000
    assert shown["topic"] == "lantern.filter.alice.bright"

    # A filter that does not compile is refused with the parser's error and exit code 2.
    p = run(lantern, "filter", "add", "--data-dir", d, "--owner", "eve", "--name", "drop",
            "--selected", "objectId", "--conditions", "ncand > 1; DROP", check=False)
    assert p.returncode == 2 and "';' is not allowed" in p.stderr
    p = run(lantern, "filter", "add", "--data-dir", d, "--owner", "eve", "--name", "x.y",
            "--selected", "objectId", "--conditions", "ncand > 1", check=False)
    assert p.returncode == 2 and "'x.y'" in p.stderr

    run(lantern, "filter", "mute", "alice", "bright", "--data-dir", d)
    run(lantern, "filter", "unmute", "bob", "lsst", "--data-dir", d)
    listed = json.loads(run(lantern, "filter", "list", "--json", "--data-dir", d).stdout)
    assert [(f["name"], f["active"]) for f in listed] == [("bright", False), ("lsst", True)]

    # test: the same rows as `lantern query` over a store.
    alerts = os.path.join(data_dir, "ztf", "alerts", "native", "ampel-ztf")
    run(lantern, "run", "--source", "files:" + alerts, "--data-dir", d)
    p = run(lantern, "filter", "test", "alice", "bright", "--json", "--limit", "3",
            "--data-dir", d)
    q = run(lantern, "query", "--json", "--limit", "3", "--selected", "objectId, ncand",
            "--conditions", "ncand > 1 ORDER BY ncand DESC", "--data-dir", d)
    rows = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(rows) == 3 and p.stdout == q.stdout
    assert rows[0]["ncand"] >= rows[1]["ncand"] >= rows[2]["ncand"] > 1
    assert "3 rows in" in p.stderr and " ms" in p.stderr

    run(lantern, "filter", "remove", "alice", "bright", "--data-dir", d)
    listed = json.loads(run(lantern, "filter", "list", "--json", "--data-dir", d).stdout)
    assert [f["name"] for f in listed] == ["lsst"]
    p = run(lantern, "filter", "remove", "alice", "bright", "--data-dir", d, check=False)
    assert p.returncode == 1 and "no filter alice/bright" in p.stderr

    # A corrupt registry is an error naming the file, not a crash.
    (tmp_path / "data" / "filters.json").write_text("[{")
    p = run(lantern, "filter", "list", "--data-dir", d, check=False)
    assert p.returncode == 1 and "filters.json: not valid JSON" in p.stderr


def test_kafka_config_reaches_every_kafka_client(lantern, tmp_path):
    """-X NAME=VALUE goes to librdkafka in every command that makes a Kafka client: an
    unknown property is refused by librdkafka itself, naming the client it was meant for
    (no broker is needed: the configuration is checked before connecting)."""
    bad = ["-X", "no.such.property=1"]
    url = "kafka://127.0.0.1:9/topic"
    cases = {
        "consumer": ["run", "--source", url, "--data-dir", str(tmp_path / "a"), *bad],
        "admin": ["run", "--source", url, "--sink", "kafka://127.0.0.1:9",
                  "--data-dir", str(tmp_path / "b"), *bad],
        "produce": ["produce", "--to", url, "--simulate", "1", *bad],
        "rates": ["rates", url, *bad],
    }
    for name, args in cases.items():
        r = subprocess.run([lantern, *args], capture_output=True, text=True, timeout=60)
        assert r.returncode != 0, (name, r.stderr)
        assert 'No such configuration property: "no.such.property"' in r.stderr, (name, r.stderr)
    r = subprocess.run([lantern, "run", "--source", url, "--data-dir", str(tmp_path / "c"),
                        "-X", "security.protocol"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "must look like NAME=VALUE" in r.stderr, r.stderr
