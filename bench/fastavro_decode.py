#!/usr/bin/env python3
"""fastavro_decode.py — reference decode benchmark using fastavro (Lantern decoder comparison).

Loads every given alert file into memory first, then decodes all records of all files
repeatedly on one thread for about S seconds (whole passes over the set, after one untimed
validation pass) and prints one JSON line, the same as bench/avro_c_decode.c:

  {"tool":"fastavro","mode":...,"alerts_per_s":...,"mb_per_s":...,"alerts":n,"bytes":b,
   "files":f,"skipped":k,"passes":p,"seconds":t}

alerts = records in one pass, bytes = file bytes in one pass, mb_per_s = 1e6 file bytes/s.

Framings:
  * Avro object container files: fastavro.reader over io.BytesIO of the preloaded bytes
    (parses the header and writer schema of every file, every pass).
  * Confluent wire format (byte 0 = 0, bytes 1-4 big-endian schema id, one bare datum):
    fastavro.schemaless_reader with the schema loaded once from --schema-dir
    (Rubin ids are major*100+minor -> DIR/<major>.<minor>/*.alert.avsc).

--mode datum: container files are split into their record datums at load time and only
schemaless_reader on each datum is timed, with the writer schema parsed once per file
("schema cached"); codec null only, compressed files are skipped.

Files fastavro cannot read are skipped with a message on stderr and counted in "skipped".

Usage: python bench/fastavro_decode.py [--seconds S] [--mode container|datum]
                                       [--schema-dir DIR] FILE...
"""
from __future__ import annotations

import argparse
import glob
import io
import json
import os
import sys
import time

import fastavro
import fastavro.schema

MAGIC = b"Obj\x01"


def load_confluent_schema(schema_dir: str, schema_id: int):
    """Parsed fastavro schema for a Rubin registry id (major*100+minor)."""
    major, minor = divmod(schema_id, 100)
    folder = os.path.join(schema_dir, f"{major}.{minor}")
    tops = sorted(glob.glob(os.path.join(folder, "*.alert.avsc")))
    if not tops:
        raise FileNotFoundError(f"no *.alert.avsc in {folder}")
    return fastavro.schema.load_schema(tops[0])


def _read_long(buf: bytes, pos: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return (value >> 1) ^ -(value & 1), pos
        shift += 7


def split_container(buf: bytes):
    """Return (metadata dict, [(block_bytes, count), ...]) of an Avro container file."""
    if buf[:4] != MAGIC:
        raise ValueError("not an Avro container file")
    pos, meta = 4, {}
    while True:
        count, pos = _read_long(buf, pos)
        if count == 0:
            break
        if count < 0:
            count = -count
            _, pos = _read_long(buf, pos)
        for _ in range(count):
            klen, pos = _read_long(buf, pos)
            key = buf[pos:pos + klen].decode()
            pos += klen
            vlen, pos = _read_long(buf, pos)
            meta[key] = buf[pos:pos + vlen]
            pos += vlen
    sync = buf[pos:pos + 16]
    pos += 16
    blocks = []
    while pos < len(buf):
        count, pos = _read_long(buf, pos)
        size, pos = _read_long(buf, pos)
        if size < 0 or pos + size + 16 > len(buf):
            raise ValueError("truncated data block")
        if buf[pos + size:pos + size + 16] != sync:
            raise ValueError("sync marker mismatch")
        blocks.append((buf[pos:pos + size], count))
        pos += size + 16
    return meta, blocks


class Item:
    """One preloaded file prepared for the timed loop."""

    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.kind = ""          # "container" | "confluent" | "datum"
        self.schema = None      # parsed schema (confluent / datum)
        self.blocks = []        # datum mode
        self.records = 0

    def decode(self) -> int:
        if self.kind == "container":
            n = 0
            for _ in fastavro.reader(io.BytesIO(self.data)):
                n += 1
            return n
        if self.kind == "confluent":
            bio = io.BytesIO(self.data)
            bio.seek(5)
            fastavro.schemaless_reader(bio, self.schema)
            return 1
        n = 0
        for block, count in self.blocks:
            bio = io.BytesIO(block)
            for _ in range(count):
                fastavro.schemaless_reader(bio, self.schema)
            n += count
        return n


def prepare(item: Item, mode: str, schema_dir: str | None, schema_cache: dict) -> None:
    """Classify and validate one file (untimed). Raises on anything fastavro cannot read."""
    data = item.data
    if data[:4] == MAGIC:
        if mode == "datum":
            meta, blocks = split_container(data)
            codec = meta.get("avro.codec", b"null").decode()
            if codec != "null":
                raise ValueError(f"datum mode handles codec null only (codec {codec})")
            item.kind = "datum"
            item.schema = fastavro.parse_schema(json.loads(meta["avro.schema"]))
            item.blocks = blocks
            for block, count in blocks:
                bio = io.BytesIO(block)
                for _ in range(count):
                    fastavro.schemaless_reader(bio, item.schema)
                if bio.tell() != len(block):
                    raise ValueError("block not fully consumed")
                item.records += count
        else:
            item.kind = "container"
            item.records = item.decode()
            _, blocks = split_container(data)
            expected = sum(c for _, c in blocks)
            if item.records != expected:
                raise ValueError(f"read {item.records} of {expected} records")
    elif len(data) > 5 and data[0] == 0:
        if not schema_dir:
            raise ValueError("Confluent wire-format file needs --schema-dir")
        sid = int.from_bytes(data[1:5], "big")
        if sid not in schema_cache:
            schema_cache[sid] = load_confluent_schema(schema_dir, sid)
        item.kind = "confluent"
        item.schema = schema_cache[sid]
        bio = io.BytesIO(data)
        bio.seek(5)
        fastavro.schemaless_reader(bio, item.schema)
        if bio.tell() != len(data):
            raise ValueError(f"datum used {bio.tell() - 5} of {len(data) - 5} bytes")
        item.records = 1
    else:
        raise ValueError("neither an Avro container file nor Confluent wire format")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--mode", choices=("container", "datum"), default="container")
    ap.add_argument("--schema-dir", help="Rubin schema dir for Confluent wire-format files")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)

    items, skipped, schema_cache = [], 0, {}
    for path in args.files:
        try:
            with open(path, "rb") as f:
                items.append(Item(path, f.read()))
        except OSError as e:
            print(f"fastavro_decode: skip {path}: {e}", file=sys.stderr)
            skipped += 1

    kept = []
    for item in items:
        try:
            prepare(item, args.mode, args.schema_dir, schema_cache)
            kept.append(item)
        except Exception as e:  # report what fastavro (or the framing) rejects
            print(f"fastavro_decode: skip {item.path}: {type(e).__name__}: {e}", file=sys.stderr)
            skipped += 1

    alerts = sum(i.records for i in kept)
    nbytes = sum(len(i.data) for i in kept)
    result = {"tool": "fastavro", "mode": args.mode}
    if not kept or alerts == 0:
        result.update(alerts_per_s=0, mb_per_s=0, alerts=0, bytes=0, files=0,
                      skipped=skipped, passes=0, seconds=0)
        print(json.dumps(result))
        return 1

    decoded = passes = 0
    t0 = time.perf_counter()
    while True:
        for item in kept:
            decoded += item.decode()
        passes += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= args.seconds:
            break

    result.update(
        alerts_per_s=round(decoded / elapsed, 1),
        mb_per_s=round(nbytes * passes / elapsed / 1e6, 2),
        alerts=alerts, bytes=nbytes, files=len(kept), skipped=skipped,
        passes=passes, seconds=round(elapsed, 3),
    )
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
