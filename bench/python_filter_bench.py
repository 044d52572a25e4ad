#!/usr/bin/env python3
"""Per-alert cost of Python filter functions on the sandboxed path.

Runs `lantern filter test --python F ALERTS --repeat R` for a trivial function (`return True`)
and a realistic one (light-curve arrays, features, an annotation), and reports microseconds
per alert as lantern measures them: building the request frames, the pipe to the sandboxed
worker, json decoding, the call, the reply — everything but decoding the Avro files and
starting the sandbox (reported separately). Beside it, the same functions called in-process by
the local runner over the same alerts (lantern_filter.run), i.e. the bare function cost.

    .venv/bin/python bench/python_filter_bench.py [--lantern build/bin/lantern] [--smoke]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FUNCTIONS = {
    "trivial": "def filter(alert):\n    return True\n",
    "realistic": '''
def filter(alert):
    lc = alert.lightcurve
    if len(lc) < 2:
        return False
    span = max(lc.mjd) - min(lc.mjd)
    if alert["ncand"] >= 2 and alert.candidate["rb"] > 0.3:
        return {"span_days": span, "bands": sorted(set(lc.band)), "ndet": len(lc)}
    return span > 10
''',
}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lantern", default=os.path.join(REPO, "build", "bin", "lantern"))
    ap.add_argument("--alerts", default=os.path.join(
        os.environ.get("LANTERN_SHARED_DATA", os.path.join(REPO, "..", "shared", "data")),
        "ztf", "alerts", "native", "ampel-ztf"))
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--smoke", action="store_true", help="one pass, to check that it runs")
    args = ap.parse_args()
    repeat = 1 if args.smoke else args.repeat
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = os.path.join(tmp, "alerts.jsonl")
        with open(jsonl, "w") as f:
            subprocess.run([args.lantern, "filter", "alerts", args.alerts], stdout=f, check=True)
        print(f"alerts: {args.alerts}; repeat {repeat}")
        print(f"{'function':<10} {'sandboxed us/alert':>19} {'in-process us/alert':>20} "
              f"{'sandbox start ms':>17}")
        for name, source in FUNCTIONS.items():
            path = os.path.join(tmp, name + ".py")
            with open(path, "w") as f:
                f.write(source)
            p = subprocess.run([args.lantern, "filter", "test", "--python", path, args.alerts,
                                "--repeat", str(repeat)], capture_output=True, text=True,
                               check=True)
            m = re.search(r"sandbox start ([\d.]+) ms, (\d+) calls in ([\d.]+) ms "
                          r"\(([\d.]+) us per alert\)", p.stderr)
            if not m:
                sys.exit(f"unexpected output: {p.stderr}")
            q = subprocess.run([sys.executable, "-m", "lantern_filter.run", path] +
                               [jsonl] * repeat, capture_output=True, text=True, check=True,
                               env=env)
            n = re.search(r"\(([\d.]+) us per alert\)", q.stderr)
            print(f"{name:<10} {float(m.group(4)):>19.1f} {float(n.group(1)):>20.1f} "
                  f"{float(m.group(1)):>17.1f}")


if __name__ == "__main__":
    main()
