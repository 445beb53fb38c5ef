"""Load test: gunicorn on loopback, 1/10/50 concurrent clients, p50/p95 latency and throughput.

Usage::

    .venv/bin/python bench/bench_load.py [--seconds 10] [--workers 2] [--threads 8]
        [--import-places 100000] [--writers 8] [--skip-reads] [--client wrk]
        [--wijken ../shared/data/flanders_wijken_2024.gpkg]

Builds the demo database in a temporary directory, starts the production
server (``gunicorn -c gunicorn.conf.py``) on a free loopback port, and hits
the map page, the places API and the finder with keep-alive HTTP clients in
threads (or, with ``--client wrk``, with Debian's ``wrk``, which needs far less CPU
than Python threads, and asks for gzip as browsers do). ``--wijken`` adds real
neighbourhoods (the 2,730 Flemish wijken) and a request for all of them. The clients run on the same 2-core machine as the server, so the
numbers are a floor, not a ceiling. Prints one line per endpoint and
concurrency, each worker's RSS and PSS (its proportional share of pages it
shares with others: the memory-mapped graphs count once over all workers)
and the server's peak memory (RSS of master + workers). By default it runs
twice: with the graphs loaded as private copies per worker
(``BUURTKAART_MMAP_GRAPHS=0``, before) and shared through memory-mapped files
(after). ``--graph-copies 400`` first tiles the demo's walking graphs to about
2 million nodes, where the difference shows.

Then writes during an import: ``--writers`` clients mix API edits (PATCH),
API and admin-page "verified" marks and token reads of ``/api/changes``,
first for ``--seconds`` without an import (the baseline), then while
``buurtkaart import places`` stores ``--import-places`` places in another
process. Prints per phase the count of 200/302, 503 and 500 answers and the
p50/p95 latency of each kind of request, and the p95 ratio import/baseline.
Every request comes from its own client address (``X-Forwarded-For`` with
``BUURTKAART_TRUST_PROXY=1``) so the per-address rate limits stay out of it.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import itertools
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = {
    "map page": "/kaart",
    "map frame": "/kaart/frame",
    "places API": "/api/places?free=true",
    "neighbourhoods API": "/api/neighbourhoods",
    "coverage API": "/api/coverage?mode=walk&minutes=10",
    "finder": "/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=15",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/openapi.json")
            if c.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def _client(port: int, path: str, until: float, out: list[float], errors: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.monotonic() < until:
        t0 = time.perf_counter()
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                errors.append(resp.status)
        except OSError:
            errors.append(-1)
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        out.append(time.perf_counter() - t0)
    conn.close()


def _rss_kb(pid: int) -> int:
    total = 0
    pids = [pid] + [int(p) for p in subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()]
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total


_ADDRESS = itertools.count(1)


def _request(conn, method: str, path: str, body=None, headers=None):
    n = next(_ADDRESS)
    headers = {**(headers or {}), "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"}
    if isinstance(body, dict):
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    return resp, resp.read()


def _admin_session(port: int, email: str, password: str) -> tuple[str, str]:
    """Log in through the form: (cookie, csrf token)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    resp, page = _request(conn, "GET", "/login")
    cookie = resp.getheader("Set-Cookie", "").split(";")[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    form = f"email={email}&password={password}&csrf_token={csrf}"
    resp, _ = _request(conn, "POST", "/login", form, {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    cookie = resp.getheader("Set-Cookie", cookie).split(";")[0]
    resp, page = _request(conn, "GET", "/admin/", None, {"Cookie": cookie})  # a fresh token
    cookie = (resp.getheader("Set-Cookie") or cookie).split(";")[0]
    csrf = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
    conn.close()
    return cookie, csrf


def _writer(port: int, k: int, uid: str, token: str, session: tuple[str, str],
            until, out: list) -> None:
    """One client: a fixed kind of request per client number, until ``until()`` is true."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    auth = {"Authorization": f"Bearer {token}"}
    kind = ("api edit", "api verify", "token read", "page verify")[k % 4]
    i = 0
    while not until():
        i += 1
        t0 = time.perf_counter()
        try:
            if kind == "api edit":
                resp, _ = _request(conn, "PATCH", f"/api/places/by-uid/{uid}",
                                   {"phone": f"09 {k:03d} {i:05d}"}, auth)
            elif kind == "api verify":
                resp, _ = _request(conn, "POST", f"/api/places/by-uid/{uid}/verify", None, auth)
            elif kind == "token read":
                resp, _ = _request(conn, "GET", "/api/changes?limit=5", None, auth)
            else:
                resp, _ = _request(conn, "POST", f"/admin/places/{uid}/verify",
                                   f"csrf_token={session[1]}",
                                   {"Cookie": session[0],
                                    "Content-Type": "application/x-www-form-urlencoded"})
            status = resp.status
            if status == 503 and not resp.getheader("Retry-After"):
                status = -503  # a 503 without Retry-After counts as a failure
        except OSError:
            status = -1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        out.append((kind, status, time.perf_counter() - t0))
    conn.close()


def _write_mix(port, n, uid, token, session, until) -> list:
    out: list = []
    threads = [threading.Thread(target=_writer, args=(port, k, uid, token, session, until, out))
               for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def _print_mix(label: str, results: list, baseline: dict | None = None) -> dict:
    p95s = {}
    for kind in ("api edit", "api verify", "page verify", "token read"):
        lat = [r[2] for r in results if r[0] == kind]
        st = [r[1] for r in results if r[0] == kind]
        if not lat:
            continue
        q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
        p95s[kind] = q[94]
        ratio = f"{q[94] / baseline[kind]:8.1f}" if baseline and kind in baseline else f"{'':8}"
        ok = sum(1 for s in st if s in (200, 302))
        print(f"{label:10} {kind:12} {len(st):8d} {ok:7d} {st.count(503):6d} {st.count(500):6d} "
              f"{sum(1 for s in st if s not in (200, 302, 503, 500)):6d} "
              f"{q[49] * 1000:8.1f} {q[94] * 1000:8.1f} {ratio}")
    return p95s


def _writes_during_import(args, port: int, env: dict, tmp: Path, bindir: Path) -> None:
    password = secrets.token_urlsafe(18)
    subprocess.run([bindir / "buurtkaart", "users", "create", "--admin", "bench@example.org",
                    "--password-stdin"], input=password + "\n", text=True, env=env, check=True,
                   stdout=subprocess.DEVNULL)
    token = subprocess.run([bindir / "buurtkaart", "users", "token", "bench@example.org"],
                           env=env, check=True, capture_output=True, text=True).stdout.strip()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    _, body = _request(conn, "POST", "/api/places",
                       {"name": "Bench place", "kind": "community_house", "lon": 24.94,
                        "lat": 60.17}, {"Authorization": f"Bearer {token}"})
    uid = json.loads(body)["record"]["uid"]
    session = _admin_session(port, "bench@example.org", password)
    big = tmp / "import.csv"
    with open(big, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["place_uid", "place_name", "kind", "lon", "lat", "opening_hours"])
        for i in range(args.import_places):
            w.writerow([f"bench-{i}", f"Bench place {i}", "community_house",
                        f"{24.90 + (i % 400) / 5000:.5f}", f"{60.15 + (i // 400) / 5000:.5f}",
                        "Mo-Fr 09:00-17:00"])
    print(f"\nwrites during an import of {args.import_places:,} places "
          f"({args.writers} clients; busy timeout {env.get('BUURTKAART_BUSY_TIMEOUT', '5')} s)")
    print(f"{'phase':10} {'request':12} {'requests':>8} {'200/302':>7} {'503':>6} {'500':>6} "
          f"{'other':>6} {'p50 ms':>8} {'p95 ms':>8} {'p95 x':>8}")
    end = time.monotonic() + args.seconds
    baseline = _print_mix("baseline", _write_mix(port, args.writers, uid, token, session,
                                                 lambda: time.monotonic() > end))
    t0 = time.monotonic()
    importer = subprocess.Popen([bindir / "buurtkaart", "import", "places", str(big)], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = _write_mix(port, args.writers, uid, token, session,
                         lambda: importer.poll() is not None)
    out, err = importer.communicate()
    _print_mix("import", results, baseline)
    print(f"import: exit {importer.returncode} after {time.monotonic() - t0:.1f} s: "
          f"{(out or err).strip().splitlines()[-1]}")


def _worker_memory(master: int) -> list[tuple[int, float, float]]:
    """(pid, RSS MB, PSS MB) of each worker process of the gunicorn ``master``."""
    rows = []
    for p in subprocess.run(["pgrep", "-P", str(master)], capture_output=True,
                            text=True).stdout.split():
        try:
            vals = {}
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in ("Rss", "Pss"):
                    vals[key] = int(rest.split()[0]) / 1024
            rows.append((int(p), vals.get("Rss", 0.0), vals.get("Pss", 0.0)))
        except (FileNotFoundError, PermissionError):
            pass
    return rows


def _tile_graphs(cache: Path, copies: int) -> str:
    """Replace the demo's two-way graphs in ``cache`` by ``copies`` stitched copies
    (the places and residents stay on the first copy): a Flanders-sized graph."""
    from buurtkaart import network, tiling

    sizes = []
    for path in sorted(cache.glob("graph-*.npz")):
        g = network.Graph.load(path)
        if g.network in network.TWO_WAY:
            big = tiling.tile(g, copies)
            big.save(path)
            sizes.append(f"{g.network} {big.n:,} nodes")
    return ", ".join(sizes)


def _warm_up(port: int, path: str) -> None:
    """One request, however long it takes: the first one fills the caches (a first coverage
    question on a 2-million-node graph takes a while on a busy machine)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1800)
    conn.request("GET", path)
    conn.getresponse().read()
    conn.close()


_WRK_REPORT = """done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BK %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.status + e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(port: int, path: str, clients: int, seconds: float) -> str:
    """One run of wrk (C, epoll: it leaves the cores to the server), as a result line."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(_WRK_REPORT)
    out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}",
                          f"-d{max(1, round(seconds))}s", "-s", fh.name,
                          "-H", "Accept-Encoding: gzip",  # as every browser sends
                          f"http://127.0.0.1:{port}{path}"],
                         capture_output=True, text=True, check=True).stdout
    os.unlink(fh.name)
    n, micros, p50, p95, errors = (int(x) for x in
                                   next(ln for ln in out.splitlines() if ln.startswith("BK "))
                                   .split()[1:])
    return (f"{n:8d} {n / (micros / 1e6):8.1f} {p50 / 1000:8.1f} {p95 / 1000:8.1f} "
            f"{errors:6d}")


