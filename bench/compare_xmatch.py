#!/usr/bin/env python3
"""compare_xmatch.py — crossmatch rate of Lantern vs astropy, healpy and Q3C on the same data.

For each catalog size, on one generated catalog and query set (bench/sky_gen.py: density
∝ 1 + 20·exp(-|b|/5°), half the queries within 1.5″ of a source, random order), one thread
each, radius 2″:
  lantern   build/bin/xmatch_driver: ZoneIndex 2-D and 1-D; nearest-within in random order
            (index's own sort included) and on a sky-sorted batch, and all pairs in random order
  astropy   search_around_sky(queries, catalog, 2″) on all queries: k-d tree built per call
            (storekdtree=False), and again with the catalog's tree cached (second call)
  healpy    query_disc(nside 8192, nest, inclusive) per query over the catalog sorted by
            pixel, then the exact chord test; on the first --peer-queries queries
  q3c       PostgreSQL 15 + Q3C: catalog COPYed into a table, q3c_ang2ipix index, CLUSTER,
            ANALYZE; count(*) of a q3c_join of the first --q3c-queries queries, warm (best
            of two runs)
All peers report every pair within the radius, so the ratio column divides Lantern's all-pairs
random-order rate by the peer's. Match sets are compared on the first --peer-queries queries:
every peer's pairs against Lantern's AllWithin pairs (disagreements listed with their distance
to the radius boundary).

--sweep times Lantern's nearest-within (zones2d, random and sorted) for zone-height constants
c = 0.25 … 64 in h = sqrt(c / ρ) on the largest size and reports the best c.

Usage: python bench/compare_xmatch.py [--sizes 1e6,1e7] [--queries 1e6] [--smoke] [--sweep]
           [--repeat N] [--peers astropy,healpy,q3c] [--markdown FILE] [--svg FILE]
--smoke: 1e5 catalog, 1e4 queries, one run each (under a minute with PostgreSQL startup).
"""
from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import platform
import shlex
import struct
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "bench"))
import sky_gen  # noqa: E402

HEALPIX_NSIDE = 8192  # pixels of 25.8″: a 2″ disc touches 1-4 of them


def log(msg: str) -> None:
    print(f"compare_xmatch: {msg}", file=sys.stderr, flush=True)


def chord_sq_limit(radius_arcsec: float) -> float:
    s = math.sin(0.5 * math.radians(radius_arcsec / 3600.0))
    return 4.0 * s * s


def unit_vectors(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    r, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(r), np.cos(d) * np.sin(r), np.sin(d)], axis=1)


