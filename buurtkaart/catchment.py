"""What the places reach, for the coverage table, in one pass over the network (numba).

:func:`buurtkaart.coverage.neighbourhood_coverage` needs, for every resident point:

- the time to the nearest place, without a limit (mean, median and shares);
- which working models it reaches within the limit (7 bits);
- its two-step floating catchment (2SFCA) sum: over the places with a capacity
  that it reaches within the limit, ``capacity / residents within the limit of
  that place``.

The straightforward way (:mod:`buurtkaart.coverage_reference`) runs eight
whole-network nearest-place searches (one without a limit, one per working
model) and builds a places x residents matrix for 2SFCA. Here:

- the time to the nearest place is one multi-source Dijkstra over the network
  (scipy's ``min_only``, as in the reference: it is the fastest here);
- :func:`catchments` runs one bounded search per place that offers a working
  model or has a capacity. Each search touches only the nodes within the limit:
  it ORs the place's model bits into the nodes it reaches and, for a place with
  a capacity, adds up the residents it reaches; the reached nodes of those places
  are kept as (place, node) pairs, so memory follows what is reached, and the
  2SFCA sums are added per node afterwards. No places x residents matrix.

Both run on :data:`buurtkaart.bounded.THREADS` threads at once (numba releases
the GIL). Every number equals the reference bit for bit: Dijkstra's distances are
the same whatever the heap, the bits are ORs, and the sums add the same numbers in
the same order as scipy's sparse products in the reference (residents by node,
ties in ``np.argsort`` order; places in their given order).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from .bounded import THREADS, _arrays, _grow, _pop, _relax
from .traveltime import nearest_times

__all__ = ["catchments", "Catchments"]


@njit(cache=True, nogil=True)
def _balls(indptr, indices, weights, sources, bits, keep, limit, n, node_ptr, pop_sorted):
    """One bounded search per source: the OR of ``bits`` per node reached, and for the
    sources with ``keep``: the residents reached (summed by node ascending, each node's
    residents in ``pop_sorted`` order) and the (source, node) pairs."""
    dist = np.full(n, np.inf)
    reached_bits = np.zeros(n, np.uint8)
    demand = np.zeros(len(sources))
    hd = np.empty(1024, np.float64)
    hv = np.empty(1024, np.int64)
    seen = np.empty(1024, np.int64)
    pair_k = np.empty(1024, np.int64)
    pair_v = np.empty(1024, np.int64)
    m = 0
    for k in range(len(sources)):
        s = sources[k]
        b = bits[k]
        cnt = 0
        dist[s] = 0.0
        hd[0], hv[0], size = 0.0, s, 1
        while size > 0:
            d, v, size = _pop(hd, hv, size)
            if d > dist[v]:
                continue
            if cnt == len(seen):
                seen = _grow(seen, cnt + 1)
            seen[cnt] = v
            cnt += 1
            reached_bits[v] |= b
            hd, hv, size = _relax(indptr, indices, weights, v, d, limit, dist, hd, hv, size)
        for j in range(cnt):  # reset only what this search touched (all of it was settled)
            dist[seen[j]] = np.inf
        if keep[k]:
            nodes = np.sort(seen[:cnt])
            total = 0.0
            for j in range(cnt):
                v = nodes[j]
                for r in range(node_ptr[v], node_ptr[v + 1]):
                    total += pop_sorted[r]
            demand[k] = total
            pair_k = _grow(pair_k, m + cnt)
            pair_v = _grow(pair_v, m + cnt)
            pair_k[m:m + cnt] = k
            pair_v[m:m + cnt] = nodes
            m += cnt
    return reached_bits, demand, pair_k[:m], pair_v[:m]


@njit(cache=True, nogil=True)
def _spread(pair_k, pair_v, ratio, n):
    """Per node, the sum of ``ratio`` of the sources that reach it, added in source order."""
    out = np.zeros(n)
    for j in range(len(pair_k)):
        out[pair_v[j]] += ratio[pair_k[j]]
    return out


class Catchments:
    """The outcome of :func:`catchments`: ``dist`` (seconds to the nearest place, per node),
    ``bits`` (OR of the model bits of the places reached within the limit, per node),
    ``demand`` (residents within the limit of each place with a capacity, in order) and
    ``fca`` (per node, the 2SFCA sum; ``None`` when no place has a capacity)."""

    def __init__(self, dist, bits, demand, fca):
        self.dist, self.bits, self.demand, self.fca = dist, bits, demand, fca


def catchments(rev, nodes: np.ndarray, bits: np.ndarray, cap: np.ndarray,
               pop_nodes: np.ndarray, pop: np.ndarray, limit: float, meanwhile=None
               ) -> tuple[Catchments, object]:
    """Everything the coverage table needs from the network, in one pass.

    ``rev``: the graph towards the places (transposed; a two-way graph as it is);
    ``nodes``, ``bits`` (uint8 model bits), ``cap`` (NaN: unknown): one per place;
    ``pop_nodes``, ``pop``: the resident points. ``meanwhile``: a function run on the
    calling thread while the searches run (its result is returned beside them).
    """
    indptr, indices, weights = _arrays(rev)
    n = rev.shape[0]
    nodes = np.asarray(nodes, np.int64)
    known = np.isfinite(cap)
    search = np.flatnonzero((bits != 0) | known)
    parts = [p for p in np.array_split(search, max(1, min(len(search) // 32, 4 * THREADS)))
             if len(p)]
    # residents grouped by node, ties in the order scipy's column indexing gives them
    # (np.argsort of the node indices as the index dtype of the reference's matrix)
    order = np.argsort(np.asarray(pop_nodes, np.int32 if n < 2**31 else np.int64))
    node_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(pop_nodes, minlength=n), out=node_ptr[1:])
    pop_sorted = np.ascontiguousarray(pop[order], np.float64)
    with ThreadPoolExecutor(THREADS) as pool:
        # scipy's search holds the GIL: everything is submitted at once, the balls
        # (numba, without the GIL) run beside it
        first = pool.submit(nearest_times, rev, nodes, reversed_graph=True)
        balls = [pool.submit(_balls, indptr, indices, weights, nodes[p], bits[p], known[p],
                             float(limit), n, node_ptr, pop_sorted) for p in parts]
        extra = meanwhile() if meanwhile is not None else None
        dist = first.result()[0]
        balls = [b.result() for b in balls]
    reached = np.zeros(n, np.uint8)
    demand_of = np.zeros(len(nodes))
    for p, (b, dem, _k, _v) in zip(parts, balls):
        reached |= b
        demand_of[p] = dem
    if not known.any():
        return Catchments(dist, reached, np.empty(0), None), extra
    # 2SFCA: ratio per place with a capacity; then per node, in place order
    demand = demand_of[known]
    ratio_of = np.zeros(len(nodes))
    ratio_of[known] = np.divide(cap[known], demand, out=np.zeros(len(demand)),
                                where=demand > 0)
    pair_k = np.concatenate([p[k] for p, (_b, _d, k, _v) in zip(parts, balls)]
                            or [np.empty(0, np.int64)])
    pair_v = np.concatenate([v for (_b, _d, _k, v) in balls] or [np.empty(0, np.int64)])
    return Catchments(dist, reached, demand, _spread(pair_k, pair_v, ratio_of, n)), extra
