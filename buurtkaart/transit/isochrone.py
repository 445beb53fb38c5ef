"""Isochrones by public transport, with the semantics of coverage.

**Definition.** For a departure window (one departure a minute), a limit of
*T* minutes and a percentile *p*, a point lies in the isochrone of a place
when, leaving that point, one reaches the place (walking, riding, walking;
or walking all the way) and can go in (arrival while open, waiting at the
door counted, see :mod:`.arrival`) within *T* minutes in at least *p* % of
the departures: its *p*-th percentile travel time over the window is at most
*T*. With *p* = 50 that is "in at least half the departures"; a higher *p*
draws a smaller, more dependable area. This is exactly the time coverage
counts for a resident at that point.

**Method (exact, not sampled per point).** Leaving a network node at *d*,
one walks ``w(o, s)`` to a stop *s* within the walking limit and boards
there from ``d + w`` on. From a stop, the earliest arrival at the place when
one is there at time *t* only changes at the stop's own departure times, so
for every stop the earliest arrival is routed (Connection Scan,
:func:`.routing.travel_times`) once per departure *D* of that stop in the
window (plus the walking limit): ``F_s(D)``. Then for every node and
departure, ``arrival = min(walk all the way, min_s [d + w + egress(s),
F_s(first D >= d + w)])`` -- the same answer as one Connection Scan from the
node with all its stops as sources, because a journey starts at one stop.
The nodes are those that reach the place on foot within *T* and those
within walking distance of a stop from which the place can be reached in
time. The area is drawn from the node times as for walking
(:func:`buurtkaart.traveltime.area_within`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import sparse

from .. import bounded, timing, traveltime
from . import arrival, reach, routing

__all__ = ["stop_profiles", "times_to_place", "node_times"]


def stop_profiles(tt, stops, egress, first: int, last: int, *, max_transfers: int,
                  max_seconds: float, links) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(ptr, departure, arrival)``: for every stop (CSR over all stops), its departures
    between ``first`` and ``last`` where one may board, and the earliest arrival at the
    target (``egress``: seconds per stop, inf where not walked) leaving the stop then."""
    eg = np.asarray(egress, float)
    ok = np.isfinite(eg)
    egress_m = sparse.csr_matrix((np.maximum(eg[ok], 1e-9), (np.flatnonzero(ok),
                                                             np.zeros(ok.sum(), int))),
                                 shape=(tt.n_stops, 1))
    sel = tt.c_board & (tt.c_dep >= first) & (tt.c_dep <= last)
    counts = np.zeros(tt.n_stops, np.int64)
    deps, arrs = [], []
    for s in np.unique(np.asarray(stops, np.int64)):  # ascending: the pieces follow ptr
        d = np.unique(tt.c_dep[sel & (tt.c_from == s)]).astype(np.int64)
        if not len(d):
            continue
        acc = sparse.csr_matrix(([1e-9], ([0], [s])), shape=(1, tt.n_stops))
        t = routing.travel_times(tt, acc, egress_m, d, max_transfers=max_transfers,
                                 max_seconds=max_seconds, links=links)[0, :, 0]
        counts[s] = len(d)
        deps.append(d)
        arrs.append(d + t.astype(np.float64))
    ptr = np.zeros(tt.n_stops + 1, np.int64)
    np.cumsum(counts, out=ptr[1:])
    cat = (lambda xs, t: np.concatenate(xs).astype(t) if xs else np.zeros(0, t))
    return ptr, cat(deps, np.int64), cat(arrs, np.float64)


@njit(cache=True)
def _combine(acc_ptr, acc_stop, acc_w, eg, dep_ptr, dep_t, dep_arr, departures, direct, out):
    for o in range(acc_ptr.shape[0] - 1):
        for q in range(departures.shape[0]):
            d = departures[q]
            best = d + direct[o]
            for j in range(acc_ptr[o], acc_ptr[o + 1]):
                s = acc_stop[j]
                t = d + acc_w[j]
                v = t + eg[s]
                if v < best:
                    best = v
                lo, hi = dep_ptr[s], dep_ptr[s + 1]
                k = lo + np.searchsorted(dep_t[lo:hi], t)
                if k < hi and dep_arr[k] < best:
                    best = dep_arr[k]
            out[o, q] = best - d


