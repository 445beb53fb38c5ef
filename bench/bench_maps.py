"""The full-Flanders map on the wire: size and render time of /kaart/frame and /api/neighbourhoods.

Usage::

    .venv/bin/python bench/bench_maps.py [--wijken ../shared/data/flanders_wijken_2024.gpkg]

Imports the real wijken into a temporary database and asks the app (Flask's
test client, no network) for the full map frame and for every neighbourhood
as GeoJSON: bytes without and with gzip, the first answer (simplification not
yet cached) and the next one, and a 304 revalidation of the API answer.

Then the first map of a new server process (a new Python process, as a new gunicorn
worker), cold (no simplified outlines anywhere: every polygon simplified) against one that
finds the outlines in the cache directory (written by the first map, or by an import),
as a ratio; the map after a place edit (the outlines are kept); what preparing the outlines
adds to an import (:func:`buurtkaart.geomcache.warm`); and the process's peak memory.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from buurtkaart import create_app, geomcache, store
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


#: A new server process: the app made afresh, the map asked for, its time printed; with
#: a place's coordinates, that place is then added and the map asked for again.
_CHILD = """
import sys, time
from buurtkaart import create_app, store
from buurtkaart.records import validate_place
client = create_app({"DATABASE": sys.argv[1], "TESTING": True, "CACHE_DIR": sys.argv[2]}
                    ).test_client()
t0 = time.perf_counter()
assert client.get("/kaart/frame").status_code == 200
print(time.perf_counter() - t0)
if len(sys.argv) > 3:
    place, _problems = validate_place({"name": "Bench", "kind": "community_house",
                                       "lon": float(sys.argv[3]), "lat": float(sys.argv[4])})
    store.save_directory(store.connect(sys.argv[1]), places=[place])
    t0 = time.perf_counter()
    assert b"Bench" in client.get("/kaart/frame").data
    print(time.perf_counter() - t0)
"""


def _maps_of_a_new_process(config, *place) -> list[float]:
    """Seconds of the first map in a new Python process (as in a new gunicorn worker or
    after a restart: folium's templates, the catalogues and the outlines all still to be
    read), measured in that process; with a place's coordinates, also of the map after
    that place was added."""
    out = subprocess.run([sys.executable, "-c", _CHILD, config["DATABASE"],
                          config["CACHE_DIR"], *map(str, place)],
                         capture_output=True, text=True, check=True)
    return [float(x) for x in out.stdout.split()]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _new_process(db, config, frame) -> None:
    cache = Path(config["CACHE_DIR"])
    for f in cache.glob("simplified-*.npz"):
        f.unlink()
    [t_cold] = _maps_of_a_new_process(config)
    files = sorted(cache.glob("simplified-*.npz"))
    size = sum(f.stat().st_size for f in files)
    inside = frame.geometry.iloc[0].representative_point()
    t_disk, t_edit = _maps_of_a_new_process(config, inside.x, inside.y)
    print(f"/kaart/frame, first in a new process: cold {t_cold:.2f} s, from the cache file "
          f"{t_disk * 1000:.0f} ms ({t_cold / t_disk:.1f}x faster; file {size / 1024:,.0f} KB)")
    print(f"/kaart/frame after a place edit (outlines kept): {t_edit * 1000:.0f} ms")
    t0 = time.perf_counter()
    geomcache.warm(db, cache_dir=cache)
    print(f"preparing the outlines at import (geomcache.warm): {time.perf_counter() - t0:.2f} s")
    print(f"peak memory of this process (ru_maxrss): {_rss_mb():,.0f} MB")


if __name__ == "__main__":
    main()
