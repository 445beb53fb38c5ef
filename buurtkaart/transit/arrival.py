"""Arrival while open: when one may arrive at a place and still stay ``min_stay`` minutes.

Used by every travel mode once a departure time is given. For the date of the
question, each place gets the intervals (seconds after that date's midnight,
over two days so late windows work) in which one may walk in and still stay
``min_stay`` minutes without a break.

**Waiting rule**: one arriving before a place opens (or a session starts) may
wait at the door, and the wait counts as travel time: the time to a place is
from the departure to the moment one can go in, ``max(arrival, opening)``,
and that must also fall at least ``min_stay`` minutes before closing. So with
a limit of 15 minutes, a place 8 minutes away that opens 5 minutes after one
arrives counts (13 minutes); with a limit of 10 it does not. A place closing
20 minutes after one arrives does not count with ``min_stay`` 30. Opening hours are evaluated at the real date with
:func:`buurtkaart.hours.evaluator` (public holidays, the place's coordinates);
a place without ``opening_hours`` uses the sessions of its activities (a
session running from the arrival for ``min_stay``). A place with neither has
no known times and always counts (``None``); a place never open then gets no
interval and does not count.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import opening_hours

from .. import hours

__all__ = ["arrival_windows", "apply_windows"]


def _merge(spans):
    out = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return out


def _spans(place: dict, day: dt.date) -> list | None:
    midnight = dt.datetime.combine(day, dt.time())
    end = midnight + dt.timedelta(days=2)
    expr = place.get("opening_hours")
    coords = (place.get("lat"), place.get("lon")) if place.get("lat") is not None else None
    if expr:
        spans = []
        ev = hours.evaluator(expr, coords)
        for s, e, state, _ in ev.intervals(midnight, end):  # naive: the place's wall clock
            if state == opening_hours.State.OPEN:
                s = s.replace(tzinfo=None) if s.tzinfo else s
                e = (e.replace(tzinfo=None) if e.tzinfo else e) if e else end
                spans.append(((s - midnight).total_seconds(), (e - midnight).total_seconds()))
        return spans
    sessions = [s for a in place.get("activities") or [] for s in a.get("sessions") or []]
    if not sessions:
        return None
    spans = []
    for k in range(-1, 2):
        d = day + dt.timedelta(days=k)
        for s in sessions:
            if s.occurs_on(d):
                base = k * 86400
                spans.append((base + hours._minutes(s.start) * 60,
                              base + hours._minutes(s.end) * 60))
    return spans


def arrival_windows(places: list[dict], date: int, min_stay_s: float) -> list:
    """Per place: an (k x 2) array of allowed arrival seconds [from, to], or None."""
    day = dt.date(date // 10000, date // 100 % 100, date % 100)
    out = []
    for p in places:
        spans = _spans(p, day)
        if spans is None:
            out.append(None)
            continue
        ok = [(s, e - min_stay_s) for s, e in _merge(spans) if e - s >= min_stay_s]
        out.append(np.array(ok, float).reshape(-1, 2))
    return out


def apply_windows(times: np.ndarray, departures: np.ndarray, windows: list,
                  limit: float | None = None) -> np.ndarray:
    """``times`` (origins x departures x targets, seconds) changed in place to the time
    until one can go in (the waiting rule of this module): inf where no window of the
    target is open at or after the arrival ``departure + time``, or where the wait takes
    the time past ``limit``."""
    for t, win in enumerate(windows):
        if win is None:
            continue
        if len(win) == 0:
            times[:, :, t] = np.inf
            continue
        with np.errstate(invalid="ignore"):
            arrive = departures[None, :] + times[:, :, t].astype(np.float64)
        lo, hi = win[:, 0], win[:, 1]           # disjoint and ascending (merged spans)
        k = np.searchsorted(hi, arrive, side="left")
        ok = (k < len(hi)) & np.isfinite(arrive)
        enter = np.maximum(arrive, lo[np.minimum(k, len(lo) - 1)])
        wait = np.where(ok, enter - departures[None, :], np.inf)
        if limit is not None:
            wait[wait > limit] = np.inf
        times[:, :, t] = wait
    return times
