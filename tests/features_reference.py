#!/usr/bin/env python3
"""features_reference.py — `lantern features` against an independent numpy computation.

The reference below is written from docs/features.md (the definition), not from the C++ code:
it decodes every .avro alert file under DATA/ztf and DATA/lsst with fastavro (Avro container
files with fastavro.reader; Confluent wire-format packets — byte 0 = 0, bytes 1-4 big-endian
schema id = major*100+minor — with fastavro.schemaless_reader and the Rubin schema folder
DATA/lsst/schema/<major>.<minor>/), builds each alert's light curve from the raw fields and
computes every documented column with numpy (`htm16` with esutil's HTM). It then runs
`lantern features --schema-dir DATA/lsst/schema FILE...` (chunks of ~200 files) and compares
every column of every alert:
  * integers and strings exactly, null == null;
  * doubles with relative tolerance 1e-9 (plus an absolute floor of 1e-12 so that values
    that are zero up to rounding, e.g. a Galactic latitude or a colour near 0, compare);
  * the JSON types must match the documented column types (doubles carry a decimal point).
Every mismatch is reported with file, record index, object id and column. Exit status 1 on
any mismatch, a missing or extra alert or column, or a failure of lantern or of the reference.

Usage:
  python tests/features_reference.py --lantern build/bin/lantern [--data DIR]
DATA defaults to $LANTERN_SHARED_DATA, else ../shared/data relative to the repo.
"""
from __future__ import annotations

import argparse
import glob
import io
import json
import math
import os
import subprocess
import sys

import fastavro
import fastavro.read
import fastavro.schema
import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = b"Obj\x01"
CHUNK = 200
REL_TOL = 1e-9
ABS_TOL = 1e-12
MAX_REPORTED = 60

fastavro.read.LOGICAL_READERS.clear()  # raw values, as Lantern reads them

# --------------------------------------------------------------------------- decoding

_schemas: dict = {}


def confluent_schema(schema_dir, schema_id):
    if schema_id not in _schemas:
        major, minor = divmod(schema_id, 100)
        tops = sorted(glob.glob(os.path.join(schema_dir, f"{major}.{minor}", "*.alert.avsc")))
        if not tops:
            raise FileNotFoundError(f"schema id {schema_id}: no *.alert.avsc")
        _schemas[schema_id] = fastavro.schema.load_schema(tops[0], named_schemas={})
    return _schemas[schema_id]


def read_alerts(path, schema_dir):
    """Records of one file, in order. A container file that breaks off keeps the records read."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == MAGIC:
        out = []
        try:
            for rec in fastavro.reader(io.BytesIO(data)):
                out.append(rec)
        except Exception as e:  # a truncated copy (data README 1.2): compare what was read
            if not out:
                raise
            print(f"note: {path}: fastavro stopped after {len(out)} record(s): {e!r}")
        return out
    if len(data) > 5 and data[0] == 0:
        bio = io.BytesIO(data)
        bio.seek(5)
        return [fastavro.schemaless_reader(bio, confluent_schema(schema_dir, int.from_bytes(data[1:5], "big")))]
    raise RuntimeError(f"{path}: neither an Avro container nor Confluent wire format")


# --------------------------------------------------------------------------- light curve

def num(rec, key):
    v = rec.get(key)
    if v is None or isinstance(v, (str, bytes)):
        return math.nan
    return float(v)


def detections(alert, survey):
    """Detection records in light-curve order (docs: "The light curve")."""
    if survey == "ztf":
        recs = [alert["candidate"]] + [p for p in (alert.get("prv_candidates") or [])
                                       if p.get("candid") is not None]
        key_id, key_t = "candid", "jd"
    else:
        recs = [alert["diaSource"]] + list(alert.get("prvDiaSources") or [])
        key_id, key_t = "diaSourceId", "midpointMjdTai"
    seen, out = set(), []
    for r in recs:
        if r[key_id] in seen:
            continue
        seen.add(r[key_id])
        t = num(r, key_t)
        if math.isfinite(t):
            out.append(r)
    out.sort(key=lambda r: (num(r, key_t), r[key_id]))
    return out


def mean_position(recs):
    """(n, ramean, decmean, unwrapped ra array, dec array)."""
    pos = [(num(r, "ra"), num(r, "dec")) for r in recs]
    pos = [(a, d) for a, d in pos if math.isfinite(a) and math.isfinite(d)]
    if not pos:
        return 0, None, None, np.array([]), np.array([])
    ra = np.array([p[0] for p in pos])
    dec = np.array([p[1] for p in pos])
    d = ra - ra[0]
    d = np.where(d >= 180.0, d - 360.0, d)
    d = np.where(d < -180.0, d + 360.0, d)
    unwrapped = ra[0] + d
    mean_ra = float(np.mean(unwrapped)) % 360.0
    return len(pos), mean_ra, float(np.mean(dec)), unwrapped, dec


GAL = np.array([[-0.0548755604162154, -0.8734370902348850, -0.4838350155487132],
                [+0.4941094278755837, -0.4448296299600112, +0.7469822444972189],
                [-0.8676661490190047, -0.1980763734312015, +0.4559837761750669]])


def galactic(ra, dec):
    a, d = np.radians(ra), np.radians(dec)
    x, y, z = GAL @ np.array([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    lon = math.degrees(math.atan2(y, x)) % 360.0
    lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    return lon, lat


_htm16 = None


def htm16(ra, dec):
    """Lasair's htm16 from esutil's port of the SDSS HTM library (independent of Lantern)."""
    global _htm16
    if _htm16 is None:
        import esutil.htm
        _htm16 = esutil.htm.HTM(16)
    return int(_htm16.lookup_id(np.array([ra]), np.array([dec]))[0])


def fin(x):
    """Documented null rule: NaN/inf/None → None."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- ZTF

