"""What a ride costs under the feed's fares v2 (fare_leg_rules, fare_products, ...).

One ride on one vehicle is a *leg*: its route's network (``routes.network_id``
or ``route_networks.txt``), the areas of the stop where one gets on and of the
stop where one gets off (``stop_areas.txt``; a stop is also in the areas of its
parent station) and the timeframe groups in effect at the departure and at the
arrival (``timeframes.txt``: the service runs that day and start_time <= time
< end_time; evaluated at the leg's own times on the date asked about).

- **Matching** as the GTFS reference says. Without a ``rule_priority`` column,
  an empty network or area of a rule matches the legs whose network or areas
  no rule names (``empty = all others``); with it, an empty field matches
  every leg and only the matching rules of the highest priority count. An
  empty timeframe matches any time. When several rules match, each of their
  products is an option: the cheapest is taken.
- **Price of a product**: the cheapest of its rows over every fare medium
  (or the row without medium) for the rider: rows without a rider category
  or of the default category (``is_default_fare_category = 1``) for full
  fares; with reduced fares also the rows of a category whose name
  matches :data:`buurtkaart.transit.fares.REDUCED` (reduced, concession, low
  income, sociaal, korting, verhoogde tegemoetkoming, BIM, OMNIO). A feed
  naming no such category uses full fares and says so.
- **Transfers** (``fare_transfer_rules.txt``) are not modelled as discounts:
  every vehicle pays its own leg (never cheaper than the truth). Where a
  transfer rule's product costs money, each change may cost up to its
  dearest amount on top, and the number of vehicles allowed counts it.

Under a budget a ride may be taken only where its leg fits in the one-way
half of the budget: each trip becomes one copy per kind of boarding (areas
and timeframes of the stop and time where one gets on), on which one gets on
only at stops of that kind and off only where the leg's price fits.
"""

from __future__ import annotations

import numpy as np

from ..i18n import Msg
from .gtfs import Feed
from .timetable import Timetable, _date, _int_date, active_services

__all__ = ["LegPricesV2", "budget_copies", "simplified"]


class LegPricesV2:
    """The cheapest product price of a leg of one feed, for full or reduced fares."""

    def __init__(self, feed: Feed, reduced: bool):
        from .fares import NO_REDUCED, REDUCED

        self.feed, self.notes = feed, []
        cats_default = feed.rc_default
        named = np.array([bool(REDUCED.search(n)) for n in feed.rc_name], bool) & ~cats_default
        if reduced and not named.any():
            self.notes.append(NO_REDUCED)
        cat = feed.fp_category
        ok = cat < 0
        ok[cat >= 0] = cats_default[cat[cat >= 0]] | (reduced & named[cat[cat >= 0]])
        self.product: dict[str, float] = {}
        for pid, amount in zip(feed.fp_id[ok], feed.fp_amount[ok]):
            self.product[pid] = min(float(amount), self.product.get(pid, np.inf))
        self.priority = bool(len(feed.fl_priority)) and bool((feed.fl_priority >= 0).any())
        self.listed_net = set(feed.fl_network[feed.fl_network >= 0].tolist())
        self.listed_from = set(feed.fl_from_area[feed.fl_from_area >= 0].tolist())
        self.listed_to = set(feed.fl_to_area[feed.fl_to_area >= 0].tolist())
        self.rule_price = np.array([self.product.get(p, np.inf) for p in feed.fl_product])
        fee = [self.product.get(p, 0.0) for p in feed.ft_product]
        #: the most a change of vehicle may add to the legs' own prices
        self.transfer_fee = max([0.0, *fee])

    def _area(self, col, listed, areas: frozenset) -> np.ndarray:
        if self.priority:
            return (col < 0) | np.isin(col, list(areas))
        if areas & listed:
            return np.isin(col, list(areas & listed))
        return col < 0

    def __call__(self, net: int, from_areas: frozenset, to_areas: frozenset,
                 from_tf: frozenset, to_tf: frozenset) -> float:
        f = self.feed
        if self.priority:
            m = (f.fl_network < 0) | (f.fl_network == net)
        else:
            m = (f.fl_network == net) if net in self.listed_net else (f.fl_network < 0)
        m &= self._area(f.fl_from_area, self.listed_from, from_areas)
        m &= self._area(f.fl_to_area, self.listed_to, to_areas)
        m &= (f.fl_from_tf == "") | np.isin(f.fl_from_tf, list(from_tf))
        m &= (f.fl_to_tf == "") | np.isin(f.fl_to_tf, list(to_tf))
        if self.priority and m.any():
            m &= f.fl_priority == f.fl_priority[m].max()
        return float(self.rule_price[m].min()) if m.any() else np.inf


def _stop_areas(feed: Feed) -> list[frozenset]:
    """Per stop of the feed: its areas and those of its parent station."""
    own = [set() for _ in range(len(feed.stop_id))]
    for a, s in zip(feed.sa_area.tolist(), feed.sa_stop.tolist()):
        own[s].add(a)
    parent = feed.stop_parent
    return [frozenset(own[s] | (own[parent[s]] if parent[s] >= 0 else set()))
            for s in range(len(own))]


