"""The full-Flanders map on the wire: size and render time of /kaart/frame and /api/neighbourhoods.

Usage::

    .venv/bin/python bench/bench_maps.py [--wijken ../shared/data/flanders_wijken_2024.gpkg]

Imports the real wijken into a temporary database and asks the app (Flask's
test client, no network) for the full map frame and for every neighbourhood
as GeoJSON: bytes without and with gzip, the first answer (simplification not
yet cached) and the next one, and a 304 revalidation of the API answer.

Then the first map of a new server process (a new app, nothing in memory), cold (no
simplified outlines anywhere: every polygon simplified) against one that finds the
outlines in the cache directory (written by the first map, or by an import), as a
ratio; the map after a place edit (the outlines are kept); what preparing the outlines
adds to an import (:func:`buurtkaart.geomcache.warm`); and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from buurtkaart import create_app, geomcache, store
from buurtkaart.importers.geo import read_neighbourhoods
from buurtkaart.records import validate_place


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
        config = {"DATABASE": str(path), "TESTING": True, "CACHE_DIR": str(Path(tmp) / "cache")}
        client = create_app(config).test_client()
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
        _new_process(db, config, frame)


def _fresh_client(config):
    """A new app with nothing in memory, as in a new gunicorn worker or after a restart
    (folium's templates stay compiled: that is per Python process)."""
    from buurtkaart.web import map_pages

    geomcache._CACHE.clear()
    map_pages._FRAMES.clear()
    return create_app(config).test_client()


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _new_process(db, config, frame) -> None:
    cache = Path(config["CACHE_DIR"])
    for f in cache.glob("simplified-*.npz"):
        f.unlink()
    _resp, t_cold = _get(_fresh_client(config), "/kaart/frame")
    files = sorted(cache.glob("simplified-*.npz"))
    size = sum(f.stat().st_size for f in files)
    resp, t_disk = _get(_fresh_client(config), "/kaart/frame")
    assert resp.status_code == 200
    print(f"/kaart/frame, first in a new process: cold {t_cold:.2f} s, from the cache file "
          f"{t_disk * 1000:.0f} ms ({t_cold / t_disk:.1f}x faster; file {size / 1024:,.0f} KB)")
    inside = frame.geometry.iloc[0].representative_point()
    place, _problems = validate_place({"name": "Bench", "kind": "community_house",
                                       "lon": inside.x, "lat": inside.y})
    store.save_directory(db, places=[place])
    client = create_app(config).test_client()
    _resp, t_edit = _get(client, "/kaart/frame")
    print(f"/kaart/frame after a place edit (outlines kept): {t_edit * 1000:.0f} ms")
    t0 = time.perf_counter()
    geomcache.warm(db, cache_dir=cache)
    print(f"preparing the outlines at import (geomcache.warm): {time.perf_counter() - t0:.2f} s")
    print(f"peak memory of this process (ru_maxrss): {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