ZTF_INT = {"ncand", "ncandgp", "ncandgp_7", "ncandgp_14", "htm16"}
ZTF_STR = {"ssnamenr"}


def ztf_features(alert):
    det = detections(alert, "ztf")
    out = {"ncand": len(det)}
    n, ra, dec, ras, decs = mean_position(det)
    out["ramean"], out["decmean"] = ra, dec
    out["rastd"] = 3600.0 * float(np.std(ras)) if n else None
    out["decstd"] = 3600.0 * float(np.std(decs)) if n else None
    out["glonmean"], out["glatmean"] = galactic(ra, dec) if n else (None, None)
    out["htm16"] = htm16(ra, dec) if n else None

    def positive(r):
        return r.get("isdiffpos") not in ("f", "0")

    jd = [num(r, "jd") for r in det]
    out["jdmin"] = jd[0] if det else None
    out["jdmax"] = jd[-1] if det else None
    bands = {}
    for b, fid in (("g", 1), ("r", 2)):
        bands[b] = [r for r in det if r.get("fid") == fid and math.isfinite(num(r, "magpsf"))]
    for b in "gr":
        out[f"jd{b}max"] = num(bands[b][-1], "jd") if bands[b] else None
    for b in "gr":
        out[f"{b}mag"] = num(bands[b][-1], "magpsf") if bands[b] else None
    for b in "gr":
        m = np.array([num(r, "magpsf") for r in bands[b]])
        out[f"mag{b}min"] = float(m.min()) if len(m) else None
        out[f"mag{b}max"] = float(m.max()) if len(m) else None
        out[f"mag{b}mean"] = float(m.mean()) if len(m) else None
    for b in "gr":
        rate = err = None
        if len(bands[b]) >= 2:
            a, c = bands[b][-2], bands[b][-1]
            dt = (num(c, "jd") - 2400000.5) - (num(a, "jd") - 2400000.5)
            if positive(a) and positive(c) and dt > 0:
                rate = (num(a, "magpsf") - num(c, "magpsf")) / dt
                err = (num(a, "sigmapsf") + num(c, "sigmapsf")) / dt
        out[f"dmdt_{b}"], out[f"dmdt_{b}_err"] = rate, err
    for b in "gr":
        for tau in (2, 8, 28):
            avg, t_prev = None, None
            for r in bands[b]:
                m, t = num(r, "magpsf"), num(r, "jd") - 2400000.5
                if avg is None:
                    avg = m
                else:
                    f = math.exp(-(t - t_prev) / tau)
                    avg = avg * f + m * (1 - f)
                t_prev = t
            out[f"mag_{b}{tau:02d}"] = avg

    latest = (jd[-1] - 2400000.5) if det else math.nan
    gp = gp7 = gp14 = 0
    for r in det:
        if positive(r) and (num(r, "rb") > 0.75 or num(r, "drb") > 0.75):
            gp += 1
            age = latest - (num(r, "jd") - 2400000.5)
            gp7 += age < 7.0
            gp14 += age < 14.0
    out["ncandgp"], out["ncandgp_7"], out["ncandgp_14"] = gp, gp7, gp14

    nights = {}
    for b in "gr":
        nights[b] = {}
        for r in bands[b]:
            if positive(r) and r.get("nid") is not None:
                nights[b][r["nid"]] = r  # time order: the latest of the night stays
    both = sorted(set(nights["g"]) & set(nights["r"]))
    if both:
        g, r = nights["g"][both[-1]], nights["r"][both[-1]]
        out["g_minus_r"] = num(g, "magpsf") - num(r, "magpsf")
        out["jd_g_minus_r"] = num(g, "jd")
    else:
        out["g_minus_r"] = out["jd_g_minus_r"] = None

    ps1 = [r for r in det if "sgscore1" in r]
    for k in ("distpsnr1", "sgscore1", "sgmag1", "srmag1"):
        out[k] = num(ps1[-1], k) if ps1 else None
    ss = [r for r in det if "ssnamenr" in r]
    v = ss[-1]["ssnamenr"] if ss else None
    out["ssnamenr"] = v if isinstance(v, str) and v not in ("", "null") else None
    return {k: (v if k in ZTF_INT or k in ZTF_STR else fin(v)) for k, v in out.items()}


