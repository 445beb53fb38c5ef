"""The connections that run on one date, across every loaded feed.

A *connection* is one vehicle going from one stop to the next: departure stop
and time, arrival stop and time, its trip instance, and whether one may board
(``pickup_type`` != 1) and alight (``drop_off_type`` != 1) there.

- services run on a date by ``calendar.txt`` (weekday and date range) unless
  ``calendar_dates.txt`` removes that date (type 2), and also on dates it adds
  (type 1);
- trips past midnight: a trip of the previous service day with times from
  24:00:00 runs on the date too, 24 h earlier on the date's clock;
- ``frequencies.txt``: a trip listed there is a template; it runs every
  ``headway_secs`` from ``start_time`` (inclusive) to ``end_time``
  (exclusive), each run keeping the template's times relative to its first
  departure;
- stops of several feeds are numbered one after another (``feed`` and
  ``stop`` say where each comes from); ``transfers.txt`` gives per-stop
  change times (type 2, from == to) and walking links between stops
  (from != to, with their ``min_transfer_time``).

Times are seconds after midnight of the date (int32).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from ..errors import InvalidParameter
from .gtfs import Feed

__all__ = ["Timetable", "active_services", "build", "parse_depart", "pick_date", "Depart"]

DAY_NAMES = {"mo": 0, "tu": 1, "we": 2, "th": 3, "fr": 4, "sa": 5, "su": 6,
             "ma": 0, "di": 1, "wo": 2, "do": 3, "vr": 4, "za": 5, "zo": 6}


def _int_date(d: dt.date) -> int:
    return d.year * 10000 + d.month * 100 + d.day


def _date(i: int) -> dt.date:
    return dt.date(i // 10000, i // 100 % 100, i % 100)


def active_services(feed: Feed, date: int) -> np.ndarray:
    """Boolean per service: does it run on ``date`` (YYYYMMDD)?"""
    on = np.zeros(len(feed.service_id), bool)
    wd = _date(date).weekday()
    cal = (feed.cal_start <= date) & (feed.cal_end >= date) & feed.cal_days[:, wd]
    on[feed.cal_service[cal]] = True
    here = feed.exc_date == date
    on[feed.exc_service[here & (feed.exc_type == 2)]] = False
    on[feed.exc_service[here & (feed.exc_type == 1)]] = True
    return on


@dataclass(frozen=True)
class Depart:
    """A departure window: ``weekday`` (0 = Monday) or a fixed ``date``, and seconds."""

    weekday: int | None
    date: int | None
    start: int
    end: int
    step: int = 60
    text: str = ""

    def times(self) -> np.ndarray:
        return np.arange(self.start, self.end, self.step, dtype=np.int64) \
            if self.end > self.start else np.array([self.start], np.int64)


def parse_depart(text: str, step: int = 60) -> Depart:
    """``"tu 18:00-19:00"``, ``"2019-10-15 07:30-08:30"`` or ``"tu 18:00"`` (one moment).

    Day names: English (mo tu we th fr sa su) or Dutch (ma di wo do vr za zo)
    abbreviations; full English names work too. The window includes its start
    and excludes its end: 18:00-19:00 is 60 departures, one per minute.
    """
    m = re.fullmatch(r"\s*(\S+)\s+(\d{1,2}):(\d{2})(?:\s*-\s*(\d{1,2}):(\d{2}))?\s*",
                     str(text or ""))
    if not m:
        raise InvalidParameter("depart", "expected a day and a time window, e.g. "
                                         "'tu 18:00-19:00' or '2019-10-15 07:30-08:30'")
    day, h1, m1, h2, m2 = m.groups()
    weekday = date = None
    key = day.lower()[:2]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
        try:
            date = _int_date(dt.date.fromisoformat(day))
        except ValueError:
            raise InvalidParameter("depart", f"{day} is not a date") from None
    elif key in DAY_NAMES and (len(day) <= 2 or day.lower() in
                               ("monday", "tuesday", "wednesday", "thursday", "friday",
                                "saturday", "sunday")):
        weekday = DAY_NAMES[key]
    else:
        raise InvalidParameter("depart", f"unknown day {day!r} (mo tu we th fr sa su, "
                                         "or a date YYYY-MM-DD)")
    start = int(h1) * 3600 + int(m1) * 60
    end = int(h2) * 3600 + int(m2) * 60 if h2 else start + 1
    if int(m1) > 59 or (m2 and int(m2) > 59) or start > 30 * 3600 or end > 30 * 3600:
        raise InvalidParameter("depart", "times are HH:MM")
    if end <= start:
        raise InvalidParameter("depart", "the window must end after it starts")
    return Depart(weekday, date, start, end, step, str(text).strip())


def pick_date(feeds: list[Feed], depart: Depart) -> int:
    """The date to use: the window's own date, or the date with that weekday within
    the feeds' service period on which the most trips run (a regular day, not a
    holiday)."""
    if depart.date is not None:
        return depart.date
    ranges = [f.date_range() for f in feeds if f.date_range()]
    if not ranges:
        raise InvalidParameter("depart", "no timetable loaded: buurtkaart transit import")
    lo, hi = _date(min(r[0] for r in ranges)), _date(max(r[1] for r in ranges))
    first = lo + dt.timedelta(days=(depart.weekday - lo.weekday()) % 7)
    best, best_n = None, -1
    day = first
    while day <= hi:
        d = _int_date(day)
        n = sum(int(np.sum(active_services(f, d)[f.trip_service])) for f in feeds)
        if n > best_n:
            best, best_n = d, n
        day += dt.timedelta(days=7)
    if best is None:
        raise InvalidParameter("depart", "the loaded timetables have no such day")
    return best


@dataclass
class Timetable:
    """Connections of one date sorted by departure (then arrival), and the stops."""

    date: int
    feed: np.ndarray          # per stop: feed position
    stop: np.ndarray          # per stop: position in its feed
    stop_id: np.ndarray
    stop_name: np.ndarray
    lat: np.ndarray
    lon: np.ndarray
    change: np.ndarray        # per stop: seconds needed to change vehicles there
    links: tuple[np.ndarray, np.ndarray, np.ndarray]  # (from, to, seconds) from transfers.txt
    c_from: np.ndarray
    c_to: np.ndarray
    c_dep: np.ndarray
    c_arr: np.ndarray
    c_trip: np.ndarray
    c_board: np.ndarray
    c_alight: np.ndarray
    c_route: np.ndarray       # route position (within its feed) of each connection
    n_trips: int

    @property
    def n_stops(self) -> int:
        return len(self.stop_id)


def _runs(feed: Feed, trips: np.ndarray, offset: int):
    """(trip, time shift) of every run of ``trips``: frequency templates expanded."""
    freq = np.isin(trips, feed.fq_trip)
    plain = trips[~freq]
    run_trip, run_shift = [plain], [np.full(len(plain), offset, np.int64)]
    if freq.any():
        first_dep = np.full(len(feed.trip_id), -1, np.int64)
        starts = np.r_[True, feed.st_trip[1:] != feed.st_trip[:-1]]
        first_dep[feed.st_trip[starts]] = feed.st_dep[starts]
        rows = np.flatnonzero(np.isin(feed.fq_trip, trips[freq]))
        n = np.maximum(0, -(-(feed.fq_end[rows] - feed.fq_start[rows]) //
                            np.maximum(feed.fq_headway[rows], 1))).astype(np.int64)
        rep = np.repeat(rows, n)
        j = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        begin = feed.fq_start[rep].astype(np.int64) + j * feed.fq_headway[rep]
        run_trip.append(feed.fq_trip[rep])
        run_shift.append(begin - first_dep[feed.fq_trip[rep]] + offset)
    return np.concatenate(run_trip), np.concatenate(run_shift)


def build(feeds: list[Feed], date: int, *, start: int = 0, end: int = 48 * 3600,
          min_change: int = 0) -> Timetable:
    """Connections of ``date`` departing between ``start`` and ``end`` (seconds)."""
    parts, stops = [], []
    stop_base, trip_base = 0, 0
    for fi, feed in enumerate(feeds):
        st_trip = feed.st_trip
        nxt = np.flatnonzero(st_trip[1:] == st_trip[:-1])  # row i -> i + 1 in one trip
        c_trip_tpl = st_trip[nxt]
        order_by_trip = np.argsort(c_trip_tpl, kind="stable")
        bounds = np.searchsorted(c_trip_tpl[order_by_trip], np.arange(len(feed.trip_id) + 1))
        for offset, day in ((0, date), (-86400, _int_date(_date(date) - dt.timedelta(days=1)))):
            on = active_services(feed, day)[feed.trip_service]
            run_trip, run_shift = _runs(feed, np.flatnonzero(on), offset)
            if len(run_trip) == 0:
                continue
            cnt = bounds[run_trip + 1] - bounds[run_trip]
            rep = np.repeat(np.arange(len(run_trip)), cnt)
            k = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            rows = nxt[order_by_trip[bounds[run_trip][rep] + k]]
            dep = feed.st_dep[rows] + run_shift[rep]
            keep = (dep >= start) & (dep <= end)
            rows, rep, dep = rows[keep], rep[keep], dep[keep]
            parts.append(dict(
                c_from=feed.st_stop[rows] + stop_base, c_to=feed.st_stop[rows + 1] + stop_base,
                c_dep=dep, c_arr=feed.st_arr[rows + 1] + run_shift[rep],
                c_trip=rep + trip_base, c_board=feed.st_pickup[rows] != 1,
                c_alight=feed.st_dropoff[rows + 1] != 1,
                c_route=feed.trip_route[feed.st_trip[rows]]))
            trip_base += len(run_trip)
        stops.append((fi, feed, stop_base))
        stop_base += len(feed.stop_id)
    cat = {k: np.concatenate([p[k] for p in parts]) if parts else np.zeros(0, np.int64)
           for k in ("c_from", "c_to", "c_dep", "c_arr", "c_trip", "c_board", "c_alight",
                     "c_route")}
    order = np.lexsort((cat["c_arr"], cat["c_dep"]))
    cat = {k: v[order] for k, v in cat.items()}
    for k in ("c_from", "c_to", "c_dep", "c_arr", "c_trip", "c_route"):
        cat[k] = cat[k].astype(np.int32)
    for k in ("c_board", "c_alight"):
        cat[k] = cat[k].astype(np.bool_)
    change = np.full(stop_base, int(min_change), np.int32)
    lf, lt, lw = [], [], []
    for fi, feed, base in stops:
        same = (feed.tr_from == feed.tr_to) & (feed.tr_type == 2)
        np.maximum.at(change, feed.tr_from[same] + base, feed.tr_seconds[same])
        link = (feed.tr_from != feed.tr_to) & (feed.tr_type != 3)
        lf.append(feed.tr_from[link] + base)
        lt.append(feed.tr_to[link] + base)
        lw.append(feed.tr_seconds[link])
    cc = (lambda xs, dt_: np.concatenate(xs).astype(dt_) if xs else np.zeros(0, dt_))
    return Timetable(
        date=date,
        feed=cc([np.full(len(f.stop_id), fi) for fi, f, _ in stops], np.int32),
        stop=cc([np.arange(len(f.stop_id)) for _, f, _ in stops], np.int32),
        stop_id=cc([f.stop_id for _, f, _ in stops], str),
        stop_name=cc([f.stop_name for _, f, _ in stops], str),
        lat=cc([f.stop_lat for _, f, _ in stops], float),
        lon=cc([f.stop_lon for _, f, _ in stops], float),
        change=change, links=(cc(lf, np.int32), cc(lt, np.int32), cc(lw, np.int32)),
        n_trips=trip_base, **cat)
