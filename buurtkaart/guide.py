"""The printed guide's content: which places can be reached on foot from an address or
from a neighbourhood's residents, how long the walk is, which streets it follows, and
when each place and activity is open in the coming week.

Walks are shortest paths on the registered walking network (:mod:`buurtkaart.access`)
at the ``walk`` profile's speed, counted as the finder counts them
(:func:`buurtkaart.access.minutes_from`): the straight line from the starting point to
its nearest network node, then along the network to the node nearest each place. A
neighbourhood's walks start at its residents' centre: the population-weighted mean of
its population points (:func:`buurtkaart.access.residents`), or the middle of its area
when no population figures are stored.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.sparse.csgraph import dijkstra

from . import access, network, store
from .errors import InvalidParameter
from .filters import Filter
from .hours import closed_for_holiday, evaluator, place_timezone
from .streetnames import EdgeNames, load_or_build

__all__ = ["Stop", "Walks", "walks_from", "residents_centre", "whole_minutes",
           "coming_sessions", "coming_hours", "LIMIT_MINUTES", "MAX_STOPS"]

#: Places within this many minutes on foot are listed.
LIMIT_MINUTES = 20.0
#: At most this many places are printed (the nearest).
MAX_STOPS = 15
#: A street is named in a route when the walk follows it at least this far.
VIA_MIN_METRES = 25.0
MAX_VIA = 4


def whole_minutes(minutes: float) -> int:
    """Minutes as printed: rounded to the nearest whole minute (halves up), at least 1."""
    return max(1, math.floor(minutes + 0.5))


@dataclass
class Stop:
    """A place within walking distance, numbered as on the map."""

    number: int
    place: dict
    minutes: float  # exact, as the finder counts
    metres: float
    via: list[str] = field(default_factory=list)
    path: list[int] = field(default_factory=list)  # graph nodes from the start

    @property
    def whole_minutes(self) -> int:
        return whole_minutes(self.minutes)


@dataclass
class Walks:
    """Everything walked from one starting point."""

    lon: float
    lat: float
    graph: network.Graph
    names: EdgeNames | None
    stops: list[Stop]
    more: int  # places within reach that are not printed (beyond MAX_STOPS)
    limit_minutes: float


def _via(path: list[int], graph: network.Graph, names: EdgeNames | None) -> list[str]:
    if names is None or len(path) < 2:
        return []
    a, b = np.array(path[:-1]), np.array(path[1:])
    dx = (graph.lon[b] - graph.lon[a]) * 111_320.0 * math.cos(math.radians(float(graph.lat[a[0]])))
    metres = np.hypot(dx, (graph.lat[b] - graph.lat[a]) * 110_574.0)
    runs: list[list] = []  # [name, metres] along the walk
    for name, m in zip(names.names_of(a, b), metres):
        if runs and runs[-1][0] == name:
            runs[-1][1] += m
        else:
            runs.append([name, float(m)])
    out: list[str] = []
    for name, m in runs:
        if name and m >= VIA_MIN_METRES and name not in out:
            out.append(name)
    return out[:MAX_VIA]


def _path(pred: np.ndarray, target: int) -> list[int]:
    out = [target]
    while pred[out[-1]] >= 0:
        out.append(int(pred[out[-1]]))
    return out[::-1]


def walks_from(db, lon: float, lat: float, *, limit_minutes: float = LIMIT_MINUTES,
               cache_dir: Path | None = None, max_stops: int = MAX_STOPS) -> Walks:
    """The places reachable on foot from (``lon``, ``lat``) within ``limit_minutes``,
    nearest first, each with its route. A point farther than
    :data:`buurtkaart.access.SNAP_METRES` from the network is an error naming ``lon``."""
    ctx = access.context(db, "walk", cache_dir=cache_dir)
    g = ctx.graph
    node, dist, ok = network.snap(g, lon, lat, max_distance_m=access.SNAP_METRES)
    if not ok[0]:
        raise InvalidParameter("lon", "the point is too far from the walking network")
    mps = ctx.profile.metres_per_second
    limit_m = limit_minutes * 60 * mps
    metres, pred = dijkstra(g.lengths(), indices=int(node[0]), return_predecessors=True,
                            limit=limit_m)
    places, _unsnapped = access.facilities(db, ctx, Filter())
    by_id = {p["id"]: p for p in store.places(db)}
    found = []
    for pid, pnode in zip(places["id"], places["node"]):
        total = float(metres[int(pnode)]) + float(dist[0])
        if np.isfinite(metres[int(pnode)]) and total / mps / 60 <= limit_minutes:
            found.append((total / mps / 60, total, by_id[int(pid)], int(pnode)))
    found.sort(key=lambda f: (f[0], f[2]["name"]))
    names = load_or_build(ctx.pbf, ctx.sha, g, cache_dir=cache_dir)
    stops = []
    for i, (minutes, total, place, pnode) in enumerate(found[:max_stops], start=1):
        path = _path(pred, pnode)
        stops.append(Stop(i, place, minutes, total, _via(path, g, names), path))
    return Walks(lon, lat, g, names, stops, max(0, len(found) - max_stops), limit_minutes)


def residents_centre(db, code: str, *, cache_dir: Path | None = None
                     ) -> tuple[float, float, bool]:
    """(lon, lat, weighted) of where neighbourhood ``code``'s residents live: the
    population-weighted mean of its population points (``weighted``), else the middle
    of its area."""
    hood = store.neighbourhood(db, code)
    try:
        ctx = access.context(db, "walk", cache_dir=cache_dir)
        pts, _report = access.residents(db, ctx, municipality=hood.get("municipality_code"))
    except InvalidParameter:  # no population figures stored
        pts = None
    if pts is not None:
        mine = pts[pts["code"] == code]
        weight = mine["population"].to_numpy(float)
        if len(mine) and weight.sum() > 0:
            return (float(np.average(mine["lon"], weights=weight)),
                    float(np.average(mine["lat"], weights=weight)), True)
    middle = hood["geometry"].representative_point()
    return middle.x, middle.y, False


def _today(place: dict, now: dt.datetime) -> dt.date:
    return now.astimezone(place_timezone(place.get("lat"), place.get("lon"))).date()


def coming_sessions(activity: dict, place: dict, now: dt.datetime
                    ) -> list[tuple[dt.date, str, str]]:
    """The activity's sessions in the seven days from today at the place (in its time
    zone), without those its place's public-holiday closure cancels: (date, start, end)."""
    today = _today(place, now)
    coords = (place["lat"], place["lon"]) if place.get("lat") is not None else None
    out = []
    for k in range(7):
        day = today + dt.timedelta(days=k)
        if closed_for_holiday(place.get("opening_hours"), day, coords=coords):
            continue
        for s in activity.get("sessions") or []:
            if s.occurs_on(day):
                out.append((day, s.start, s.end))
    return sorted(out)


def coming_hours(place: dict, now: dt.datetime) -> list[tuple[dt.date, list[tuple[str, str]]]]:
    """The place's opening hours on each of the seven days from today (in its time zone),
    public holidays and the sun included: (date, [(from, to), ...]); a closed day has
    no times."""
    import opening_hours

    expression = place.get("opening_hours")
    if not expression:
        return []
    today = _today(place, now)
    coords = (place["lat"], place["lon"]) if place.get("lat") is not None else None
    oh = evaluator(expression, coords)
    out = []
    for k in range(7):
        day = today + dt.timedelta(days=k)
        start = dt.datetime.combine(day, dt.time())
        spans = []
        for s, e, state, _comment in oh.intervals(start, start + dt.timedelta(days=1)):
            if state == opening_hours.State.OPEN:
                s, e = s.replace(tzinfo=None), e.replace(tzinfo=None)
                end = "24:00" if e >= start + dt.timedelta(days=1) else e.strftime("%H:%M")
                spans.append((s.strftime("%H:%M"), end))
        out.append((day, spans))
    return out
