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
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .. import network, timing, traveltime
from ..errors import InvalidParameter
from ..i18n import N_, Msg
from ..i18n import gettext as _
from . import arrival, fares, routing, storage, timetable

__all__ = ["TransitOptions", "PARAMETERS", "travel_seconds", "coverage_inputs"]

ACCESS_PROFILES = ("walk", "slow_walk", "wheelchair")
SNAP_METRES = 300.0

#: Request/command parameters of the transit mode, with their help text (``depart``,
#: ``percentile`` and ``min_stay`` apply to every mode: :data:`buurtkaart.timing.PARAMETERS`).
PARAMETERS = {
    **timing.PARAMETERS,
    "max_transfers": N_("Most changes of vehicle for mode=transit (default 3)."),
    "transit_access": N_("How one walks to, from and between stops for mode=transit: walk "
                         "(default), slow_walk or wheelchair."),
    "max_fare": N_("Fare budget for a return trip for mode=transit, e.g. 4.00 (fares v2 of the "
                   "feeds where they have them, else fares v1 with zone fares and "
                   "transfer_duration; a feed without fares is then not used)."),
    "reduced_fare": N_("true: use the feed's reduced fares (where it names them) for max_fare."),
}
#: The parameters that apply to mode=transit only.
TRANSIT_ONLY = tuple(k for k in PARAMETERS if k not in timing.PARAMETERS)


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
    min_stay: float = timing.DEFAULT_MIN_STAY

    def __post_init__(self):
        timetable.parse_depart(self.depart)
        timing.check_common(self.percentile, self.min_stay)
        if isinstance(self.max_transfers, bool) or not isinstance(self.max_transfers, int) \
                or not 0 <= self.max_transfers <= 10:
            raise InvalidParameter("max_transfers", "must be a whole number from 0 to 10")
        if self.max_fare is not None and not (isinstance(self.max_fare, (int, float))
                                              and 0 <= self.max_fare < 1000):
            raise InvalidParameter("max_fare", "must be an amount from 0 to 1000")
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
        out = timing.parse_common(get, {"depart": str(depart)}, (
            ("percentile", "percentile", float), ("max_transfers", "max_transfers", int),
            ("transit_access", "access", str), ("max_fare", "max_fare", float),
            ("reduced_fare", "reduced_fare", _boolean), ("min_stay", "min_stay", float)))
        return cls(**out)

    def describe(self, date: int | None = None) -> str:
        """In the active language (English in the API and on the command line)."""
        d = timetable.parse_depart(self.depart)
        when = self.depart + (" " + _("(on %(date)s)", date=timing.iso(date))
                              if date and d.date is None else "")
        pct = _("median") if self.percentile == 50 else \
            _("%(num)sth percentile", num=f"{self.percentile:g}")
        from ..mapstyle import number_text

        amount = None if self.max_fare is None else number_text(self.max_fare, 2)
        fare = "" if amount is None else ", " + (
            _("reduced fares within %(fare)s return", fare=amount) if self.reduced_fare else
            _("fares within %(fare)s return", fare=amount))
        stay = ", " + _("arriving while open for at least %(minutes)s min",
                        minutes=f"{self.min_stay:g}")
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


@dataclass
class Prepared:
    """The timetable of a question and what routing over it needs."""

    named: list
    depart: timetable.Depart
    date: int
    tt: timetable.Timetable
    max_transfers: int      # after the fare budget (-1: no vehicle at all)
    fare_report: dict | None
    stop_node: np.ndarray   # per stop: its network node
    used: np.ndarray        # stops on the network


def prepare(db, graph: network.Graph, opts: TransitOptions, limit_s: float) -> Prepared:
    named = _feeds(db)
    feeds = [f for _, f in named]
    depart = timetable.parse_depart(opts.depart)
    date = timetable.pick_date(feeds, depart)
    tt = timetable.build(feeds, date, start=depart.start, end=depart.end + int(limit_s))
    max_transfers, fare_report = opts.max_transfers, None
    if opts.max_fare is not None:
        tt, max_transfers, fare_report = fares.apply_budget(
            tt, named, opts.max_fare, opts.max_transfers, opts.reduced_fare,
            journey_seconds=limit_s)
    node, _dist, ok = network.snap(graph, tt.lon, tt.lat, max_distance_m=SNAP_METRES)
    return Prepared(named, depart, date, tt, max_transfers, fare_report, node,
                    np.flatnonzero(ok))


