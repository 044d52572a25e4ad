#!/usr/bin/env python3
"""compare_decode.py — decode throughput of Lantern vs avro-c vs fastavro on the same files.

Runs, one after the other on one file set:
  1. build/bin/lantern bench decode --schema-dir DIR FILES --seconds S --json
  2. build/bin/avro_c_decode --seconds S --mode container FILES   (and --mode datum)
  3. python bench/fastavro_decode.py --seconds S --mode container --schema-dir DIR FILES
     (and --mode datum)
and prints a Markdown table: tool, alerts/s, MB/s, ratio Lantern/tool (alerts/s), plus the
number of alerts/files each tool actually decoded (tools skip files they cannot read, e.g.
avro-c skips Confluent wire-format packets, the datum modes skip compressed files).

"container" = every pass decodes the container files from their in-memory bytes, header
and embedded writer schema included; "datum" = writer schema parsed once per file, only
record datums are decoded per pass (schema cached). See bench/avro_c_decode.c.

File sets (--set), from the shared data dir (env LANTERN_SHARED_DATA, default ../shared/data
relative to the repo):
  ztf-cutouts (default)  native ZTF files whose MANIFEST row has n_cutouts == 3
  ztf-all                every .avro under ztf/alerts (native, fink_spark, fink_multi)
  lsst                   every .avro under lsst/alerts (container + Confluent wire)

Usage: python bench/compare_decode.py [--set NAME] [--seconds S | --smoke] [--repeat N]
           [--lantern PATH] [--avro-c PATH] [--no-datum] [--markdown FILE] [--svg FILE]
"""
from __future__ import annotations

import argparse
import csv
import datetime
import glob
import json
import os
import platform
import shlex
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def default_data_dir() -> str:
    return os.environ.get("LANTERN_SHARED_DATA") or os.path.normpath(
        os.path.join(REPO, "..", "shared", "data"))


def file_set(name: str, data: str) -> list[str]:
    if name == "ztf-cutouts":
        base = os.path.join(data, "ztf", "alerts")
        with open(os.path.join(base, "native", "MANIFEST.csv"), newline="") as f:
            return [os.path.join(base, r["file"]) for r in csv.DictReader(f)
                    if r["n_cutouts"].strip() == "3"]
    if name == "ztf-all":
        return sorted(glob.glob(os.path.join(data, "ztf", "alerts", "**", "*.avro"), recursive=True))
    if name == "lsst":
        return sorted(glob.glob(os.path.join(data, "lsst", "alerts", "**", "*.avro"), recursive=True))
    raise ValueError(name)


def run_best(label: str, cmd: list[str], repeat: int, missing: str | None = None) -> dict:
    """Run a benchmark `repeat` times; keep the fastest run, record all alerts/s in 'runs'."""
    runs = [run_tool(label, cmd, missing) for _ in range(max(1, repeat))]
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    best = max(ok, key=lambda r: r["alerts_per_s"])
    best["runs"] = [r["alerts_per_s"] for r in ok]
    return best


def run_tool(label: str, cmd: list[str], missing: str | None = None) -> dict:
    """Run one benchmark command; return its JSON result or {'error': ...}."""
    if missing and not os.access(missing, os.X_OK):
        return {"label": label, "error": "not built", "cmd": cmd}
    print(f"running {label} ...", file=sys.stderr, flush=True)
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"label": label, "error": f"failed: {e}", "cmd": cmd}
    lines = [ln for ln in p.stdout.splitlines() if ln.strip().startswith("{")]
    res: dict = {}
    if lines:
        try:
            res = json.loads(lines[-1])
        except json.JSONDecodeError:
            res = {}
    skips = [ln for ln in p.stderr.splitlines() if "skip" in ln]
    if p.returncode != 0 or "alerts_per_s" not in res:
        tail = " | ".join(p.stderr.strip().splitlines()[-3:])
        return {"label": label, "error": f"failed (exit {p.returncode}): {tail}", "cmd": cmd}
    res.update(label=label, cmd=cmd, skip_lines=skips)
    return res


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def versions() -> str:
    parts = []
    try:
        import fastavro
        parts.append(f"fastavro {fastavro.__version__}")
    except ImportError:
        pass
    try:
        v = subprocess.run(["pkg-config", "--modversion", "avro-c"], capture_output=True,
                           text=True).stdout.strip()
        if v:
            parts.append(f"avro-c {v}")
    except OSError:
        pass
    try:
        rev = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True).stdout.strip()
        if rev:
            parts.append(f"lantern git {rev}")
    except OSError:
        pass
    parts.append(f"Python {platform.python_version()}")
    return ", ".join(parts)


