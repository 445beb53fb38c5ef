"""Shortest travel times on sparse graphs (pure functions on scipy arrays).

All functions take a CSR matrix of edge travel times in seconds (see
:meth:`network.Graph.seconds`; any non-negative weight works, e.g. metres
from :meth:`network.Graph.lengths`) and node indices 0..n-1.

Direction
---------
Times are always *from* a resident (or any node) *to* a place. On the
two-way walking graphs that equals the time from the place, but on the
directed cycling graph (one-way streets) it does not. Searches that start at
the places therefore run on the **transposed** graph (:func:`reverse`): a
shortest path ``place -> node`` in the transpose is exactly the path
``node -> place`` in the real network. :func:`times_from` answers
"origin -> targets" and picks whichever of the two searches is cheaper:
forwards from the origins, or backwards (transposed) from the targets; both
give the same numbers.

Unreachable (or beyond ``limit``) is ``inf``.

Engine: ``scipy.sparse.csgraph.dijkstra``. With ``indices=<places>`` and
``min_only=True`` it answers "time to the nearest place" for every node in
one pass; ``limit`` stops searches early. Searches that need one row per
source are run in chunks so that at most :data:`MAX_CELLS` float64 cells are
held at once (about 160 MB), whatever the size of the network.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator

import numpy as np
import shapely
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from . import bounded
from .errors import InvalidParameter

__all__ = ["reverse", "mark_symmetric", "nearest_times", "counts_within", "times_from", "times_to", "reach",
           "isochrone", "area_within", "within_limit", "MAX_CELLS"]

#: Most distance cells (sources x nodes) one multi-source search may hold in memory.
MAX_CELLS = 20_000_000


#: Transposes already made, by ``id`` of the matrix (dropped when the matrix is collected).
_REVERSED: dict[int, sparse.csr_matrix] = {}


def mark_symmetric(csr: sparse.csr_matrix) -> sparse.csr_matrix:
    """Declare that ``csr`` equals its transpose (a two-way network): :func:`reverse`
    then returns it as it is instead of transposing it."""
    _remember(csr, csr)
    return csr


def _remember(csr, rev) -> None:
    key = id(csr)
    if key not in _REVERSED:
        _REVERSED[key] = rev
        weakref.finalize(csr, _REVERSED.pop, key, None)


def reverse(csr: sparse.csr_matrix) -> sparse.csr_matrix:
    """The transposed graph: searches from places on it give times *to* places.

    Made once per matrix object (later calls return the same transpose), and
    not at all for a matrix declared symmetric with :func:`mark_symmetric`.
    Pass it with ``reversed_graph=True`` to skip even the lookup.
    """
    hit = _REVERSED.get(id(csr))
    if hit is not None:
        return hit
    rev = sparse.csr_matrix(csr).T.tocsr()
    try:
        _remember(csr, rev)
    except TypeError:  # an object without weak references: not memoised
        pass
    return rev


def _graph(csr) -> sparse.csr_matrix:
    if not sparse.issparse(csr) or csr.ndim != 2 or csr.shape[0] != csr.shape[1]:
        raise InvalidParameter("csr", "expected a square scipy sparse matrix of travel times")
    return csr.tocsr() if csr.format != "csr" else csr


def _limit(limit) -> float:
    if limit is None:
        return np.inf
    try:
        value = float(limit)
    except (TypeError, ValueError):
        raise InvalidParameter("limit", "must be a number of seconds") from None
    if math.isnan(value) or value < 0:
        raise InvalidParameter("limit", "must be >= 0 seconds")
    return value


def _nodes(nodes, n: int, name: str = "nodes") -> np.ndarray:
    arr = np.atleast_1d(np.asarray(nodes))
    if arr.size == 0:
        return np.empty(0, np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        if arr.ndim == 1 and np.issubdtype(arr.dtype, np.floating) and \
                np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise InvalidParameter(name, "expected a list of node indices")
    arr = arr.astype(np.int64)
    if arr.min() < 0 or arr.max() >= n:
        raise InvalidParameter(name, f"node indices must be between 0 and {n - 1}")
    return arr


def _chunks(k: int, n: int) -> Iterator[slice]:
    step = max(1, MAX_CELLS // max(n, 1))
    for start in range(0, k, step):
        yield slice(start, min(k, start + step))


def nearest_times(csr: sparse.csr_matrix, place_nodes, *, limit: float | None = None,
                  reversed_graph: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Time from every node to its nearest place.

    Parameters
    ----------
    csr:
        Edge travel times (n x n).
    place_nodes:
        Node index of each place (duplicates allowed).
    limit:
        Stop searching beyond this many seconds (``None``: no limit).
    reversed_graph:
        ``csr`` is already :func:`reverse` d.

    Returns
    -------
    (seconds, which)
        ``seconds[i]``: time from node ``i`` to the nearest place (inf when
        none within ``limit``); ``which[i]``: the position in ``place_nodes``
        of that place (the first one when several share a node; -1 when none).
    """
    csr = _graph(csr)
    n = csr.shape[0]
    lim = _limit(limit)
    place_nodes = _nodes(place_nodes, n, "place_nodes")
    if len(place_nodes) == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64)
    unique, first = np.unique(place_nodes, return_index=True)
    dist, _pred, sources = dijkstra(csr if reversed_graph else reverse(csr), directed=True,
                                    indices=unique, min_only=True, return_predecessors=True,
                                    limit=lim)
    which = np.full(n, -1, np.int64)
    ok = sources >= 0
    which[ok] = first[np.searchsorted(unique, sources[ok])]
    return dist, which


