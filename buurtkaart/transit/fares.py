"""A fare budget for transit journeys, from the feed's fares v1 (fare_attributes, fare_rules)
or fares v2 (:mod:`buurtkaart.transit.fares_v2`; a feed with both uses v2, as the GTFS
reference says).

The budget is for a **return trip**: a one-way journey may cost at most half
of it (the way back is assumed to cost the same). What a journey costs:

- each route's fare is the cheapest fare that applies to it: a fare whose
  rules name the route, or a fare without any rule (it applies to every
  route of its feed). Fares named as reduced (their ``fare_id`` contains
  ``reduced``, ``reduc``, ``concession``, ``korting`` or ``sociaal``) are
  used instead of the full fares when reduced fares are asked for, and never
  otherwise;
- a journey of *l* vehicles pays the dearest fare among the routes it may use
  once per ``transfers + 1`` vehicles (``transfers`` of fare_attributes: 0,
  1, 2, or empty = unlimited);
- so a budget allows only routes whose fare fits in half of it, and at most
  as many vehicles as that dearest fare allows.

- **zone fares** (``fare_rules`` with ``origin_id``, ``destination_id``,
  ``contains_id`` against the stops' ``zone_id``): a ride on one vehicle from
  a stop in zone *o* to a stop in zone *d*, passing through the zones *P*
  (those of every stop from where one got on, counted from the first stop of
  zone *o* on that trip, to where one gets off), pays the cheapest fare with a
  rule whose route (or none), origin (or none) and destination (or none)
  match; a fare with ``contains_id`` rules applies only when *P* is exactly
  its set of contained zones. Under a budget one may get off only where the
  ride so far fits (each trip is split into one copy per zone of boarding);
- **transfer_duration**: the transfers a fare allows count only when the whole
  journey (at most the question's time limit) fits within it, since every
  change happens within that limit after setting off; when the limit is
  longer, each vehicle pays (never cheaper than the truth).

A feed **without fares** is not used under a budget (its cost is unknown, not
zero), and the report says so.
"""

from __future__ import annotations

import re

from dataclasses import replace

import numpy as np

from ..i18n import Msg, MsgList
from . import fares_v2
from .gtfs import Feed
from .timetable import Timetable

__all__ = ["route_prices", "apply_budget", "REDUCED", "NO_REDUCED"]

#: Names of reduced fares (fares v1: the fare_id; fares v2: the rider category).
REDUCED = re.compile(r"reduc|concession|low[ _-]?income|korting|sociaal|"
                     r"verhoogde[ _-]?tegemoetkoming|\bbim\b|omnio", re.I)

# The notes of the fare report are messages (see :class:`buurtkaart.i18n.Msg`): plain English
# on the command line and in the JSON API, in the page's language on the pages.
NO_REDUCED = Msg("the feed names no reduced fares: full fares are used")


def _transfers(feed: Feed, journey_seconds: float | None) -> np.ndarray:
    """Per fare: the transfers it allows for a journey of at most ``journey_seconds``
    (-1 = unlimited; 0 where its transfer_duration may run out first)."""
    t = feed.fare_transfers.astype(np.int64)
    if journey_seconds is None:
        return t
    short = (feed.fare_duration >= 0) & (feed.fare_duration < journey_seconds)
    return np.where(short, 0, t)


def _wanted(feed: Feed, reduced: bool) -> tuple[np.ndarray, list[str]]:
    is_reduced = np.array([bool(REDUCED.search(f)) for f in feed.fare_id], bool)
    if reduced and not is_reduced.any():
        return ~is_reduced, [NO_REDUCED]
    return (is_reduced if reduced else ~is_reduced), []


