#!/usr/bin/env python3
"""tools/backup/natsjs.py: a minimal client of the NATS text protocol for tools/backup/nats.

No nats CLI or client library is packaged on Debian, so this speaks the protocol itself: CONNECT,
PUB, SUB, MSG/HMSG (status headers), PING/PONG, and the JetStream API calls a stream backup
needs ($JS.API.STREAM.NAMES, .SNAPSHOT, .RESTORE, .INFO). Credentials come from the environment
(NATS_URL, NATS_TOKEN, NATS_USER, NATS_PASSWORD, NATS_TIMEOUT); nothing secret is an argument.

    natsjs.py streams                 stream names, one a line
    natsjs.py snapshot STREAM DIR     DIR/backup.json (config and state) and DIR/stream.tar.s2
    natsjs.py restore ARCHIVE         restore a .tar.gz holding those two files
    natsjs.py check ARCHIVE           check such an archive without a server

Also imported by the tests (Tests/Fixtures/ops/nats_fixture.py) for `Conn`.
"""
import json, os, socket, sys, tarfile, time, uuid
from urllib.parse import urlparse

class Fail(Exception):
    pass

class Conn:
    def __init__(self):
        url = urlparse(os.environ.get("NATS_URL") or "nats://127.0.0.1:4222")
        if url.scheme not in ("nats", ""):
            raise Fail(f"NATS_URL scheme {url.scheme!r} is not supported (nats://host:port)")
        self.timeout = float(os.environ.get("NATS_TIMEOUT") or 10)
        host, port = url.hostname or "127.0.0.1", url.port or 4222
        try:
            self.sock = socket.create_connection((host, port), timeout=self.timeout)
        except OSError as e:
            raise Fail(f"cannot connect to NATS at {host}:{port}: {e}")
        self.where = f"{host}:{port}"
        self.buf = b""
        info = self.line()
        if not info.startswith(b"INFO "):
            raise Fail(f"{self.where} is not a NATS server (said {info[:60]!r})")
        info = json.loads(info[5:])
        if info.get("tls_required"):
            raise Fail(f"{self.where} requires TLS, which this script does not speak")
        if not info.get("jetstream", True):
            raise Fail(f"JetStream is not enabled on {self.where}")
        opts = {"verbose": False, "pedantic": False, "name": "strata-backup", "lang": "python",
                "version": "1", "protocol": 1, "headers": True, "no_responders": True}
        if os.environ.get("NATS_TOKEN"):
            opts["auth_token"] = os.environ["NATS_TOKEN"]
        if os.environ.get("NATS_USER"):
            opts["user"] = os.environ["NATS_USER"]
            opts["pass"] = os.environ.get("NATS_PASSWORD", "")
        self.inbox = "_INBOX." + uuid.uuid4().hex
        self.n = 0
        self.send(b"CONNECT " + json.dumps(opts).encode() + b"\r\nPING\r\n")
        while True:
            m = self.next()
            if m == "PONG":
                break
        self.send(f"SUB {self.inbox}.> 1\r\n".encode())

    def send(self, data):
        self.sock.sendall(data)

    def fill(self):
        try:
            chunk = self.sock.recv(1 << 16)
        except socket.timeout:
            raise Fail(f"no answer from {self.where} within {self.timeout:g}s")
        if not chunk:
            raise Fail(f"{self.where} closed the connection")
        self.buf += chunk

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def take(self, n):
        while len(self.buf) < n + 2:
            self.fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def next(self):
        """The next message as (subject, reply, status, payload), or 'PONG'."""
        while True:
            line = self.line()
            if line == b"PING":
                self.send(b"PONG\r\n")
            elif line == b"PONG":
                return "PONG"
            elif line.startswith(b"+OK") or line.startswith(b"INFO "):
                continue
            elif line.startswith(b"-ERR"):
                raise Fail(f"{self.where}: {line[5:].decode(errors='replace').strip(chr(39))}")
            elif line.startswith(b"MSG "):
                p = line.split()
                reply = p[3].decode() if len(p) == 5 else ""
                return p[1].decode(), reply, None, self.take(int(p[-1]))
            elif line.startswith(b"HMSG "):
                p = line.split()
                reply = p[3].decode() if len(p) == 6 else ""
                data = self.take(int(p[-1]))
                head, payload = data[:int(p[-2])], data[int(p[-2]):]
                first = head.split(b"\r\n", 1)[0].split()
                status = first[1].decode() if len(first) > 1 else None
                return p[1].decode(), reply, status, payload
            else:
                raise Fail(f"{self.where}: unexpected protocol line {line[:60]!r}")

    def publish(self, subject, payload=b"", reply=""):
        head = f"PUB {subject} {reply} {len(payload)}\r\n" if reply else f"PUB {subject} {len(payload)}\r\n"
        self.send(head.encode() + payload + b"\r\n")

    def request(self, subject, payload, timeout=None):
        self.n += 1
        reply = f"{self.inbox}.r{self.n}"
        self.publish(subject, payload, reply)
        return self.wait(reply, timeout, subject)

    def wait(self, subject, timeout, what):
        self.sock.settimeout(timeout or self.timeout)
        try:
            while True:
                m = self.next()
                if m == "PONG" or m[0] != subject:
                    continue
                _, self.last_reply, self.last_status, payload = m
                status = self.last_status
                if status == "503":
                    raise Fail(f"{what}: no responders (is JetStream enabled on {self.where}?)")
                return payload
        finally:
            self.sock.settimeout(self.timeout)

    def api(self, subject, body, timeout=None):
        payload = self.request(subject, json.dumps(body).encode(), timeout)
        try:
            answer = json.loads(payload)
        except ValueError:
            raise Fail(f"{subject}: answer is not JSON: {payload[:100]!r}")
        if answer.get("error"):
            e = answer["error"]
            raise Fail(f"{subject}: {e.get('description', e)} (code {e.get('err_code', e.get('code'))})")
        return answer