def times_to(csr: sparse.csr_matrix, place_nodes, *, limit: float | None = None,
             reversed_graph: bool = False, columns=None) -> np.ndarray:
    """Matrix places x nodes: seconds from each node to each place.

    ``columns`` (node indices) keeps only those columns, which lets the
    search run in memory-bounded chunks on a large network.
    """
    csr = _graph(csr)
    n = csr.shape[0]
    lim = _limit(limit)
    place_nodes = _nodes(place_nodes, n, "place_nodes")
    cols = None if columns is None else _nodes(columns, n, "columns")
    width = n if cols is None else len(cols)
    out = np.empty((len(place_nodes), width))
    rev = csr if reversed_graph else reverse(csr)
    for part in _chunks(len(place_nodes), n):
        d = np.atleast_2d(dijkstra(rev, directed=True, indices=place_nodes[part], limit=lim))
        out[part] = d if cols is None else d[:, cols]
    return out


def within_limit(csr: sparse.csr_matrix, place_nodes, limit_seconds: float, *,
                 reversed_graph: bool = False) -> sparse.csr_matrix:
    """Sparse boolean matrix places x nodes: node reaches place within ``limit_seconds``.

    Memory stays proportional to the number of (place, node) pairs within the
    limit, whatever the size of the network: one bounded search per place that
    touches only the nodes it reaches (:func:`buurtkaart.bounded.pairs_within`).
    """
    csr = _graph(csr)
    n = csr.shape[0]
    lim = _limit(limit_seconds)
    place_nodes = _nodes(place_nodes, n, "place_nodes")
    rev = csr if reversed_graph else reverse(csr)
    k, node, _t = bounded.pairs_within(rev, place_nodes, lim)
    indptr = np.zeros(len(place_nodes) + 1, np.int64)
    np.cumsum(np.bincount(k, minlength=len(place_nodes)), out=indptr[1:])
    return sparse.csr_matrix((np.ones(len(node), bool), node, indptr),
                             shape=(len(place_nodes), n))


def times_from(csr: sparse.csr_matrix, origin_nodes, target_nodes, *,
               limit: float | None = None) -> np.ndarray:
    """Matrix origins x targets: seconds from each origin to each target (the finder).

    Runs forwards from the origins when there are no more origins than
    targets, else backwards from the targets on the transposed graph; both
    give the time *from* the origin *to* the target, also on directed graphs.
    """
    csr = _graph(csr)
    n = csr.shape[0]
    lim = _limit(limit)
    origin_nodes = _nodes(origin_nodes, n, "origin_nodes")
    target_nodes = _nodes(target_nodes, n, "target_nodes")
    if len(origin_nodes) == 0 or len(target_nodes) == 0:
        return np.full((len(origin_nodes), len(target_nodes)), np.inf)
    if len(origin_nodes) <= len(target_nodes):
        out = np.empty((len(origin_nodes), len(target_nodes)))
        for part in _chunks(len(origin_nodes), n):
            d = np.atleast_2d(dijkstra(csr, directed=True, indices=origin_nodes[part],
                                       limit=lim))
            out[part] = d[:, target_nodes]
        return out
    return times_to(csr, target_nodes, limit=lim, columns=origin_nodes).T


