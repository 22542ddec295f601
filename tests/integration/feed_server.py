#!/usr/bin/python3
"""A feed server for assay's integration tests, on 127.0.0.1 only.

Prints its port on the first line of stdout, then serves until stdin closes
(the test that started it went away) or SIGTERM. Every route exists to
provoke one behaviour of the fetcher or the parser; see ROUTES below.

Options:
  --root DIR   also serve the files of DIR under /files/ (with ETag and
               Last-Modified, honouring conditional requests)
"""
import argparse
import email.utils
import gzip
import hashlib
import os
import signal
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LAST_MODIFIED = "Wed, 02 Sep 2026 10:00:00 GMT"


def rss(items, title="Test feed", extra_channel=""):
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel>',
        f"<title>{title}</title><link>https://feeds.example/</link>{extra_channel}",
    ]
    for i in range(items):
        parts.append(
            f"<item><title>Item {i} about lithium export licences</title>"
            f"<link>https://feeds.example/items/{i}?utm_source=rss</link>"
            f"<description>&lt;p&gt;Paragraph {i} with &lt;b&gt;bold&lt;/b&gt; text.&lt;/p&gt;</description>"
            f"<pubDate>Wed, 02 Sep 2026 {i % 24:02d}:00:00 GMT</pubDate>"
            f"<guid>item-{i}</guid></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


MALFORMED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Broken &amp; recovered</title>'
    b"<item><title>Tom & Jerry &eacute;dition &nbsp;here</title><link>https://feeds.example/m/1</link>"
    b"<description>An unescaped & ampersand and an &copy; entity</description></item>"
    b"<item><title>Second item</title><link>https://feeds.example/m/2</link></item>"
    b"</channel>"  # truncated: no </rss>
)

HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Welcome</title></head>"
    b"<body><h1>Not a feed</h1><p>This is a web page.</p></body></html>"
)


def xxe_doc(secret_path):
    return (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret_path}">]>\n'
        '<rss version="2.0"><channel><title>XXE</title>'
        "<item><title>Leak &xxe;</title><link>https://feeds.example/x/1</link>"
        "<description>before &xxe; after</description></item></channel></rss>"
    ).encode()


LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY lol "lol">\n'
    + b"".join(
        b'<!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']>\n<rss version="2.0"><channel><title>Laughs</title>'
    b"<item><title>&lol9;</title><link>https://feeds.example/l/1</link></item></channel></rss>"
)


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits = {}
        self.flap = 0

    def hit(self, path):
        with self.lock:
            self.hits[path] = self.hits.get(path, 0) + 1
            return self.hits[path]


STATE = State()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "assay-test-feeds/1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def send_body(self, status, body, ctype="application/rss+xml; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def conditional(self, body, use_etag=True, use_lastmod=True, ctype="application/rss+xml"):
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        headers = []
        if use_etag:
            headers.append(("ETag", etag))
        if use_lastmod:
            headers.append(("Last-Modified", LAST_MODIFIED))
        inm = self.headers.get("If-None-Match")
        ims = self.headers.get("If-Modified-Since")
        if (use_etag and inm == etag) or (use_lastmod and not use_etag and ims == LAST_MODIFIED):
            self.send_response(304)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_body(200, body, ctype, headers)

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        path = url.path
        STATE.hit(path)
        items = int(q.get("items", ["3"])[0])
        if path == "/hits":
            with STATE.lock:
                body = "\n".join(f"{k} {v}" for k, v in sorted(STATE.hits.items())).encode()
            return self.send_body(200, body, "text/plain")
        if path == "/feed.xml":
            return self.conditional(rss(items))
        if path == "/etag.xml":
            return self.conditional(rss(items), use_etag=True, use_lastmod=False)
        if path == "/lastmod.xml":
            return self.conditional(rss(items), use_etag=False, use_lastmod=True)
        if path == "/ttl.xml":
            return self.send_body(200, rss(items, extra_channel="<ttl>120</ttl>"))
        if path == "/gzip.xml":
            body = rss(items)
            if "gzip" in self.headers.get("Accept-Encoding", ""):
                return self.send_body(200, gzip.compress(body), headers=[("Content-Encoding", "gzip")])
            return self.send_body(200, body)
        if path == "/moved":
            return self.redirect(301, "/feed.xml" + ("?" + url.query if url.query else ""))
        if path == "/moved-308":
            return self.redirect(308, "/feed.xml")
        if path == "/temporary":
            return self.redirect(302, "/feed.xml")
        if path == "/loop":
            return self.redirect(302, "/loop")
        if path == "/redirect":
            return self.redirect(302, q["to"][0])
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            headers = []
            if "retry" in q:
                headers.append(("Retry-After", q["retry"][0]))
            return self.send_body(code, b"error page", "text/plain", headers)
        if path == "/flap":
            with STATE.lock:
                STATE.flap += 1
                n = STATE.flap
            if n % 2 == 0:
                return self.send_body(503, b"busy", "text/plain")
            return self.send_body(200, rss(items))
        if path == "/stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
            self.wfile.flush()
            self.server.stop_event.wait(float(q.get("seconds", ["60"])[0]))
            return
        if path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            for _ in range(int(q.get("seconds", ["60"])[0])):
                if self.server.stop_event.wait(1.0):
                    return
                try:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                except OSError:
                    return
            return
        if path == "/big":
            # No Content-Length and no compression: only a cap counted as
            # bytes arrive can stop it.
            size = int(q.get("bytes", [str(64 << 20)])[0])
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"<!-- " + b"x" * 65000 + b" -->"
            sent = 0
            try:
                self.wfile.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
                while sent < size:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            self.close_connection = True
            return
        if path == "/bomb":
            decoded = int(q.get("bytes", [str(256 << 20)])[0])
            comp = zlib.compressobj(9, zlib.DEFLATED, 31)
            body = comp.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')
            zeros = b"\0" * (1 << 20)
            for _ in range(decoded >> 20):
                body += comp.compress(zeros)
            body += comp.flush()
            return self.send_body(200, body, headers=[("Content-Encoding", "gzip")])
        if path == "/html":
            return self.send_body(200, HTML_PAGE, "text/html; charset=utf-8")
        if path == "/malformed.xml":
            return self.send_body(200, MALFORMED)
        if path == "/xxe.xml":
            return self.send_body(200, xxe_doc(q["secret"][0]))
        if path == "/laughs.xml":
            return self.send_body(200, LAUGHS)
        if path.startswith("/files/") and self.server.root:
            name = os.path.normpath(path[len("/files/"):])
            full = os.path.join(self.server.root, name)
            if name.startswith("..") or not os.path.isfile(full):
                return self.send_body(404, b"not found", "text/plain")
            with open(full, "rb") as f:
                return self.conditional(f.read())
        return self.send_body(404, b"not found", "text/plain")

    def redirect(self, code, location):
        self.send_response(code)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root")
    ap.add_argument("--bind", default="127.0.0.1")
    args = ap.parse_args()
    server = Server((args.bind, 0), Handler)
    server.root = args.root
    server.stop_event = threading.Event()
    print(server.server_address[1], flush=True)

    def stop(*_):
        server.stop_event.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    # The parent holds our stdin; when it goes away, so do we.
    threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
