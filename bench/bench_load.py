"""Load test: gunicorn on loopback, 1/10/50 concurrent clients, p50/p95 latency and throughput.

Usage::

    .venv/bin/python bench/bench_load.py [--seconds 10] [--workers 2] [--threads 8]

Builds the demo database in a temporary directory, starts the production
server (``gunicorn -c gunicorn.conf.py``) on a free loopback port, and hits
the map page, the places API and the finder with keep-alive HTTP clients in
threads. The clients run on the same 2-core machine as the server, so the
numbers are a floor, not a ceiling. Prints one line per endpoint and
concurrency, and the server's peak memory (RSS of master + workers).
"""

from __future__ import annotations

import argparse
import http.client
import os
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
    "finder": "/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=15",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(port: int, timeout: float = 60) -> None:
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--concurrency", default="1,10,50")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="buurtkaart-load-"))
    env = {**os.environ, "BUURTKAART_DATABASE": str(tmp / "demo.db"),
           "BUURTKAART_CACHE": str(tmp / "cache"), "BUURTKAART_WORKERS": str(args.workers),
           "BUURTKAART_THREADS": str(args.threads)}
    bindir = Path(sys.executable).parent
    subprocess.run([bindir / "buurtkaart", "demo"], env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port = _free_port()
    env["GUNICORN_CMD_ARGS"] = "--log-level warning"
    env["BUURTKAART_BIND"] = f"127.0.0.1:{port}"
    server = subprocess.Popen([bindir / "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                               "--access-logfile", "/dev/null"], env=env, cwd=ROOT)
    try:
        _wait(port)
        print(f"gunicorn gthread, {args.workers} workers x {args.threads} threads, loopback; "
              f"clients on the same {os.cpu_count()}-core machine; {args.seconds:g} s per run")
        print(f"{'endpoint':12} {'clients':>7} {'requests':>8} {'req/s':>8} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
        for name, path in ENDPOINTS.items():
            for n in (int(c) for c in args.concurrency.split(",")):
                # warm up (first request builds caches)
                _client(port, path, time.monotonic() + 0.5, [], [])
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
                q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
                print(f"{name:12} {n:7d} {len(lat):8d} {len(lat) / wall:8.1f} "
                      f"{q[49] * 1000:8.1f} {q[94] * 1000:8.1f} {len(errors):6d}")
        print(f"server peak memory (VmHWM, master + workers): {_rss_kb(server.pid) / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
