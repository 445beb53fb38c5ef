"""Earliest arrival over a timetable: the Connection Scan Algorithm with a transfer limit.

Connection Scan (Dibbelt, Pajor, Strasser & Wagner 2013/2018) walks the
connections of the day once, in order of departure, keeping the earliest
arrival at every stop. It is a single tight loop over integer arrays, which
numba compiles to machine code (``cache=True``: compiled once per machine);
Python never loops over connections.

Transfer limit: labels are kept per number of vehicles used (1 to
``max_transfers + 1``); a trip remembers the fewest vehicles with which it
was boarded, so an arrival is only recorded when it is possible within the
limit. Changing vehicles at a stop takes the stop's change time
(``transfers.txt`` type 2, else ``min_change``); walking links between stops
(``transfers.txt`` and walking transfers within a limit) are taken after
alighting. A trip may be ridden through stops where boarding or alighting is
not allowed.

:func:`travel_times` answers origins x targets for every departure of a
window, with walking access (origin -> stops), egress (stops -> targets) and
the direct walk; :func:`summarise` turns the departures into the median and
a chosen percentile per origin and target, as r5py does (the *p*-th
percentile travel time over the departure minutes; unreachable counts as
longer than any time).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy import sparse

from ..errors import InvalidParameter
from .timetable import Timetable

__all__ = ["travel_times", "summarise", "window_summary", "stop_arrivals", "links_csr",
           "UNREACHED", "CHUNK_CELLS"]

#: Most origin x departure x target cells one chunk of :func:`window_summary` holds (float32).
CHUNK_CELLS = 16_000_000

UNREACHED = np.iinfo(np.int32).max // 2


@njit(cache=True)
def _lower(labels, i, v, touched, n):
    """``labels[i] = min(labels[i], v)``; a first write is recorded in ``touched[n]``.
    Returns the new number of recorded cells."""
    if v < labels[i]:
        if labels[i] == UNREACHED:
            touched[n] = i
            n += 1
        labels[i] = v
    return n


@njit(cache=True)
def _scan(c_from, c_to, c_dep, c_arr, c_trip, c_board, c_alight, change,
          fp_ptr, fp_to, fp_w, acc_stop, acc_sec, t0, t_end, legs, first, best,
          board, veh, trip_legs, touched, trips_touched):
    """One query: fills ``best`` (per stop) with the earliest arrival from ``t0``.

    ``board`` and ``veh`` ((legs + 1) x stops, flat) and ``trip_legs`` must hold their
    initial values (unreached; ``legs + 1``) on entry and hold them again on return:
    only the entries this query touched are reset, not the whole arrays."""
    n_stops = change.shape[0]
    inf = UNREACHED
    n_touched = 0
    n_trips_touched = 0
    best[:] = inf
    for i in range(acc_stop.shape[0]):
        s = acc_stop[i]
        t = t0 + acc_sec[i]
        n_touched = _lower(board, s, t, touched, n_touched)
        if t < best[s]:
            best[s] = t
    for c in range(first, c_dep.shape[0]):
        d = c_dep[c]
        if d > t_end:
            break
        tr = c_trip[c]
        lv = trip_legs[tr]
        if c_board[c]:
            s = c_from[c]
            for k in range(min(lv - 1, legs)):
                if board[k * n_stops + s] <= d:
                    if trip_legs[tr] == legs + 1:
                        trips_touched[n_trips_touched] = tr
                        n_trips_touched += 1
                    lv = k + 1
                    trip_legs[tr] = lv
                    break
        if lv <= legs and c_alight[c]:
            a = c_arr[c]
            s2 = c_to[c]
            at = lv * n_stops + s2
            if a < veh[at]:
                n_touched = _lower(veh, at, a, touched, n_touched)
                if a < best[s2]:
                    best[s2] = a
                n_touched = _lower(board, at, a + change[s2], touched, n_touched)
                for j in range(fp_ptr[s2], fp_ptr[s2 + 1]):
                    u = fp_to[j]
                    w = a + fp_w[j]
                    n_touched = _lower(board, lv * n_stops + u, w, touched, n_touched)
                    if w < best[u]:
                        best[u] = w
    for i in range(n_touched):
        board[touched[i]] = inf
        veh[touched[i]] = inf
    for i in range(n_trips_touched):
        trip_legs[trips_touched[i]] = legs + 1


@njit(cache=True)
def _window(c_from, c_to, c_dep, c_arr, c_trip, c_board, c_alight, n_trips, change,
            fp_ptr, fp_to, fp_w, acc_ptr, acc_stop, acc_sec, eg_ptr, eg_target, eg_w,
            n_targets, departures, max_seconds, legs, out):
    """Every origin x departure: seconds to every target via transit (``out``)."""
    n_stops = change.shape[0]
    best = np.empty(n_stops, np.int64)
    cells = (legs + 1) * n_stops
    board = np.full(cells, UNREACHED, np.int64)
    veh = np.full(cells, UNREACHED, np.int64)
    trip_legs = np.full(max(n_trips, 1), legs + 1, np.int64)
    # every cell is recorded at most once per array (board, veh) per query
    touched = np.empty(2 * cells + n_stops, np.int64)
    trips_touched = np.empty(max(n_trips, 1), np.int64)
    for o in range(acc_ptr.shape[0] - 1):
        a0, a1 = acc_ptr[o], acc_ptr[o + 1]
        for q in range(departures.shape[0]):
            t0 = departures[q]
            first = np.searchsorted(c_dep, t0)
            _scan(c_from, c_to, c_dep, c_arr, c_trip, c_board, c_alight, change,
                  fp_ptr, fp_to, fp_w, acc_stop[a0:a1], acc_sec[a0:a1], t0,
                  t0 + max_seconds, legs, first, best, board, veh, trip_legs, touched,
                  trips_touched)
            row = out[o, q]
            row[:] = np.inf
            for s in range(n_stops):
                if best[s] >= UNREACHED:
                    continue
                for j in range(eg_ptr[s], eg_ptr[s + 1]):
                    v = best[s] + eg_w[j] - t0
                    if v <= max_seconds and v < row[eg_target[j]]:
                        row[eg_target[j]] = v


def links_csr(tt: Timetable, footpaths=None) -> sparse.csr_matrix:
    """Stop x stop walking seconds: ``transfers.txt`` links plus ``footpaths``
    ``(from, to, seconds)`` (e.g. walking transfers within a limit); the
    shorter wins where both give one."""
    f, t, w = (np.asarray(x) for x in tt.links)
    if footpaths is not None:
        f = np.r_[f, footpaths[0]]
        t = np.r_[t, footpaths[1]]
        w = np.r_[w, footpaths[2]]
    keep = f != t
    f, t, w = f[keep], t[keep], np.asarray(w, np.int64)[keep]
    order = np.lexsort((w, t, f))
    f, t, w = f[order], t[order], w[order]
    first = np.r_[True, (f[1:] != f[:-1]) | (t[1:] != t[:-1])] if len(f) else np.zeros(0, bool)
    m = sparse.coo_matrix((w[first] + 0.5, (f[first], t[first])),
                          shape=(tt.n_stops, tt.n_stops)).tocsr()
    m.data -= 0.5  # keeps 0-second links stored
    return m


def _csr(m, rows: int, cols: int, name: str):
    m = sparse.csr_matrix(m)
    if m.shape != (rows, cols):
        raise InvalidParameter(name, f"expected a {rows} x {cols} matrix, got {m.shape}")
    m.sort_indices()
    return (m.indptr.astype(np.int64), m.indices.astype(np.int64),
            np.rint(m.data).astype(np.int64))


def _check(tt, departures, max_transfers, max_seconds):
    if not isinstance(max_transfers, (int, np.integer)) or not 0 <= max_transfers <= 10:
        raise InvalidParameter("max_transfers", "must be a whole number from 0 to 10")
    deps = np.atleast_1d(np.asarray(departures, np.int64))
    if deps.ndim != 1 or len(deps) == 0:
        raise InvalidParameter("depart", "no departure times")
    if not max_seconds > 0:
        raise InvalidParameter("minutes", "must be > 0")
    return deps


def travel_times(tt: Timetable, access, egress, departures, *, max_transfers: int = 3,
                 max_seconds: float = 7200, footpaths=None, links=None) -> np.ndarray:
    """Seconds from each origin to each target, for every departure (float32, inf = not
    within ``max_seconds``), by transit only (add the direct walk yourself).

    Parameters
    ----------
    access:
        Sparse origins x stops: walking seconds from each origin to the stops it reaches
        (explicit zeros count: store them as tiny values or use ``stop_arrivals``).
    egress:
        Sparse stops x targets: walking seconds from each stop to each target.
    departures:
        Departure times, seconds after midnight of ``tt.date``.
    """
    deps = _check(tt, departures, max_transfers, max_seconds)
    links = links if links is not None else links_csr(tt, footpaths)
    fp = _csr(links, tt.n_stops, tt.n_stops, "footpaths")
    acc = _csr(access, sparse.csr_matrix(access).shape[0], tt.n_stops, "access")
    n_targets = sparse.csr_matrix(egress).shape[1]
    eg = _csr(egress, tt.n_stops, n_targets, "egress")
    out = np.empty((len(acc[0]) - 1, len(deps), n_targets), np.float32)
    _window(tt.c_from, tt.c_to, tt.c_dep, tt.c_arr, tt.c_trip, tt.c_board, tt.c_alight,
            tt.n_trips, tt.change.astype(np.int64), *fp, *acc, *eg, n_targets, deps,
            int(max_seconds), int(max_transfers) + 1, out)
    return out


def stop_arrivals(tt: Timetable, origin_stops, departure: int, *, max_transfers: int = 3,
                  max_seconds: float = 86400, footpaths=None) -> np.ndarray:
    """Earliest arrival (seconds after midnight; inf when none) at every stop, leaving
    each of ``origin_stops`` at ``departure``: one row per origin."""
    origin_stops = np.asarray(origin_stops, np.int64)
    n = len(origin_stops)
    # a stop is its own access at 0 s; stored as 1e-9 so the sparse matrix keeps it
    access = sparse.csr_matrix((np.full(n, 1e-9), (np.arange(n), origin_stops)),
                               shape=(n, tt.n_stops))
    egress = sparse.identity(tt.n_stops, format="csr") * 1e-9
    out = travel_times(tt, access, egress, [departure], max_transfers=max_transfers,
                       max_seconds=max_seconds, footpaths=footpaths)[:, 0, :]
    return out.astype(np.float64) + departure


def summarise(times: np.ndarray, percentile: float = 50) -> np.ndarray:
    """The ``percentile``-th travel time over the departures (axis 1), as r5py: the
    smallest time at least ``percentile`` % of the departures achieve (inf when not)."""
    if not 1 <= percentile <= 99:
        raise InvalidParameter("percentile", "must be between 1 and 99")
    k = max(0, int(np.ceil(percentile / 100 * times.shape[1])) - 1)
    return np.partition(times, k, axis=1)[:, k]


def window_summary(tt: Timetable, access, egress, departures, *, percentiles=(50,),
                   max_transfers: int = 3, max_seconds: float = 7200, footpaths=None,
                   direct=None, windows=None, transit: bool = True, offset: float = 0.0
                   ) -> dict[float, np.ndarray]:
    """Per percentile, origins x targets seconds over the departure window (inf: not
    within ``max_seconds`` at that percentile). Origins run in chunks so that at most
    :data:`CHUNK_CELLS` cells are held at once, whatever the window and the targets.

    ``direct`` (origins x targets): seconds without transit (walking all the way),
    taken where quicker; ``windows``: per target the allowed arrival intervals
    (:func:`~buurtkaart.transit.arrival.arrival_windows`); ``transit=False``:
    walking only (e.g. a fare budget that pays for no vehicle); ``offset``: seconds
    before the origins (the walk from a point to its network node), included in the
    answer and in the arrival times."""
    from .arrival import apply_windows

    access = sparse.csr_matrix(access)
    egress = sparse.csr_matrix(egress)
    deps = _check(tt, departures, max_transfers, max_seconds)
    for p in percentiles:
        summarise(np.zeros((1, 1, 1), np.float32), p)  # validates p
    links = links_csr(tt, footpaths)
    n_o, n_t = access.shape[0], egress.shape[1]
    step = max(1, CHUNK_CELLS // max(1, len(deps) * n_t))
    out = {p: np.empty((n_o, n_t), np.float32) for p in percentiles}
    for lo in range(0, n_o, step):
        if transit:
            part = travel_times(tt, access[lo:lo + step], egress, deps,
                                max_transfers=max_transfers, max_seconds=max_seconds,
                                links=links)
        else:
            part = np.full((min(step, n_o - lo), len(deps), n_t), np.inf, np.float32)
        if direct is not None:
            part = np.minimum(part, direct[lo:lo + step, None, :].astype(np.float32))
        if offset:
            part = part + np.float32(offset)
        if windows is not None:
            part = apply_windows(part, deps, windows, max_seconds)
        for p in percentiles:
            out[p][lo:lo + step] = summarise(part, p)
    return out
