#!/usr/bin/env python3
"""Tests/Fixtures/snapshot_standin.py: a small HTTP stand-in for the snapshot APIs of Qdrant,
Vault and a Temporal exporter (none is packaged on Debian), for tools/backup's tests.

    snapshot_standin.py --port-file FILE [--log FILE] [--qdrant-collections a,b]
                        [--qdrant-api-key-file F] [--vault-token-file F] [--temporal-token-file F]
                        [--temporal-namespaces a,b] [--size BYTES] [--fault NAME]...

Listens on 127.0.0.1 on a free port and writes the port to --port-file once it is listening.
Endpoints, shaped like the real APIs:

  Qdrant   GET  /collections                              {"result": {"collections": [{"name"}]}}
           POST /collections/C/snapshots                  {"result": {"name", "creation_time", "size", "checksum"}}
           GET  /collections/C/snapshots                  the list
           GET  /collections/C/snapshots/NAME             the snapshot (a tar)
           DELETE /collections/C/snapshots/NAME           {"result": true}
           (header api-key checked when --qdrant-api-key-file is given)
  Vault    GET  /v1/sys/storage/raft/snapshot             a gzip'd tar: meta.json, state.bin, SHA256SUMS
           (header X-Vault-Token checked; 403 {"errors": ["permission denied"]} otherwise)
  Pushgateway PUT /metrics/job/...                       200 (the pushed text is logged as "body")
  Temporal GET  /api/v1/namespaces                        {"namespaces": [{"namespaceInfo": {"name"}}]}
           GET  /api/v1/namespaces/NS/export              a gzip'd JSON-lines export
           (Authorization: Bearer checked when --temporal-token-file is given)

Every response body served is logged to --log as a JSON line {method, path, status, sha256, size},
so a test can compare what it retrieved from S3 with what the "server" handed out.

Faults (--fault, repeatable): qdrant-bad-checksum (the reported checksum is wrong),
temporal-truncated (the export's gzip stream is cut short), vault-bad-sums (SHA256SUMS does not
match state.bin), qdrant-500 (snapshot creation fails with HTTP 500).
"""
import argparse
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
qdrant_snapshots = {}  # collection -> {name: bytes}
counter = [0]


def secret(path):
    if not path:
        return None
    with open(path) as f:
        return f.read().strip()


def blob(label, size):
    """Deterministic-looking but unique bytes (a counter keeps successive snapshots different)."""
    out = bytearray()
    seed = hashlib.sha256(f"{label}-{time.time_ns()}".encode()).digest()
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


def tar_bytes(files, gz):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz" if gz else "w") as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(time.time())
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def qdrant_snapshot(collection):
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with lock:
        counter[0] += 1
        # Qdrant names snapshots <collection>-<shard id>-<YYYY-MM-DD-HH-MM-SS>.snapshot; a second
        # snapshot in the same second gets a later time, as the real server would.
        now += dt.timedelta(seconds=len(qdrant_snapshots.get(collection, {})))
        name = f"{collection}-{2518460148474024 + counter[0]}-{now:%Y-%m-%d-%H-%M-%S}.snapshot"
        data = tar_bytes([("config.json", json.dumps({"collection": collection}).encode()),
                          ("0/segments/seg-0/vectors.bin", blob(collection, args.size))], gz=False)
        qdrant_snapshots.setdefault(collection, {})[name] = data
    checksum = hashlib.sha256(data).hexdigest()
    if "qdrant-bad-checksum" in args.fault:
        checksum = hashlib.sha256(b"not it").hexdigest()
    return {"name": name, "creation_time": f"{now:%Y-%m-%dT%H:%M:%S}", "size": len(data), "checksum": checksum}


def vault_snapshot():
    state = blob("vault-state", args.size)
    meta = json.dumps({"Version": 1, "ID": "2-1234-1790000000000", "Index": 1234, "Term": 2}).encode()
    sums_of = state if "vault-bad-sums" not in args.fault else b"other"
    sums = (f"{hashlib.sha256(meta).hexdigest()}  meta.json\n"
            f"{hashlib.sha256(sums_of).hexdigest()}  state.bin\n").encode()
    return tar_bytes([("meta.json", meta), ("state.bin", state), ("SHA256SUMS", sums),
                      ("SHA256SUMS.sealed", b"sealed:" + hashlib.sha256(sums).digest())], gz=True)


