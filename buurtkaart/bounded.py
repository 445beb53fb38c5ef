"""Bounded shortest-path searches that touch only the nodes they reach (numba kernels).

``scipy.sparse.csgraph.dijkstra(indices=..., limit=...)`` returns a dense
``sources x n`` matrix and resets an ``n``-long state per source, so on a
2-million-node network every bounded search costs O(n) however few nodes it
reaches. The kernels here run one Dijkstra search per source with a binary
heap (lazy deletion), stop at ``limit`` and return only what was reached:

:func:`pairs_within` -> ``(source position, node, seconds)`` triples, nodes
ascending per source. (The one-pass "nearest of many sources" search stays
with scipy's ``min_only``, which is as fast.)

Exact for any non-negative edge weights (no straight-line pruning). Each
worker thread keeps one ``n``-long distance buffer that it resets only at
the nodes it touched; everything else is proportional to what is reached.
The sources are split over :data:`THREADS` threads (numba releases the GIL).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

__all__ = ["pairs_within", "THREADS"]

#: Worker threads for many-source searches (the cores of this machine, at most 4).
THREADS = max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                     else (os.cpu_count() or 1)))


@njit(cache=True, nogil=True)
def _grow(a, need):
    if need <= len(a):
        return a
    b = np.empty(max(need, 2 * len(a)), a.dtype)
    b[:len(a)] = a
    return b


# the heap operations are inlined into the search loops (numba IR inlining: as fast as
# writing them out; a plain call costs ~40% here, passing the arrays in and out)
@njit(cache=True, nogil=True, inline="always")
def _push(hd, hv, size, d, v):
    if size == len(hd):
        hd = _grow(hd, size + 1)
        hv = _grow(hv, size + 1)
    i = size
    while i > 0:
        p = (i - 1) >> 1
        if hd[p] <= d:
            break
        hd[i], hv[i] = hd[p], hv[p]
        i = p
    hd[i], hv[i] = d, v
    return hd, hv, size + 1


@njit(cache=True, nogil=True, inline="always")
def _pop(hd, hv, size):
    """Removes the smallest entry; returns it and the new size."""
    d, v = hd[0], hv[0]
    size -= 1
    last_d, last_v = hd[size], hv[size]
    i = 0
    while True:
        c = 2 * i + 1
        if c >= size:
            break
        if c + 1 < size and hd[c + 1] < hd[c]:
            c += 1
        if hd[c] >= last_d:
            break
        hd[i], hv[i] = hd[c], hv[c]
        i = c
    if size > 0:
        hd[i], hv[i] = last_d, last_v
    return d, v, size


@njit(cache=True, nogil=True, inline="always")
def _relax(indptr, indices, weights, v, d, limit, dist, hd, hv, size):
    """Pushes every neighbour of ``v`` (settled at ``d``) that this edge brings closer,
    within ``limit``; returns the heap and its new size."""
    for e in range(indptr[v], indptr[v + 1]):
        u = indices[e]
        nd = d + weights[e]
        if nd <= limit and nd < dist[u]:
            dist[u] = nd
            hd, hv, size = _push(hd, hv, size, nd, u)
    return hd, hv, size


@njit(cache=True, nogil=True)
def _pairs(indptr, indices, weights, sources, limit, n):
    dist = np.full(n, np.inf)
    hd = np.empty(1024, np.float64)
    hv = np.empty(1024, np.int64)
    out_s = np.empty(4096, np.int64)
    out_v = np.empty(4096, np.int64)
    out_t = np.empty(4096, np.float64)
    m = 0
    for k in range(len(sources)):
        s = sources[k]
        start = m
        dist[s] = 0.0
        hd[0], hv[0], size = 0.0, s, 1
        while size > 0:
            d, v, size = _pop(hd, hv, size)
            if d > dist[v]:
                continue
            if m == len(out_v):
                out_v = _grow(out_v, m + 1)
                out_t = _grow(out_t, m + 1)
            out_v[m] = v
            out_t[m] = d
            m += 1
            hd, hv, size = _relax(indptr, indices, weights, v, d, limit, dist, hd, hv, size)
        for j in range(start, m):  # reset only what this search touched
            dist[out_v[j]] = np.inf
        # a pushed node is always settled (its distance is within the limit), so the
        # settled list is every touched node; sort it by node for canonical output
        order = np.argsort(out_v[start:m], kind="mergesort")
        out_v[start:m] = out_v[start:m][order]
        out_t[start:m] = out_t[start:m][order]
        out_s = _grow(out_s, m)
        out_s[start:m] = k
    return out_s[:m], out_v[:m], out_t[:m]


def _arrays(csr):
    return csr.indptr, csr.indices, csr.data.astype(np.float64, copy=False)


def pairs_within(csr, sources: np.ndarray, limit: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every ``(k, node, seconds)`` with ``seconds`` = shortest time from
    ``sources[k]`` to ``node`` on ``csr`` and ``seconds <= limit``.

    Sorted by ``k``, then by node.
    """
    indptr, indices, weights = _arrays(csr)
    n = csr.shape[0]
    sources = np.asarray(sources, np.int64)
    if len(sources) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    # a few chunks per thread balance the load; each chunk clears an n-long buffer once,
    # so few sources (small searches) stay in one chunk
    parts = np.array_split(np.arange(len(sources)), max(1, min(len(sources) // 32,
                                                               4 * THREADS)))

    def one(part):
        s, v, t = _pairs(indptr, indices, weights, sources[part], float(limit), n)
        return s + part[0], v, t

    if THREADS > 1 and len(parts) > 1:
        with ThreadPoolExecutor(THREADS) as pool:
            done = list(pool.map(one, parts))
    else:
        done = [one(p) for p in parts]
    return tuple(np.concatenate([d[i] for d in done]) for i in range(3))