def times_to_place(tt, access, egress, direct, departures, *, max_transfers: int = 3,
                   max_seconds: float = 7200, footpaths=None) -> np.ndarray:
    """Origins x departures: seconds to one target (inf beyond ``max_seconds``), the same
    as :func:`.routing.travel_times` with the direct walk, by per-stop profiles.

    ``access``: sparse origins x stops walking seconds; ``egress``: seconds from each stop
    to the target (inf: not walked); ``direct``: seconds walking all the way per origin."""
    access = sparse.csr_matrix(access)
    access.sort_indices()
    deps = np.atleast_1d(np.asarray(departures, np.int64))
    eg = np.where(np.isfinite(egress), np.rint(np.nan_to_num(egress, posinf=0)), np.inf)
    walk = int(access.data.max()) if access.nnz else 0
    links = routing.links_csr(tt, footpaths)
    used = np.unique(access.indices)
    ptr, dep_t, dep_arr = stop_profiles(tt, used, egress, int(deps.min()),
                                        int(deps.max()) + walk + 1,
                                        max_transfers=max_transfers,
                                        max_seconds=max_seconds, links=links)
    out = np.empty((access.shape[0], len(deps)), np.float64)
    _combine(access.indptr.astype(np.int64), access.indices.astype(np.int64),
             np.rint(access.data).astype(np.float64), eg.astype(np.float64), ptr, dep_t,
             dep_arr, deps, np.asarray(direct, np.float64), out)
    out[out > max_seconds] = np.inf
    return out


def node_times(db, graph, csr, place_node: int, place: dict | None,
               opts: "reach.TransitOptions", limit_s: float) -> tuple[np.ndarray, dict]:
    """Per network node: the ``opts.percentile``-th seconds to the place over the window
    (inf: not within ``limit_s``), and the report of what was used."""
    prep = reach.prepare(db, graph, opts, limit_s)
    tt, used = prep.tt, prep.used
    walk_s = min(opts.max_walk_minutes * 60, limit_s)
    rev = traveltime.reverse(csr)
    direct = traveltime.reach(rev, place_node, limit_s)
    deps = prep.depart.times()
    candidates = np.flatnonzero(np.isfinite(direct))
    acc = sparse.csr_matrix((len(candidates), tt.n_stops))
    egress = np.full(tt.n_stops, np.inf)
    if len(used) and prep.max_transfers >= 0:
        snodes = prep.stop_node[used]
        eg = direct[snodes]
        egress[used] = np.where(eg <= opts.max_walk_minutes * 60, eg, np.inf)
        k, nodes, w = bounded.pairs_within(rev, snodes, walk_s)
        candidates = np.union1d(candidates, nodes)
        row = np.searchsorted(candidates, nodes)
        acc = sparse.csr_matrix((np.maximum(w, 1e-9), (row, used[k])),
                                shape=(len(candidates), tt.n_stops))
    times = np.full(len(direct), np.inf)
    if len(candidates):
        if acc.nnz:
            per = times_to_place(tt, acc, egress, direct[candidates], deps,
                                 max_transfers=max(prep.max_transfers, 0),
                                 max_seconds=limit_s,
                                 footpaths=reach.footpaths(csr, prep, opts))
        else:
            per = np.repeat(direct[candidates][:, None], len(deps), axis=1)
        windows = arrival.arrival_windows([place or {}], prep.date, opts.min_stay * 60)
        per = arrival.apply_windows(per[:, :, None], deps, windows, limit_s)
        times[candidates] = routing.summarise(per.astype(np.float32),
                                              opts.percentile)[:, 0]
    return times, reach.report(prep, opts)


def timed_node_times(csr, place_node: int, place: dict | None, when: "timing.Timing",
                     limit_s: float) -> np.ndarray:
    """The same for a mode whose travel times do not depend on the clock (walking,
    cycling) with a departure window: the opening hours of the place decide."""
    direct = traveltime.reach(traveltime.reverse(csr), place_node, limit_s)
    reached = np.flatnonzero(np.isfinite(direct))
    windows = arrival.arrival_windows([place or {}], when.date(), when.min_stay * 60)
    t = timing.summarise_fixed(direct[reached][:, None], when.window.times(), windows,
                               [when.percentile], limit_s)[float(when.percentile)][:, 0]
    out = np.full(len(direct), np.inf)
    out[reached] = t
    return out