def streams(c):
    names, offset = [], 0
    while True:
        a = c.api("$JS.API.STREAM.NAMES", {"offset": offset})
        page = a.get("streams") or []
        names += page
        offset += len(page)
        if not page or offset >= a.get("total", 0):
            return sorted(names)

def snapshot(c, stream, outdir):
    deliver = f"{c.inbox}.snap.{stream}"
    answer = c.api(f"$JS.API.STREAM.SNAPSHOT.{stream}",
                   {"deliver_subject": deliver, "chunk_size": 128 * 1024, "jsm": True})
    os.makedirs(outdir, exist_ok=True)
    size = chunks = 0
    with open(os.path.join(outdir, "stream.tar.s2"), "wb") as f:
        while True:
            payload = c.wait(deliver, None, f"snapshot of {stream}")
            if not payload:
                # End of the snapshot; a status header here means the server gave up.
                if c.last_status and not c.last_status.startswith("2"):
                    raise Fail(f"snapshot of {stream}: the server ended it with status {c.last_status}")
                break
            f.write(payload)
            if c.last_reply:
                c.publish(c.last_reply)  # the ack the server's flow control waits for
            size += len(payload)
            chunks += 1
    with open(os.path.join(outdir, "backup.json"), "w") as f:
        json.dump({"config": answer["config"], "state": answer["state"]}, f, indent=2, sort_keys=True)
    state = answer["state"]
    print(f"{stream}: {state.get('messages', 0)} messages, {state.get('bytes', 0)} bytes, "
          f"snapshot {size} bytes in {chunks} chunks", file=sys.stderr)

def read_archive(path):
    try:
        with tarfile.open(path, "r:gz") as t:
            names = t.getnames()
            if "backup.json" not in names or "stream.tar.s2" not in names:
                raise Fail(f"{path}: expected backup.json and stream.tar.s2 in the archive, found {names}")
            meta = json.load(t.extractfile("backup.json"))
            data = t.extractfile("stream.tar.s2").read()
    except (tarfile.TarError, OSError, EOFError, ValueError) as e:
        raise Fail(f"{path}: not a readable stream archive: {e}")
    if not isinstance(meta.get("config"), dict) or not meta["config"].get("name"):
        raise Fail(f"{path}: backup.json has no stream config")
    if not data:
        raise Fail(f"{path}: stream.tar.s2 is empty")
    return meta, data

def restore(c, path):
    meta, data = read_archive(path)
    name = meta["config"]["name"]
    answer = c.api(f"$JS.API.STREAM.RESTORE.{name}", {"config": meta["config"], "state": meta["state"]})
    deliver = answer["deliver_subject"]
    for i in range(0, len(data), 128 * 1024):
        c.request(deliver, data[i:i + 128 * 1024])
    done = c.request(deliver, b"", timeout=max(60.0, c.timeout))
    try:
        done = json.loads(done) if done else {}
    except ValueError:
        done = {}
    if done.get("error"):
        e = done["error"]
        raise Fail(f"restore of {name}: {e.get('description', e)}")
    info = c.api(f"$JS.API.STREAM.INFO.{name}", {})
    print(f"restored stream {name}: {info['state'].get('messages', 0)} messages, "
          f"{info['state'].get('bytes', 0)} bytes")

def main():
    if len(sys.argv) < 3 and not (len(sys.argv) == 2 and sys.argv[1] == "streams"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    mode = sys.argv[1]
    try:
        if mode == "check":
            meta, data = read_archive(sys.argv[2])
            print(f"{sys.argv[2]}: stream {meta['config']['name']}, "
                  f"{meta.get('state', {}).get('messages', '?')} messages, snapshot {len(data)} bytes", file=sys.stderr)
            return
        c = Conn()
        if mode == "streams":
            print("\n".join(streams(c)))
        elif mode == "snapshot":
            snapshot(c, sys.argv[2], sys.argv[3])
        elif mode == "restore":
            restore(c, sys.argv[2])
    except Fail as e:
        print(f"nats: error: {e}", file=sys.stderr)
        sys.exit(1)

if __name__ == "__main__":
    main()
