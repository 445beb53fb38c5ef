"""A plain time-expanded graph of a timetable, solved with scipy's Dijkstra.

An independent check of :mod:`.routing` (tests and ``bench/bench_transit.py``):
every departure and arrival at a stop is an event node, events at one stop are
chained in time order (waiting), each connection is a ride node pair joined to
the next connection of its trip (staying seated), boarding only where allowed
and alighting only where allowed. Edge weights are time differences, so the
Dijkstra distance from an event is the time that passes; the earliest arrival at
a stop is the earliest event reached there. No transfer limit, no change time.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from .timetable import Timetable

__all__ = ["ExpandedGraph"]

_EPS = 1e-6  # zero-time edges are stored as this (sparse matrices drop zeros)


class ExpandedGraph:
    def __init__(self, tt: Timetable):
        n_c = len(tt.c_dep)
        ev_stop = np.r_[tt.c_from[tt.c_board], tt.c_to[tt.c_alight]].astype(np.int64)
        ev_time = np.r_[tt.c_dep[tt.c_board], tt.c_arr[tt.c_alight]].astype(np.int64)
        # at equal times an arrival comes before a departure: one can step off and on
        kind = np.r_[np.ones(int(tt.c_board.sum())), np.zeros(int(tt.c_alight.sum()))]
        order = np.lexsort((kind, ev_time, ev_stop))
        self.ev_stop, self.ev_time = ev_stop[order], ev_time[order]
        n_ev = len(order)
        pos = np.empty(n_ev, np.int64)
        pos[order] = np.arange(n_ev)
        board_ev = pos[:int(tt.c_board.sum())]
        alight_ev = pos[int(tt.c_board.sum()):]
        start = n_ev + np.arange(n_c)        # ride start node of connection c
        end = n_ev + n_c + np.arange(n_c)    # ride end node
        rows, cols, w = [], [], []

        def edge(a, b, weight):
            rows.append(a)
            cols.append(b)
            w.append(np.maximum(np.asarray(weight, float), _EPS))

        same = self.ev_stop[1:] == self.ev_stop[:-1]
        i = np.flatnonzero(same)
        edge(i, i + 1, self.ev_time[i + 1] - self.ev_time[i])
        edge(start, end, tt.c_arr - tt.c_dep)
        edge(board_ev, start[tt.c_board], np.zeros(len(board_ev)))
        edge(end[tt.c_alight], alight_ev, np.zeros(len(alight_ev)))
        by_trip = np.lexsort((tt.c_dep, tt.c_trip))
        nxt = np.flatnonzero(tt.c_trip[by_trip][1:] == tt.c_trip[by_trip][:-1])
        a, b = by_trip[nxt], by_trip[nxt + 1]
        edge(end[a], start[b], tt.c_dep[b] - tt.c_arr[a])
        n = n_ev + 2 * n_c
        self.graph = sparse.csr_matrix((np.concatenate(w), (np.concatenate(rows),
                                                            np.concatenate(cols))), shape=(n, n))
        self.n_ev, self.n_stops = n_ev, tt.n_stops
        self.first = np.searchsorted(self.ev_stop, np.arange(tt.n_stops + 1))

    def arrivals(self, stop: int, t0: int, horizon: float | None = None) -> np.ndarray:
        """Earliest arrival at every stop leaving ``stop`` at ``t0`` (inf: never, or not
        within ``horizon`` seconds)."""
        lo, hi = self.first[stop], self.first[stop + 1]
        k = lo + np.searchsorted(self.ev_time[lo:hi], t0)
        out = np.full(self.n_stops, np.inf)
        out[stop] = t0
        if k >= hi:
            return out
        limit = np.inf if horizon is None else horizon - (self.ev_time[k] - t0) + 1
        if limit < 0:
            return out
        dist = dijkstra(self.graph, indices=int(k), limit=limit)[:self.n_ev]
        reached = np.isfinite(dist) & ((self.ev_time - t0 <= horizon) if horizon is not None
                                       else True)
        t = self.ev_time[reached]
        np.minimum.at(out, self.ev_stop[reached], t)
        return out
