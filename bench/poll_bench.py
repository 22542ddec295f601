#!/usr/bin/python3
"""One `assayd --once` poll of N generated feeds served by nginx on loopback,
cold (empty store) and warm (every feed answers 304), side by side with the
transport floor: one `curl --parallel --parallel-max 64 --compressed`
process fetching the same URLs.

  bench/poll_bench.py [--assayd build/release/daemon/assayd] [--feeds 2000]
                      [--items 40] [--rounds 3]

The bench starts and stops its own nginx (gzip on, 127.0.0.1 only) and
prints each round and the medians. Nothing leaves the machine.
"""
import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

DOMAIN = ("lithium cobalt nickel graphite gallium germanium antimony tungsten export licence "
          "controls ministry commerce quota ban shipment refinery smelter mine output price "
          "tonnes contract agreement partnership minister trade talks supply chain battery "
          "magnet rare earths producer buyers market analysts government officials company "
          "plans expansion project financing offtake deal").split()
SYLLABLES = ("ka to ri mu sen dal or ve pi lan tro mer gos hal bre qui nor das fel cam "
             "ust po zel ar en ti lo mi ba re su ne").split()


def vocabulary(rng, n=6000):
    """Pseudo-words with a Zipf-like weight, plus the domain terms: text as
    varied as real news, so that SimHash values spread as they do there."""
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 4))))
    words = sorted(words) + DOMAIN
    rng.shuffle(words)
    cum, total = [], 0.0
    for rank in range(len(words)):
        total += 1.0 / (rank + 1)
        cum.append(total)
    return words, cum


VOCAB = None


def sentence(rng, n):
    global VOCAB
    if VOCAB is None:
        VOCAB = vocabulary(random.Random(7))
    w = rng.choices(VOCAB[0], cum_weights=VOCAB[1], k=n)
    return " ".join(w).capitalize() + "."


def html_description(rng):
    paras = []
    for _ in range(rng.randint(2, 4)):
        s = " ".join(sentence(rng, rng.randint(8, 18)) for _ in range(rng.randint(2, 4)))
        s = s.replace(" said ", " <em>said</em> ", 1).replace(" price ", ' <a href="/p">price</a> ', 1)
        paras.append(f"<p>{s}</p>")
    return "".join(paras)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def rss_feed(rng, n, items):
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" '
           'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>',
           f"<title>Bench feed {n}</title><link>https://bench{n % 50}.example/</link>"
           "<description>Generated for assay's poll benchmark</description>"]
    for i in range(items):
        out.append(
            f"<item><title>{esc(sentence(rng, 10))}</title>"
            f"<link>https://bench{n % 50}.example/{n}/{i}?utm_source=rss</link>"
            f"<description>{esc(html_description(rng))}</description>"
            f"<dc:creator>Reporter {i % 7}</dc:creator><category>Metals</category>"
            f"<pubDate>Tue, 0{1 + i % 9} Sep 2026 {i % 24:02d}:{n % 60:02d}:00 GMT</pubDate>"
            f'<guid isPermaLink="false">bench-{n}-{i}</guid></item>')
    out.append("</channel></rss>")
    return "".join(out)