def sep_arcsec(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Haversine separation in arcsec (double precision, independent of the chord path)."""
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    h = np.sin(0.5 * (d2 - d1)) ** 2 + np.cos(d1) * np.cos(d2) * np.sin(0.5 * (r2 - r1)) ** 2
    return np.degrees(2.0 * np.arcsin(np.sqrt(np.minimum(h, 1.0)))) * 3600.0


def best_of(fn, repeat: int, budget_s: float):
    """Runs fn() up to `repeat` times (fewer once `budget_s` is spent); (best seconds, result)."""
    best, result, spent = math.inf, None, 0.0
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        result = fn()
        dt = time.perf_counter() - t
        best, spent = min(best, dt), spent + dt
        if spent > budget_s:
            break
    return best, result


# --- Lantern -------------------------------------------------------------------------------

def run_lantern(driver: str, data: str, args, pairs_path: str | None, extra=()) -> dict:
    cmd = [driver, "--dir", data, "--radius", str(args.radius), "--repeat", str(args.repeat),
           *extra]
    if "--index" not in extra:
        cmd += ["--index", *args.lantern_index.split(",")]
    if pairs_path:
        cmd += ["--pairs-out", pairs_path, "--pairs-queries", str(args.peer_queries)]
    log("running " + shlex.join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"xmatch_driver failed ({p.returncode}): {p.stderr.strip()}")
    return json.loads(p.stdout.strip().splitlines()[-1])


# --- astropy -------------------------------------------------------------------------------

def run_astropy(d: dict, args) -> list[dict]:
    import astropy.units as u
    from astropy.coordinates import SkyCoord, search_around_sky
    queries = SkyCoord(d["queries_ra"] * u.deg, d["queries_dec"] * u.deg)
    radius = args.radius * u.arcsec
    n = len(d["queries_ra"])

    def per_call():
        catalog = SkyCoord(d["catalog_ra"] * u.deg, d["catalog_dec"] * u.deg)
        return search_around_sky(queries, catalog, radius, storekdtree=False)

    t, res = best_of(per_call, args.repeat, args.budget)
    pairs = np.stack([res[0], res[1]], axis=1)
    rows = [{"tool": "astropy", "mode": "search_around_sky, k-d tree built per call",
             "queries": n, "qps": n / t, "pairs": pairs}]
    catalog = SkyCoord(d["catalog_ra"] * u.deg, d["catalog_dec"] * u.deg)
    search_around_sky(queries[:1], catalog, radius)  # builds and caches the catalog's tree
    t, _ = best_of(lambda: search_around_sky(queries, catalog, radius), args.repeat, args.budget)
    rows.append({"tool": "astropy", "mode": "search_around_sky, catalog tree cached",
                 "queries": n, "qps": n / t})
    return rows


# --- healpy --------------------------------------------------------------------------------

def run_healpy(d: dict, args) -> list[dict]:
    import healpy as hp
    cat_v = unit_vectors(d["catalog_ra"], d["catalog_dec"])
    t0 = time.perf_counter()
    pix = hp.vec2pix(HEALPIX_NSIDE, cat_v[:, 0], cat_v[:, 1], cat_v[:, 2], nest=True)
    order = np.argsort(pix, kind="stable")
    pix_sorted = pix[order]
    cat_sorted = cat_v[order]
    build_s = time.perf_counter() - t0
    k = min(args.peer_queries, len(d["queries_ra"]))
    q_v = unit_vectors(d["queries_ra"][:k], d["queries_dec"][:k])
    r = math.radians(args.radius / 3600.0)
    limit = chord_sq_limit(args.radius)

    def loop():
        out_q, out_row = [], []
        for i in range(k):
            p = hp.query_disc(HEALPIX_NSIDE, q_v[i], r, inclusive=True, nest=True)
            lo = np.searchsorted(pix_sorted, p, "left")
            hi = np.searchsorted(pix_sorted, p, "right")
            for a, b in zip(lo, hi):
                if a == b:
                    continue
                c2 = np.sum((cat_sorted[a:b] - q_v[i]) ** 2, axis=1)
                hit = np.nonzero(c2 <= limit)[0]
                if hit.size:
                    out_q.extend([i] * hit.size)
                    out_row.extend(order[a + hit].tolist())
        return np.stack([np.array(out_q, dtype=np.int64), np.array(out_row, dtype=np.int64)],
                        axis=1)

    t, pairs = best_of(loop, args.repeat, args.budget)
    return [{"tool": "healpy", "mode": f"query_disc loop (nside {HEALPIX_NSIDE}, inclusive) "
             "+ exact chord test", "queries": k, "qps": k / t, "pairs": pairs,
             "note": f"pixel sort {build_s:.1f} s not timed"}]


# --- Q3C -----------------------------------------------------------------------------------

def pg_copy_binary(cur, table: str, ra: np.ndarray, dec: np.ndarray) -> None:
    """COPY (id bigint, ra float8, dec float8) rows in PostgreSQL's binary format."""
    n = len(ra)
    chunk = 1_000_000
    rec = np.dtype([("nf", ">i2"), ("l1", ">i4"), ("id", ">i8"), ("l2", ">i4"), ("ra", ">f8"),
                    ("l3", ">i4"), ("dec", ">f8")])
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        a = np.empty(stop - start, dtype=rec)
        a["nf"], a["l1"], a["l2"], a["l3"] = 3, 8, 8, 8
        a["id"] = np.arange(start, stop)
        a["ra"], a["dec"] = ra[start:stop], dec[start:stop]
        buf = io.BytesIO()
        buf.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        buf.write(a.tobytes())
        buf.write(struct.pack(">h", -1))
        buf.seek(0)
        cur.copy_expert(f"COPY {table} (id, ra, dec) FROM STDIN WITH (FORMAT binary)", buf)


def run_q3c(d: dict, args, tag: str) -> list[dict]:
    import psycopg2
    conn = psycopg2.connect(args.pg_conninfo)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE TABLE IF NOT EXISTS bench_meta (name text PRIMARY KEY, tag text)")
    cat, qs = f"xm_cat_{tag}", f"xm_q_{tag}"
    meta = json.dumps({"n": len(d["catalog_ra"]), "q": len(d["queries_ra"]),
                       "data": args.current_meta})
    cur.execute("SELECT tag FROM bench_meta WHERE name = %s", (cat,))
    row = cur.fetchone()
    if row is None or row[0] != meta:
        t0 = time.perf_counter()
        log(f"q3c: loading {len(d['catalog_ra']):,} sources into {cat}")
        for table, ra, dec in ((cat, d["catalog_ra"], d["catalog_dec"]),
                               (qs, d["queries_ra"], d["queries_dec"])):
            cur.execute(f"DROP TABLE IF EXISTS {table}")
            cur.execute(f"CREATE TABLE {table} (id bigint, ra double precision, "
                        "dec double precision)")
            pg_copy_binary(cur, table, np.asarray(ra), np.asarray(dec))
        cur.execute(f"CREATE INDEX {cat}_q3c ON {cat} (q3c_ang2ipix(ra, dec))")
        cur.execute(f"CLUSTER {cat} USING {cat}_q3c")
        cur.execute(f"CREATE INDEX {qs}_id ON {qs} (id)")
        cur.execute(f"ANALYZE {cat}")
        cur.execute(f"ANALYZE {qs}")
        cur.execute("INSERT INTO bench_meta VALUES (%s, %s) ON CONFLICT (name) "
                    "DO UPDATE SET tag = excluded.tag", (cat, meta))
        log(f"q3c: loaded, indexed, clustered in {time.perf_counter() - t0:.1f} s")
    r_deg = args.radius / 3600.0
    m = min(args.q3c_queries, len(d["queries_ra"]))
    join = (f"FROM {qs} q, {cat} c WHERE q.id < %s "
            f"AND q3c_join(q.ra, q.dec, c.ra, c.dec, {r_deg!r})")
    cur.execute("SET max_parallel_workers_per_gather = 0")  # one core, like the others
    cur.execute("SET jit = off")  # the join's huge cost estimate triggers ~0.7 s of JIT per query
    cur.execute(f"EXPLAIN SELECT count(*) {join}", (m,))
    plan = " / ".join(r[0].strip() for r in cur.fetchall())
    if "q3c" not in plan:
        log(f"q3c: warning, plan does not use the index: {plan}")

    def count():
        cur.execute(f"SELECT count(*) {join}", (m,))
        return cur.fetchone()[0]

    count()  # warm the cache
    t, found = best_of(count, 2, args.budget)
    k = min(args.peer_queries, len(d["queries_ra"]))
    cur.execute(f"SELECT q.id, c.id {join}", (k,))
    pairs = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, 2)
    conn.close()
    return [{"tool": "q3c", "mode": "q3c_join, clustered q3c index, warm", "queries": m,
             "qps": m / t, "pairs": pairs, "note": f"{found} pairs"}]