def table(results: list[dict]) -> str:
    lantern = next((r for r in results if r["label"] == "lantern" and "error" not in r), None)
    rows = ["| tool | alerts/s | MB/s | ratio Lantern/tool | alerts decoded (files, skipped) |",
            "|---|---:|---:|---:|---|"]
    for r in results:
        if "error" in r:
            rows.append(f"| {r['label']} | {r['label'].split()[0]}: {r['error']} | | | |")
            continue
        if lantern is None:
            ratio = "n/a"
        elif r is lantern:
            ratio = "1.00"
        else:
            ratio = f"{lantern['alerts_per_s'] / r['alerts_per_s']:.2f}" if r["alerts_per_s"] else "n/a"
        files = f"{r.get('files', '?')}, {r.get('skipped', 0)}"
        rows.append(f"| {r['label']} | {r['alerts_per_s']:,.1f} | {r['mb_per_s']:,.2f} | {ratio} "
                    f"| {r.get('alerts', '?')} ({files}) |")
    return "\n".join(rows)


def write_svg(path: str, results: list, title: str) -> None:
    """Horizontal bar chart of alerts/s on a log scale (no plotting library needed)."""
    import math
    rows = [r for r in results if r.get("alerts_per_s")]
    if not rows:
        return
    top = max(r["alerts_per_s"] for r in rows)
    decades = max(1, math.ceil(math.log10(top)))
    left, width, bar, gap = 230, 520, 26, 12
    height = 60 + len(rows) * (bar + gap) + 30
    x = lambda v: left + width * math.log10(max(v, 1)) / decades
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 110}" '
           f'height="{height}" font-family="sans-serif" font-size="13">',
           f'<text x="10" y="22" font-size="15" font-weight="bold">{title}</text>']
    for d in range(decades + 1):
        gx = x(10 ** d)
        out.append(f'<line x1="{gx:.1f}" y1="40" x2="{gx:.1f}" y2="{height - 25}" stroke="#ddd"/>')
        out.append(f'<text x="{gx:.1f}" y="{height - 8}" text-anchor="middle" fill="#666">'
                   f'{10 ** d:,}</text>')
    for i, r in enumerate(rows):
        y = 50 + i * (bar + gap)
        colour = "#d9822b" if r["label"] == "lantern" else "#4a7ab5"
        out.append(f'<text x="{left - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end">'
                   f'{r["label"]}</text>')
        out.append(f'<rect x="{left}" y="{y}" width="{x(r["alerts_per_s"]) - left:.1f}" '
                   f'height="{bar}" fill="{colour}"/>')
        out.append(f'<text x="{x(r["alerts_per_s"]) + 6:.1f}" y="{y + bar * 0.7:.1f}">'
                   f'{r["alerts_per_s"]:,.0f}/s</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--set", dest="set_name", default="ztf-cutouts",
                    choices=("ztf-cutouts", "ztf-all", "lsst"))
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--smoke", action="store_true", help="0.5 s per tool")
    ap.add_argument("--data", default=default_data_dir(), help="shared data dir")
    ap.add_argument("--lantern", default=os.path.join(REPO, "build", "bin", "lantern"))
    ap.add_argument("--avro-c", dest="avro_c", default=os.path.join(REPO, "build", "bin", "avro_c_decode"))
    ap.add_argument("--fastavro-script", default=os.path.join(REPO, "bench", "fastavro_decode.py"))
    ap.add_argument("--python", default=sys.executable, help="interpreter for fastavro_decode.py")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run each tool N times and report its fastest run (noisy machines)")
    ap.add_argument("--no-datum", action="store_true", help="skip the schema-cached datum-mode rows")
    ap.add_argument("--markdown", help="write table + command line, date, machine to this file")
    ap.add_argument("--svg", help="write a bar chart of alerts/s (log scale) to this file")
    args = ap.parse_args(argv)

    seconds = 0.5 if args.smoke else args.seconds
    files = file_set(args.set_name, args.data)
    if not files:
        print(f"compare_decode: no files for set {args.set_name} under {args.data}", file=sys.stderr)
        return 2
    total_bytes = sum(os.path.getsize(f) for f in files)
    schema_dir = os.path.join(args.data, "lsst", "schema")
    s = f"{seconds:g}"

    rep = args.repeat
    results = [run_best("lantern", [args.lantern, "bench", "decode", "--schema-dir", schema_dir,
                                    *files, "--seconds", s, "--json"], rep, missing=args.lantern)]
    modes = ["container"] if args.no_datum else ["container", "datum"]
    for mode in modes:
        label = "avro-c" if mode == "container" else "avro-c (datum, schema cached)"
        results.append(run_best(label, [args.avro_c, "--seconds", s, "--mode", mode, *files],
                                rep, missing=args.avro_c))
    for mode in modes:
        label = "fastavro" if mode == "container" else "fastavro (datum, schema cached)"
        results.append(run_best(label, [args.python, args.fastavro_script, "--seconds", s,
                                        "--mode", mode, "--schema-dir", schema_dir, *files], rep))

    tbl = table(results)
    summary = (f"Set `{args.set_name}`: {len(files)} files, {total_bytes / 1e6:.2f} MB, "
               f"{seconds:g} s per tool, one thread each"
               + (f", best of {rep} runs per tool." if rep > 1 else "."))
    print(summary)
    print()
    print(tbl)
    for r in results:
        for line in r.get("skip_lines", [])[:5]:
            print(f"  {r['label']}: {line}", file=sys.stderr)

    if args.svg:
        write_svg(args.svg, results, f"Decode, one thread: alerts/s ({args.set_name}, "
                                     f"{len(files)} files)")
        print(f"wrote {args.svg}", file=sys.stderr)

    if args.markdown:
        cmdline = shlex.join([os.path.relpath(sys.executable) if sys.executable else "python",
                              *sys.argv])
        try:
            ncpu = len(os.sched_getaffinity(0))
        except AttributeError:
            ncpu = os.cpu_count()
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        with open(args.markdown, "w") as f:
            f.write("# Decode throughput: Lantern vs avro-c vs fastavro\n\n")
            f.write(f"- Command: `{cmdline}`\n")
            f.write(f"- Date: {now}\n")
            f.write(f"- Machine: nproc {ncpu}, CPU {cpu_model()}, {platform.system()} "
                    f"{platform.release()}\n")
            f.write(f"- Versions: {versions()}\n")
            f.write(f"- {summary}\n\n")
            f.write(tbl + "\n\n")
            f.write("container = each pass decodes every file from its in-memory bytes, header "
                    "and embedded writer schema included; datum = writer schema parsed once per "
                    "file, only the record datums are decoded each pass. Ratio = Lantern alerts/s "
                    "divided by the tool's alerts/s (check the alerts column when a tool skipped "
                    "files).\n\n")
            f.write("Raw results:\n\n```\n")
            for r in results:
                raw = {k: v for k, v in r.items() if k not in ("cmd", "skip_lines", "label")}
                f.write(f"{r['label']}: {json.dumps(raw)}\n")
            f.write("```\n")
        print(f"wrote {args.markdown}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
