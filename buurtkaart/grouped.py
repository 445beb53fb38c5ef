"""Per-neighbourhood sums, weighted means and weighted medians in one pass (numba).

The coverage table sums population-weighted values per neighbourhood. Doing
that with a boolean mask per neighbourhood costs O(points) each (quadratic in
all); here the points are sorted by neighbourhood once (stable) and every
neighbourhood is a contiguous slice.

The sums reproduce numpy's own summation exactly (:func:`np_sum`: the same
pairwise scheme with 8 accumulators and blocks of 128 that ``ndarray.sum``
uses), so every number equals what ``w[mask].sum()`` and ``np.average`` give
on the same slice, bit for bit; the tests check this against numpy.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

__all__ = ["np_sum", "segment_stats", "segment_stats_threaded", "bit_sums"]


@njit(cache=True, nogil=True)
def _block(a, lo, n):
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
    r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
    i = 8
    stop = n - (n % 8)
    while i < stop:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True, nogil=True)
def _pairwise(a, lo, n):
    """numpy's pairwise sum of ``a[lo:lo+n]``: blocks of at most 128 summed with 8
    accumulators, halves (rounded down to a multiple of 8) added recursively; here
    with an explicit stack (numba cannot cache recursive functions)."""
    if n <= 128:
        return _block(a, lo, n)
    st_lo = np.empty(256, np.int64)
    st_n = np.empty(256, np.int64)
    st_k = np.empty(256, np.int64)
    vals = np.empty(256)
    top, vtop = 1, 0
    st_lo[0], st_n[0], st_k[0] = lo, n, 0
    while top > 0:
        top -= 1
        s_lo, s_n, s_k = st_lo[top], st_n[top], st_k[top]
        if s_n <= 128:
            vals[vtop] = _block(a, s_lo, s_n)
            vtop += 1
        elif s_k == 1:  # both halves done: combine
            vals[vtop - 2] = vals[vtop - 2] + vals[vtop - 1]
            vtop -= 1
        else:
            n2 = s_n // 2
            n2 -= n2 % 8
            st_lo[top], st_n[top], st_k[top] = s_lo, s_n, 1
            st_lo[top + 1], st_n[top + 1], st_k[top + 1] = s_lo + n2, s_n - n2, 0
            st_lo[top + 2], st_n[top + 2], st_k[top + 2] = s_lo, n2, 0
            top += 3
    return vals[0]


@njit(cache=True, nogil=True)
def np_sum(a):
    """``a.sum()`` for a 1-d float64 array, computed the way numpy does."""
    return 0.0 + _pairwise(a, 0, len(a))


@njit(cache=True, nogil=True)
def _msum(values, mask, buf):
    m = 0
    for i in range(len(values)):
        if mask[i]:
            buf[m] = values[i]
            m += 1
    return 0.0 + _pairwise(buf, 0, m)


@njit(cache=True, nogil=True)
def _median(values, weights):
    """Lower weighted median (``nan`` without weight), as coverage._weighted_median."""
    if len(values) == 0 or np_sum(weights) <= 0:
        return np.nan
    order = np.argsort(values, kind="mergesort")
    cum = np.cumsum(weights[order])
    half = 0.5 * cum[-1]
    k = np.searchsorted(cum, half)
    return values[order[k]]


@njit(cache=True, nogil=True)
def segment_stats(bounds, w, t, mc, fca, limits):
    """Per slice ``bounds[i]:bounds[i+1]`` of points (weights ``w``, seconds ``t``,
    models reached ``mc``, 2SFCA ``fca`` or empty): columns of

    total, reach_weight, mean_seconds (sum(t*w)/sum(w) over finite t), median_seconds,
    unreachable, one share per entry of ``limits`` (weight with t <= limit / total),
    models median, models mean, fca mean.
    """
    k = len(bounds) - 1
    out = np.full((k, 8 + len(limits)), np.nan)
    buf = np.empty(max(1, np.max(np.diff(bounds)) if k else 1))
    prod = np.empty_like(buf)
    for g in range(k):
        lo, hi = bounds[g], bounds[g + 1]
        ww, tt, cc = w[lo:hi], t[lo:hi], mc[lo:hi]
        total = np_sum(ww)
        reach = np.isfinite(tt)
        rw = _msum(ww, reach, buf)
        out[g, 0] = total
        out[g, 1] = rw
        if reach.any() and rw > 0:
            m = 0
            for i in range(len(tt)):
                if reach[i]:
                    prod[m] = tt[i] * ww[i]
                    m += 1
            out[g, 2] = (0.0 + _pairwise(prod, 0, m)) / rw
        out[g, 3] = _median(tt, ww)
        out[g, 4] = _msum(ww, ~reach, buf)
        j = 5 + len(limits)
        if total:
            for q in range(len(limits)):
                out[g, 5 + q] = _msum(ww, tt <= limits[q], buf) / total
            out[g, j] = _median(cc, ww)
            out[g, j + 1] = np_sum(cc * ww) / total
            if len(fca):
                out[g, j + 2] = np_sum(fca[lo:hi] * ww) / total
    return out


def segment_stats_threaded(bounds, w, t, mc, fca, limits, threads: int = 2):
    """:func:`segment_stats` with the slices split over ``threads`` threads (same rows)."""
    k = len(bounds) - 1
    if threads < 2 or k < 2 * threads:
        return segment_stats(bounds, w, t, mc, fca, limits)
    cuts = np.searchsorted(bounds, np.linspace(0, bounds[-1], threads + 1)[1:-1])
    edges = [0, *sorted(set(int(c) for c in cuts if 0 < c < k)), k]
    with ThreadPoolExecutor(threads) as pool:
        parts = list(pool.map(lambda ab: segment_stats(bounds[ab[0]:ab[1] + 1], w, t, mc, fca,
                                                       limits), zip(edges, edges[1:])))
    return np.concatenate(parts)


@njit(cache=True, nogil=True)
def bit_sums(groups, weights, bits, k, nbits):
    """``np.bincount(groups, weights)`` and, for each bit ``j``, ``np.bincount(groups,
    weights * bit_j)``, added in the same order (point by point), in one pass."""
    total = np.zeros(k)
    out = np.zeros((nbits, k))
    for i in range(len(groups)):
        g = groups[i]
        w = weights[i]
        total[g] += w
        b = bits[i]
        for j in range(nbits):
            out[j, g] += w * ((b >> j) & 1)
    return total, out