def temporal_export(namespace):
    lines = []
    for i in range(max(1, args.size // 200)):
        lines.append(json.dumps({"namespace": namespace, "workflowId": f"wf-{i}",
                                 "runId": blob(f"{namespace}-{i}", 8).hex(), "status": "Completed"}))
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    if "temporal-truncated" in args.fault:
        data = data[: len(data) // 2]
    return data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    request_body = b""

    def send(self, status, body, content_type="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        if args.log:
            with lock, open(args.log, "a") as f:
                entry = {"method": self.command, "path": self.path, "status": status,
                         "sha256": hashlib.sha256(body).hexdigest(), "size": len(body)}
                if self.path.startswith("/metrics/"):
                    entry["body"] = self.request_body.decode(errors="replace")
                f.write(json.dumps(entry) + "\n")

    def qdrant_ok(self, result):
        self.send(200, {"result": result, "status": "ok", "time": 0.001})

    def qdrant_error(self, status, message):
        self.send(status, {"status": {"error": message}, "time": 0.0})

    def route(self):
        path = self.path.split("?", 1)[0]
        if self.headers.get("Content-Length"):
            self.request_body = self.rfile.read(int(self.headers["Content-Length"]))

        # A Pushgateway: PUT /metrics/job/<job>[/<label>/<value>...] replaces that group.
        if path.startswith("/metrics/job/") and self.command in ("PUT", "POST"):
            return self.send(200, b"", "text/plain")

        if path.startswith("/collections"):
            key = secret(args.qdrant_api_key_file)
            if key is not None and self.headers.get("api-key") != key:
                return self.qdrant_error(401, "Invalid api-key")
            collections = [c for c in args.qdrant_collections.split(",") if c]
            if path == "/collections" and self.command == "GET":
                return self.qdrant_ok({"collections": [{"name": c} for c in collections]})
            m = re.fullmatch(r"/collections/([^/]+)/snapshots(?:/([^/]+))?", path)
            if not m:
                return self.qdrant_error(404, "Not found")
            collection, name = m.group(1), m.group(2)
            if collection not in collections:
                return self.qdrant_error(404, f"Not found: Collection `{collection}` doesn't exist!")
            if name is None and self.command == "POST":
                if "qdrant-500" in args.fault:
                    return self.qdrant_error(500, "Service internal error: disk full")
                return self.qdrant_ok(qdrant_snapshot(collection))
            if name is None and self.command == "GET":
                with lock:
                    snaps = dict(qdrant_snapshots.get(collection, {}))
                return self.qdrant_ok([{"name": n, "size": len(d)} for n, d in sorted(snaps.items())])
            with lock:
                data = qdrant_snapshots.get(collection, {}).get(name)
            if data is None:
                return self.qdrant_error(404, f"Not found: Snapshot {name} not found")
            if self.command == "GET":
                return self.send(200, data, "application/octet-stream")
            if self.command == "DELETE":
                with lock:
                    del qdrant_snapshots[collection][name]
                return self.qdrant_ok(True)
            return self.qdrant_error(405, "Method not allowed")

        if path == "/v1/sys/storage/raft/snapshot" and self.command == "GET":
            token = secret(args.vault_token_file)
            if token is None or self.headers.get("X-Vault-Token") != token:
                return self.send(403, {"errors": ["permission denied"]})
            return self.send(200, vault_snapshot(), "application/octet-stream")

        if path.startswith("/api/v1/namespaces"):
            token = secret(args.temporal_token_file)
            if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
                return self.send(401, {"code": 16, "message": "Request unauthorized."})
            namespaces = [n for n in args.temporal_namespaces.split(",") if n]
            if path == "/api/v1/namespaces":
                return self.send(200, {"namespaces": [{"namespaceInfo": {"name": n, "state": "NAMESPACE_STATE_REGISTERED"}}
                                                      for n in ["temporal-system"] + namespaces]})
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/export", path)
            if m and m.group(1) in namespaces:
                return self.send(200, temporal_export(m.group(1)), "application/gzip")
            return self.send(404, {"code": 5, "message": f"Namespace {path.split('/')[4]} is not found."})

        self.send(404, {"error": "no such endpoint in the stand-in"})

    do_GET = do_POST = do_DELETE = do_PUT = route


def main():
    global args
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--port-file", required=True)
    p.add_argument("--log")
    p.add_argument("--qdrant-collections", default="mind_memories")
    p.add_argument("--qdrant-api-key-file")
    p.add_argument("--vault-token-file")
    p.add_argument("--temporal-token-file")
    p.add_argument("--temporal-namespaces", default="mind")
    p.add_argument("--size", type=int, default=200_000)
    p.add_argument("--fault", action="append", default=[])
    args = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