def counts_within(csr: sparse.csr_matrix, place_nodes, limit_seconds: float, *,
                  reversed_graph: bool = False) -> np.ndarray:
    """For every node, how many places it reaches within ``limit_seconds``.

    Each place counts once (two places on one node count twice). Bounded
    searches from the places on the transposed graph, in memory-bounded chunks.
    """
    csr = _graph(csr)
    cover = within_limit(csr, place_nodes, limit_seconds, reversed_graph=reversed_graph)
    return np.asarray(cover.sum(axis=0)).ravel().astype(np.int64)


def reach(csr: sparse.csr_matrix, source_node: int, limit_seconds: float | None = None
          ) -> np.ndarray:
    """Seconds from ``source_node`` outwards to every node (``inf`` beyond the limit).

    Pass :func:`reverse` d ``csr`` for the time from every node *to* ``source_node``.
    """
    csr = _graph(csr)
    node = _nodes([source_node], csr.shape[0], "source_node")[0]
    return dijkstra(csr, directed=True, indices=int(node), limit=_limit(limit_seconds))


def isochrone(graph, csr: sparse.csr_matrix, place_node: int, limit_seconds: float, *,
              buffer_m: float = 30.0):
    """The area from which ``place_node`` is reached within ``limit_seconds``, in WGS84.

    Method: times from every node *to* the place (search on the transposed
    graph). Every street edge ``a -> b`` whose end ``b`` reaches the place in
    time contributes the part of the edge from which ``b`` is reached in time
    (all of it when ``time(b) + edge time <= limit``, else the fraction
    ``(limit - time(b)) / edge time`` ending at ``b``, interpolated along the
    straight line between the nodes). These segments and the reached nodes
    are buffered by ``buffer_m`` metres (the depth of the buildings along a
    street), merged and simplified by ``buffer_m / 3``, all on a local
    equirectangular plane. Every reached node lies at least ``2/3 buffer_m``
    inside the result.

    Returns
    -------
    shapely Polygon or MultiPolygon (lon/lat).
    """
    csr = _graph(csr)
    lim = _limit(limit_seconds)
    return area_within(graph, csr, reach(reverse(csr), place_node, lim), lim,
                       buffer_m=buffer_m)


def area_within(graph, csr: sparse.csr_matrix, t: np.ndarray, limit_seconds: float, *,
                buffer_m: float = 30.0):
    """The area drawn by :func:`isochrone` from ``t``, the seconds from every node to the
    place (inf where not within ``limit_seconds``), however they were found (e.g. by
    public transport)."""
    csr = _graph(csr)
    lim = _limit(limit_seconds)
    if not (isinstance(buffer_m, (int, float)) and buffer_m > 0):
        raise InvalidParameter("buffer_m", "must be a positive number of metres")
    t = np.where(np.asarray(t, float) <= lim, t, np.inf)
    reached = np.flatnonzero(np.isfinite(t))
    if not len(reached):
        return shapely.Polygon()
    lat0 = float(np.mean(graph.lat))
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    x = np.asarray(graph.lon, float) * kx
    y = np.asarray(graph.lat, float) * ky
    coo = csr.tocoo()
    a, b, sec = coo.row, coo.col, coo.data
    use = np.isfinite(t[b])
    a, b, sec = a[use], b[use], sec[use]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(sec > 0, (lim - t[b]) / sec, 1.0)
    frac = np.clip(frac, 0.0, 1.0)
    seg = frac > 0
    a, b, frac = a[seg], b[seg], frac[seg]
    # the segment runs from b back towards a over `frac` of the edge
    start = np.column_stack([x[b] + frac * (x[a] - x[b]), y[b] + frac * (y[a] - y[b])])
    end = np.column_stack([x[b], y[b]])
    parts = [shapely.multipoints(np.column_stack([x[reached], y[reached]]))]
    if len(a):
        coords = np.stack([start, end], axis=1)
        parts.append(shapely.multilinestrings(shapely.linestrings(coords)))
    area = shapely.union_all([shapely.buffer(p, buffer_m, quad_segs=4) for p in parts])
    area = area.simplify(buffer_m / 3)
    return shapely.transform(area, lambda c: c / np.array([kx, ky]))
