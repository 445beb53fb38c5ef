"""Shortest travel times on sparse graphs (pure functions on scipy arrays).

All functions take a CSR matrix of edge travel times in seconds (see
:meth:`network.Graph.seconds`) and node indices. Times are *from* a resident
*to* a place: for a directed graph (cycling with one-way streets) searches
start at the places on the transposed graph, which gives exactly the time
from every node to them. Unreachable is ``inf``.

Engine: ``scipy.sparse.csgraph.dijkstra`` with ``indices=<places>`` and
``min_only=True`` answers "time to the nearest place" for every node in one
pass; ``limit`` stops searches early (see DESIGN.md for the measurements).
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

__all__ = ["reverse", "nearest_times", "counts_within", "times_from", "times_to", "reach",
           "isochrone"]


def reverse(csr: sparse.csr_matrix) -> sparse.csr_matrix:
    """The graph whose searches from places give times *to* places (the transpose).

    Pass it with ``reversed_graph=True`` to avoid transposing again when asking
    many questions of one graph.
    """
    return csr.T.tocsr()


def _to_places(csr: sparse.csr_matrix, reversed_graph: bool = False) -> sparse.csr_matrix:
    return csr if reversed_graph else reverse(csr)


def nearest_times(csr: sparse.csr_matrix, place_nodes, *, limit: float = np.inf,
                  reversed_graph: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Seconds from every node to its nearest place, and which place (index into
    ``place_nodes``; -1 when none is reachable)."""
    place_nodes = np.asarray(place_nodes, dtype=np.int64)
    n = csr.shape[0]
    if len(place_nodes) == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64)
    unique, first = np.unique(place_nodes, return_index=True)
    dist, _pred, sources = dijkstra(_to_places(csr, reversed_graph), directed=True,
                                    indices=unique,
                                    min_only=True, return_predecessors=True, limit=limit)
    which = np.full(n, -1, np.int64)
    ok = sources >= 0
    which[ok] = first[np.searchsorted(unique, sources[ok])]
    return dist, which


def times_to(csr: sparse.csr_matrix, place_nodes, *, limit: float = np.inf,
             reversed_graph: bool = False) -> np.ndarray:
    """Matrix places x nodes: seconds from each node to each place."""
    place_nodes = np.asarray(place_nodes, dtype=np.int64)
    if len(place_nodes) == 0:
        return np.empty((0, csr.shape[0]))
    return np.atleast_2d(dijkstra(_to_places(csr, reversed_graph), directed=True,
                                  indices=place_nodes, limit=limit))


def times_from(csr: sparse.csr_matrix, origin_nodes, target_nodes, *,
               limit: float = np.inf) -> np.ndarray:
    """Matrix origins x targets: seconds from each origin to each target (the finder)."""
    origin_nodes = np.asarray(origin_nodes, dtype=np.int64)
    target_nodes = np.asarray(target_nodes, dtype=np.int64)
    if len(origin_nodes) == 0:
        return np.empty((0, len(target_nodes)))
    d = np.atleast_2d(dijkstra(csr, directed=True, indices=origin_nodes, limit=limit))
    return d[:, target_nodes]


def counts_within(csr: sparse.csr_matrix, place_nodes, limit_seconds: float) -> np.ndarray:
    """For every node, how many places can be reached within ``limit_seconds``."""
    counts = np.zeros(csr.shape[0], np.int32)
    t = _to_places(csr)
    for node in np.asarray(place_nodes, dtype=np.int64):
        d = dijkstra(t, directed=True, indices=int(node), limit=limit_seconds)
        counts += d <= limit_seconds
    return counts


def reach(csr: sparse.csr_matrix, source_node: int, limit_seconds: float) -> np.ndarray:
    """Seconds from ``source_node`` outwards to every node (``inf`` beyond the limit)."""
    return dijkstra(csr, directed=True, indices=int(source_node), limit=limit_seconds)


def isochrone(graph, csr: sparse.csr_matrix, place_node: int, limit_seconds: float, *,
              buffer_m: float = 30.0):
    """The area from which ``place_node`` is reached within ``limit_seconds``, in WGS84.

    Method: every edge whose two ends both reach the place in time, plus the
    reachable part of edges leaving the area (interpolated along the edge),
    buffered by ``buffer_m`` metres (the depth of the buildings along a
    street) and merged. Computed on a local equirectangular plane.
    """
    t = dijkstra(_to_places(csr), directed=True, indices=int(place_node), limit=limit_seconds)
    reached = np.flatnonzero(np.isfinite(t))
    lat0 = float(np.mean(graph.lat))
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    x, y = graph.lon * kx, graph.lat * ky
    coo = csr.tocoo()
    lines = []
    for a, b, sec in zip(coo.row, coo.col, coo.data):
        ta, tb = t[a], t[b]
        if not (np.isfinite(ta) or np.isfinite(tb)):
            continue
        if np.isfinite(ta) and np.isfinite(tb):
            lines.append(((x[a], y[a]), (x[b], y[b])))
            continue
        inside, outside, t_in = (a, b, ta) if np.isfinite(ta) else (b, a, tb)
        frac = min(1.0, max(0.0, (limit_seconds - t_in) / sec)) if sec > 0 else 0.0
        if frac > 0:
            lines.append(((x[inside], y[inside]),
                          (x[inside] + frac * (x[outside] - x[inside]),
                           y[inside] + frac * (y[outside] - y[inside]))))
    geoms = [shapely.LineString(seg) for seg in lines]
    geoms += [shapely.Point(x[i], y[i]) for i in reached]
    area = shapely.union_all([g.buffer(buffer_m, quad_segs=4) for g in geoms])
    area = area.simplify(buffer_m / 3)
    return shapely.transform(area, lambda c: c / np.array([kx, ky]))
