#!/usr/bin/env python3
"""sky_gen.py — deterministic synthetic catalogs and query sets for crossmatch benchmarks.

Catalog density per steradian ∝ 1 + k·exp(-|b|/σ) in Galactic latitude b (default k = 20,
σ = 5°: the plane is 21× denser than the Galactic poles, about 60 % of sources lie within
|b| < 10°), sampled exactly as a mixture of a uniform sphere and an exponential disc (with
cos b rejection), rotated to equatorial (ICRS-like J2000) coordinates.

Queries: a fraction (default 0.5) placed near random catalog sources, offset by a uniform
0–1.5″ in a random direction (so they match at 2″), the rest drawn from the catalog density.
Order is random (as generated); consumers sort them themselves for the sky-sorted case.

Writes DIR/catalog_ra.npy, catalog_dec.npy, queries_ra.npy, queries_dec.npy (float64 degrees,
ra in [0, 360)) and DIR/meta.json. The same (n, queries, seed, k, sigma, near) always gives the
same bytes; generation runs in chunks of 1e6 (each seeded by (seed, chunk)) so 1e8 rows need no
more memory than the output arrays.

Usage: python bench/sky_gen.py --out DIR --n 1e7 --queries 1e6 [--seed 1] [--k 20]
           [--sigma-deg 5] [--near 0.5]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

CHUNK = 1_000_000
# Galactic -> equatorial rotation (J2000), the transpose of the usual equatorial -> Galactic
# matrix; applied to row vectors as g @ GAL_TO_EQ.T.
GAL_TO_EQ = np.array([[-0.0548755604, 0.4941094279, -0.8676661490],
                      [-0.8734370902, -0.4448296300, -0.1980763734],
                      [-0.4838350155, 0.7469822445, 0.4559837762]])


def _plane_weight(k: float, sigma: float) -> float:
    """Relative weight of the disc term k·exp(-|b|/σ) against the uniform term (4π)."""
    b = np.linspace(0.0, np.pi / 2, 200001)
    f = np.exp(-b / sigma) * np.cos(b)
    integral = float(np.sum((f[1:] + f[:-1]) * 0.5 * np.diff(b)))
    return k * 2 * np.pi * 2 * integral / (4 * np.pi)


def query_weighted_density_ratio(k: float = 20.0, sigma_deg: float = 5.0) -> float:
    """E[ρ at a position drawn from ρ] / mean ρ: how much denser the sky a query sees is."""
    b = np.linspace(-np.pi / 2, np.pi / 2, 400001)
    w = np.cos(b)
    rho = 1.0 + k * np.exp(-np.abs(b) / np.radians(sigma_deg))
    return float(np.sum(rho * rho * w) * np.sum(w) / np.sum(rho * w) ** 2)


def _to_radec(vec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ra = np.degrees(np.arctan2(vec[:, 1], vec[:, 0])) % 360.0
    ra[ra >= 360.0] = 0.0
    dec = np.degrees(np.arcsin(np.clip(vec[:, 2], -1.0, 1.0)))
    return ra, dec


def _vec(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    return np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], axis=1)


def draw(rng: np.random.Generator, n: int, k: float,
         sigma_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """n positions (ra, dec in degrees) from the density 1 + k·exp(-|b|/σ)."""
    sigma = np.radians(sigma_deg)
    p_plane = _plane_weight(k, sigma) / (1.0 + _plane_weight(k, sigma))
    in_plane = rng.random(n) < p_plane
    b = np.arcsin(2.0 * rng.random(n) - 1.0)  # uniform sphere
    m = int(in_plane.sum())
    disc = np.empty(0)
    while disc.size < m:  # |b| ~ Exp(σ) truncated at 90°, accepted with probability cos b
        need = m - disc.size
        u = rng.random(2 * need + 16)
        cand = -sigma * np.log1p(-u * (1.0 - np.exp(-np.pi / 2 / sigma)))
        cand = cand[rng.random(cand.size) < np.cos(cand)]
        disc = np.concatenate([disc, cand[:need]])
    b[in_plane] = disc * np.where(rng.random(m) < 0.5, -1.0, 1.0)
    l = 2.0 * np.pi * rng.random(n)
    g = np.stack([np.cos(b) * np.cos(l), np.cos(b) * np.sin(l), np.sin(b)], axis=1)
    return _to_radec(g @ GAL_TO_EQ.T)


def near(rng: np.random.Generator, ra: np.ndarray, dec: np.ndarray,
         max_arcsec: float) -> tuple[np.ndarray, np.ndarray]:
    """Positions offset from (ra, dec) by uniform [0, max] arcsec in a random direction."""
    v = _vec(ra, dec)
    east = np.stack([-np.sin(np.radians(ra)), np.cos(np.radians(ra)), np.zeros_like(ra)], axis=1)
    north = np.cross(v, east)
    d = np.radians(rng.random(ra.size) * max_arcsec / 3600.0)
    phi = 2.0 * np.pi * rng.random(ra.size)
    t = np.cos(phi)[:, None] * east + np.sin(phi)[:, None] * north
    out = np.cos(d)[:, None] * v + np.sin(d)[:, None] * t
    return _to_radec(out)


def generate(out: str, n: int, n_queries: int, seed: int = 1, k: float = 20.0,
             sigma_deg: float = 5.0, near_fraction: float = 0.5, quiet: bool = False) -> dict:
    """Writes the four arrays into `out` unless meta.json there already matches; returns meta."""
    meta = {"n": n, "queries": n_queries, "seed": seed, "k": k, "sigma_deg": sigma_deg,
            "near": near_fraction, "near_max_arcsec": 1.5, "version": 1}
    meta_path = os.path.join(out, "meta.json")
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            if json.load(f) == meta:
                return meta
    os.makedirs(out, exist_ok=True)
    if os.path.exists(meta_path):
        os.remove(meta_path)
    cat_ra = np.lib.format.open_memmap(os.path.join(out, "catalog_ra.npy"), "w+", "<f8", (n,))
    cat_dec = np.lib.format.open_memmap(os.path.join(out, "catalog_dec.npy"), "w+", "<f8", (n,))
    for c, start in enumerate(range(0, n, CHUNK)):
        stop = min(n, start + CHUNK)
        rng = np.random.default_rng([seed, 0, c])
        cat_ra[start:stop], cat_dec[start:stop] = draw(rng, stop - start, k, sigma_deg)
        if not quiet and n > 5 * CHUNK:
            print(f"\rsky_gen: catalog {stop:,}/{n:,}", end="", file=sys.stderr, flush=True)
    if not quiet and n > 5 * CHUNK:
        print(file=sys.stderr)
    q_ra = np.empty(n_queries)
    q_dec = np.empty(n_queries)
    for c, start in enumerate(range(0, n_queries, CHUNK)):
        stop = min(n_queries, start + CHUNK)
        rng = np.random.default_rng([seed, 1, c])
        m = stop - start
        is_near = rng.random(m) < near_fraction
        src = np.sort(rng.integers(0, n, int(is_near.sum())))  # sorted: memmap-friendly reads
        ra, dec = draw(rng, m, k, sigma_deg)
        ra[is_near], dec[is_near] = near(rng, np.asarray(cat_ra[src]), np.asarray(cat_dec[src]),
                                         meta["near_max_arcsec"])
        q_ra[start:stop], q_dec[start:stop] = ra, dec
    # Near-source queries were placed in catalog order: shuffle the whole batch.
    perm = np.random.default_rng([seed, 2]).permutation(n_queries)
    np.save(os.path.join(out, "queries_ra.npy"), q_ra[perm])
    np.save(os.path.join(out, "queries_dec.npy"), q_dec[perm])
    cat_ra.flush()
    cat_dec.flush()
    del cat_ra, cat_dec
    with open(meta_path, "w") as f:
        json.dump(meta, f)
    return meta


def load(out: str, mmap: bool = False) -> dict[str, np.ndarray]:
    mode = "r" if mmap else None
    return {name: np.load(os.path.join(out, f"{name}.npy"), mmap_mode=mode)
            for name in ("catalog_ra", "catalog_dec", "queries_ra", "queries_dec")}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=float, required=True, help="catalog sources, e.g. 1e7")
    ap.add_argument("--queries", type=float, default=1e6)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--k", type=float, default=20.0, help="plane contrast k")
    ap.add_argument("--sigma-deg", type=float, default=5.0, help="plane scale height σ")
    ap.add_argument("--near", type=float, default=0.5, help="fraction of queries near a source")
    a = ap.parse_args(argv)
    meta = generate(a.out, int(a.n), int(a.queries), a.seed, a.k, a.sigma_deg, a.near)
    print(json.dumps(meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