def _reads(args, port: int, endpoints: dict) -> None:
    print(f"{'endpoint':17} {'clients':>7} {'requests':>8} {'req/s':>8} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
    for name, path in endpoints.items():
        for n in (int(c) for c in args.concurrency.split(",")):
            _warm_up(port, path)
            if args.client == "wrk":
                _wrk(port, path, n, 2)  # every worker and thread has answered it once
                print(f"{name:17} {n:7d} {_wrk(port, path, n, args.seconds)}")
                continue
            lat: list[float] = []
            errors: list[int] = []
            until = time.monotonic() + args.seconds
            threads = [threading.Thread(target=_client, args=(port, path, until, lat, errors))
                       for _ in range(n)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            if not lat:
                print(f"{name:17} {n:7d} no answer within the run; errors {len(errors)}")
                continue
            q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
            print(f"{name:17} {n:7d} {len(lat):8d} {len(lat) / wall:8.1f} "
                  f"{q[49] * 1000:8.1f} {q[94] * 1000:8.1f} {len(errors):6d}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--concurrency", default="1,10,50")
    ap.add_argument("--client", choices=["python", "wrk"], default="python",
                    help="the read clients: Python threads (default), or wrk (Debian's "
                         "`wrk`, which takes far less of the shared cores)")
    ap.add_argument("--import-places", type=int, default=100_000,
                    help="places in the import that runs while clients write (0: skip)")
    ap.add_argument("--writers", type=int, default=8, help="clients writing during the import")
    ap.add_argument("--skip-reads", action="store_true", help="only the writes during an import")
    ap.add_argument("--mmap", choices=["both", "on", "off"], default="both",
                    help="graphs shared between workers (memory-mapped), private copies, or a "
                         "run of each (BUURTKAART_MMAP_GRAPHS)")
    ap.add_argument("--wijken", metavar="FILE",
                    help="also import these neighbourhoods (the real 2,730 Flemish wijken: "
                         "../shared/data/flanders_wijken_2024.gpkg) and ask for all of them")
    ap.add_argument("--graph-copies", type=int, default=1,
                    help="tile the demo's walking graphs into this many copies (400: ~2M nodes)")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="buurtkaart-load-"))
    env = {**os.environ, "BUURTKAART_DATABASE": str(tmp / "demo.db"),
           "BUURTKAART_CACHE": str(tmp / "cache"), "BUURTKAART_WORKERS": str(args.workers),
           "BUURTKAART_THREADS": str(args.threads), "BUURTKAART_TRUST_PROXY": "1"}
    bindir = Path(sys.executable).parent
    subprocess.run([bindir / "buurtkaart", "demo"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoints = dict(ENDPOINTS)
    if args.wijken:
        subprocess.run([bindir / "buurtkaart", "import", "neighbourhoods", args.wijken],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        endpoints["all neighbourhoods"] = "/api/neighbourhoods?limit=3000&simplify=50"
        print(f"neighbourhoods: the demo's and those of {args.wijken}")
    if args.graph_copies > 1:
        print(f"graphs tiled: {_tile_graphs(tmp / 'cache', args.graph_copies)}")
    modes = ["off", "on"] if args.mmap == "both" else [args.mmap]
    for i, mode in enumerate(modes):
        last = i == len(modes) - 1
        _serve(args, dict(env, BUURTKAART_MMAP_GRAPHS="1" if mode == "on" else "0"), tmp,
               bindir, mode, endpoints, imports=last)


def _serve(args, env: dict, tmp: Path, bindir: Path, mode: str, endpoints: dict, *,
           imports: bool) -> None:
    port = _free_port()
    env["GUNICORN_CMD_ARGS"] = "--log-level warning"
    env["BUURTKAART_BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([bindir / "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                               "--access-logfile", "/dev/null"], env=env, cwd=ROOT)
    try:
        _wait(port)
        shared = "shared (memory-mapped)" if mode == "on" else "private copies per worker"
        print(f"\ngraphs: {shared}; gunicorn gthread, {args.workers} workers x {args.threads} "
              f"threads, loopback; {args.client} clients on the same {os.cpu_count()}-core machine; "
              f"{args.seconds:g} s per run; load average {os.getloadavg()[0]:.1f}")
        if not args.skip_reads:
            _reads(args, port, endpoints)
        for pid, rss, pss in _worker_memory(server.pid):
            print(f"worker {pid}: RSS {rss:.0f} MB, PSS {pss:.0f} MB")
        if args.import_places and imports:
            _writes_during_import(args, port, env, tmp, bindir)
        print(f"server peak memory (VmHWM, master + workers): {_rss_kb(server.pid) / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
