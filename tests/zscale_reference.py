"""`lantern render` zscale limits against astropy.visualization.ZScaleInterval on real cutouts.

For every ZTF alert file under ztf/alerts/native whose cutouts are FITS, and for a sample of
Rubin files, each of the three cutouts is rendered with `lantern render --stretch zscale`; the
(vmin, vmax) it prints must match astropy's zscale on the same cutout, read independently with
fastavro + astropy.io.fits, within a small tolerance (astropy computes the median of float32
samples in float32; lantern in double). Width and height must match the FITS header."""
import argparse
import glob
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import warnings

import fastavro
import numpy as np
from astropy.io import fits
from astropy.visualization import ZScaleInterval

KINDS = {"science": "cutoutScience", "template": "cutoutTemplate",
         "difference": "cutoutDifference"}
REL_TOL = 1e-5  # of the astropy interval's width (and never tighter than 1e-6 absolute)


def first_record(path):
    with open(path, "rb") as f:
        for rec in fastavro.reader(f):
            return rec
    return None


def cutout_bytes(rec, field):
    c = rec.get(field)
    if isinstance(c, dict):  # ZTF: {fileName, stampData}
        c = c.get("stampData")
    return c


def astropy_image(b):
    if b[:2] == b"\x1f\x8b":
        b = gzip.decompress(b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ZTF's "SIMPLE  =  T" is not in fixed format
        hdus = fits.open(io.BytesIO(b))
        return np.asarray(hdus[0].data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lantern", required=True)
    ap.add_argument("--data", required=True)
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.data, "ztf/alerts/native/**/*.avro"),
                             recursive=True))
    lsst = os.path.join(args.data, "lsst/alerts")
    files += sorted(glob.glob(os.path.join(lsst, "fink_client/*.avro")))
    for d in ("fink_broker_rubin_test_data_9_0_avro", "fink_broker_rubin_test_data_7_4_avro"):
        files += sorted(glob.glob(os.path.join(lsst, d, "*.avro")))[:15]
    checked, worst, failures = 0, 0.0, []
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "c.png")
        for path in files:
            rec = first_record(path)
            for kind, field in KINDS.items():
                b = cutout_bytes(rec, field) if rec else None
                if not b or b[:2] == b"\xff\xd8":  # none, or JPEG (ZTF 1.5)
                    continue
                data = astropy_image(b)
                want = ZScaleInterval().get_limits(data)
                p = subprocess.run([args.lantern, "render", "--in", path, "--cutout", kind,
                                    "--stretch", "zscale", "--png", png],
                                   capture_output=True, text=True, timeout=60)
                if p.returncode != 0:
                    failures.append(f"{path} {kind}: exit {p.returncode}: {p.stderr.strip()}")
                    continue
                got = json.loads(p.stdout)
                h, w = data.shape
                if (got["width"], got["height"]) != (w, h):
                    failures.append(f"{path} {kind}: size {got['width']}x{got['height']}, "
                                    f"astropy {w}x{h}")
                tol = max(1e-6, REL_TOL * abs(float(want[1]) - float(want[0])))
                err = max(abs(got["vmin"] - float(want[0])), abs(got["vmax"] - float(want[1])))
                worst = max(worst, err / tol)
                if err > tol:
                    failures.append(f"{path} {kind}: lantern ({got['vmin']}, {got['vmax']}), "
                                    f"astropy ({want[0]}, {want[1]})")
                checked += 1
    print(f"zscale_reference: {checked} cutouts from {len(files)} files; "
          f"largest difference {worst:.3g} of the tolerance ({REL_TOL:g} of the interval)")
    for f in failures[:20]:
        print("FAIL", f)
    if checked < 600:
        print(f"FAIL only {checked} cutouts checked")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