# --- comparison ----------------------------------------------------------------------------

def agreement(ref: np.ndarray, pairs: np.ndarray, k: int, d: dict, radius: float) -> dict:
    """Pairs with query < k: counts missing from / extra to `ref`, with boundary distances."""
    pairs = pairs[pairs[:, 0] < k]
    a = set(map(tuple, ref.tolist()))
    b = set(map(tuple, pairs.tolist()))
    diff = sorted(a ^ b)
    worst = 0.0
    if diff:
        q = np.array([p[0] for p in diff])
        c = np.array([p[1] for p in diff])
        s = sep_arcsec(d["queries_ra"][q], d["queries_dec"][q], np.asarray(d["catalog_ra"])[c],
                       np.asarray(d["catalog_dec"])[c])
        worst = float(np.max(np.abs(s - radius)))
    return {"pairs": len(b), "missing": len(a - b), "extra": len(b - a),
            "worst_boundary_arcsec": worst, "duplicates": len(pairs) - len(b)}


def lantern_rows(res: dict) -> list[dict]:
    rows = []
    for r in res["results"]:
        ix = r["index"]
        base = {"tool": "lantern", "queries": res["queries"],
                "note": f"{r['resolution']}, {r['index_bytes_per_source']:.1f} B/source, "
                        f"build {r['build_s']:.1f} s"}
        if "all_random_qps" in r:
            rows.append({**base, "mode": f"{ix}, all pairs, random order",
                         "qps": r["all_random_qps"]})
        rows.append({**base, "mode": f"{ix}, nearest, random order",
                     "qps": r["nearest_random_qps"]})
        rows.append({**base, "mode": f"{ix}, nearest, sky-sorted batch",
                     "qps": r["nearest_sorted_qps"]})
    return rows


def fmt_size(n: int) -> str:
    e = int(round(math.log10(n)))
    return f"1e{e}" if 10 ** e == n else f"{n:,}"


