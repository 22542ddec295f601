#!/usr/bin/python3
"""A webhook receiver for assay's integration tests, on 127.0.0.1.

Prints its port on the first line of stdout, then serves until stdin closes
or SIGTERM. Each POST is checked against the Standard Webhooks signature
(HMAC-SHA256 over id.timestamp.body with --secret) and recorded as one JSON
line in --out: {"id", "timestamp", "signature_ok", "status", "body"}. The
answer comes from --script in turn, the last entry repeating: "200", "500",
"400", "429:7" (429 with Retry-After: 7).
"""
import argparse
import base64
import hashlib
import hmac
import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--secret", default="")
    ap.add_argument("--script", default="200")
    ap.add_argument("--port", type=int, default=0, help="0: any free port")
    args = ap.parse_args()
    script = args.script.split(",")
    key = args.secret.encode()
    if args.secret.startswith("whsec_"):
        key = base64.b64decode(args.secret[6:])
    state = {"calls": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            wid = self.headers.get("webhook-id", "")
            ts = self.headers.get("webhook-timestamp", "")
            sig = self.headers.get("webhook-signature", "")
            want = "v1," + base64.b64encode(
                hmac.new(key, wid.encode() + b"." + ts.encode() + b"." + body,
                         hashlib.sha256).digest()).decode()
            with lock:
                step = script[min(state["calls"], len(script) - 1)]
                state["calls"] += 1
                status, _, retry = step.partition(":")
                with open(args.out, "a") as f:
                    f.write(json.dumps({"id": wid, "timestamp": ts,
                                        "signature_ok": hmac.compare_digest(sig, want),
                                        "status": int(status),
                                        "body": body.decode("utf-8", "replace")}) + "\n")
            self.send_response(int(status))
            if retry:
                self.send_header("Retry-After", retry)
            reply = b"ok" if status == "200" else b"scripted " + status.encode()
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(server.server_address[1], flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()


if __name__ == "__main__":
    main()