def route_prices(feed: Feed, reduced: bool = False, journey_seconds: float | None = None
                 ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per route: its fare's price (inf: no fare applies) and that fare's allowed transfers
    (-1 = unlimited), zone fares left out (see :func:`leg_price`); and notes."""
    n = len(feed.route_id)
    price, transfers = np.full(n, np.inf), np.full(n, -1, np.int64)
    notes = []
    if not feed.has_fares:
        return price, transfers, notes
    is_reduced = np.array([bool(REDUCED.search(f)) for f in feed.fare_id], bool)
    wanted, notes = _wanted(feed, reduced)
    fare_transfers = _transfers(feed, journey_seconds)
    zoned = _zoned(feed)
    ruled = np.zeros(len(feed.fare_id), bool)
    ruled[feed.fr_fare] = True
    candidates = []  # (fare, route or -1 for every route)
    for f in np.flatnonzero(wanted & ~ruled):
        candidates.append((f, -1))
    for fare, route, z in zip(feed.fr_fare, feed.fr_route, zoned):
        if wanted[fare] and not z:
            candidates.append((fare, route))
    for fare, route in candidates:
        routes = np.arange(n) if route < 0 else np.array([route])
        better = feed.fare_price[fare] < price[routes]
        price[routes[better]] = feed.fare_price[fare]
        transfers[routes[better]] = fare_transfers[fare]
    if reduced and is_reduced.any():  # routes without a reduced fare pay the full fare
        missing = ~np.isfinite(price)
        full_p, full_t, _ = route_prices(feed, False, journey_seconds)
        price[missing], transfers[missing] = full_p[missing], full_t[missing]
    return price, transfers, notes


def _zoned(feed: Feed) -> np.ndarray:
    return (feed.fr_origin != "") | (feed.fr_destination != "") | (feed.fr_contains != "")


class LegPrices:
    """The cheapest fare of one ride on one vehicle (route, zone of boarding, zone of
    alighting, zones passed), with the transfers it allows."""

    def __init__(self, feed: Feed, reduced: bool, journey_seconds: float | None):
        self.route_price, self.route_transfers, self.notes = route_prices(
            feed, reduced, journey_seconds)
        wanted, _ = _wanted(feed, reduced)
        transfers = _transfers(feed, journey_seconds)
        zoned_fares = set(feed.fr_fare[_zoned(feed)].tolist())
        self.fares = []  # (price, transfers, rule rows of the fare)
        for f in sorted(zoned_fares):
            if wanted[f]:
                rows = np.flatnonzero(feed.fr_fare == f)
                self.fares.append((float(feed.fare_price[f]), int(transfers[f]), rows))
        self.feed = feed
        self._cache: dict = {}

    def __call__(self, route: int, zo: str, zd: str, passed: frozenset) -> tuple[float, int]:
        key = (route, zo, zd, passed)
        if key in self._cache:
            return self._cache[key]
        f = self.feed
        best = (float(self.route_price[route]), int(self.route_transfers[route]))
        for price, transfers, rows in self.fares:
            if price >= best[0]:
                continue
            rows = rows[(f.fr_route[rows] < 0) | (f.fr_route[rows] == route)]
            contains = set(f.fr_contains[rows].tolist()) - {""}
            if contains and contains != passed:
                continue
            if any((f.fr_origin[j] in ("", zo)) and (f.fr_destination[j] in ("", zd))
                   for j in rows):
                best = (price, transfers)
        self._cache[key] = best
        return best


def _zone_copies(tt: Timetable, conns: np.ndarray, feed: Feed, legs: LegPrices, half: float,
                 first_trip: int):
    """Connections of a zone-fare feed as copies per trip and zone of boarding: one gets on
    only in that zone and off only where the ride so far fits in ``half``. Returns the
    copied connections (dict of arrays), the (price, transfers) of the rides allowed, and
    the next free trip number."""
    zone = feed.stop_zone[tt.stop[tt.c_from[conns]]]
    zone_to = feed.stop_zone[tt.stop[tt.c_to[conns]]]
    order = np.lexsort((tt.c_dep[conns], tt.c_trip[conns]))
    conns, zone, zone_to = conns[order], zone[order], zone_to[order]
    bounds = np.flatnonzero(np.r_[True, tt.c_trip[conns][1:] != tt.c_trip[conns][:-1], True])
    out = {k: [] for k in ("idx", "trip", "board", "alight")}
    used, trip = set(), first_trip
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        route = int(tt.c_route[conns[lo]])
        seen = set()
        for k in range(lo, hi):
            zo = zone[k]
            if zo in seen or not tt.c_board[conns[k]]:
                continue
            seen.add(zo)
            passed = {zo}
            board, alight = [], []
            for j in range(k, hi):
                c = conns[j]
                passed.add(zone_to[j])
                price, transfers = legs(route, zo, zone_to[j], frozenset(passed))
                fits = price <= half + 1e-9
                board.append(bool(tt.c_board[c]) and zone[j] == zo)
                alight.append(bool(tt.c_alight[c]) and fits)
                if fits and tt.c_alight[c]:
                    used.add((price, transfers))
            if any(alight):
                out["idx"].append(conns[k:hi])
                out["trip"].append(np.full(hi - k, trip))
                out["board"].append(np.array(board))
                out["alight"].append(np.array(alight))
                trip += 1
    cat = {k: (np.concatenate(v) if v else np.zeros(0, int)) for k, v in out.items()}
    return cat, used, trip


def _rebuild(tt: Timetable, keep: np.ndarray, board: np.ndarray, copies: list, n_trips: int
             ) -> Timetable:
    idx = np.concatenate([np.flatnonzero(keep)] + [c["idx"] for c in copies]).astype(np.int64)
    trip = np.concatenate([tt.c_trip[keep]] + [c["trip"] for c in copies])
    b = np.concatenate([board[keep]] + [c["board"] for c in copies]).astype(bool)
    al = np.concatenate([tt.c_alight[keep]] + [c["alight"] for c in copies]).astype(bool)
    order = np.lexsort((tt.c_arr[idx], tt.c_dep[idx]))
    idx, trip, b, al = idx[order], trip[order], b[order], al[order]
    return replace(tt, c_from=tt.c_from[idx], c_to=tt.c_to[idx], c_dep=tt.c_dep[idx],
                   c_arr=tt.c_arr[idx], c_trip=trip.astype(np.int32), c_board=b,
                   c_alight=al, c_route=tt.c_route[idx], n_trips=int(n_trips))


def apply_budget(tt: Timetable, feeds: list[tuple[str, Feed]], max_fare: float,
                 max_transfers: int, reduced: bool = False,
                 journey_seconds: float | None = None):
    """``(timetable, max_transfers, report)``: the connections that may be ridden within
    half of ``max_fare`` (zone-fare feeds as copies per zone of boarding), how many
    transfers that leaves (-1: none, walking only), and notes. ``journey_seconds``: the
    longest journey asked about (for ``transfer_duration``; None: not limited)."""
    half = max_fare / 2
    board = tt.c_board.copy()
    keep = np.ones(len(board), bool)
    conn_feed = tt.feed[tt.c_from]
    used, copies, next_trip, fee = set(), [], tt.n_trips, 0.0
    report = {"max_fare": max_fare, "one_way_budget": half, "reduced": reduced, "feeds": {},
              "fare_models": {}}
    for fi, (name, feed) in enumerate(feeds):
        mine = conn_feed == fi
        report["fare_models"][name] = feed.fare_model
        if not feed.has_fares:
            board[mine] = False
            report["feeds"][name] = Msg("no fares in this feed: its lines are not used under "
                                        "a fare budget")
            continue
        if feed.fare_model == "v2":
            legs = fares_v2.LegPricesV2(feed, reduced)
            part, rides, next_trip = fares_v2.budget_copies(tt, np.flatnonzero(mine), feed,
                                                            legs, half, next_trip)
            keep[mine] = False
            copies.append(part)
            used |= rides
            fee = max(fee, legs.transfer_fee)
            report["feeds"][name] = MsgList([Msg("fares v2 applied"), *legs.notes,
                                             *fares_v2.simplified(feed, legs)], sep="; ")
            continue
        legs = LegPrices(feed, reduced, journey_seconds)
        notes = list(legs.notes)
        if (feed.fare_duration >= 0).any():
            notes.append(Msg("transfer_duration applied") if journey_seconds is None else
                         Msg("transfer_duration applied for journeys up to %(minutes)s min",
                             minutes=f"{journey_seconds / 60:g}"))
        if _zoned(feed).any():
            part, rides, next_trip = _zone_copies(tt, np.flatnonzero(mine), feed, legs, half,
                                                  next_trip)
            keep[mine] = False
            copies.append(part)
            used |= rides
            notes.append(Msg("zone fares applied"))
        else:
            ok = legs.route_price <= half + 1e-9
            board[mine] &= ok[tt.c_route[mine]]
            routes = np.flatnonzero(ok & np.isin(np.arange(len(ok)), tt.c_route[mine]))
            used |= set(zip(legs.route_price[routes].tolist(),
                            legs.route_transfers[routes].tolist()))
        report["feeds"][name] = MsgList([Msg("fares applied"), *notes, Msg("fares v1")],
                                        sep="; ")
    legs_max = max_transfers + 1
    if used:
        dearest = max(p for p, _ in used)
        # vehicles one fare covers: the most restrictive of the fares that may be used
        allowed = min(np.inf if t < 0 else t + 1 for _, t in used)
        if dearest > 0:  # l vehicles cost dearest * ceil(l / allowed) <= half
            affordable = int(np.floor(half / dearest + 1e-9))
            legs_max = min(legs_max, affordable * allowed if np.isfinite(allowed) else legs_max)
        if fee > 0:  # l vehicles and l - 1 changes: l * dearest + (l - 1) * fee <= half
            legs_max = min(legs_max, int(np.floor((half + fee) / (dearest + fee) + 1e-9)))
    out = _rebuild(tt, keep, board, copies, next_trip)
    if not (out.c_board.any() and out.c_alight.any()):
        legs_max = 0
    report["max_vehicles"] = int(legs_max)
    return out, int(legs_max) - 1, report
