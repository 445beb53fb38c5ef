"""Transit as a travel mode of the accessibility questions (coverage, ranking, finder).

A transit travel time from an origin (a resident's network node, or the
finder's point) to a place is, for every departure minute of the window, the
earliest arrival of: walking all the way, or walking to a stop (at most
``max_walk_minutes``), riding (at most ``max_transfers`` changes, walking
between stops within ``transfer_minutes`` on the street network, or as
``transfers.txt`` says) and walking from a stop to the place; the minutes
count from the departure, waiting included. The window is then summarised
per origin and place as the ``percentile``-th time (50 = the median), as r5py
does. Walking uses the chosen walking profile (``walk``, ``slow_walk`` or
``wheelchair``) on the travel-time engine's network; stops are snapped to it
like places.

The coverage engine works on a graph, so the answer is handed over as one: a
bipartite graph with an edge from every origin to every place it reaches
(its summarised time), on which every coverage measure (shares, medians,
working models, 2SFCA, scenarios) applies unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import sparse

from .. import network, store, traveltime
from ..errors import InvalidParameter
from ..i18n import N_
from ..i18n import gettext as _
from . import arrival, fares, routing, storage, timetable

__all__ = ["TransitOptions", "PARAMETERS", "travel_seconds", "coverage_inputs"]

ACCESS_PROFILES = ("walk", "slow_walk", "wheelchair")
SNAP_METRES = 300.0

#: Request/command parameters of the transit mode, with their help text.
PARAMETERS = {
    "depart": N_("Departure window for mode=transit, e.g. 'tu 18:00-19:00' (one departure "
                 "per minute) or '2019-10-15 07:30-08:30'."),
    "percentile": N_("Which travel time of the window counts for mode=transit: 50 = the "
                     "median (default), 80 = a time reached on 80 % of the departures."),
    "max_transfers": N_("Most changes of vehicle for mode=transit (default 3)."),
    "transit_access": N_("How one walks to, from and between stops for mode=transit: walk "
                         "(default), slow_walk or wheelchair."),
    "max_fare": N_("Fare budget for a return trip for mode=transit, e.g. 4.00 (fares v1 of the "
                   "feeds; a feed without fares is then not used)."),
    "reduced_fare": N_("true: use the feed's reduced fares (where it names them) for max_fare."),
    "min_stay": N_("For mode=transit: a place counts only if one arrives while it is open (or a "
                   "session runs) and can stay this many minutes (e.g. 30)."),
}


@dataclass(frozen=True)
class TransitOptions:
    depart: str
    percentile: float = 50
    max_transfers: int = 3
    access: str = "walk"
    max_walk_minutes: float = 15.0
    transfer_minutes: float = 5.0
    max_fare: float | None = None
    reduced_fare: bool = False
    min_stay: float | None = None

    def __post_init__(self):
        timetable.parse_depart(self.depart)
        if not isinstance(self.percentile, (int, float)) or not 1 <= self.percentile <= 99:
            raise InvalidParameter("percentile", "must be between 1 and 99")
        if isinstance(self.max_transfers, bool) or not isinstance(self.max_transfers, int) \
                or not 0 <= self.max_transfers <= 10:
            raise InvalidParameter("max_transfers", "must be a whole number from 0 to 10")
        if self.max_fare is not None and not (isinstance(self.max_fare, (int, float))
                                              and 0 <= self.max_fare < 1000):
            raise InvalidParameter("max_fare", "must be an amount from 0 to 1000")
        if self.min_stay is not None and not (isinstance(self.min_stay, (int, float))
                                              and 0 <= self.min_stay <= 600):
            raise InvalidParameter("min_stay", "must be from 0 to 600 minutes")
        if self.access not in ACCESS_PROFILES:
            raise InvalidParameter("transit_access", f"must be one of {', '.join(ACCESS_PROFILES)}")

    @classmethod
    def from_params(cls, params) -> "TransitOptions":
        """From request or command parameters (strings); ``depart`` is required."""
        get = (lambda k: params.get(k)) if hasattr(params, "get") else None
        depart = get("depart")
        if not depart:
            raise InvalidParameter("depart", "is required with mode=transit, e.g. "
                                             "'tu 18:00-19:00'")
        out = {"depart": str(depart)}
        for name, key, kind in (("percentile", "percentile", float),
                                ("max_transfers", "max_transfers", int),
                                ("transit_access", "access", str),
                                ("max_fare", "max_fare", float),
                                ("reduced_fare", "reduced_fare", _boolean),
                                ("min_stay", "min_stay", float)):
            raw = get(name)
            if raw in (None, ""):
                continue
            try:
                out[key] = kind(raw)
            except (TypeError, ValueError):
                what = {int: "a whole number", float: "a number", _boolean: "true or false"}
                raise InvalidParameter(name, f"expected {what.get(kind, 'text')}, "
                                             f"got {raw!r}") from None
        return cls(**out)

    def describe(self, date: int | None = None) -> str:
        """In the active language (English in the API and on the command line)."""
        d = timetable.parse_depart(self.depart)
        when = self.depart + (" " + _("(on %(date)s)", date=f"{date // 10000}-"
                                      f"{date // 100 % 100:02d}-{date % 100:02d}")
                              if date and d.date is None else "")
        pct = _("median") if self.percentile == 50 else \
            _("%(num)sth percentile", num=f"{self.percentile:g}")
        fare = "" if self.max_fare is None else ", " + (
            _("reduced fares within %(fare)s return", fare=f"{self.max_fare:.2f}")
            if self.reduced_fare else
            _("fares within %(fare)s return", fare=f"{self.max_fare:.2f}"))
        stay = "" if self.min_stay is None else ", " + _(
            "arriving while open for at least %(minutes)s min", minutes=f"{self.min_stay:g}")
        return _("public transport departing %(when)s, one departure a minute, %(percentile)s "
                 "travel time, at most %(transfers)s transfers", when=when, percentile=pct,
                 transfers=self.max_transfers) + fare + stay


def _boolean(raw) -> bool:
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise ValueError(raw)


def _feeds(db):
    feeds = storage.load_feeds(db)
    if not feeds:
        raise InvalidParameter("mode", "no public transport timetable loaded: run "
                                       "`buurtkaart transit import FEED.zip` first")
    return feeds


def travel_seconds(db, graph: network.Graph, csr, origin_nodes, target_nodes,
                   opts: TransitOptions, limit_s: float, places: list[dict] | None = None
                   ) -> tuple[dict, dict]:
    """Seconds origins x targets by transit or on foot, per percentile (50 and
    ``opts.percentile``), inf beyond ``limit_s``; and a report of what was used.

    ``places`` (the stored records of the targets) are needed for ``opts.min_stay``."""
    named = _feeds(db)
    feeds = [f for _, f in named]
    depart = timetable.parse_depart(opts.depart)
    date = timetable.pick_date(feeds, depart)
    tt = timetable.build(feeds, date, start=depart.start, end=depart.end + int(limit_s))
    max_transfers, fare_report = opts.max_transfers, None
    if opts.max_fare is not None:
        board, max_transfers, fare_report = fares.apply_budget(
            tt, named, opts.max_fare, opts.max_transfers, opts.reduced_fare)
        tt = replace(tt, c_board=board)
    origin_nodes = np.asarray(origin_nodes, np.int64)
    target_nodes = np.asarray(target_nodes, np.int64)
    node, _dist, ok = network.snap(graph, tt.lon, tt.lat, max_distance_m=SNAP_METRES)
    used = np.flatnonzero(ok)
    walk_s = opts.max_walk_minutes * 60
    n_o, n_t, n_s = len(origin_nodes), len(target_nodes), tt.n_stops
    percentiles = sorted({50.0, float(opts.percentile)})
    direct = traveltime.times_to(csr, target_nodes, columns=origin_nodes, limit=limit_s).T \
        if n_t and n_o else np.full((n_o, n_t), np.inf)
    windows = None
    if opts.min_stay is not None and places is not None:
        windows = arrival.arrival_windows(places, date, opts.min_stay * 60)
    ride = bool(len(used)) and max_transfers >= 0
    access = sparse.csr_matrix((n_o, n_s))
    egress = sparse.csr_matrix((n_s, n_t))
    footpaths = None
    if ride and n_o and n_t:
        snodes = node[used]
        acc = traveltime.times_to(csr, snodes, columns=origin_nodes, limit=walk_s).T
        eg = traveltime.times_from(csr, snodes, target_nodes, limit=walk_s)
        fp = traveltime.times_from(csr, snodes, snodes, limit=opts.transfer_minutes * 60)
        access = _sparse(acc, used, axis=1, size=(n_o, n_s))
        egress = _sparse(eg, used, axis=0, size=(n_s, n_t))
        r, c = np.nonzero(np.isfinite(fp))
        footpaths = (used[r], used[c], np.rint(fp[r, c]).astype(np.int64))
    out = routing.window_summary(tt, access, egress, depart.times(), percentiles=percentiles,
                                 max_transfers=max(max_transfers, 0), max_seconds=limit_s,
                                 footpaths=footpaths, direct=direct, windows=windows,
                                 transit=ride)
    priced = {name: f.has_fares for name, f in named}
    report = {"depart": opts.depart, "date": f"{date // 10000}-{date // 100 % 100:02d}-"
                                              f"{date % 100:02d}",
              "departures": int(len(depart.times())), "percentile": opts.percentile,
              "max_transfers": opts.max_transfers, "access": opts.access,
              "max_walk_minutes": opts.max_walk_minutes,
              "transfer_minutes": opts.transfer_minutes,
              "feeds": [n for n, _ in named], "stops_on_network": int(len(used)),
              "stops": int(n_s), "fares": {n: ("fares in feed" if h else "no fares in feed")
                                           for n, h in priced.items()},
              "description": opts.describe(date)}
    if fare_report is not None:
        report["fare_budget"] = fare_report
    return out, report


def _sparse(dense, used, *, axis, size):
    """A dense block over the ``used`` stops as a sparse matrix over all stops (0 s kept)."""
    r, c = np.nonzero(np.isfinite(dense))
    v = np.maximum(dense[r, c], 1e-9)
    if axis == 1:
        return sparse.csr_matrix((v, (r, used[c])), shape=size)
    return sparse.csr_matrix((v, (used[r], c)), shape=size)


def coverage_inputs(db, graph, csr, places: pd.DataFrame, residents: pd.DataFrame,
                    opts: TransitOptions, limit_s: float):
    """``(graph, places, residents, report)`` for :func:`coverage.neighbourhood_coverage`:
    the bipartite origin -> place graph of transit times at ``opts.percentile``."""
    origins, inverse = np.unique(residents["node"].to_numpy(np.int64), return_inverse=True)
    # a proposed place (scenarios; negative id) is taken to be open whenever needed
    records = [store.place(db, int(i)) if int(i) > 0 else {} for i in places["id"]] \
        if opts.min_stay is not None else None
    times, report = travel_seconds(db, graph, csr, origins, places["node"].to_numpy(np.int64),
                                   opts, limit_s, records)
    t = times[float(opts.percentile)]
    r, c = np.nonzero(np.isfinite(t))
    n = len(origins) + len(places)
    bip = sparse.csr_matrix((np.maximum(t[r, c].astype(float), 1e-3), (r, len(origins) + c)),
                            shape=(n, n))
    return (bip, places.assign(node=len(origins) + np.arange(len(places))),
            residents.assign(node=inverse), report)


def minutes(seconds) -> float | None:
    return None if not math.isfinite(seconds) else round(float(seconds) / 60, 1)
