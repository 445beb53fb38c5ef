"""Cost of one read request in the app itself: kept connections and kept answers vs neither.

Usage::

    .venv/bin/python bench/bench_requests.py [--requests 200] [--database DEMO.db]

Builds the demo database in a temporary directory (or uses ``--database``), then asks the
same public read questions of two apps on that database in this one process, through
Flask's test client (no sockets, no other process: only the app's own work):

- **before**: a new SQLite connection per request (``REUSE_CONNECTIONS = False``: the
  schema is parsed and the migrations checked every time) and every answer computed
  (``RESPONSE_CACHE = False``);
- **after**: the defaults, each thread keeps its connection (``web/db.py``) and anonymous
  answers are kept per data version (``web/response_cache.py``).

Prints per endpoint the mean milliseconds per request of each, the ratio, and the peak
resident memory of the process. Each app answers every question once before timing.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ENDPOINTS = {
    "places API": "/api/places?free=true",
    "neighbourhoods API": "/api/neighbourhoods",
    "coverage API": "/api/coverage?mode=walk&minutes=10",
    "finder API": "/api/finder?lon=24.9384&lat=60.1699&mode=walk&minutes=15",
    "map frame": "/kaart/frame",
}


def _ms_per_request(client, path: str, n: int) -> float:
    client.get(path)  # computed once (and compiled) before timing
    start = time.perf_counter()
    for _ in range(n):
        resp = client.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
    return (time.perf_counter() - start) / n * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--database", help="an existing demo database (default: build one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="buurtkaart-requests-"))
    os.environ.setdefault("BUURTKAART_CACHE", str(tmp / "cache"))
    database = args.database
    if database is None:
        database = str(tmp / "demo.db")
        subprocess.run([Path(sys.executable).parent / "buurtkaart", "demo"], check=True,
                       env={**os.environ, "BUURTKAART_DATABASE": database},
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    from buurtkaart import create_app

    apps = {name: create_app({"DATABASE": database, "REUSE_CONNECTIONS": keep,
                              "RESPONSE_CACHE": keep}).test_client()
            for name, keep in (("before", False), ("after", True))}
    print(f"{args.requests} requests per endpoint, one thread, Flask test client; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'endpoint':20} {'before ms':>10} {'after ms':>9} {'ratio':>6}")
    for name, path in ENDPOINTS.items():
        before = _ms_per_request(apps["before"], path, args.requests)
        after = _ms_per_request(apps["after"], path, args.requests)
        print(f"{name:20} {before:10.2f} {after:9.2f} {before / after:5.1f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
