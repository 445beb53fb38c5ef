"""When one leaves: a departure time for every travel mode, and arrival while open.

Walking, slow walking, wheelchair and cycling times do not depend on the
clock, but whether a place is open when one gets there does. With a
departure window (``depart``, e.g. ``tu 18:00-19:00``: one departure a
minute, the same syntax as public transport) a place counts for a departure
only if one can go in while it is open or a session runs, and stay
``min_stay`` minutes (default 30) before it closes; waiting at the door for
it to open counts as travel time (see :mod:`buurtkaart.transit.arrival`).
The departures of the window are then summarised per origin and place as
the ``percentile``-th time (50 = the median), exactly as for public
transport.

A weekday window is evaluated on the coming date with that weekday (from
today; the date is stated in every answer); a dated window on its date.

**Without** ``depart`` walking and cycling keep answering "at any time":
travel time only, opening hours are not checked, and every answer says so.
Public transport always needs a departure window.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from .errors import InvalidParameter
from .i18n import N_
from .i18n import gettext as _

__all__ = ["Timing", "PARAMETERS", "ANY_TIME", "summarise_fixed", "bipartite",
           "coverage_inputs", "describe", "check_common", "parse_common"]

DEFAULT_MIN_STAY = 30.0

#: Request/command parameters that apply to every mode, with their help text.
PARAMETERS = {
    "depart": N_("When one leaves, for every mode: a window such as 'tu 18:00-19:00' (one "
                 "departure a minute), '2026-12-08 07:30-08:30', or one moment 'tu 18:00'. "
                 "Required for mode=transit. Without it walking and cycling are evaluated at "
                 "any time (travel time only; opening hours are not checked)."),
    "percentile": N_("Which travel time of the departure window counts (needs depart): 50 = "
                     "the median (default), 80 = a time reached on at least 80 in 100 of "
                     "the departures."),
    "min_stay": N_("Needs depart. A place counts only if one can go in while it is open (or a "
                   "session runs) and stay this many minutes before it closes (default 30; 0 "
                   "= open on arrival). Waiting at the door until it opens counts as travel "
                   "time."),
}

#: What is evaluated when no departure time is given (walking and cycling).
ANY_TIME = N_("at any time: no departure time given, so opening hours are not checked")


def check_common(percentile, min_stay) -> None:
    if not isinstance(percentile, (int, float)) or not 1 <= percentile <= 99:
        raise InvalidParameter("percentile", "must be between 1 and 99")
    if not (isinstance(min_stay, (int, float)) and 0 <= min_stay <= 600):
        raise InvalidParameter("min_stay", "must be from 0 to 600 minutes")


def parse_common(get, out: dict, fields) -> dict:
    """Read ``fields`` ``(parameter, key, type)`` from ``get`` into ``out`` (strings are
    converted; a wrong value names its parameter)."""
    for name, key, kind in fields:
        raw = get(name)
        if raw in (None, ""):
            continue
        try:
            out[key] = kind(raw)
        except (TypeError, ValueError):
            what = {int: "a whole number", float: "a number"}.get(kind, "true or false")
            raise InvalidParameter(name, f"expected {what}, got {raw!r}") from None
    return out


def iso(date: int) -> str:
    return f"{date // 10000}-{date // 100 % 100:02d}-{date % 100:02d}"


@dataclass(frozen=True)
class Timing:
    """A departure window for walking, slow walking, wheelchair or cycling."""

    depart: str
    percentile: float = 50
    min_stay: float = DEFAULT_MIN_STAY
    today: int = 0  # YYYYMMDD from which a weekday window's coming date is found

    def __post_init__(self):
        from .transit.timetable import parse_depart

        parse_depart(self.depart)
        check_common(self.percentile, self.min_stay)

    @classmethod
    def from_params(cls, params, today: dt.date) -> "Timing | None":
        """From request or command parameters; None when no ``depart`` is given (then
        ``percentile`` and ``min_stay`` are refused: they need a departure)."""
        get = params.get
        if get("depart") in (None, ""):
            for name in ("percentile", "min_stay"):
                if get(name) not in (None, ""):
                    raise InvalidParameter(name, "needs a departure time (depart), e.g. "
                                                 "'tu 18:00-19:00'")
            return None
        out = parse_common(get, {"depart": str(get("depart"))},
                           (("percentile", "percentile", float), ("min_stay", "min_stay", float)))
        return cls(**out, today=today.year * 10000 + today.month * 100 + today.day)

    @property
    def window(self):
        from .transit.timetable import parse_depart

        return parse_depart(self.depart)

    def date(self) -> int:
        w = self.window
        if w.date is not None:
            return w.date
        t = dt.date(self.today // 10000, self.today // 100 % 100, self.today % 100)
        d = t + dt.timedelta(days=(w.weekday - t.weekday()) % 7)
        return d.year * 10000 + d.month * 100 + d.day

    def describe(self, date: int | None = None) -> str:
        """In the active language (English in the API and on the command line)."""
        return describe(self.depart, self.percentile, self.min_stay,
                        None if self.window.date is not None else
                        (date if date is not None else self.date()))


def describe(depart: str, percentile: float, min_stay: float | None, date: int | None) -> str:
    """``leaving tu 18:00-19:00 (on 2026-12-08), one departure a minute, median travel time,
    arriving while open for at least 30 min``."""
    when = depart + (" " + _("(on %(date)s)", date=iso(date)) if date else "")
    pct = _("median") if percentile == 50 else \
        _("%(num)sth percentile", num=f"{percentile:g}")
    text = _("leaving %(when)s, one departure a minute, %(percentile)s travel time",
             when=when, percentile=pct)
    if min_stay is not None:
        text += ", " + _("arriving while open for at least %(minutes)s min",
                         minutes=f"{min_stay:g}")
    return text


def summarise_fixed(direct: np.ndarray, departures: np.ndarray, windows: list | None,
                    percentiles, limit: float) -> dict[float, np.ndarray]:
    """Per percentile, origins x targets seconds when the travel time ``direct`` does not
    depend on the clock but the targets' opening ``windows`` do (the waiting rule of
    :mod:`~buurtkaart.transit.arrival`); targets without known times keep ``direct``."""
    from .transit.arrival import apply_windows
    from .transit.routing import CHUNK_CELLS, summarise

    direct = np.asarray(direct, np.float32)
    out = {float(p): direct.copy() for p in percentiles}
    timed = [j for j, w in enumerate(windows or []) if w is not None]
    if not timed or direct.size == 0:
        return out
    deps = np.asarray(departures, np.int64)
    sub = direct[:, timed]
    wins = [windows[j] for j in timed]
    step = max(1, CHUNK_CELLS // max(1, len(deps) * len(timed)))
    for lo in range(0, direct.shape[0], step):
        part = np.repeat(sub[lo:lo + step, None, :], len(deps), axis=1)
        part = apply_windows(part, deps, wins, limit)
        for p in out:
            out[p][lo:lo + step, timed] = summarise(part, p)
    return out


def bipartite(t: np.ndarray, places: pd.DataFrame, residents: pd.DataFrame,
              n_origins: int, inverse: np.ndarray):
    """``(graph, places, residents)`` for :func:`coverage.neighbourhood_coverage` from
    origins x places seconds ``t``: an edge from every origin to every place it reaches."""
    r, c = np.nonzero(np.isfinite(t))
    n = n_origins + len(places)
    graph = sparse.csr_matrix((np.maximum(t[r, c].astype(float), 1e-3), (r, n_origins + c)),
                              shape=(n, n))
    return (graph, places.assign(node=n_origins + np.arange(len(places))),
            residents.assign(node=inverse))


def place_records(db, ids) -> list[dict]:
    """The stored records of places (a proposed place, negative id, is taken to be open
    whenever needed)."""
    from . import store

    return [store.place(db, int(i)) if int(i) > 0 else {} for i in ids]


def coverage_inputs(db, csr, places: pd.DataFrame, residents: pd.DataFrame, timing: Timing,
                    limit_s: float):
    """``(graph, places, residents, report)``: like the public transport version, for a
    mode whose travel times do not depend on the clock."""
    from . import traveltime
    from .transit.arrival import arrival_windows

    origins, inverse = np.unique(residents["node"].to_numpy(np.int64), return_inverse=True)
    nodes = places["node"].to_numpy(np.int64)
    direct = traveltime.times_to(csr, nodes, columns=origins, limit=limit_s).T \
        if len(nodes) and len(origins) else np.full((len(origins), len(nodes)), np.inf)
    date = timing.date()
    windows = arrival_windows(place_records(db, places["id"]), date, timing.min_stay * 60)
    t = summarise_fixed(direct, timing.window.times(), windows, [timing.percentile],
                        limit_s)[float(timing.percentile)]
    return (*bipartite(t, places, residents, len(origins), inverse), report(timing, date))


def report(timing: Timing, date: int) -> dict:
    return {"depart": timing.depart, "date": iso(date),
            "departures": int(len(timing.window.times())), "percentile": timing.percentile,
            "min_stay": timing.min_stay, "description": timing.describe(date)}
