"""Public-transport routing benchmark: Connection Scan (numba) against a time-expanded graph
solved with scipy's Dijkstra, on the real SNCB railway feed, in the same run.

Usage::

    .venv/bin/python bench/bench_transit.py [--origins 1000] [--baseline-queries 60]

Prints: the feed's import time and peak memory (tracemalloc, Python allocations;
and the process's peak RSS), then for a 60-minute window (one departure per
minute) from ``--origins`` random stations to every station: queries per second
(one query = one origin at one departure minute), the same for the
time-expanded baseline on a sample of queries, their ratio, and that both give
identical arrival times on that sample.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import sparse

from buurtkaart.transit import routing, timetable
from buurtkaart.transit.expanded import ExpandedGraph
from buurtkaart.transit.gtfs import read_feed

FEED = Path(__file__).resolve().parents[2] / "shared" / "data" / "sncb_gtfs_2019-10.zip"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--feed", type=Path, default=FEED)
    ap.add_argument("--origins", type=int, default=1000)
    ap.add_argument("--baseline-queries", type=int, default=60)
    ap.add_argument("--depart", default="tu 07:00-08:00")
    args = ap.parse_args()
    if not args.feed.exists():
        sys.exit(f"{args.feed} is absent")

    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t = time.perf_counter()
    feed = read_feed(args.feed)
    load_s = time.perf_counter() - t
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"read and validate {args.feed.name}: {len(feed.st_trip):,} stop times in "
          f"{load_s:.1f} s; peak RSS {rss1:.0f} MB ({rss1 - rss0:.0f} MB above the "
          f"{rss0:.0f} MB of the started interpreter with numpy, pandas, scipy)")
    tracemalloc.start()

    depart = timetable.parse_depart(args.depart)
    date = timetable.pick_date([feed], depart)
    tt = timetable.build([feed], date)
    tt.change[:] = 0  # the baseline knows no change times or walking links
    tt.links = tuple(np.zeros(0, np.int32) for _ in range(3))
    served = np.unique(tt.c_from)
    print(f"{len(served)} stations with departures")
    rng = np.random.default_rng(1)
    # fewer stations than --origins: each is used more than once (as separate origins)
    origins = rng.choice(served, args.origins, replace=args.origins > len(served))
    deps = depart.times()
    n = len(origins)
    access = sparse.csr_matrix((np.full(n, 1e-9), (np.arange(n), origins)),
                               shape=(n, tt.n_stops))
    egress = sparse.identity(tt.n_stops, format="csr") * 1e-9
    routing.travel_times(tt, access[:1], egress, deps[:1], max_transfers=10)  # compile
    t = time.perf_counter()
    summary = routing.window_summary(tt, access, egress, deps, percentiles=(50, 80),
                                     max_transfers=10, max_seconds=2 * 3600)
    csa_s = time.perf_counter() - t
    med = summary[50]
    csa_qps = n * len(deps) / csa_s
    print(f"date {date}, {len(tt.c_dep):,} connections; window {depart.text}: "
          f"{len(deps)} departures x {n} origins = {n * len(deps):,} queries in {csa_s:.1f} s "
          f"= {csa_qps:,.0f} queries/s; stations reached within 2 h at the median: "
          f"{np.isfinite(med).sum(axis=1).mean():.0f}")

    t = time.perf_counter()
    te = ExpandedGraph(tt)
    build_s = time.perf_counter() - t
    sample = [(int(origins[i % n]), int(deps[(7 * i) % len(deps)]))
              for i in range(args.baseline_queries)]
    t = time.perf_counter()
    for o, d in sample:  # the same 2-hour horizon as the Connection Scan above
        te.arrivals(o, d, horizon=2 * 3600)
    te_s = time.perf_counter() - t
    te_qps = len(sample) / te_s
    same = all(np.array_equal(routing.stop_arrivals(tt, [o], d, max_transfers=10)[0],
                              te.arrivals(o, d)) for o, d in sample)
    _, peak = tracemalloc.get_traced_memory()
    print(f"time-expanded baseline (scipy Dijkstra within 2 h, graph built in {build_s:.1f} s): "
          f"{len(sample)} queries in {te_s:.1f} s = {te_qps:,.1f} queries/s")
    print(f"ratio: Connection Scan is {csa_qps / te_qps:,.0f} x faster; identical arrivals "
          f"on the sample: {same}")
    print(f"peak Python memory while routing: {peak / 2**20:.0f} MB; peak RSS of the "
          f"process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
