"""Isochrones by public transport: the per-stop profile method gives the same times as one
Connection Scan per origin, and as the independent time-expanded baseline, on the small
hand-made feed of test_transit.py."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from buurtkaart.transit import routing, storage, timetable
from buurtkaart.transit.expanded import ExpandedGraph
from buurtkaart.transit.isochrone import times_to_place

from test_transit import hm, write_feed


def small_timetable(tmp_path, db):
    storage.import_feed(db, write_feed(tmp_path / "test.zip"), name="test")
    tt = timetable.build([f for _, f in storage.load_feeds(db)], 20261201)
    return tt, list(tt.stop_id)


def origins(tt, ids):
    # four imaginary front doors: 2 min from A; 1 min from C and 4 min from B; 3 min from E
    # and 6 from A; 30 s from D (the place's own stop)
    rows = [(0, "A", 120), (1, "C", 60), (1, "B", 240), (2, "E", 180), (2, "A", 360),
            (3, "D", 30)]
    r, s, w = zip(*rows)
    return sparse.csr_matrix((np.array(w, float), (r, [ids.index(x) for x in s])),
                             shape=(4, tt.n_stops))


def test_profiles_equal_a_scan_per_origin_and_the_expanded_baseline(tmp_path, db):
    tt, ids = small_timetable(tmp_path, db)
    tt.change[:] = 0  # the baseline knows no change times
    access = origins(tt, ids)
    target = ids.index("D")                           # the place stands at stop D
    egress = np.full(tt.n_stops, np.inf)
    egress[target] = 0.0
    direct = np.array([np.inf, np.inf, np.inf, 30.0])  # only the last door walks there
    deps = np.arange(hm("07:50"), hm("08:40"), 60)
    ours = times_to_place(tt, access, egress, direct, deps, max_transfers=10,
                          max_seconds=7200)
    eg = sparse.csr_matrix(([1e-9], ([target], [0])), shape=(tt.n_stops, 1))
    scan = routing.travel_times(tt, access, eg, deps, max_transfers=10,
                                max_seconds=7200)[:, :, 0]
    scan = np.minimum(scan, direct[:, None])
    assert np.array_equal(ours, scan)
    te = ExpandedGraph(tt)
    base = np.full_like(ours, np.inf)
    for o in range(4):
        lo, hi = access.indptr[o], access.indptr[o + 1]
        for q, d in enumerate(deps):
            best = d + direct[o]
            for s, w in zip(access.indices[lo:hi], access.data[lo:hi]):
                best = min(best, te.arrivals(int(s), int(d + w))[target])
            base[o, q] = best - d
    base[base > 7200] = np.inf
    assert np.array_equal(ours, base)
    # worked by hand, leaving 07:50: door 0 walks to A (07:52), t1 leaves A 08:00, C 08:20;
    # with no change time t2 leaves C 08:22 and reaches D 08:40: 50 minutes. Leaving 07:59
    # t1 is missed (A at 08:01) and nothing else goes: not within the two hours
    assert ours[0, list(deps).index(hm("07:50"))] == 50 * 60
    assert ours[0, list(deps).index(hm("07:58"))] == 42 * 60
    assert not np.isfinite(ours[0, list(deps).index(hm("07:59"))])
    # door 3 walks 30 s to D
    assert (ours[3] == 30).all()


def test_change_times_and_the_transfer_limit_are_kept(tmp_path, db):
    tt, ids = small_timetable(tmp_path, db)
    access = origins(tt, ids)
    target = ids.index("D")
    egress = np.full(tt.n_stops, np.inf)
    egress[target] = 0.0
    direct = np.full(4, np.inf)
    deps = np.arange(hm("07:50"), hm("08:40"), 60)
    eg = sparse.csr_matrix(([1e-9], ([target], [0])), shape=(tt.n_stops, 1))
    for limit in (0, 1, 3):
        ours = times_to_place(tt, access, egress, direct, deps, max_transfers=limit,
                              max_seconds=3600)
        scan = routing.travel_times(tt, access, eg, deps, max_transfers=limit,
                                    max_seconds=3600)[:, :, 0]
        assert np.array_equal(ours, scan)
    # with the 5-minute change at C, door 0 leaving 07:50 misses t2 and takes t3: D at 08:48
    ours = times_to_place(tt, access, egress, direct, deps, max_transfers=3)
    assert ours[0, list(deps).index(hm("07:50"))] == 58 * 60
