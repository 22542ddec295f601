#!/usr/bin/python3
"""An SMTP server for assay's integration tests (aiosmtpd), on 127.0.0.1.

Prints its port on the first line of stdout, then serves until stdin closes
or SIGTERM. Every accepted message is written to DIR/<n>.eml; every DATA
command is answered from --script in turn (250 accepts, anything else is
returned as the reply), the last entry repeating.

  smtp_server.py --out DIR [--script 421,451,250] [--user U --password P]
"""
import argparse
import asyncio
import os
import signal
import socket
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, out, script):
        self.out = out
        self.script = script
        self.calls = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            code = self.script[min(self.calls, len(self.script) - 1)]
            self.calls += 1
            n = self.calls
        if code != "250":
            return f"{code} scripted reply {n}"
        path = os.path.join(self.out, f"{n}.eml")
        with open(path + ".tmp", "wb") as f:
            f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content)
        os.rename(path + ".tmp", path)
        return "250 OK queued"


class Authenticator:
    def __init__(self, user, password):
        self.user = user.encode()
        self.password = password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == self.user
              and auth_data.password == self.password)
        return AuthResult(success=ok, handled=False)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--script", default="250")
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    kwargs = {}
    # AUTH without TLS is what a loopback test wants; aiosmtpd warns of it.
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    if args.user:
        kwargs = dict(authenticator=Authenticator(args.user, args.password),
                      auth_require_tls=False, auth_required=True)
    controller = Controller(Handler(args.out, args.script.split(",")), hostname="127.0.0.1",
                            port=port, **kwargs)
    controller.start()
    print(port, flush=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    try:
        sys.stdin.read()  # until the test goes away
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
