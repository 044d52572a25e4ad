"""`lantern xmatch --all` against astropy's search_around_sky and a double-precision numpy
brute force: the same (query, catalog row) pair sets on the real catalogs (Tycho-2 subset,
Stellarium DSO with its duplicated positions) and on randomized catalogs crowded at both poles,
on the RA 0/360 seam and with duplicated positions, with per-query radii from 0.1″ to 1°.

Pairs that differ are allowed only within BOUNDARY_ARCSEC of the query's radius (where the
last bit of a unit vector decides), and are counted: the summary line printed per case says
how many (run pytest with -s to see it)."""
import csv
import gzip
import os
import subprocess

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord, search_around_sky

BOUNDARY_ARCSEC = 1e-9
MIN_RADIUS, MAX_RADIUS = 0.1, 3600.0


def read_catalog(path):
    ids, ra, dec = [], [], []
    with gzip.open(path, "rt", newline="") as f:
        for row in csv.DictReader(f):
            ids.append(row["id"])
            ra.append(float(row["ra"]))
            dec.append(float(row["dec"]))
    return ids, np.array(ra), np.array(dec)


def write_csv(path, ra, dec, radii=None, ids=None):
    with open(path, "w") as f:
        f.write("id,ra,dec" + (",radius" if radii is not None else "") + "\n")
        for i in range(len(ra)):
            # repr of a Python float round-trips exactly
            line = f"{ids[i] if ids is not None else i},{float(ra[i])!r},{float(dec[i])!r}"
            f.write(line + (f",{float(radii[i])!r}\n" if radii is not None else "\n"))


def lantern_pairs(lantern, catalog_path, ids, q_ra, q_dec, radii, tmp_path):
    queries = tmp_path / "queries.csv"
    out = tmp_path / "matches.csv"
    write_csv(queries, q_ra, q_dec, radii)
    p = subprocess.run([lantern, "xmatch", "--catalog", str(catalog_path), "--in", str(queries),
                        "--out", str(out), "--all"], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    row_of = {k: i for i, k in enumerate(ids)}
    assert len(row_of) == len(ids), "catalog ids must be unique"
    pairs = set()
    with open(out, newline="") as f:
        for r in csv.DictReader(f):
            pairs.add((int(r["query_id"]), row_of[r["catalog_id"]]))
    return pairs


def astropy_pairs(cat_ra, cat_dec, q_ra, q_dec, radii):
    catalog = SkyCoord(cat_ra * u.deg, cat_dec * u.deg)
    queries = SkyCoord(q_ra * u.deg, q_dec * u.deg)
    i, j, _, _ = search_around_sky(queries, catalog, radii * u.arcsec, storekdtree=False)
    return set(zip(i.tolist(), j.tolist()))


def unit(ra, dec):
    r, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=1)


def brute_force_pairs(cat_ra, cat_dec, q_ra, q_dec, radii):
    """Every pair with chord² <= 4 sin²(r/2) on double-precision unit vectors."""
    c = unit(cat_ra, cat_dec)
    q = unit(q_ra, q_dec)
    limit = 4.0 * np.sin(0.5 * np.radians(radii / 3600.0)) ** 2
    pairs = set()
    for start in range(0, len(q), 256):
        block = q[start:start + 256]
        c2 = ((block[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        qi, ci = np.nonzero(c2 <= limit[start:start + 256, None])
        pairs.update(zip((qi + start).tolist(), ci.tolist()))
    return pairs


def sep_arcsec_precise(ra1, dec1, ra2, dec2):
    """Haversine in long double, to place a disagreeing pair relative to the radius."""
    r1, d1, r2, d2 = (np.radians(np.asarray(x, dtype=np.longdouble))
                      for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.minimum(h, 1)))) * 3600


def check_same(name, got, want, cat_ra, cat_dec, q_ra, q_dec, radii):
    """Asserts got == want except pairs within BOUNDARY_ARCSEC of the radius; returns how many
    such boundary pairs differ."""
    diff = sorted(got ^ want)
    boundary = 0
    bad = []
    for q, c in diff:
        s = sep_arcsec_precise(q_ra[q], q_dec[q], cat_ra[c], cat_dec[c])
        if abs(float(s - np.longdouble(radii[q]))) <= BOUNDARY_ARCSEC:
            boundary += 1
        else:
            side = "lantern only" if (q, c) in got else f"{name} only"
            bad.append(f"query {q} ({q_ra[q]!r}, {q_dec[q]!r}) r={radii[q]!r}″ row {c} "
                       f"({cat_ra[c]!r}, {cat_dec[c]!r}) sep {float(s)!r}″: {side}")
    assert not bad, f"{len(bad)} pairs differ from {name}:\n" + "\n".join(bad[:20])
    return boundary


def radii_log_uniform(rng, n):
    return np.exp(rng.uniform(np.log(MIN_RADIUS), np.log(MAX_RADIUS), n))


def offset(rng, ra, dec, sep_arcsec):
    """Moves each (ra, dec) by sep_arcsec in a random direction (exact on the sphere)."""
    v = unit(ra, dec)
    east = np.stack([-np.sin(np.radians(ra)), np.cos(np.radians(ra)), np.zeros_like(ra)], axis=1)
    north = np.cross(v, east)
    phi = rng.uniform(0, 2 * np.pi, len(ra))
    d = np.radians(sep_arcsec / 3600.0)[:, None]
    w = np.cos(d) * v + np.sin(d) * (np.cos(phi)[:, None] * east + np.sin(phi)[:, None] * north)
    return (np.degrees(np.arctan2(w[:, 1], w[:, 0])) % 360.0,
            np.degrees(np.arcsin(np.clip(w[:, 2], -1, 1))))


def uniform_sphere(rng, n):
    return rng.uniform(0, 360, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))


