"""A fare budget for transit journeys, from the feed's fares v1 (fare_attributes, fare_rules).

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

Not evaluated (said in the report, never guessed): fares that depend on zones
(``origin_id``, ``destination_id``, ``contains_id``) and ``transfer_duration``.
A feed **without fares** is not used under a budget (its cost is unknown, not
zero), and the report says so.
"""

from __future__ import annotations

import re

import numpy as np

from .gtfs import Feed
from .timetable import Timetable

__all__ = ["route_prices", "apply_budget", "REDUCED"]

REDUCED = re.compile(r"reduc|concession|korting|sociaal", re.I)


def route_prices(feed: Feed, reduced: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Per route: its fare's price (inf: no fare applies) and that fare's allowed transfers
    (-1 = unlimited); and notes on what was not evaluated."""
    n = len(feed.route_id)
    price, transfers = np.full(n, np.inf), np.full(n, -1, np.int64)
    notes = []
    if not feed.has_fares:
        return price, transfers, notes
    is_reduced = np.array([bool(REDUCED.search(f)) for f in feed.fare_id], bool)
    wanted = is_reduced if reduced else ~is_reduced
    if reduced and not is_reduced.any():
        notes.append("the feed names no reduced fares: full fares are used")
        wanted = ~is_reduced
    zoned = (feed.fr_origin != "") | (feed.fr_destination != "") | (feed.fr_contains != "")
    if zoned.any():
        notes.append("fares that depend on zones are not evaluated")
    if (feed.fare_duration >= 0).any():
        notes.append("transfer_duration is not evaluated")
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
        transfers[routes[better]] = feed.fare_transfers[fare]
    if reduced and is_reduced.any():  # routes without a reduced fare pay the full fare
        missing = ~np.isfinite(price)
        full_p, full_t, _ = route_prices(feed, False)
        price[missing], transfers[missing] = full_p[missing], full_t[missing]
    return price, transfers, notes


def apply_budget(tt: Timetable, feeds: list[tuple[str, Feed]], max_fare: float,
                 max_transfers: int, reduced: bool = False):
    """``(board, max_transfers, report)``: which connections may be boarded within half of
    ``max_fare``, how many transfers that leaves (-1: none, walking only), and notes."""
    half = max_fare / 2
    board = tt.c_board.copy()
    conn_feed = tt.feed[tt.c_from]
    dearest, allowed = 0.0, None
    report = {"max_fare": max_fare, "one_way_budget": half, "reduced": reduced, "feeds": {}}
    for fi, (name, feed) in enumerate(feeds):
        price, transfers, notes = route_prices(feed, reduced)
        mine = conn_feed == fi
        if not feed.has_fares:
            board[mine] = False
            report["feeds"][name] = "no fares in this feed: its lines are not used under a " \
                                    "fare budget"
            continue
        ok = price <= half + 1e-9
        board[mine] &= ok[tt.c_route[mine]]
        used = np.flatnonzero(ok & np.isin(np.arange(len(price)), tt.c_route[mine]))
        if len(used):
            dearest = max(dearest, float(price[used].max()))
            t = transfers[used]
            per = np.inf if (t < 0).any() else float(t.min() + 1)  # vehicles per fare
            allowed = per if allowed is None else min(allowed, per)
        report["feeds"][name] = "; ".join(["fares applied"] + notes)
    legs = max_transfers + 1
    if dearest > 0 and allowed is not None:
        # l vehicles cost dearest * ceil(l / allowed) <= half
        fares_affordable = int(np.floor(half / dearest + 1e-9))
        legs = min(legs, fares_affordable * allowed if np.isfinite(allowed) else legs)
    if not board.any():
        legs = 0
    report["max_vehicles"] = int(legs)
    return board, int(legs) - 1, report
