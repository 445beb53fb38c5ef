"""Arrival while open: when one may arrive at a place and still stay ``min_stay`` minutes.

For the date of a transit question, each place gets the intervals (seconds
after that date's midnight, over two days so late windows work) in which an
arrival counts: the place is open from the arrival for at least ``min_stay``
without a break. Opening hours are evaluated at the real date with
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


def apply_windows(times: np.ndarray, departures: np.ndarray, windows: list) -> np.ndarray:
    """``times`` (origins x departures x targets, seconds) with inf where the arrival
    ``departure + time`` falls outside the target's windows."""
    for t, win in enumerate(windows):
        if win is None:
            continue
        arrive = departures[None, :] + times[:, :, t]
        ok = np.zeros(arrive.shape, bool)
        for lo, hi in win:
            ok |= (arrive >= lo) & (arrive <= hi)
        times[:, :, t] = np.where(ok, times[:, :, t], np.inf)
    return times