# --------------------------------------------------------------------------- LSST

BANDS = "ugrizy"
LSST_INT = {"nDiaSources", "nPosDiaSources", "nPosDiaSourcesNights", "nSourcesGood", "htm16"} | \
    {f"n{b}Sources" for b in BANDS}
LSST_STR = {"latestPairColourBands", "penultimatePairColourBands"}


def lsst_features(alert):
    det = detections(alert, "lsst")
    F = [(num(r, "midpointMjdTai"), num(r, "psfFlux"), num(r, "psfFluxErr"), r.get("band"))
         for r in det if math.isfinite(num(r, "psfFlux"))]
    t = np.array([x[0] for x in F])
    f = np.array([x[1] for x in F])
    e = np.array([x[2] for x in F])
    band = np.array([x[3] for x in F], dtype=object)

    out = {"nDiaSources": len(det)}
    pos = f > 0
    out["nPosDiaSources"] = int(pos.sum())
    out["nPosDiaSourcesNights"] = len({math.floor(x - 0.5) for x in t[pos]})
    for b in BANDS:
        out[f"n{b}Sources"] = int((band == b).sum())
    for b in BANDS:
        sel = band == b
        out[f"{b}_psfFlux"] = float(f[sel][-1]) if sel.any() else None
        out[f"{b}_latestMJD"] = float(t[sel][-1]) if sel.any() else None
        ok = sel & np.isfinite(e) & (e > 0)
        if ok.any():
            w = 1.0 / e[ok] ** 2
            out[f"{b}_psfFluxMean"] = float(np.sum(w * f[ok]) / np.sum(w))
            out[f"{b}_psfFluxMeanErr"] = float(1.0 / np.sqrt(np.sum(w)))
        else:
            out[f"{b}_psfFluxMean"] = out[f"{b}_psfFluxMeanErr"] = None
    out["latest_psfFlux"] = float(f[-1]) if len(f) else None

    rel = np.array([num(r, "reliability") for r in det])
    rel = rel[np.isfinite(rel)]
    out["medianR"] = float(np.median(rel)) if len(rel) else None
    out["latestR"] = float(rel[-1]) if len(rel) else None
    out["nSourcesGood"] = int((rel > 0.5).sum())
    out["firstDiaSourceMjdTai"] = num(det[0], "midpointMjdTai") if det else None
    out["lastDiaSourceMjdTai"] = num(det[-1], "midpointMjdTai") if det else None
    n, ra, dec, _, _ = mean_position(det)
    out["glat"] = galactic(ra, dec)[1] if n else None
    out["htm16"] = htm16(ra, dec) if n else None

    if len(F) == 0:
        out["jump1"] = out["jump2"] = None
    else:
        delta = t[-1] - t
        jumps = []
        for b in BANDS:
            sample = f[(band == b) & (delta > 10) & (delta < 70)]
            test = f[(band == b) & (delta > 0) & (delta < 10)]
            jump = 0.0
            if len(sample) >= 5:
                s = float(np.std(sample, ddof=1))
                if math.isfinite(s) and s > 0 and len(test):
                    jump = float(np.max(np.abs(test - np.mean(sample)) / s))
            jumps.append(jump)
        jumps.sort()
        out["jump1"], out["jump2"] = jumps[-1], jumps[-2]

    pairs = []
    k = len(F) - 1
    while k >= 1 and len(pairs) < 2:
        b1, b2 = band[k - 1], band[k]
        if (t[k] - t[k - 1] < 40.0 / 1440.0 and b1 in BANDS and b2 in BANDS and b1 != b2
                and f[k - 1] > 0 and f[k] > 0):
            blue, red = (k - 1, k) if BANDS.index(b1) < BANDS.index(b2) else (k, k - 1)
            pairs.append((float(t[k]), -2.5 * math.log10(f[blue] / f[red]),
                          f"{band[blue]}-{band[red]}"))
            k -= 2  # the next pair may not share a source
        else:
            k -= 1
    for i, name in enumerate(("latestPair", "penultimatePair")):
        p = pairs[i] if i < len(pairs) else (None, None, None)
        out[name + "MJD"], out[name + "ColourMag"], out[name + "ColourBands"] = p
    return {k: (v if k in LSST_INT or k in LSST_STR else fin(v)) for k, v in out.items()}