def table(size_rows: list[tuple[int, list[dict]]]) -> str:
    out = ["| catalog | tool | mode | queries timed | queries/s | Lantern ÷ tool | "
           "pairs (first K queries) | agrees with Lantern |",
           "|---|---|---|---:|---:|---:|---:|---|"]
    for n, rows in size_rows:
        ref = next((r["qps"] for r in rows if r["tool"] == "lantern"
                    and r["mode"].startswith("zones2d, all pairs")), None)
        for r in rows:
            ratio = "" if r["tool"] == "lantern" or not ref else f"{ref / r['qps']:.1f}"
            ag = r.get("agreement")
            if ag is None:
                agree, npairs = "", ""
            elif ag.get("reference"):
                agree, npairs = "(reference)", f"{ag['pairs']:,}"
            else:
                npairs = f"{ag['pairs']:,}"
                agree = ("yes" if ag["missing"] == ag["extra"] == 0 else
                         f"no: {ag['missing']} missing, {ag['extra']} extra "
                         f"(max |sep − r| {ag['worst_boundary_arcsec']:.2e}″)")
            out.append(f"| {fmt_size(n)} | {r['tool']} | {r['mode']} | {r['queries']:,} | "
                       f"{r['qps']:,.0f} | {ratio} | {npairs} | {agree} |")
    return "\n".join(out)


def write_svg(path: str, size_rows: list[tuple[int, list[dict]]], title: str) -> None:
    """Horizontal bars of queries/s on a log scale, grouped by catalog size."""
    rows = [(n, r) for n, rs in size_rows for r in rs if r.get("qps")]
    if not rows:
        return
    top = max(r["qps"] for _, r in rows)
    lo_dec = int(math.floor(math.log10(min(r["qps"] for _, r in rows))))
    hi_dec = max(lo_dec + 1, math.ceil(math.log10(top)))
    left, width, bar, gap = 420, 460, 18, 6
    height = 60 + len(rows) * (bar + gap) + 30 + 14 * len(size_rows)
    x = lambda v: left + width * (math.log10(max(v, 1)) - lo_dec) / (hi_dec - lo_dec)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" '
           f'height="{height}" font-family="sans-serif" font-size="12">',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{title}</text>']
    for dec in range(lo_dec, hi_dec + 1):
        gx = x(10 ** dec)
        out.append(f'<line x1="{gx:.1f}" y1="40" x2="{gx:.1f}" y2="{height - 25}" stroke="#ddd"/>')
        out.append(f'<text x="{gx:.1f}" y="{height - 8}" text-anchor="middle" fill="#666">'
                   f'1e{dec}/s</text>')
    y = 46
    last = None
    for n, r in rows:
        if n != last:
            out.append(f'<text x="10" y="{y + 11}" font-weight="bold">catalog {fmt_size(n)}</text>')
            y += 14
            last = n
        colour = "#d9822b" if r["tool"] == "lantern" else "#4a7ab5"
        label = f"{r['tool']}: {r['mode'].split(' (')[0]}"
        out.append(f'<text x="{left - 8}" y="{y + bar * 0.75:.1f}" text-anchor="end">'
                   f'{label}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{max(x(r["qps"]) - left, 1):.1f}" '
                   f'height="{bar}" fill="{colour}"/>')
        out.append(f'<text x="{x(r["qps"]) + 6:.1f}" y="{y + bar * 0.75:.1f}">'
                   f'{r["qps"]:,.0f}</text>')
        y += bar + gap
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def sweep(driver: str, data: str, n: int, args) -> tuple[str, dict]:
    cs = [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    res = run_lantern(driver, data, args, None,
                      ["--index", "zones2d", "--no-all", "--interleave", "--budget", "1e9",
                       "--sources-per-cell", *[str(c) for c in cs]])
    density = n / (4 * math.pi * (180 / math.pi) ** 2)
    contrast = sky_gen.query_weighted_density_ratio()
    lines = [f"Zone-height sweep, zones2d, catalog {fmt_size(n)}, {res['queries']:,} queries at "
             f"{args.radius:g}″, indexes timed round-robin, best of {args.repeat} rounds. Mean "
             f"density ρ = {density:.1f}/deg²; a query (drawn from the catalog's own density) "
             f"sees on average {contrast:.2f}·ρ = {contrast * density:.0f}/deg².", "",
             "| c | h = sqrt(c/ρ) | queries/s random | queries/s sky-sorted | B/source |",
             "|---:|---:|---:|---:|---:|"]
    for r in res["results"]:
        lines.append(f"| {r['sources_per_cell']:g} | {r['sort_zone_height_arcmin']:.2f}′ | "
                     f"{r['nearest_random_qps']:,.0f} | {r['nearest_sorted_qps']:,.0f} | "
                     f"{r['index_bytes_per_source']:.1f} |")
    best_r = max(res["results"], key=lambda r: r["nearest_random_qps"])
    best_s = max(res["results"], key=lambda r: r["nearest_sorted_qps"])
    default = next(r for r in res["results"] if r["sources_per_cell"] == 4)
    lines += ["", f"Best c: {best_r['sources_per_cell']:g} in random order "
              f"({best_r['nearest_random_qps'] / default['nearest_random_qps']:.2f}× the default "
              f"c = 4), {best_s['sources_per_cell']:g} sky-sorted "
              f"({best_s['nearest_sorted_qps'] / default['nearest_sorted_qps']:.2f}×); in sources "
              f"per cell at the density queries see, c_q = c·{contrast:.2f}: "
              f"{best_r['sources_per_cell'] * contrast:.3g} and "
              f"{best_s['sources_per_cell'] * contrast:.3g}."]
    return "\n".join(lines), res


def machine() -> str:
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")),
                       cpu)
    except OSError:
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"nproc {os.cpu_count()}, CPU {cpu}, {platform.system()} {platform.release()}, "
            f"load {load:.1f} at the end")


