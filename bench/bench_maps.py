"""The full-Flanders map on the wire: size and render time of /kaart/frame and /api/neighbourhoods.

Usage::

    .venv/bin/python bench/bench_maps.py [--wijken ../shared/data/flanders_wijken_2024.gpkg]

Imports the real wijken into a temporary database and asks the app (Flask's
test client, no network) for the full map frame and for every neighbourhood
as GeoJSON: bytes without and with gzip, the first answer (simplification not
yet cached) and the next one, and a 304 revalidation of the API answer.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from buurtkaart import create_app, store
from buurtkaart.importers.geo import read_neighbourhoods


def _get(client, url, **headers):
    t0 = time.perf_counter()
    resp = client.get(url, headers=headers)
    return resp, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = Path(__file__).resolve().parents[2]
    ap.add_argument("--wijken", default=str(here / "shared" / "data" /
                                            "flanders_wijken_2024.gpkg"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "flanders.db"
        db = store.connect(path)
        frame, _warnings = read_neighbourhoods(args.wijken)
        store.save_neighbourhoods(db, frame, source="bench")
        app = create_app({"DATABASE": str(path), "TESTING": True})
        client = app.test_client()
        print(f"{len(frame):,} neighbourhoods from {args.wijken}")
        for url in ("/kaart/frame", "/api/neighbourhoods?limit=3000&simplify=50"):
            plain, t_first = _get(client, url)
            gz, t_next = _get(client, url, **{"Accept-Encoding": "gzip"})
            line = (f"{url}: {len(plain.data) / 1024:,.0f} KB plain, {len(gz.data) / 1024:,.0f} KB "
                    f"gzipped ({len(plain.data) / len(gz.data):.1f}x); first {t_first:.2f} s, "
                    f"next (cached geometry, gzip) {t_next:.2f} s")
            if gz.headers.get("ETag"):
                again, t_304 = _get(client, url, **{"Accept-Encoding": "gzip",
                                                    "If-None-Match": gz.headers["ETag"]})
                line += f"; revalidation {again.status_code} in {t_304 * 1000:.0f} ms"
            print(line)


if __name__ == "__main__":
    main()
