#!/usr/bin/env python3
"""Tests/Fixtures/ops/real_format_sets.py ENDPOINT BUCKET DAY...: gives the backups that
tools/seed-backups wrote on the given days (YYYYMMDD) contents in their component's real format,
so that the runbook's `tools/backup/<component> check` commands, run by the doc test on what
`strata retrieve` brings back, check something real (seeded bodies are filler bytes):

    falkordb/*/dump.rdb          an empty RDB file (redis-check-rdb accepts it)
    nats/STREAM/*.tar.gz         backup.json (the stream's config and state) and stream.tar.s2
    qdrant/*.snapshot            a tar with a collection config
    vault/*.snap                 a gzip'd tar with meta.json, state.bin and their SHA256SUMS
    temporal/NS/*.export         a gzip stream

Plain PUTs without Strata's checksum metadata, as the seed itself writes: retrieve checks them
against their MD5 ETag. Keys and credentials from the environment (AWS_*).
"""
import gzip
import hashlib
import io
import json
import re
import sys
import tarfile

import boto3
from botocore.config import Config


def tar(files, compress):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz" if compress else "w") as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    return out.getvalue()


def contents(key):
    """The real-format body for a seeded key, or None for keys left alone."""
    if key.startswith("falkordb/") and key.endswith("/dump.rdb"):
        # RDB version 9, no keys, EOF, and a zero checksum (saved with checksums off).
        return b"REDIS0009\xff" + b"\x00" * 8
    m = re.fullmatch(r"nats/([^/]+)/\d{8}_\d{6}\.tar\.gz", key)
    if m:
        meta = {"config": {"name": m.group(1), "subjects": [m.group(1).lower() + ".>"], "storage": "file"},
                "state": {"messages": 0, "bytes": 0}}
        return tar({"backup.json": json.dumps(meta).encode(), "stream.tar.s2": b"sNaPpY" + b"\x00" * 10}, True)
    if key.startswith("qdrant/") and key.endswith(".snapshot"):
        return tar({"config.json": b'{"params": {"vectors": {"size": 4, "distance": "Cosine"}}}'}, False)
    if key.startswith("vault/") and key.endswith(".snap"):
        files = {"meta.json": b'{"Index": 1, "Term": 1}', "state.bin": b"raft state"}
        sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in files.items())
        return tar({**files, "SHA256SUMS": sums.encode()}, True)
    if key.startswith("temporal/") and key.endswith(".export"):
        return gzip.compress(b'{"namespace": "export"}\n')
    return None


def main():
    endpoint, bucket, days = sys.argv[1], sys.argv[2], sys.argv[3:]
    s3 = boto3.client("s3", endpoint_url=endpoint, config=Config(s3={"addressing_style": "path"}))
    changed = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            key = o["Key"]
            # The day as the key writes it: 20250115 or 2025-01-15.
            if not any(d in key or f"{d[:4]}-{d[4:6]}-{d[6:]}" in key for d in days):
                continue
            body = contents(key)
            if body is not None:
                s3.put_object(Bucket=bucket, Key=key, Body=body, StorageClass=o.get("StorageClass", "STANDARD"))
                changed += 1
    print(f"{changed} objects given real-format contents")


if __name__ == "__main__":
    main()