@pytest.mark.parametrize("catalog", ["tycho2_astrometry_index4109.csv.gz",
                                     "stellarium_dso_v3.16.csv.gz"])
def test_real_catalog_pairs_match_astropy(lantern, data_dir, tmp_path, catalog):
    path = os.path.join(data_dir, "catalogs", catalog)
    ids, cat_ra, cat_dec = read_catalog(path)
    rng = np.random.default_rng(20261128)
    n_near, n_random = 4000, 2000
    src = rng.integers(0, len(ids), n_near)
    radii = radii_log_uniform(rng, n_near + n_random)
    # Near queries sit at 0–2 radii from a source, so both sides of the boundary are common.
    near_ra, near_dec = offset(rng, cat_ra[src], cat_dec[src],
                               radii[:n_near] * rng.uniform(0, 2, n_near))
    rand_ra, rand_dec = uniform_sphere(rng, n_random)
    q_ra = np.concatenate([near_ra, rand_ra])
    q_dec = np.concatenate([near_dec, rand_dec])

    got = lantern_pairs(lantern, path, ids, q_ra, q_dec, radii, tmp_path)
    want = astropy_pairs(cat_ra, cat_dec, q_ra, q_dec, radii)
    assert len(want) > n_near // 2, "the queries must produce matches to compare"
    boundary = check_same("astropy", got, want, cat_ra, cat_dec, q_ra, q_dec, radii)
    print(f"\n{catalog}: {len(ids)} sources, {len(q_ra)} queries, {len(got)} pairs, "
          f"{boundary} boundary disagreements with astropy")


def random_catalog(rng):
    """Crowded at both poles and on the RA 0/360 seam, with exact poles and duplicates."""
    parts = [uniform_sphere(rng, 4000)]
    for sign in (1, -1):  # caps of 2° at each pole, and the poles themselves
        parts.append((rng.uniform(0, 360, 2000), sign * (90 - rng.uniform(0, 2, 2000) ** 1.5)))
        parts.append((rng.uniform(0, 360, 8), np.full(8, sign * 90.0)))
    seam_ra = np.concatenate([rng.uniform(359.95, 360, 1000), rng.uniform(0, 0.05, 1000),
                              np.zeros(20), np.full(20, np.nextafter(360.0, 0))])
    parts.append((seam_ra, np.degrees(np.arcsin(rng.uniform(-1, 1, seam_ra.size)))))
    ra = np.concatenate([p[0] for p in parts])
    dec = np.concatenate([p[1] for p in parts])
    dup = rng.integers(0, ra.size, 600)  # 600 positions appear again, some several times
    dup = np.concatenate([dup, dup[:200], dup[:50]])
    return np.concatenate([ra, ra[dup]]), np.concatenate([dec, dec[dup]])


def random_queries(rng, cat_ra, cat_dec):
    n = 600
    radii = radii_log_uniform(rng, 6 * n)
    parts = [uniform_sphere(rng, n)]
    for sign in (1, -1):
        parts.append((rng.uniform(0, 360, n // 2), sign * (90 - rng.uniform(0, 2, n // 2) ** 2)))
    parts.append((rng.choice([0.0, 360.0, 1e-12, np.nextafter(360.0, 0)], n),
                  np.degrees(np.arcsin(rng.uniform(-1, 1, n)))))
    src = rng.integers(0, cat_ra.size, n)  # on a source: duplicates match together
    parts.append((cat_ra[src], cat_dec[src]))
    src = rng.integers(0, cat_ra.size, n)  # a hair inside or outside the radius
    k = 2 * n + 3 * n
    sep = radii[k:k + n] * (1 + rng.choice([-1e-6, 1e-6, -1e-9, 1e-9], n))
    parts.append(offset(rng, cat_ra[src], cat_dec[src], sep))
    parts.append((np.array([0.0, 180.0, 359.0]), np.array([90.0, -90.0, 90.0])))
    ra = np.concatenate([p[0] for p in parts])
    dec = np.concatenate([p[1] for p in parts])
    radii = np.concatenate([radii, [3600.0, 0.1, 1.0]])[:ra.size]
    return ra, dec, radii


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_catalog_pairs_match_astropy_and_brute_force(lantern, tmp_path, seed):
    rng = np.random.default_rng(seed)
    cat_ra, cat_dec = random_catalog(rng)
    ids = [str(i) for i in range(cat_ra.size)]
    catalog = tmp_path / "catalog.csv"
    write_csv(catalog, cat_ra, cat_dec, ids=ids)
    q_ra, q_dec, radii = random_queries(rng, cat_ra, cat_dec)
    assert radii.min() >= MIN_RADIUS and radii.max() <= MAX_RADIUS

    got = lantern_pairs(lantern, catalog, ids, q_ra, q_dec, radii, tmp_path)
    reference = brute_force_pairs(cat_ra, cat_dec, q_ra, q_dec, radii)
    want = astropy_pairs(cat_ra, cat_dec, q_ra, q_dec, radii)
    assert len(reference) > len(q_ra), "the randomized case must produce many matches"
    # Queries at a pole and on the seam must find their neighbours across it.
    pole_q = np.nonzero(np.abs(q_dec) == 90.0)[0]
    assert any(q in pole_q for q, _ in got)
    b_ref = check_same("brute force", got, reference, cat_ra, cat_dec, q_ra, q_dec, radii)
    b_astropy = check_same("astropy", got, want, cat_ra, cat_dec, q_ra, q_dec, radii)
    print(f"\nseed {seed}: {cat_ra.size} sources, {q_ra.size} queries, {len(got)} pairs, "
          f"{b_ref} boundary disagreements with the brute force, {b_astropy} with astropy")
