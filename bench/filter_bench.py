#!/usr/bin/env python3
"""filter_bench.py — filters: Lantern's streaming engine vs the Lasair method (issue 6).

Lasair loads each batch of ~10,000 alerts into a local MariaDB and executes every user query
on it (../shared/REFERENCE.md §2). This script starts a private MariaDB (scripts/mariadb start
on its own --dir and port; stopped at the end) and runs build*/bin/filter_bench
(bench/filter_bench.cc), which, for each batch of --batch-rows ZTF objects (features of the
real alerts of ../shared/data plus synthetic objects drawn from them, with sherlock
classifications, watchlist and watchmap hits, as tests/filter_sqlite_test.cc builds them),
runs the same 100 Lasair-style filters three ways:
  * Lantern: build the filter::Batch from the rows, run every compiled filter (compiled once);
  * SQLite in memory: create the tables, insert the rows in one transaction with prepared
    statements, run the 100 queries (rows fetched), drop;
  * MariaDB: create the tables (InnoDB, Lasair's primary keys), load the rows with multi-row
    INSERTs (1,000 rows each), run the 100 queries (rows fetched with mysql_store_result),
    drop — Lasair's method.
Times per batch include loading. Result row counts per filter and batch must agree across the
three (differences are listed, and the exit status is 1).
Rate = filters × objects / second. Ratios: Lantern ÷ MariaDB and Lantern ÷ SQLite.

Usage: python bench/filter_bench.py [--smoke] [--batches N] [--bench BIN] [--dir DIR]
           [--port P] [--engine InnoDB|MEMORY|Aria] [--json FILE] [--markdown FILE]
--smoke: one batch (< 1 minute here).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def log(msg: str) -> None:
    print(f"filter_bench: {msg}", file=sys.stderr, flush=True)


def find_bench() -> str:
    cands = [p for p in glob.glob(os.path.join(REPO, "build*", "bin", "filter_bench"))
             if os.access(p, os.X_OK)]
    if not cands:
        sys.exit("filter_bench: no build*/bin/filter_bench; build the target filter_bench "
                 "(needs libmariadb-dev: scripts/install-deps)")
    return max(cands, key=os.path.getmtime)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--smoke", action="store_true", help="one batch")
    ap.add_argument("--batches", type=int, default=5)
    ap.add_argument("--batch-rows", type=int, default=10000)
    ap.add_argument("--filters", type=int, default=100)
    ap.add_argument("--bench", help="filter_bench binary (default: newest build*/bin/)")
    ap.add_argument("--data", help="shared data directory (default: compiled in)")
    ap.add_argument("--dir", help="MariaDB directory (default: a temporary one, removed)")
    ap.add_argument("--port", type=int)
    ap.add_argument("--engine", default="InnoDB", help="MariaDB table engine")
    ap.add_argument("--json", help="write the driver's JSON here")
    ap.add_argument("--markdown", help="write the result table here")
    args = ap.parse_args()
    batches = 1 if args.smoke else args.batches

    bench = args.bench or find_bench()
    tmp = None
    mdir = args.dir
    if mdir is None:
        tmp = tempfile.mkdtemp(prefix="lantern-fbench-mariadb-")
        mdir = tmp
    script = os.path.join(REPO, "scripts", "mariadb")
    port_args = ["--port", str(args.port)] if args.port else []
    info = subprocess.run([script, "start", "--dir", mdir, *port_args], check=True,
                          stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    socket = dict(kv.split("=", 1) for kv in info.split())["socket"]
    try:
        cmd = [bench, "--batches", str(batches), "--batch-rows", str(args.batch_rows),
               "--filters", str(args.filters), "--mariadb-socket", socket,
               "--mariadb-engine", args.engine]
        if args.data:
            cmd += ["--data", args.data]
        log(" ".join(cmd))
        out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    finally:
        subprocess.run([script, "stop", "--dir", mdir], check=False)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    res = json.loads(out)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)

    work = res["filters"] * res["batch_rows"]  # filter × object evaluations per batch
    lines = [
        f"{res['batches']} batches × {res['batch_rows']:,} ZTF objects "
        f"({res['real_objects']:,} from real alerts in the first), {res['filters']} filters "
        f"({res['nonempty_filters']} non-empty over the run, {res['result_rows']:,} result rows); "
        f"MariaDB {res.get('mariadb_version', '-')} ({res.get('mariadb_engine', '-')}), "
        f"SQLite {res['sqlite_version']}; Lantern compile of all filters "
        f"{res['compile_s'] * 1e3:.1f} ms (once)",
        "",
        "| engine | load s/batch | queries s/batch | total s/batch (best) | total s/batch "
        "(mean) | filters × objects / s (best) | Lantern ÷ engine (best) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    best = {}
    for name in ("lantern", "sqlite", "mariadb"):
        if name not in res:
            continue
        per = [b[f"{name}_s"] for b in res["per_batch"]]
        best[name] = min(per)
    for name in ("lantern", "sqlite", "mariadb"):
        if name not in res:
            continue
        e = res[name]
        n = res["batches"]
        lines.append(
            f"| {name} | {e['load_s'] / n:.3f} | {e['query_s'] / n:.3f} | {best[name]:.3f} | "
            f"{e['total_s'] / n:.3f} | {work / best[name]:,.0f} | "
            f"{best[name] / best['lantern']:.1f}× |")
    mean = {k: res[k]["total_s"] for k in best}
    lines += ["",
              "Lantern ÷ MariaDB: %.1f× (best batch), %.1f× (mean); Lantern ÷ SQLite: %.1f× "
              "(best), %.1f× (mean)" % (best["mariadb"] / best["lantern"],
                                        mean["mariadb"] / mean["lantern"],
                                        best["sqlite"] / best["lantern"],
                                        mean["sqlite"] / mean["lantern"]),
              f"row-count differences: {len(res['differences'])}"]
    lines += [f"  {d}" for d in res["differences"][:20]]
    text = "\n".join(lines)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    return 1 if res["differences"] else 0


if __name__ == "__main__":
    sys.exit(main())
