"""`lantern moc` against mocpy: MOCs made by mocpy (cones, polygons, one at a pole, one across
RA 0, orders 6-18), saved as ASCII, JSON and FITS (RANGE and NUNIQ); Lantern's membership for
random positions must equal mocpy's contains_lonlat, and what Lantern writes back must load in
mocpy as the same MOC."""
import subprocess

import astropy.units as u
import numpy as np
import pytest
from mocpy import MOC

N = 100_000


def run(*args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, f"{args} failed ({p.returncode}): {p.stderr}"
    return p


def in_cap(rng, lon, lat, radius_deg, n):
    """Uniform positions in the cap of radius_deg around (lon, lat), in degrees."""
    d = np.arccos(1 - rng.random(n) * (1 - np.cos(np.radians(radius_deg))))
    pa = rng.random(n) * 2 * np.pi
    lat1, lon1 = np.radians(lat), np.radians(lon)
    sin_lat2 = np.sin(lat1) * np.cos(d) + np.cos(lat1) * np.sin(d) * np.cos(pa)
    lat2 = np.arcsin(np.clip(sin_lat2, -1, 1))
    dlon = np.arctan2(np.sin(pa) * np.sin(d) * np.cos(lat1), np.cos(d) - np.sin(lat1) * sin_lat2)
    return np.degrees(lon1 + dlon) % 360.0, np.degrees(lat2)


def cone(lon, lat, r, depth):
    return MOC.from_cone(lon=lon * u.deg, lat=lat * u.deg, radius=r * u.deg, max_depth=depth)


CASES = {
    # name: (moc factory, centre and radius of the cap half the points are drawn from)
    "cone_d9": (lambda: cone(10.0, 20.0, 1.0, 9), (10.0, 20.0, 1.5)),
    "north_pole_d12": (lambda: cone(45.0, 89.5, 2.0, 12), (45.0, 89.5, 3.0)),
    "south_pole_d7": (lambda: cone(0.0, -90.0, 5.0, 7), (0.0, -90.0, 7.0)),
    "polygon_ra0_d8": (lambda: MOC.from_polygon(
        lon=np.array([350.0, 10.0, 8.0, 352.0]) * u.deg,
        lat=np.array([-5.0, -4.0, 6.0, 5.0]) * u.deg, max_depth=8), (0.0, 0.0, 9.0)),
    "small_cone_d18": (lambda: cone(180.0, -30.0, 20.0 / 3600, 18), (180.0, -30.0, 40.0 / 3600)),
    "union_d6_d14": (lambda: cone(250.0, 40.0, 3.0, 6).union(cone(252.0, 44.0, 0.5, 14)),
                     (251.0, 42.0, 5.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_membership_and_round_trip_match_mocpy(lantern, tmp_path, name):
    make, (clon, clat, crad) = CASES[name]
    moc = make()
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    lon_c, lat_c = in_cap(rng, clon, clat, crad, N // 2)
    lon_s = rng.random(N - N // 2) * 360.0
    lat_s = np.degrees(np.arcsin(2 * rng.random(N - N // 2) - 1))
    lon = np.concatenate([lon_c, lon_s])
    lat = np.concatenate([lat_c, lat_s])
    points = tmp_path / "points.csv"
    with open(points, "w") as f:
        f.write("id,ra,dec\n")
        for i, (a, b) in enumerate(zip(lon, lat)):
            f.write(f"{i},{float(a)!r},{float(b)!r}\n")
    want = moc.contains_lonlat(lon * u.deg, lat * u.deg).astype(int)
    assert 0 < want.sum() < N  # the test points straddle the MOC's edge

    files = {"txt": tmp_path / "m.txt", "json": tmp_path / "m.json",
             "fits": tmp_path / "m.fits", "nuniq.fits": tmp_path / "m_nuniq.fits"}
    moc.save(str(files["txt"]), format="ascii", overwrite=True)
    moc.save(str(files["json"]), format="json", overwrite=True)
    moc.save(str(files["fits"]), format="fits", overwrite=True)
    moc.save(str(files["nuniq.fits"]), format="fits", overwrite=True, v1_compatible=True)
    for kind, path in files.items():
        out = tmp_path / f"flags_{kind}.csv"
        p = run(lantern, "moc", "--moc", str(path), "--in", str(points), "--out", str(out))
        assert f"order {moc.max_order}" in p.stderr, p.stderr
        got = np.loadtxt(out, delimiter=",", skiprows=1, dtype=np.int64)
        assert (got[:, 0] == np.arange(N)).all()
        bad = np.flatnonzero(got[:, 1] != want)
        assert bad.size == 0, (kind, [(lon[i], lat[i], want[i]) for i in bad[:5]])

    # Written back by Lantern, read by mocpy: the same MOC.
    for ext, fmt in (("txt", "ascii"), ("json", "json")):
        back = tmp_path / f"back.{ext}"
        run(lantern, "moc", "--moc", str(files["fits"]), "--write", str(back))
        again = MOC.load(str(back), format=fmt)
        assert again == moc, ext
        assert again.max_order == moc.max_order


def test_malformed_moc_is_an_error(lantern, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("3/1-3 4/x")
    p = subprocess.run([lantern, "moc", "--moc", str(bad)], capture_output=True, text=True)
    assert p.returncode == 1
    assert "byte 6: 'x'" in p.stderr and "bad.txt" in p.stderr
