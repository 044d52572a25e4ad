#!/usr/bin/env python3
"""fastavro_compare.py — differential test of `lantern inspect --full` against fastavro.

For every .avro alert file under DATA/ztf and DATA/lsst:
  * decode it with fastavro (the reference): Avro container files with fastavro.reader,
    Confluent wire-format packets (byte 0 = 0, bytes 1-4 big-endian schema id, one datum)
    with fastavro.schemaless_reader and the Rubin schema DATA/lsst/schema/<major>.<minor>/
    (id = major*100+minor); the reference must read every file completely, and its record
    counts must match the MANIFEST.csv `nrec` column, or the test fails;
  * run `lantern inspect --full --schema-dir DATA/lsst/schema FILE...` (chunks of ~200
    files) and parse one JSON object per line (keys file, index, ..., fields);
  * compare every value of every record recursively, walking the writer schema alongside
    so each value's Avro type is known: same keys, same JSON types, equal values; Avro
    float compared after rounding both sides to float32, double exactly, NaN == NaN
    (Lantern writes NaN/Infinity/-Infinity as strings), bytes/fixed as base64, unions as
    the branch value, enums as symbol strings. Logical types are compared raw (fastavro's
    logical-type conversion is switched off).

Every mismatch is reported with file, record index and field path. Exit status 1 on any
mismatch, any missing/extra record, any Lantern failure, or any failure of the reference.

Usage:
  python tests/fastavro_compare.py --lantern build/bin/lantern [--data DIR]
  python tests/fastavro_compare.py --reference-only [--data DIR]   # check fastavro only
DATA defaults to $LANTERN_SHARED_DATA, else ../shared/data relative to the repo.
"""
from __future__ import annotations

import argparse
import base64
import binascii
import csv
import glob
import io
import json
import math
import os
import struct
import subprocess
import sys

import fastavro
import fastavro.read
import fastavro.schema

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAGIC = b"Obj\x01"
CHUNK = 200
# README 1.2: this copy was cut after the sync marker that ends its first block; the
# reference must still read its one record.
KNOWN_TRUNCATED = {"schema_4.02.avro": 1}
PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}
SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}

# Compare raw Avro values: stop fastavro from turning e.g. timestamp-micros longs into
# datetime objects (Lantern's --full output is the raw datum).
fastavro.read.LOGICAL_READERS.clear()


# --------------------------------------------------------------------------- reference

def collect_named(schema, named: dict) -> dict:
    """Register every named type (record/enum/fixed) of a fastavro-parsed schema by full name."""
    if isinstance(schema, list):
        for s in schema:
            collect_named(s, named)
    elif isinstance(schema, dict):
        t = schema.get("type")
        if t in ("record", "error", "enum", "fixed") and "name" in schema:
            named.setdefault(schema["name"], schema)
        if t in ("record", "error"):
            for f in schema.get("fields", []):
                collect_named(f["type"], named)
        elif t == "array":
            collect_named(schema["items"], named)
        elif t == "map":
            collect_named(schema["values"], named)
        elif isinstance(t, (dict, list)):
            collect_named(t, named)
    return named


class Reference:
    """fastavro decoding of one file: records + writer schema + named types."""

    def __init__(self, path, records, schema, named, note=""):
        self.path, self.records, self.schema, self.named, self.note = path, records, schema, named, note


_confluent_cache: dict = {}


def confluent_schema(schema_dir: str, schema_id: int):
    if schema_id not in _confluent_cache:
        major, minor = divmod(schema_id, 100)
        folder = os.path.join(schema_dir, f"{major}.{minor}")
        tops = sorted(glob.glob(os.path.join(folder, "*.alert.avsc")))
        if not tops:
            raise FileNotFoundError(f"schema id {schema_id}: no *.alert.avsc in {folder}")
        named: dict = {}
        parsed = fastavro.schema.load_schema(tops[0], named_schemas=named)
        collect_named(parsed, named)
        _confluent_cache[schema_id] = (parsed, named)
    return _confluent_cache[schema_id]


