"""Local runner: try a filter function on alert files before registering it.

    python -m lantern_filter.run my_filter.py alerts.jsonl [more.jsonl ...]
    python -m lantern_filter.run my_filter.py ztf_alerts/ --lantern build/bin/lantern

Inputs are JSON-lines files of alerts as Lantern sends them (`lantern filter alerts FILES`
writes them), or anything else (Avro alert files, directories), which is converted with
`lantern filter alerts` (the binary from --lantern or PATH). Prints one JSON line per match,
{"alertId", "objectId", "annotation"} — the same lines as `lantern filter test --python` —
and a summary on stderr. The function runs in this process, without the sandbox: an error
shows its traceback here, where `lantern` would disable the filter.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

from .alert import FilterError, call_filter, load_function


def _alerts(paths, lantern):
    others = []
    for path in paths:
        if path.endswith((".jsonl", ".json")) and os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    if line.strip():
                        yield json.loads(line)
        else:
            others.append(path)
    if others:
        binary = lantern or shutil.which("lantern")
        if binary is None:
            sys.exit("lantern_filter.run: Avro inputs need the lantern binary (--lantern PATH) "
                     "or JSON-lines files from `lantern filter alerts`")
        out = subprocess.run([binary, "filter", "alerts", *others], check=True,
                             stdout=subprocess.PIPE, text=True).stdout
        for line in out.splitlines():
            if line.strip():
                yield json.loads(line)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m lantern_filter.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("function", help="Python file defining filter(alert)")
    ap.add_argument("alerts", nargs="+", help="JSON-lines alert files, Avro files or directories")
    ap.add_argument("--lantern", help="lantern binary for converting Avro inputs")
    args = ap.parse_args(argv)
    with open(args.function, encoding="utf-8") as f:
        fn = load_function(f.read(), args.function)
    n = matches = 0
    spent = 0.0
    for alert in _alerts(args.alerts, args.lantern):
        n += 1
        start = time.perf_counter()
        try:
            result = call_filter(fn, alert)
        except FilterError as e:
            sys.exit(f"lantern_filter.run: alert {alert.get('alertId')}: {e}")
        spent += time.perf_counter() - start
        if result is False:
            continue
        matches += 1
        annotation = result[1] if isinstance(result, tuple) else None
        print(json.dumps({"alertId": alert.get("alertId"), "objectId": alert.get("objectId"),
                          "annotation": annotation}, separators=(",", ":"), sort_keys=True))
    per = spent / n * 1e6 if n else 0.0
    print(f"{n} alerts, {matches} matches; function {spent * 1e3:.1f} ms "
          f"({per:.1f} us per alert)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
