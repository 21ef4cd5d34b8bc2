#!/usr/bin/env python3
"""Tests/Fixtures/ops/nats_fixture.py: test-side JetStream helper on tools/backup/natsjs.py.

    nats_fixture.py create STREAM SUBJECT   create a file-backed stream on SUBJECT
    nats_fixture.py publish SUBJECT N       publish N messages "msg-<i>-<random>" (JetStream acks)
    nats_fixture.py dump STREAM             every message of the stream: "<seq> <subject> <base64>"
    nats_fixture.py consumers STREAM        the stream's consumer names, one a line
    nats_fixture.py delete STREAM           delete the stream

Server and credentials from NATS_URL / NATS_TOKEN, as for the backup script.
"""
import base64, json, os, sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools", "backup"))
from natsjs import Conn, Fail  # noqa: E402


def main():
    c = Conn()
    cmd = sys.argv[1]
    if cmd == "create":
        c.api(f"$JS.API.STREAM.CREATE.{sys.argv[2]}",
              {"name": sys.argv[2], "subjects": [sys.argv[3]], "storage": "file", "retention": "limits"})
        # A durable consumer, so the snapshot carries consumer state too.
        c.api(f"$JS.API.CONSUMER.DURABLE.CREATE.{sys.argv[2]}.audit",
              {"stream_name": sys.argv[2], "config": {"durable_name": "audit", "ack_policy": "explicit"}})
    elif cmd == "publish":
        for i in range(int(sys.argv[3])):
            body = f"msg-{i}-".encode() + os.urandom(24).hex().encode() + b"x" * (i % 500)
            ack = json.loads(c.request(sys.argv[2], body))
            if ack.get("error"):
                raise Fail(f"publish: {ack['error']}")
    elif cmd == "dump":
        info = c.api(f"$JS.API.STREAM.INFO.{sys.argv[2]}", {})
        first, last = info["state"]["first_seq"], info["state"]["last_seq"]
        for seq in range(first, last + 1):
            m = c.api(f"$JS.API.STREAM.MSG.GET.{sys.argv[2]}", {"seq": seq})["message"]
            print(m["seq"], m["subject"], m.get("data", ""))
    elif cmd == "consumers":
        names = c.api(f"$JS.API.CONSUMER.NAMES.{sys.argv[2]}", {}).get("consumers") or []
        print("\n".join(names))
    elif cmd == "delete":
        c.api(f"$JS.API.STREAM.DELETE.{sys.argv[2]}", {})
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


try:
    main()
except Fail as e:
    print(f"nats_fixture: error: {e}", file=sys.stderr)
    sys.exit(1)