# --------------------------------------------------------------------------- comparison

def survey_of(rec):
    return "ztf" if "candidate" in rec else "lsst"


def compare(ref, got, ints, strs):
    """List of (column, expected, got) that disagree."""
    bad = []
    for k in sorted(set(ref) | set(got)):
        if k not in got or k not in ref:
            bad.append((k, ref.get(k, "<missing>"), got.get(k, "<missing>")))
            continue
        a, b = ref[k], got[k]
        if a is None or b is None:
            ok = a is None and b is None
        elif k in ints:
            ok = type(b) is int and a == b
        elif k in strs:
            ok = isinstance(b, str) and a == b
        else:
            ok = type(b) is float and math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
        if not ok:
            bad.append((k, a, b))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lantern", required=True)
    ap.add_argument("--data", default=os.environ.get("LANTERN_SHARED_DATA")
                    or os.path.join(os.path.dirname(REPO), "shared", "data"))
    args = ap.parse_args()
    schema_dir = os.path.join(args.data, "lsst", "schema")
    files = sorted(glob.glob(os.path.join(args.data, "ztf", "**", "*.avro"), recursive=True)
                   + glob.glob(os.path.join(args.data, "lsst", "**", "*.avro"), recursive=True))
    if not files:
        print(f"no .avro files under {args.data}", file=sys.stderr)
        return 1

    failures = []
    expected = {}
    for path in files:
        try:
            for i, rec in enumerate(read_alerts(path, schema_dir)):
                survey = survey_of(rec)
                feats = ztf_features(rec) if survey == "ztf" else lsst_features(rec)
                expected[(path, i)] = (survey, feats)
        except Exception as e:
            failures.append(f"{path}: reference failed: {e!r}")

    got = {}
    for start in range(0, len(files), CHUNK):
        chunk = files[start:start + CHUNK]
        proc = subprocess.run([args.lantern, "features", "--schema-dir", schema_dir, *chunk],
                              capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            obj = json.loads(line)
            got[(obj["file"], obj["index"])] = obj
        if proc.returncode != 0:
            # Tolerated only for files the reference could not read completely either.
            for err in proc.stderr.splitlines():
                print(f"lantern: {err}")

    mismatched_alerts = mismatched_values = 0
    for key in sorted(set(expected) | set(got)):
        path, index = key
        if key not in got:
            failures.append(f"{path}#{index}: no line from lantern")
            continue
        if key not in expected:
            failures.append(f"{path}#{index}: lantern printed an alert the reference did not read")
            continue
        survey, ref = expected[key]
        line = got[key]
        if line.get("survey") != survey:
            failures.append(f"{path}#{index}: survey {line.get('survey')!r}, expected {survey!r}")
            continue
        ints, strs = (ZTF_INT, ZTF_STR) if survey == "ztf" else (LSST_INT, LSST_STR)
        bad = compare(ref, line["features"], ints, strs)
        if bad:
            mismatched_alerts += 1
            mismatched_values += len(bad)
            for col, a, b in bad:
                failures.append(f"{path}#{index} {line.get('object_id')}: {col}: reference {a!r}, "
                                f"lantern {b!r}")

    n_values = sum(len(v[1]) for v in expected.values())
    print(f"{len(files)} files, {len(expected)} alerts, {n_values} values compared; "
          f"{mismatched_values} mismatched values in {mismatched_alerts} alerts")
    for msg in failures[:MAX_REPORTED]:
        print("MISMATCH " + msg)
    if len(failures) > MAX_REPORTED:
        print(f"... and {len(failures) - MAX_REPORTED} more")
    return 1 if failures or not expected else 0


if __name__ == "__main__":
    sys.exit(main())