def _timeframes(feed: Feed, date: int, times: np.ndarray) -> list[frozenset]:
    """Per time (seconds after midnight of ``date``, up to 48 h): the timeframe groups
    in effect then."""
    if not len(feed.tf_group):
        return [frozenset()] * len(times)
    import datetime as dt

    days = [date, _int_date(_date(date) + dt.timedelta(days=1))]
    on = np.stack([active_services(feed, d) for d in days])  # (2, services)
    day = np.clip(times // 86400, 0, 1)
    tod = times % 86400
    act = (on[day[:, None], feed.tf_service[None, :]]
           & (feed.tf_start[None, :] <= tod[:, None]) & (tod[:, None] < feed.tf_end[None, :]))
    rows, codes = np.unique(act, axis=0, return_inverse=True)
    sets = [frozenset(feed.tf_group[r].tolist()) for r in rows]
    return [sets[c] for c in codes.ravel()]


def budget_copies(tt: Timetable, conns: np.ndarray, feed: Feed, legs: LegPricesV2,
                  half: float, first_trip: int):
    """The connections ``conns`` (of ``feed``) as copies per trip and kind of boarding: one
    gets on only at that kind and off only where the leg fits in ``half``. Returns the
    copies (dict of arrays), the (price, 0) of the legs allowed and the next free trip."""
    order = np.lexsort((tt.c_dep[conns], tt.c_trip[conns]))
    conns = conns[order]
    empty = {k: np.zeros(0, int) for k in ("idx", "trip", "board", "alight")}
    if not len(conns):
        return empty, set(), first_trip
    areas = _stop_areas(feed)
    area_codes: dict[frozenset, int] = {}
    area_of = np.array([area_codes.setdefault(s, len(area_codes)) for s in areas], np.int64)
    area_sets = list(area_codes)
    dep_tf = _timeframes(feed, tt.date, tt.c_dep[conns].astype(np.int64))
    arr_tf = _timeframes(feed, tt.date, tt.c_arr[conns].astype(np.int64))
    tf_codes: dict[frozenset, int] = {}
    dep_code = np.array([tf_codes.setdefault(s, len(tf_codes)) for s in dep_tf], np.int64)
    arr_code = np.array([tf_codes.setdefault(s, len(tf_codes)) for s in arr_tf], np.int64)
    tf_sets = list(tf_codes)
    n_tf = len(tf_sets)
    fk = area_of[tt.stop[tt.c_from[conns]]] * n_tf + dep_code   # kind of boarding
    tk = area_of[tt.stop[tt.c_to[conns]]] * n_tf + arr_code     # kind of alighting
    net = feed.route_network[tt.c_route[conns]].astype(np.int64)
    trip = tt.c_trip[conns]
    starts = np.flatnonzero(np.r_[True, trip[1:] != trip[:-1]])
    trip_end = np.r_[starts[1:], len(conns)][np.searchsorted(starts, np.arange(len(conns)),
                                                             side="right") - 1]
    # one copy per (trip, kind of boarding), from its first boarding of that kind
    boardable = np.flatnonzero(tt.c_board[conns])
    key = trip[boardable].astype(np.int64) * (fk.max() + 1) + fk[boardable]
    _, first = np.unique(key, return_index=True)
    start = boardable[first]
    n = trip_end[start] - start
    copy = np.repeat(np.arange(len(start)), n)
    idx = np.repeat(start, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    kind = fk[start][copy]
    # price every (network, kind of boarding, kind of alighting) that occurs, once
    n_k = max(fk.max(), tk.max()) + 1
    triple = ((net[idx] + 1) * n_k + kind) * n_k + tk[idx]
    uniq, inv = np.unique(triple, return_inverse=True)
    prices = np.array([legs(int(u // (n_k * n_k)) - 1,
                            area_sets[int(u // n_k % n_k) // n_tf],
                            area_sets[int(u % n_k) // n_tf],
                            tf_sets[int(u // n_k % n_k) % n_tf],
                            tf_sets[int(u % n_k) % n_tf]) for u in uniq])
    price = prices[inv.ravel()] if len(prices) else np.zeros(0)
    fits = price <= half + 1e-9
    board = tt.c_board[conns][idx] & (fk[idx] == kind)
    alight = tt.c_alight[conns][idx] & fits
    used = {(float(p), 0) for p in np.unique(price[alight])}
    ridable = np.bincount(copy, alight, minlength=len(start)) > 0
    keep = ridable[copy]
    renumber = np.cumsum(ridable) - 1 + first_trip
    out = {"idx": conns[idx[keep]], "trip": renumber[copy[keep]],
           "board": board[keep], "alight": alight[keep]}
    return out, used, first_trip + int(ridable.sum())


def simplified(feed: Feed, legs: LegPricesV2) -> list[str]:
    """Notes on how the feed's fares v2 were applied and what was simplified."""
    notes = []
    if len(feed.fare_id):
        notes.append(Msg("the feed also has fares v1: fares v2 are used, as the GTFS reference "
                         "says"))
    if len(feed.tf_group):
        notes.append(Msg("timeframes evaluated at each ride's departure and arrival"))
    if len(feed.ft_type):
        notes.append(Msg("fare_transfer_rules not applied as discounts: every vehicle pays "
                         "its own fare (never cheaper than the truth)"))
    if legs.transfer_fee > 0:
        notes.append(Msg("a change of vehicle may cost up to %(amount)s more",
                         amount=f"{legs.transfer_fee:.2f}"))
    return notes
