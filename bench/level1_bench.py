#!/usr/bin/env python3
"""level1_bench.py — Level 1 end to end (bench/level1_bench.cc) in the set-ups of
docs/benchmarks.md, with the disk's sequential write bandwidth measured by dd in the same run.

Set-ups, each with 1 and 2 worker threads:
  (a) everything stored here, cutouts in RocksDB (blob files): disk-bound; compared with
      `dd if=/dev/zero of=DIR/dd.bin bs=1M count=N conv=fdatasync` on the same disk;
  (b) cutouts handed to a sink that only counts bytes (the cutout store is another node):
      CPU-bound;
  (b-) set-up (b) with every write set built and dropped (level1_bench --discard-writes):
      Level 1 without the store's own work, so (b) minus (b-) is what the store costs.
RocksDB's flushes and compactions are paused while the benchmark makes its next chunk of
copies (level1_bench.cc), so all of their CPU and time falls in the measured parts; the CPU
per alert of RocksDB's flush and compaction threads is reported separately. Waiting for a
running flush at the end of each chunk leaves cores idle, so the measured rates are a lower
bound (hence large chunks: --chunk, 250,000 by default, so (a) is one chunk and (b) four);
"2 cores ÷ CPU per alert" is the rate two fully used cores would give (derived, not measured).
Prints a Markdown table (alerts/s, bytes per alert, durable MB/s, peak memory) and the
per-stage busy seconds (where the time goes). The disk figure is what the store holds on disk
after its final flush (RocksDB fdatasyncs each file it flushes) over the run's time including
that flush — the same bytes-made-durable-per-second that dd conv=fdatasync measures. dd runs
before and after the (a) runs; the higher of the two is the reference. (The process's
/proc/self/io write_bytes undercounts RocksDB's writes here: 17.6 kB per alert against 28.9 kB
per alert in /proc/diskstats for the device, and 28.4 kB per alert in the store's files.)

History strategies (--history-sim N): N simulated ZTF alerts (objects recur, each packet
repeating ~30 days of history) through `lantern run --cutouts count` with --history select and
with --history upsert, side by side: alerts/s and store bytes written per alert.

Usage: python bench/level1_bench.py [--alerts N] [--alerts-a N] [--catalog N]
           [--watchlist N] [--dir DIR] [--smoke] [--markdown FILE] [--json FILE]
       python bench/level1_bench.py --history-sim N [--dir DIR]
       (either with --buffered-io: the store's tables through the page cache, for A/B's)
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def dd_bandwidth(directory: str, mb: int) -> float:
    os.makedirs(directory, exist_ok=True)
    target = os.path.join(directory, "dd.bin")
    proc = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={mb}",
                           "conv=fdatasync"], capture_output=True, text=True, check=True)
    os.remove(target)
    m = re.search(r"copied, ([\d.]+) s", proc.stderr)
    return mb * 1048576 / float(m.group(1)) / 1e6  # MB/s


def run_bench(binary: str, args: list[str]) -> dict:
    proc = subprocess.run([binary, *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{binary} {' '.join(args)} failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def history_compare(lantern: str, directory: str, n: int, extra: list[str]) -> str:
    os.makedirs(directory, exist_ok=True)
    sim = os.path.join(directory, "sim-ztf.avro")
    subprocess.run([lantern, "simulate", "--survey", "ztf", "--count", str(n), "--seed", "3",
                    "--out", sim], check=True, capture_output=True)
    lines = ["| history | alerts | alerts/s | store bytes written/alert | new detections |",
             "|---|---|---|---|---|"]
    for strategy in ("select", "upsert"):
        store = os.path.join(directory, f"store-{strategy}")
        subprocess.run(["rm", "-rf", store], check=True)
        proc = subprocess.run([lantern, "run", "--source", f"files:{sim}", "--history", strategy,
                               "--cutouts", "count", "--threads", "2", "--progress", "0",
                               "--data-dir", store, *extra], capture_output=True, text=True,
                              check=True)
        m = re.search(r"([\d,]+) alerts in ([\d.]+) s", proc.stderr)
        alerts, secs = int(m.group(1).replace(",", "")), float(m.group(2))
        written = int(re.search(r"store bytes written ([\d,]+)", proc.stderr).group(1).replace(",", ""))
        new = re.search(r"new detections ([\d,]*\d)", proc.stderr).group(1)
        lines.append(f"| {strategy} | {alerts:,} | {alerts / secs:,.0f} | {written / alerts:,.0f} | {new} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", default=os.path.join(REPO, "build", "bin", "level1_bench"))
    ap.add_argument("--alerts", type=int, default=1_000_000, help="alerts for set-up (b)")
    ap.add_argument("--alerts-a", type=int, default=200_000, help="alerts for set-up (a)")
    ap.add_argument("--chunk", type=int, default=250_000,
                    help="copies made (untimed) per chunk, held in memory: fewer chunks, fewer "
                         "pauses (250,000 ZTF packets are ~13 GB)")
    ap.add_argument("--catalog", type=int, default=10_000_000)
    ap.add_argument("--watchlist", type=int, default=100_000)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--dir", default="/tmp/lantern-level1-bench")
    ap.add_argument("--dd-mb", type=int, default=4096)
    ap.add_argument("--wal", action="store_true",
                    help="keep RocksDB's write-ahead log (default off, as in `lantern run`)")
    ap.add_argument("--buffered-io", action="store_true",
                    help="store tables written through the page cache (default: O_DIRECT)")
    ap.add_argument("--smoke", action="store_true",
                    help="2,000 alerts, 1e5 catalogue, 1e4 targets, 256 MB dd (seconds)")
    ap.add_argument("--history-sim", type=int, default=0,
                    help="compare --history select and upsert on N simulated alerts instead")
    ap.add_argument("--lantern", default=os.path.join(REPO, "build", "bin", "lantern"))
    ap.add_argument("--markdown")
    ap.add_argument("--json")
    opt = ap.parse_args()
    buffered = ["--buffered-io"] if opt.buffered_io else []
    if opt.history_sim:
        print(history_compare(opt.lantern, opt.dir, opt.history_sim, buffered))
        return 0
    if opt.smoke:
        opt.alerts, opt.alerts_a, opt.catalog, opt.watchlist, opt.dd_mb = 2000, 2000, 100_000, 10_000, 256

    dd_runs = [dd_bandwidth(opt.dir, opt.dd_mb)]
    print(f"dd conv=fdatasync: {dd_runs[0]:.0f} MB/s", file=sys.stderr)
    rows = []
    for setup, cutouts, alerts in (("a", "rocksdb", opt.alerts_a), ("b", "count", opt.alerts),
                                   ("b-", "count", opt.alerts)):
        if setup == "b":
            dd_runs.append(dd_bandwidth(opt.dir, opt.dd_mb))
            print(f"dd conv=fdatasync: {dd_runs[-1]:.0f} MB/s", file=sys.stderr)
        for threads in [int(t) for t in opt.threads.split(",")]:
            print(f"set-up ({setup}) {threads} thread(s), {alerts} alerts ...", file=sys.stderr)
            r = run_bench(opt.bench, ["--alerts", str(alerts), "--threads", str(threads),
                                      "--chunk", str(min(alerts, opt.chunk)),
                                      "--cutouts", cutouts, "--catalog", str(opt.catalog),
                                      "--watchlist", str(opt.watchlist), "--dir", opt.dir]
                          + ([] if opt.wal else ["--no-wal"]) + buffered
                          + (["--discard-writes"] if setup == "b-" else []))
            r["setup"] = setup
            # Bytes made durable per second: the store's files after the final flush.
            r["durable_mb_per_s"] = r["dir_bytes_per_alert"] * r["alerts_per_s_with_flush"] / 1e6
            rows.append(r)
    dd = max(dd_runs)
    for r in rows:
        r["dd_mb_per_s"] = dd
    lines = [
        "dd conv=fdatasync on the same disk: **"
        + " / ".join(f"{d:.0f}" for d in dd_runs)
        + f" MB/s** (before / after set-up (a); {dd:.0f} is the reference); catalogue "
        f"{opt.catalog:,} sources, watchlist {opt.watchlist:,} targets; RocksDB write-ahead log "
        f"{'on' if opt.wal else 'off (as in `lantern run`)'}.",
        "",
        "| set-up | threads | alerts | alerts/s | alerts/s incl. final flush | store bytes/alert "
        "| on-disk bytes/alert | durable MB/s | % of dd | CPU µs/alert | of which flush "
        "| of which compaction | 2 cores ÷ CPU per alert | peak RSS MB (input held) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        background = r["background_cpu_us_per_alert"]
        durable = (f"{r['durable_mb_per_s']:,.0f} | {100 * r['durable_mb_per_s'] / dd:.0f} %"
                   if r["writes_applied"] else "– | –")
        lines.append(
            f"| ({r['setup']}) cutouts {r['cutouts']}"
            f"{'' if r['writes_applied'] else ', writes dropped'} | {r['threads']} "
            f"| {r['alerts']:,} | {r['alerts_per_s']:,.0f} | {r['alerts_per_s_with_flush']:,.0f} "
            f"| {r['store_bytes_per_alert']:,.0f} | {r['dir_bytes_per_alert']:,.0f} "
            f"| {durable} | {r['cpu_us_per_alert_whole_run']:.1f} "
            f"| {background.get('rocksdb:high', 0):.1f} | {background.get('rocksdb:low', 0):.1f} "
            f"| {2e6 / r['cpu_us_per_alert_whole_run']:,.0f} "
            f"| {r['peak_rss_mb']:,.0f} ({r['input_chunk_mb']:,.0f}) |")
    lines += ["", "Busy seconds per stage (all workers):", "",
              "| set-up | threads | " + " | ".join(rows[0]["stage_busy_seconds"]) + " |",
              "|---|---|" + "---|" * len(rows[0]["stage_busy_seconds"])]
    for r in rows:
        lines.append(f"| ({r['setup']}) | {r['threads']} | " +
                     " | ".join(f"{v:.2f}" for v in r["stage_busy_seconds"].values()) + " |")
    text = "\n".join(lines)
    print(text)
    if opt.markdown:
        with open(opt.markdown, "w") as f:
            f.write(text + "\n")
    if opt.json:
        with open(opt.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