def footpaths(csr, prep: Prepared, opts: TransitOptions):
    """Walking transfers between the stops on the network, within ``transfer_minutes``."""
    snodes = prep.stop_node[prep.used]
    fp = traveltime.times_from(csr, snodes, snodes, limit=opts.transfer_minutes * 60)
    r, c = np.nonzero(np.isfinite(fp))
    return prep.used[r], prep.used[c], np.rint(fp[r, c]).astype(np.int64)


def report(prep: Prepared, opts: TransitOptions) -> dict:
    models = {name: f.fare_model for name, f in prep.named}
    out = {"depart": opts.depart, "date": timing.iso(prep.date),
           "departures": int(len(prep.depart.times())), "percentile": opts.percentile,
           "max_transfers": opts.max_transfers, "access": opts.access,
           "max_walk_minutes": opts.max_walk_minutes,
           "transfer_minutes": opts.transfer_minutes, "min_stay": opts.min_stay,
           "feeds": [n for n, _ in prep.named], "stops_on_network": int(len(prep.used)),
           "stops": int(prep.tt.n_stops),
           "fares": {n: (Msg("fares in feed (fares %(model)s)", model=m) if m
                         else Msg("no fares in feed")) for n, m in models.items()},
           "description": opts.describe(prep.date)}
    if prep.fare_report is not None:
        out["fare_budget"] = prep.fare_report
    return out


def travel_seconds(db, graph: network.Graph, csr, origin_nodes, target_nodes,
                   opts: TransitOptions, limit_s: float, places: list[dict] | None = None,
                   offset: float = 0.0) -> tuple[dict, dict]:
    """Seconds origins x targets by transit or on foot, per percentile (50 and
    ``opts.percentile``), inf beyond ``limit_s``; and a report of what was used.

    ``places`` (the stored records of the targets) give their opening hours: a place counts
    only when one arrives while it is open, for ``opts.min_stay`` (see
    :mod:`.arrival`); without them opening hours are not checked. ``offset``: seconds
    walked before the origins (from a point to its node), included in the times."""
    prep = prepare(db, graph, opts, limit_s)
    tt, used = prep.tt, prep.used
    origin_nodes = np.asarray(origin_nodes, np.int64)
    target_nodes = np.asarray(target_nodes, np.int64)
    walk_s = opts.max_walk_minutes * 60
    n_o, n_t, n_s = len(origin_nodes), len(target_nodes), tt.n_stops
    percentiles = sorted({50.0, float(opts.percentile)})
    direct = traveltime.times_to(csr, target_nodes, columns=origin_nodes, limit=limit_s).T \
        if n_t and n_o else np.full((n_o, n_t), np.inf)
    windows = None
    if places is not None:
        windows = arrival.arrival_windows(places, prep.date, opts.min_stay * 60)
    ride = bool(len(used)) and prep.max_transfers >= 0
    access = sparse.csr_matrix((n_o, n_s))
    egress = sparse.csr_matrix((n_s, n_t))
    walks = None
    if ride and n_o and n_t:
        snodes = prep.stop_node[used]
        acc = traveltime.times_to(csr, snodes, columns=origin_nodes, limit=walk_s).T
        eg = traveltime.times_from(csr, snodes, target_nodes, limit=walk_s)
        access = _sparse(acc, used, axis=1, size=(n_o, n_s))
        egress = _sparse(eg, used, axis=0, size=(n_s, n_t))
        walks = footpaths(csr, prep, opts)
    out = routing.window_summary(tt, access, egress, prep.depart.times(),
                                 percentiles=percentiles,
                                 max_transfers=max(prep.max_transfers, 0), max_seconds=limit_s,
                                 footpaths=walks, direct=direct, windows=windows,
                                 transit=ride, offset=offset)
    return out, report(prep, opts)


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
    times, report = travel_seconds(db, graph, csr, origins, places["node"].to_numpy(np.int64),
                                   opts, limit_s, timing.place_records(db, places["id"]))
    return (*timing.bipartite(times[float(opts.percentile)], places, residents, len(origins),
                              inverse), report)


def minutes(seconds) -> float | None:
    return None if not math.isfinite(seconds) else round(float(seconds) / 60, 1)