def decode_reference(path: str, schema_dir: str) -> Reference:
    """Decode a file with fastavro. Raises on any failure (a failure of the reference)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == MAGIC:
        rd = fastavro.reader(io.BytesIO(data))
        named: dict = {}
        schema = fastavro.parse_schema(json.loads(rd.metadata["avro.schema"]), named,
                                       _write_hint=False, _force=True)
        collect_named(schema, named)
        records, note = [], ""
        try:
            for rec in rd:
                records.append(rec)
        except Exception as e:
            base = os.path.basename(path)
            if base in KNOWN_TRUNCATED and len(records) >= KNOWN_TRUNCATED[base]:
                note = f"known truncated file, fastavro stopped after {len(records)} record(s): {e!r}"
            else:
                raise RuntimeError(f"fastavro failed after {len(records)} record(s): {e!r}") from e
        return Reference(path, records, schema, named, note)
    if len(data) > 5 and data[0] == 0:
        sid = int.from_bytes(data[1:5], "big")
        schema, named = confluent_schema(schema_dir, sid)
        bio = io.BytesIO(data)
        bio.seek(5)
        rec = fastavro.schemaless_reader(bio, schema)
        if bio.tell() != len(data):
            raise RuntimeError(f"Confluent datum (schema id {sid}) used {bio.tell() - 5} of "
                               f"{len(data) - 5} bytes")
        return Reference(path, [rec], schema, named, f"Confluent wire format, schema id {sid}")
    raise RuntimeError("neither an Avro container file nor Confluent wire format")


def manifest_counts(data_dir: str) -> dict:
    """realpath -> nrec from every MANIFEST.csv under DATA/ztf and DATA/lsst."""
    counts = {}
    for man in glob.glob(os.path.join(data_dir, "ztf", "**", "MANIFEST.csv"), recursive=True) + \
            glob.glob(os.path.join(data_dir, "lsst", "**", "MANIFEST.csv"), recursive=True):
        d = os.path.dirname(man)
        with open(man, newline="") as f:
            for row in csv.DictReader(f):
                if not row.get("nrec"):
                    continue
                for base in (d, os.path.dirname(d)):
                    p = os.path.join(base, row["file"])
                    if os.path.isfile(p):
                        counts[os.path.realpath(p)] = int(row["nrec"])
                        break
    return counts


# --------------------------------------------------------------------------- comparison

class Comparator:
    def __init__(self, max_report: int):
        self.mismatches = 0
        self.fields = 0
        self.max_report = max_report

    def report(self, file: str, index, path: str, msg: str) -> None:
        self.mismatches += 1
        if self.mismatches <= self.max_report:
            print(f"MISMATCH {file} [{index}] {path or '<root>'}: {msg}")
        elif self.mismatches == self.max_report + 1:
            print(f"... (further mismatches counted, not printed; --max-report {self.max_report})")

    @staticmethod
    def _num(v):
        """Lantern JSON value -> float, or None if not a JSON number / special string."""
        if isinstance(v, bool):
            return None
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, str) and v in SPECIAL_FLOATS:
            return SPECIAL_FLOATS[v]
        return None

    @staticmethod
    def _f32(x: float) -> float:
        return struct.unpack("<f", struct.pack("<f", x))[0]

    def compare(self, schema, ref, got, named, ctx, path: str) -> None:
        file, index = ctx
        # resolve the schema node to a concrete type
        if isinstance(schema, str):
            if schema not in PRIMITIVES:
                if schema not in named:
                    self.report(file, index, path, f"test cannot resolve named type {schema!r}")
                    return
                schema = named[schema]
                t = schema["type"]
            else:
                t = schema
        elif isinstance(schema, list):
            self.compare_union(schema, ref, got, named, ctx, path)
            return
        else:
            t = schema["type"]
            if isinstance(t, (dict, list)) or (isinstance(t, str) and t not in PRIMITIVES and t not in (
                    "record", "error", "enum", "fixed", "array", "map")):
                self.compare(t, ref, got, named, ctx, path)
                return

        if t in ("record", "error"):
            if not isinstance(got, dict):
                self.report(file, index, path, f"expected object (record {schema.get('name')}), got {type(got).__name__}")
                return
            names = [f["name"] for f in schema["fields"]]
            missing = [n for n in names if n not in got]
            extra = [k for k in got if k not in names]
            if missing:
                self.report(file, index, path, f"missing keys {missing}")
            if extra:
                self.report(file, index, path, f"extra keys {extra}")
            for f in schema["fields"]:
                if f["name"] in got:
                    self.compare(f["type"], ref[f["name"]], got[f["name"]], named, ctx,
                                 f"{path}.{f['name']}" if path else f["name"])
            return
        if t == "array":
            if not isinstance(got, list):
                self.report(file, index, path, f"expected list, got {type(got).__name__}")
                return
            if len(got) != len(ref):
                self.report(file, index, path, f"array length {len(got)} != reference {len(ref)}")
            for i, (r, g) in enumerate(zip(ref, got)):
                self.compare(schema["items"], r, g, named, ctx, f"{path}[{i}]")
            return
        if t == "map":
            if not isinstance(got, dict):
                self.report(file, index, path, f"expected object (map), got {type(got).__name__}")
                return
            if set(got) != set(ref):
                self.report(file, index, path, f"map keys differ: missing {sorted(set(ref) - set(got))[:5]}, "
                                               f"extra {sorted(set(got) - set(ref))[:5]}")
            for k in ref:
                if k in got:
                    self.compare(schema["values"], ref[k], got[k], named, ctx, f"{path}{{{k}}}")
            return

        # leaves
        self.fields += 1
        if t == "null":
            ok = got is None
        elif t == "boolean":
            ok = isinstance(got, bool) and got == ref
        elif t in ("int", "long"):
            ok = isinstance(got, int) and not isinstance(got, bool) and got == ref
        elif t in ("float", "double"):
            g = self._num(got)
            if g is None:
                self.report(file, index, path, f"{t}: expected number or NaN/Infinity string, got {got!r}")
                return
            r = float(ref)
            if t == "float":
                try:
                    g = self._f32(g)
                except OverflowError:
                    self.report(file, index, path, f"float: {got!r} out of float32 range (reference {r!r})")
                    return
                r = self._f32(r)
            ok = (math.isnan(r) and math.isnan(g)) or r == g
        elif t in ("bytes", "fixed"):
            if not isinstance(got, str):
                ok = False
            else:
                try:
                    ok = base64.b64decode(got, validate=True) == bytes(ref)
                except (binascii.Error, ValueError):
                    self.report(file, index, path, f"{t}: invalid base64 {got[:40]!r}")
                    return
            if not ok:
                self.report(file, index, path, f"{t}: got {str(got)[:60]!r}, reference "
                                               f"{base64.b64encode(bytes(ref)).decode()[:60]!r} "
                                               f"({len(ref)} bytes)")
                return
        elif t in ("string", "enum"):
            ok = isinstance(got, str) and got == ref
        else:
            self.report(file, index, path, f"test does not know Avro type {t!r}")
            return
        if not ok:
            self.report(file, index, path, f"{t}: got {got!r}, reference {ref!r}")

    def compare_union(self, branches, ref, got, named, ctx, path) -> None:
        branch = pick_branch(branches, ref, named)
        if branch is None:
            self.report(ctx[0], ctx[1], path, f"test cannot match reference value {type(ref).__name__} "
                                              f"to union {branches}")
            return
        self.compare(branch, ref, got, named, ctx, path)


def _type_of(schema, named):
    if isinstance(schema, str):
        return schema if schema in PRIMITIVES else named.get(schema, {}).get("type", "?"), \
            (named.get(schema) if schema not in PRIMITIVES else None)
    if isinstance(schema, dict):
        t = schema["type"]
        if isinstance(t, str):
            return t, schema
    return "?", schema


def pick_branch(branches, ref, named):
    """The union branch fastavro decoded `ref` from (by Python type of the decoded value)."""
    candidates = []
    for b in branches:
        t, node = _type_of(b, named)
        if ref is None and t == "null":
            return b
        if isinstance(ref, bool):
            if t == "boolean":
                return b
            continue
        if isinstance(ref, int) and t in ("int", "long"):
            return b
        if isinstance(ref, float) and t in ("float", "double"):
            candidates.append((0 if t == "float" else 1, b))  # float first: the looser check
        elif isinstance(ref, str) and t == "string":
            return b
        elif isinstance(ref, str) and t == "enum" and ref in node.get("symbols", []):
            return b
        elif isinstance(ref, (bytes, bytearray)) and t in ("bytes", "fixed"):
            if t == "bytes" or len(ref) == node.get("size"):
                return b
        elif isinstance(ref, list) and t == "array":
            return b
        elif isinstance(ref, dict) and t in ("record", "error"):
            if set(ref) == {f["name"] for f in node["fields"]}:
                return b
        elif isinstance(ref, dict) and t == "map":
            candidates.append((2, b))
    if candidates:
        candidates.sort(key=lambda c: c[0])
        if isinstance(ref, float) and len(candidates) > 1:
            # both float and double branches: use float32 comparison only if exact in float32
            exact32 = math.isnan(ref) or Comparator._f32(ref) == ref
            return candidates[0][1] if exact32 else candidates[-1][1]
        return candidates[0][1]
    return None


# --------------------------------------------------------------------------- lantern

def _reject_constant(name):
    raise ValueError(f"bare {name} in JSON (spec: NaN/Infinity must be strings)")


def run_lantern(lantern: str, schema_dir: str, files: list[str]):
    """Yield (line_no, parsed_or_None, error) for each stdout line; plus (None, None, err) on failure."""
    cmd = [lantern, "inspect", "--full", "--schema-dir", schema_dir, *files]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except (OSError, subprocess.TimeoutExpired) as e:
        yield None, None, f"cannot run lantern: {e}"
        return
    if p.returncode != 0:
        tail = " | ".join(p.stderr.strip().splitlines()[-5:])
        yield None, None, f"lantern inspect exited {p.returncode}: {tail}"
    for n, line in enumerate(p.stdout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield n, json.loads(line, parse_constant=_reject_constant), None
        except ValueError as e:
            yield n, None, f"stdout line {n} is not valid JSON ({e}): {line[:120]!r}"


# --------------------------------------------------------------------------- main

def default_data_dir() -> str:
    return os.environ.get("LANTERN_SHARED_DATA") or os.path.normpath(
        os.path.join(REPO, "..", "shared", "data"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lantern", default=os.path.join(REPO, "build", "bin", "lantern"))
    ap.add_argument("--data", default=default_data_dir())
    ap.add_argument("--reference-only", action="store_true",
                    help="only check that fastavro reads every file (no lantern)")
    ap.add_argument("--max-report", type=int, default=200, help="mismatches printed (all are counted)")
    ap.add_argument("--chunk", type=int, default=CHUNK, help="files per lantern invocation")
    args = ap.parse_args(argv)

    data = os.path.abspath(args.data)
    schema_dir = os.path.join(data, "lsst", "schema")
    files = sorted(glob.glob(os.path.join(data, "ztf", "**", "*.avro"), recursive=True) +
                   glob.glob(os.path.join(data, "lsst", "**", "*.avro"), recursive=True))
    if not files:
        print(f"FAIL: no .avro files under {data}/ztf or {data}/lsst")
        return 1
    expected = manifest_counts(data)

    ref_failures = failures = 0  # failures of the reference (fastavro) / of lantern
    cmp = Comparator(args.max_report)
    n_ref_records = n_got_records = 0
    n_files_compared = 0

    for start in range(0, len(files), args.chunk):
        chunk = files[start:start + args.chunk]
        refs: dict[str, Reference] = {}
        for path in chunk:
            try:
                ref = decode_reference(path, schema_dir)
            except Exception as e:
                ref_failures += 1
                print(f"REFERENCE FAILURE {path}: fastavro cannot read it: {type(e).__name__}: {e}")
                continue
            want = expected.get(os.path.realpath(path))
            if want is not None and want != len(ref.records):
                ref_failures += 1
                print(f"REFERENCE FAILURE {path}: fastavro read {len(ref.records)} records, "
                      f"MANIFEST says {want}")
            if want is None:
                print(f"note: {path} has no MANIFEST nrec entry")
            if ref.note and "truncated" in ref.note:
                print(f"note: {path}: {ref.note}")
            refs[path] = ref
            n_ref_records += len(ref.records)
        if args.reference_only:
            continue

        # lantern output for the chunk (only files the reference could read)
        paths = [p for p in chunk if p in refs]
        if not paths:
            continue
        by_name = {p: p for p in paths}
        by_name.update({os.path.realpath(p): p for p in paths})
        got: dict[str, dict[int, dict]] = {p: {} for p in paths}
        for line_no, obj, err in run_lantern(args.lantern, schema_dir, paths):
            if err:
                failures += 1
                print(f"LANTERN FAILURE: {err}")
                continue
            if not isinstance(obj, dict) or "file" not in obj or "index" not in obj or "fields" not in obj:
                failures += 1
                print(f"LANTERN FAILURE: line {line_no} lacks file/index/fields: {str(obj)[:120]}")
                continue
            f = obj["file"]
            p = (by_name.get(f) or by_name.get(os.path.realpath(f))) if isinstance(f, str) else None
            if p is None:
                failures += 1
                print(f"LANTERN FAILURE: line {line_no} names a file not asked for: {f!r}")
                continue
            idx = obj["index"]
            if not isinstance(idx, int) or isinstance(idx, bool):
                failures += 1
                print(f"LANTERN FAILURE: {p}: line {line_no} has non-integer index {idx!r}")
                continue
            if idx in got[p]:
                failures += 1
                print(f"LANTERN FAILURE: {p} [{idx}] printed twice")
                continue
            got[p][idx] = obj

        for p in paths:
            ref, out = refs[p], got[p]
            n_files_compared += 1
            if len(out) < len(ref.records):
                failures += 1
                print(f"MISSING {p}: lantern printed {len(out)} of {len(ref.records)} records "
                      f"(missing indices {[i for i in range(len(ref.records)) if i not in out][:10]})")
            extra = sorted(i for i in out if not 0 <= i < len(ref.records))
            if extra:
                failures += 1
                print(f"EXTRA {p}: lantern printed record indices {extra[:10]} beyond the "
                      f"{len(ref.records)} fastavro decodes")
            for i, rec in enumerate(ref.records):
                if i in out:
                    n_got_records += 1
                    cmp.compare(ref.schema, rec, out[i]["fields"], ref.named, (p, i), "")

    print()
    print(f"files: {len(files)} found, fastavro records: {n_ref_records}, "
          f"reference failures: {ref_failures}")
    if not args.reference_only:
        print(f"compared: {n_files_compared} files, {n_got_records} records, {cmp.fields} fields; "
              f"lantern failures (missing/extra records, bad output, exit status): {failures}, "
              f"mismatching values: {cmp.mismatches}")
    status = 1 if ref_failures or failures or cmp.mismatches else 0
    print("RESULT:", "FAIL" if status else "PASS")
    return status


if __name__ == "__main__":
    sys.exit(main())