def atom_feed(rng, n, items):
    out = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">',
           f"<title>Bench feed {n}</title><id>urn:bench:{n}</id>"
           f'<link href="https://bench{n % 50}.example/"/><updated>2026-09-02T10:00:00Z</updated>']
    for i in range(items):
        out.append(
            f"<entry><title>{esc(sentence(rng, 10))}</title><id>urn:bench:{n}:{i}</id>"
            f'<link href="https://bench{n % 50}.example/{n}/a{i}"/>'
            f"<updated>2026-09-0{1 + i % 9}T{i % 24:02d}:00:00Z</updated>"
            f"<author><name>Reporter {i % 7}</name></author>"
            f'<content type="html">{esc(html_description(rng))}</content></entry>')
    out.append("</feed>")
    return "".join(out)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_nginx(root, www, port):
    conf = os.path.join(root, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""
worker_processes 2;
daemon off;
pid {root}/nginx.pid;
error_log {root}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  types {{ application/rss+xml xml; application/atom+xml atom; }}
  gzip on; gzip_min_length 256;  # nginx's default level (1)
  gzip_types application/rss+xml application/atom+xml;
  keepalive_requests 100000;
  client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp; fastcgi_temp_path {root}/tmp;
  uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
  server {{ listen 127.0.0.1:{port}; root {www}; }}
}}
""")
    os.makedirs(os.path.join(root, "tmp"), exist_ok=True)
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", root], stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("nginx did not start")


def run_measured(cmd):
    """Wall time (s) and peak RSS (MB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{cmd[0]} failed:\n{out}")
    return wall, usage.ru_maxrss / 1024.0, out


def expect(cond, message):
    if not cond:
        sys.exit("poll bench: " + message)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assayd", default="build/release/daemon/assayd")
    ap.add_argument("--feeds", type=int, default=2000)
    ap.add_argument("--items", type=int, default=40)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    assayd = os.path.abspath(args.assayd)
    rng = random.Random(42)
    root = tempfile.mkdtemp(prefix="assay-poll-bench-")
    os.chmod(root, 0o755)  # nginx workers run as an unprivileged user
    www = os.path.join(root, "www")
    os.makedirs(www)
    port = free_port()
    decoded = 0
    urls, etags = [], []
    for n in range(args.feeds):
        atom = n % 4 == 3
        name = f"f{n:05d}.{'atom' if atom else 'xml'}"
        body = (atom_feed if atom else rss_feed)(rng, n, args.items).encode()
        path = os.path.join(www, name)
        with open(path, "wb") as f:
            f.write(body)
        st = os.stat(path)
        decoded += len(body)
        urls.append(f"http://127.0.0.1:{port}/{name}")
        etags.append('"%x-%x"' % (int(st.st_mtime), st.st_size))
    nginx = start_nginx(root, www, port)
    try:
        cfg = os.path.join(root, "assay.yaml")
        with open(cfg, "w") as f:
            f.write("logging: {level: error}\n")
            # One host serves every feed here, so the per-host limit is
            # raised to the global one to match curl's --parallel-max 64.
            f.write("fetch: {allow_private_networks: true, concurrency: 64, per_host_concurrency: 64}\n")
            f.write("feeds:\n" + "".join(f"  - {u}\n" for u in urls))
        cold_cfg = os.path.join(root, "curl-cold.cfg")
        warm_cfg = os.path.join(root, "curl-warm.cfg")
        # Per-transfer options must be repeated after each `next`.
        per = 'compressed\nsilent\nwrite-out = "%{http_code}\\n"\noutput = "/dev/null"\n'
        with open(cold_cfg, "w") as f:
            for u in urls:
                f.write(f'url = "{u}"\n{per}' + ("next\n" if u != urls[-1] else ""))
        with open(warm_cfg, "w") as f:
            for u, e in zip(urls, etags):
                # nginx weakens the ETag of a gzipped response; curl's config
                # syntax wants the inner quotes escaped.
                tag = "W/" + e.replace('"', '\\"')
                f.write(f'url = "{u}"\n{per}header = "If-None-Match: {tag}"\n' +
                        ("next\n" if u != urls[-1] else ""))
        curl = ["curl", "--silent", "--parallel", "--parallel-max", "64"]
        rows = {k: [] for k in ("assay_cold", "assay_warm", "curl_cold", "curl_warm")}
        rss = {"cold": [], "warm": []}
        summary = ""
        for r in range(args.rounds):
            store = os.path.join(root, f"store{r}")
            with open(cfg) as f:
                text = f.read()
            round_cfg = os.path.join(root, f"assay{r}.yaml")
            with open(round_cfg, "w") as f:
                f.write(f"store: {{path: {store}}}\n" + text)
            cmd = [assayd, "--once", "--config", round_cfg]
            w, m, out = run_measured(curl + ["-K", cold_cfg])
            expect(out.split().count("200") == args.feeds, "curl cold: not every feed answered 200")
            rows["curl_cold"].append(w)
            w, m, summary = run_measured(cmd)
            rows["assay_cold"].append(w)
            rss["cold"].append(m)
            cold_summary = summary.strip().splitlines()[0]
            expect(f"{args.feeds} ok, 0 not modified, 0 failed" in cold_summary, "assayd cold: " + summary[:2000])
            w, m, out = run_measured(curl + ["-K", warm_cfg])
            expect(out.split().count("304") == args.feeds, "curl warm: not every feed answered 304")
            rows["curl_warm"].append(w)
            w, m, summary = run_measured(cmd)
            rows["assay_warm"].append(w)
            rss["warm"].append(m)
            warm_summary = summary.strip().splitlines()[0]
            expect(f"0 ok, {args.feeds} not modified, 0 failed" in warm_summary, "assayd warm: " + summary[:2000])
            print(f"round {r + 1}: cold assay {rows['assay_cold'][-1]:.2f}s curl {rows['curl_cold'][-1]:.2f}s"
                  f" | warm assay {rows['assay_warm'][-1]:.2f}s curl {rows['curl_warm'][-1]:.2f}s"
                  f" | peak RSS cold {rss['cold'][-1]:.0f} MB warm {rss['warm'][-1]:.0f} MB")
            print(f"  cold: {cold_summary}\n  warm: {warm_summary}")
            shutil.rmtree(store, ignore_errors=True)
        med = {k: statistics.median(v) for k, v in rows.items()}
        items = args.feeds * args.items
        print()
        print(f"poll bench: {args.feeds} feeds x {args.items} items, {decoded / 1e6:.0f} MB decoded, "
              f"nginx gzip on 127.0.0.1, {os.cpu_count()} cores, median of {args.rounds}")
        print(f"  cold: assayd {med['assay_cold']:.2f} s ({items / med['assay_cold']:.0f} items/s), "
              f"curl floor {med['curl_cold']:.2f} s, ratio {med['assay_cold'] / med['curl_cold']:.2f}x"
              f" (target <= 4x)")
        print(f"  warm: assayd {med['assay_warm']:.2f} s, curl floor {med['curl_warm']:.2f} s, "
              f"ratio {med['assay_warm'] / med['curl_warm']:.2f}x (target <= 1.5x)")
        print(f"  peak RSS: cold {statistics.median(rss['cold']):.0f} MB, warm "
              f"{statistics.median(rss['warm']):.0f} MB (target <= 100 MB)")
        print(f"  command: bench/poll_bench.py --assayd {args.assayd} --feeds {args.feeds} "
              f"--items {args.items} --rounds {args.rounds}")
    finally:
        nginx.terminate()
        nginx.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