def versions() -> str:
    parts = []
    for mod in ("numpy", "astropy", "scipy", "healpy", "psycopg2"):
        try:
            parts.append(f"{mod} {__import__(mod).__version__.split()[0]}")
        except ImportError:
            pass
    rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], capture_output=True,
                         text=True).stdout.strip()
    if rev:
        parts.append(f"lantern git {rev}")
    return ", ".join(parts)


def start_postgres(pg_dir: str) -> tuple[str, bool]:
    """Starts (or finds) the private cluster; returns (conninfo, whether we started it)."""
    script = os.path.join(REPO, "scripts", "postgres")
    was_running = subprocess.run([script, "status", "--dir", pg_dir],
                                 capture_output=True).returncode == 0
    p = subprocess.run([script, "start", "--dir", pg_dir], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"scripts/postgres start failed: {p.stderr.strip()}")
    return p.stdout.strip().splitlines()[-1], not was_running


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1e6,1e7", help="catalog sizes, comma-separated")
    ap.add_argument("--queries", type=float, default=1e6)
    ap.add_argument("--radius", type=float, default=2.0, help="arcsec")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per measurement")
    ap.add_argument("--budget", type=float, default=30.0,
                    help="stop repeating a peer once it has used this many seconds")
    ap.add_argument("--peer-queries", type=int, default=20000,
                    help="healpy timing and the match-set comparison use the first K queries")
    ap.add_argument("--q3c-queries", type=int, default=1_000_000,
                    help="Q3C times the first M queries")
    ap.add_argument("--peers", default="astropy,healpy,q3c")
    ap.add_argument("--lantern-index", default="zones2d,zones1d,htm,healpix",
                    help="Lantern index kinds to time (xmatch_driver --index)")
    ap.add_argument("--smoke", action="store_true", help="1e5 catalog, 1e4 queries, one run each")
    ap.add_argument("--sweep", action="store_true",
                    help="zone-height sweep of Lantern on the largest size instead of peers")
    ap.add_argument("--data-dir", default="/tmp/lantern-xmatch-data")
    ap.add_argument("--pg-dir", default="/tmp/lantern-xmatch-pg")
    ap.add_argument("--keep-postgres", action="store_true",
                    help="leave a cluster this script started running (faster reruns)")
    ap.add_argument("--driver", default=os.path.join(REPO, "build", "bin", "xmatch_driver"))
    ap.add_argument("--markdown", help="write the tables, command, date and machine here")
    ap.add_argument("--svg", help="write a bar chart of queries/s (log scale) here")
    args = ap.parse_args(argv)
    if args.smoke:
        args.sizes, args.queries, args.repeat = "1e5", 1e4, 1
        args.peer_queries = min(args.peer_queries, 2000)
    sizes = [int(float(s)) for s in args.sizes.split(",") if s]
    peers = [p for p in args.peers.split(",") if p]
    unknown = set(peers) - {"astropy", "healpy", "q3c"}
    if unknown:
        ap.error(f"unknown peers {sorted(unknown)}")
    if not os.access(args.driver, os.X_OK):
        print(f"compare_xmatch: {args.driver} is not built (cmake --build build --target "
              "xmatch_driver)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    load_start = os.getloadavg()[0]

    sections = []
    raw: list[dict] = []  # xmatch_driver's JSON, kept for the markdown
    size_rows: list[tuple[int, list[dict]]] = []
    failures = 0
    pg_started = False
    try:
        if args.sweep:
            n = max(sizes)
            data = os.path.join(args.data_dir, f"n{n}_q{int(args.queries)}_s{args.seed}")
            sky_gen.generate(data, n, int(args.queries), args.seed)
            text, res = sweep(args.driver, data, n, args)
            raw.append(res)
            sections.append(text)
            print(text)
        else:
            if "q3c" in peers:
                args.pg_conninfo, pg_started = start_postgres(args.pg_dir)
                log(f"postgres: {args.pg_conninfo}")
            for n in sizes:
                data = os.path.join(args.data_dir, f"n{n}_q{int(args.queries)}_s{args.seed}")
                t = time.perf_counter()
                meta = sky_gen.generate(data, n, int(args.queries), args.seed)
                args.current_meta = meta
                log(f"data {data} ready in {time.perf_counter() - t:.1f} s")
                pairs_path = os.path.join(data, "lantern_pairs.npy")
                res = run_lantern(args.driver, data, args, pairs_path)
                raw.append(res)
                ref = np.load(pairs_path)
                k = res["pairs_queries"]
                rows = lantern_rows(res)
                rows[0]["agreement"] = {"pairs": len(ref), "reference": True}
                d = sky_gen.load(data)
                for peer in peers:
                    log(f"running {peer} on {fmt_size(n)}")
                    try:
                        if peer == "astropy":
                            got = run_astropy(d, args)
                        elif peer == "healpy":
                            got = run_healpy(d, args)
                        else:
                            got = run_q3c(d, args, f"{n}_{int(args.queries)}_{args.seed}")
                    except Exception as e:  # a peer that fails is reported, not fatal
                        log(f"{peer} failed: {e}")
                        got = [{"tool": peer, "mode": f"failed: {e}", "queries": 0, "qps": 0.0}]
                        failures += 1
                    for r in got:
                        if "pairs" in r:
                            r["agreement"] = agreement(ref, r.pop("pairs"), k, d, args.radius)
                            ag = r["agreement"]
                            if ag["missing"] or ag["extra"]:
                                failures += 1
                        log(f"{peer}: {r['mode']}: {r['qps']:,.0f} queries/s")
                    rows += [r for r in got if r["qps"] > 0] + [r for r in got if r["qps"] == 0]
                size_rows.append((n, rows))
                del d
            tbl = table(size_rows)
            k = args.peer_queries
            summary = (f"Radius {args.radius:g}″, {int(args.queries):,} queries per catalog "
                       f"(random order; half within 1.5″ of a source), one thread per tool; "
                       f"Lantern best of {args.repeat}, peers best of up to {args.repeat} within "
                       f"{args.budget:g} s (Q3C: best of 2 warm runs); match sets compared on the "
                       f"first {k:,} queries. Lantern ÷ tool uses Lantern's zones2d all-pairs "
                       f"random-order rate (the same work the peers do).")
            sections.append(summary + "\n\n" + tbl)
            print(summary)
            print()
            print(tbl)
            if args.svg:
                write_svg(args.svg, size_rows,
                          f"Crossmatch at {args.radius:g}″, one thread: queries/s")
                log(f"wrote {args.svg}")
    finally:
        if pg_started and not args.keep_postgres:
            subprocess.run([os.path.join(REPO, "scripts", "postgres"), "stop", "--dir",
                            args.pg_dir], capture_output=True)
    log(f"done in {time.perf_counter() - started:.0f} s")

    if args.markdown:
        cmdline = shlex.join([os.path.relpath(sys.executable), *sys.argv])
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(args.markdown, "w") as f:
            f.write(f"- Command: `{cmdline}`\n- Date: {now}\n- Machine: {machine()}, load "
                    f"{load_start:.1f} at the start\n"
                    f"- Versions: {versions()}\n\n")
            f.write("\n\n".join(sections) + "\n")
            f.write("\nxmatch_driver output:\n\n```\n")
            f.writelines(json.dumps(r) + "\n" for r in raw)
            f.write("```\n")
        log(f"wrote {args.markdown}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
