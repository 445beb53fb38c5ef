"""The timetable files of a GTFS feed: stop_times (streamed), transfers, frequencies, fares v1.

Helpers of :mod:`buurtkaart.transit.gtfs`; each adds arrays to the feed's
dictionary and reports problems with file, line and field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import Msg
from . import gtfs as g

__all__ = ["stop_times", "transfers", "frequencies", "fares"]


def stop_times(chunks, a, trips, stops, probs, progress=None):
    """Stream ``stop_times.txt``; keep only compact integer arrays per chunk."""
    name = "stop_times.txt"
    parts = {k: [] for k in ("trip", "stop", "seq", "arr", "dep", "pickup", "dropoff", "line")}
    start = 0
    for i, df in enumerate(chunks):
        if i == 0 and not g._columns(df, name, g.REQUIRED[name], probs):
            return
        df.columns = [c.strip() for c in df.columns]
        lines = g._lines(df, start)
        parts["trip"].append(g._refs(df["trip_id"], trips, name, "trip_id", probs, "trip_id",
                                     start=start).astype(np.int32))
        parts["stop"].append(g._refs(df["stop_id"], stops, name, "stop_id", probs, "stop_id",
                                     start=start).astype(np.int32))
        parts["seq"].append(g._numbers(df, name, "stop_sequence", probs, lo=0, integer=True,
                                       start=start, default=-1).astype(np.int64))
        arr = g._times(df, name, "arrival_time", probs, start)
        dep = g._times(df, name, "departure_time", probs, start)
        # one given: the other is the same (GTFS allows giving either at a timepoint)
        arr = np.where(arr < 0, dep, arr)
        dep = np.where(dep < 0, arr, dep)
        probs.rows(name, (dep >= 0) & (dep < arr), lines, "departure_time",
                   Msg("departure_time is before arrival_time"))
        parts["arr"].append(arr)
        parts["dep"].append(dep)
        for col, key in (("pickup_type", "pickup"), ("drop_off_type", "dropoff")):
            parts[key].append(g._numbers(df, name, col, probs, required=False, lo=0, hi=3,
                                         integer=True, start=start, default=0).astype(np.int8))
        parts["line"].append(lines.astype(np.int64))
        start += len(df)
        if progress:
            progress(len(df))
    cat = {k: np.concatenate(v) if v else np.zeros(0, np.int64) for k, v in parts.items()}
    order = np.lexsort((cat["seq"], cat["trip"]))
    cat = {k: v[order] for k, v in cat.items()}
    trip, seq, line = cat["trip"], cat["seq"], cat["line"]
    same = np.r_[False, trip[1:] == trip[:-1]]
    probs.rows(name, same & np.r_[False, seq[1:] == seq[:-1]], line, "stop_sequence",
               Msg("the same stop_sequence twice in one trip"))
    first = ~same
    last = np.r_[~same[1:], True]
    timed = cat["arr"] >= 0
    probs.rows(name, (first | last) & ~timed, line, "arrival_time",
               Msg("the first and last stop of a trip need a time"))
    counts = np.bincount(trip[trip >= 0], minlength=len(trips))
    probs.rows("trips.txt", counts == 1, np.arange(len(trips)) + 2, "trip_id",
               Msg("a trip needs at least two stop times"))
    arr, dep = _interpolate(cat["arr"], cat["dep"], trip)
    going_back = same & (arr < np.r_[0, dep[:-1]]) & timed
    probs.rows(name, going_back, line, "arrival_time",
               Msg("earlier than the departure from the previous stop of the trip"))
    a.update(st_trip=trip.astype(np.int32), st_stop=cat["stop"].astype(np.int32),
             st_arr=arr.astype(np.int32), st_dep=dep.astype(np.int32),
             st_pickup=cat["pickup"], st_dropoff=cat["dropoff"])


def _interpolate(arr, dep, trip):
    """Linear times by position for untimed stops between the timed ones of their trip."""
    missing = arr < 0
    if not missing.any():
        return arr, dep
    pos = np.arange(len(arr))
    timed_pos = np.where(~missing, pos, -1)
    prev = np.maximum.accumulate(timed_pos)
    nxt_rev = np.where(~missing, pos, len(arr))[::-1]
    nxt = np.minimum.accumulate(nxt_rev)[::-1]
    ok = missing & (prev >= 0) & (nxt < len(arr))
    ok[ok] &= (trip[prev[ok]] == trip[pos[ok]]) & (trip[nxt[ok]] == trip[pos[ok]])
    p, q = prev[ok], nxt[ok]
    frac = (pos[ok] - p) / (q - p)
    t = np.round(dep[p] + frac * (arr[q] - dep[p])).astype(arr.dtype)
    arr, dep = arr.copy(), dep.copy()
    arr[ok] = t
    dep[ok] = t
    return arr, dep


def _empty(a, **dtypes):
    """Arrays of a file the feed does not have: empty, of the right types."""
    a.update({k: np.zeros(0, d) for k, d in dtypes.items()})


def transfers(df, a, stops, probs):
    name = "transfers.txt"
    if df is None:
        return _empty(a, tr_from=np.int32, tr_to=np.int32, tr_type=np.int8,
                      tr_seconds=np.int32)
    for col, key in (("from_stop_id", "tr_from"), ("to_stop_id", "tr_to")):
        a[key] = g._refs(df[col], stops, name, col, probs, "stop_id").astype(np.int32)
    kind = g._numbers(df, name, "transfer_type", probs, required=False, lo=0, hi=5,
                      integer=True, default=0)
    secs = g._numbers(df, name, "min_transfer_time", probs, required=False, lo=0,
                      integer=True, default=0)
    probs.rows(name, (kind == 2) & ~np.isfinite(g._numbers(
        df, name, "min_transfer_time", g._Problems(), required=False)), g._lines(df),
        "min_transfer_time", Msg("required when transfer_type is 2"))
    a["tr_type"], a["tr_seconds"] = kind.astype(np.int8), np.nan_to_num(secs).astype(np.int32)


def frequencies(df, a, trips, probs):
    name = "frequencies.txt"
    if df is None:
        return _empty(a, fq_trip=np.int32, fq_start=np.int32, fq_end=np.int32,
                      fq_headway=np.int32)
    a["fq_trip"] = g._refs(df["trip_id"], trips, name, "trip_id", probs,
                           "trip_id").astype(np.int32)
    start = g._times(df, name, "start_time", probs)
    end = g._times(df, name, "end_time", probs)
    for col in ("start_time", "end_time"):
        probs.rows(name, (g._strip(df[col]) == "").to_numpy(), g._lines(df), col,
                   Msg("required value is empty"))
    probs.rows(name, (end >= 0) & (end <= start), g._lines(df), "end_time",
               Msg("end_time must be after start_time"))
    head = g._numbers(df, name, "headway_secs", probs, lo=1, integer=True, default=0)
    a.update(fq_start=start.astype(np.int32), fq_end=end.astype(np.int32),
             fq_headway=np.nan_to_num(head).astype(np.int32))


def fares(tables, a, routes, probs):
    att, rules = tables.get("fare_attributes.txt"), tables.get("fare_rules.txt")
    if att is None:
        _empty(a, fare_id="U1", fare_price=float, fare_currency="U3", fare_transfers=np.int8,
               fare_duration=np.int32)
        if rules is not None:
            probs.add("fare_rules.txt", None, None,
                      Msg("fare_rules.txt needs fare_attributes.txt"))
        rules = None
    else:
        name = "fare_attributes.txt"
        ids = g._index(att["fare_id"], name, "fare_id", probs, "fare")
        price = g._numbers(att, name, "price", probs, lo=0)
        g._numbers(att, name, "payment_method", probs, lo=0, hi=1, integer=True)
        tr = g._numbers(att, name, "transfers", probs, required=False, lo=0, hi=2,
                        integer=True, default=-1)
        dur = g._numbers(att, name, "transfer_duration", probs, required=False, lo=0,
                         integer=True, default=-1)
        a.update(fare_id=ids.to_numpy(str), fare_price=price,
                 fare_currency=g._strip(att["currency_type"]).to_numpy(str),
                 fare_transfers=tr.astype(np.int8), fare_duration=dur.astype(np.int32))
    if rules is None:
        return _empty(a, fr_fare=np.int32, fr_route=np.int32, fr_origin="U1",
                      fr_destination="U1", fr_contains="U1")
    name = "fare_rules.txt"
    a["fr_fare"] = g._refs(rules["fare_id"], pd.Index(a["fare_id"]), name, "fare_id", probs,
                           "fare_id of fare_attributes.txt").astype(np.int32)
    route = rules.get("route_id", pd.Series([""] * len(rules)))
    a["fr_route"] = g._refs(route, routes, name, "route_id", probs, "route_id",
                            optional=True).astype(np.int32)
    zones = set(a["stop_zone"]) - {""}
    for col, key in (("origin_id", "fr_origin"), ("destination_id", "fr_destination"),
                     ("contains_id", "fr_contains")):
        vals = g._strip(rules.get(col, pd.Series([""] * len(rules))))
        bad = ((vals != "") & ~vals.isin(zones)).to_numpy()
        probs.rows(name, bad, g._lines(rules), col, Msg("not a zone_id of stops.txt"))
        a[key] = vals.to_numpy(str)
