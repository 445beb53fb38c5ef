"""Large-directory benchmark: pages counted and sliced in SQL against the old full-load path,
same database, same process.

Usage::

    .venv/bin/python bench/bench_directory.py [--places 150000] [--repeat 3]

Builds the generated directory of tests/test_large_directory.py (150,000 places, 50,000
activities, on disk), then for each page prints the time of the HTTP request through the
app (test client), the time of the old way of getting the same answer (load the whole
directory with ``store.places`` / ``store.activities``, filter and slice in Python, as the
pages did before), their ratio, and the peak Python memory (tracemalloc) of each.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_large_directory as generated  # noqa: E402

from buurtkaart import create_app, editing, store  # noqa: E402
from buurtkaart.filters import Filter  # noqa: E402


def _measure(fn, repeat: int) -> tuple[float, float]:
    """(best wall time in s, peak traced memory in MB) of ``fn()``."""
    best, peak = math.inf, 0.0
    for _ in range(repeat):
        tracemalloc.start()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, tracemalloc.get_traced_memory()[1] / 2**20)
        tracemalloc.stop()
    return best, peak


def _old_review_queue(db):
    """The review queue as it was computed before: every record, one snapshot each."""
    out = []
    for entity, (table, _, _) in editing.ENTITIES.items():
        for uid, name, lv in db.execute(
                f"SELECT uid, name, last_verified FROM {table} WHERE archived_at IS NULL"):
            if editing.is_stale(lv):
                editing.snapshot(db, entity, uid)
                out.append((lv or "", name))
    return sorted(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--places", type=int, default=generated.N_PLACES)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    generated.N_PLACES = args.places
    path = Path(tempfile.mkdtemp(prefix="bench-directory-")) / "big.db"
    t0 = time.perf_counter()
    generated._build(path)
    print(f"built {args.places:,} places in {time.perf_counter() - t0:.1f} s ({path})")
    app = create_app({"DATABASE": str(path), "TESTING": True})
    client = app.test_client()
    with client.session_transaction() as s:
        s["csrf"] = "t"
    client.post("/login", data={"email": "admin@stad.be", "password": generated.PASSWORD,
                                "csrf_token": "t"})
    db = store.connect(path)
    walk_in = Filter(walk_in=True)
    cases = [
        ("/api/places?limit=10", lambda: store.places(db)[:10]),
        ("/api/places?limit=10&walk_in=true", lambda: store.places(db, walk_in)[:10]),
        ("/api/activities?limit=10", lambda: store.activities(db)[:10]),
        ("/places", lambda: store.places(db)[:50]),
        ("/neighbourhoods/N1", lambda: ([p for p in store.places(db)
                                         if p["neighbourhood_code"] == "N1"],
                                        [a for a in store.activities(db) if a["place"] is None])),
        ("/admin/", lambda: _old_review_queue(db)),
    ]
    print(f"{'page':36} {'new s':>8} {'new MB':>8} {'old s':>8} {'old MB':>8} {'ratio':>7}")
    for url, old in cases:
        def request(url=url):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
        new_s, new_mb = _measure(request, args.repeat)
        old_s, old_mb = _measure(old, 1)
        print(f"{url:36} {new_s:8.3f} {new_mb:8.1f} {old_s:8.3f} {old_mb:8.1f} "
              f"{old_s / new_s:6.0f}x")


if __name__ == "__main__":
    main()
