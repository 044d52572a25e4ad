#!/usr/bin/env python3
"""htm_reference.py — Lantern's HTM ids against esutil's port of the SDSS HTM library.

Points: 100,000 uniform on the sphere (fixed seed); both poles at many RAs; RA 0, 360, 90,
180 and 270 at many declinations and the equator; trixel corners and edge midpoints at levels
1-5 (all of them) and along random descents to levels 10, 16, 20 and 24, each also nudged by
±1e-12 deg in ra and dec (on and beside the edges, where ties are decided). Every point is
written as `ra,dec` with 17 significant digits to `lantern htm --level L`, and the same doubles
go to esutil.htm.HTM(L).lookup_id(ra, dec), for L in 0, 5, 10, 16 (Lasair's htm16), 20, 24.
Every id must be equal. Prints the counts per level; exit status 1 on any mismatch or failure.

Usage:
  python tests/htm_reference.py --lantern build/bin/lantern
"""
from __future__ import annotations

import argparse
import subprocess
import sys

import numpy as np

LEVELS = (0, 5, 10, 16, 20, 24)
N_RANDOM = 100_000
MAX_REPORTED = 20

# Octahedron corners and root trixels S0..S3, N0..N3 (ids 8..15), as published for the SDSS
# HTM; used here only to place test points on trixel corners and edges.
V = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, -1]], float)
ROOTS = [(1, 5, 2), (2, 5, 3), (3, 5, 4), (4, 5, 1), (1, 0, 4), (4, 0, 3), (3, 0, 2), (2, 0, 1)]


def unit(v):
    return v / np.linalg.norm(v)


def children(t):
    v0, v1, v2 = t
    w0, w1, w2 = unit(v1 + v2), unit(v0 + v2), unit(v0 + v1)
    return [(v0, w2, w1), (v1, w0, w2), (v2, w1, w0), (w0, w1, w2)]


def radec(v):
    v = np.asarray(v)
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2], -1, 1)))
    return ra, dec


def edge_points(rng):
    """Corners and edge midpoints of trixels, and those points nudged by ±1e-12 deg."""
    vecs = []
    level = [tuple(V[i] for i in r) for r in ROOTS]
    for _ in range(5):
        level = [c for t in level for c in children(t)]
        for t in level:
            vecs.extend(t)
    for _ in range(300):
        t = tuple(V[i] for i in ROOTS[rng.integers(8)])
        for depth in range(1, 25):
            t = children(t)[rng.integers(4)]
            if depth in (10, 16, 20, 24):
                vecs.extend(t)
                vecs.extend(unit(t[i] + t[(i + 1) % 3]) for i in range(3))
    ra, dec = radec(np.array(vecs))
    eps = 1e-12
    ras = [ra, ra + eps, ra - eps, ra, ra]
    decs = [dec, dec, dec, np.clip(dec + eps, -90, 90), np.clip(dec - eps, -90, 90)]
    return np.concatenate(ras) % 360.0, np.concatenate(decs)


def special_points():
    ra, dec = [], []
    for r in np.linspace(0, 360, 73):
        ra += [r, r]
        dec += [90.0, -90.0]
    for r in (0.0, 360.0, 90.0, 180.0, 270.0, 45.0, 359.99999999999994):
        for d in np.linspace(-90, 90, 181):
            ra.append(r)
            dec.append(float(d))
    return np.array(ra), np.array(dec)


def lantern_ids(lantern, level, ra, dec):
    text = "".join(f"{a!r},{d!r}\n" for a, d in zip(ra.tolist(), dec.tolist()))
    proc = subprocess.run([lantern, "htm", "--level", str(level)], input=text,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"lantern htm --level {level} exited {proc.returncode}: "
                           f"{proc.stderr.strip()}")
    return np.array(proc.stdout.split(), dtype=np.uint64)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lantern", required=True)
    args = ap.parse_args()
    try:
        import esutil.htm
    except ImportError as e:
        print(f"esutil is required (scripts/install-deps installs it): {e}", file=sys.stderr)
        return 1

    rng = np.random.default_rng(20260716)
    ra_r = rng.uniform(0.0, 360.0, N_RANDOM)
    dec_r = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, N_RANDOM)))
    ra_s, dec_s = special_points()
    ra_e, dec_e = edge_points(rng)
    ra = np.concatenate([ra_r, ra_s, ra_e])
    dec = np.concatenate([dec_r, dec_s, dec_e])
    kinds = np.array(["random"] * len(ra_r) + ["pole/meridian"] * len(ra_s)
                     + ["trixel edge"] * len(ra_e))

    failures = 0
    for level in LEVELS:
        ref = esutil.htm.HTM(level).lookup_id(ra, dec).astype(np.uint64)
        try:
            got = lantern_ids(args.lantern, level, ra, dec)
        except RuntimeError as e:
            print(f"FAIL {e}")
            failures += 1
            continue
        if len(got) != len(ref):
            print(f"FAIL level {level}: lantern printed {len(got)} ids for {len(ref)} points")
            failures += 1
            continue
        bad = np.nonzero(got != ref)[0]
        per_kind = ", ".join(f"{k} {np.sum(kinds == k)}/{np.sum(kinds[bad] == k)}"
                             for k in ("random", "pole/meridian", "trixel edge"))
        print(f"level {level:2d}: {len(ref)} points, {len(bad)} mismatched "
              f"(points/mismatched: {per_kind})")
        for i in bad[:MAX_REPORTED]:
            print(f"MISMATCH level {level} ra={ra[i]!r} dec={dec[i]!r} ({kinds[i]}): "
                  f"esutil {int(ref[i])}, lantern {int(got[i])}")
        failures += len(bad)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
