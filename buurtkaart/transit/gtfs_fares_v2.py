"""Fares v2 of a GTFS feed: networks, areas, timeframes, rider categories, fare media,
fare products, fare leg rules and fare transfer rules.

A helper of :mod:`buurtkaart.transit.gtfs`: it checks every row (file, line and
field in every problem) and adds compact arrays to the feed's dictionary
(names in :data:`ARRAYS_V2`). Fares v2 are *present* when ``fare_leg_rules.txt``
has rows; how they are priced is :mod:`buurtkaart.transit.fares_v2`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import gtfs as g
from ..i18n import Msg

__all__ = ["FILES", "ARRAYS_V2", "fares_v2", "empty_v2"]

#: The fares v2 files and their required columns.
FILES = {
    "networks.txt": ["network_id"],
    "route_networks.txt": ["network_id", "route_id"],
    "areas.txt": ["area_id"],
    "stop_areas.txt": ["area_id", "stop_id"],
    "timeframes.txt": ["timeframe_group_id", "service_id"],
    "rider_categories.txt": ["rider_category_id", "rider_category_name"],
    "fare_media.txt": ["fare_media_id", "fare_media_type"],
    "fare_products.txt": ["fare_product_id", "amount", "currency"],
    "fare_leg_rules.txt": ["fare_product_id"],
    "fare_transfer_rules.txt": ["fare_transfer_type"],
}

#: Array names (and empty types) of the fares v2 part of a feed.
ARRAYS_V2 = {
    "route_network": np.int32, "network_id": "U1",
    "area_id": "U1", "sa_area": np.int32, "sa_stop": np.int32,
    "tf_group": "U1", "tf_start": np.int32, "tf_end": np.int32, "tf_service": np.int32,
    "rc_id": "U1", "rc_name": "U1", "rc_default": bool,
    "fp_id": "U1", "fp_category": np.int32, "fp_media": np.int32, "fp_amount": float,
    "fp_currency": "U3",
    "fl_group": "U1", "fl_network": np.int32, "fl_from_area": np.int32,
    "fl_to_area": np.int32, "fl_from_tf": "U1", "fl_to_tf": "U1", "fl_product": "U1",
    "fl_priority": np.int32,
    "ft_from": "U1", "ft_to": "U1", "ft_count": np.int32, "ft_duration": np.int32,
    "ft_type": np.int8, "ft_product": "U1",
}


def empty_v2() -> dict[str, np.ndarray]:
    """The fares v2 arrays of a feed without fares v2."""
    return {k: np.zeros(0, d) for k, d in ARRAYS_V2.items()}


def _col(df, col) -> pd.Series:
    return g._strip(df[col]) if col in df.columns else pd.Series([""] * len(df), dtype=str)


def _required(df, name, col, probs) -> pd.Series:
    """The column's stripped values; an empty one is a problem on its line."""
    vals = _col(df, col)
    probs.rows(name, (vals == "").to_numpy(), g._lines(df), col, Msg("required value is empty"))
    return vals


def _ids(tables, name, col, probs, kind, a, key) -> pd.Index:
    df = tables.get(name)
    if df is None:
        return pd.Index([], dtype=str)
    ids = g._index(df[col], name, col, probs, kind)
    a[key] = ids.to_numpy(str)
    return ids


def _ref(df, col, index, name, probs, target, optional=True) -> np.ndarray:
    if col not in df.columns:
        return np.full(len(df), -1, np.int32)
    return g._refs(df[col], index, name, col, probs, target, optional=optional
                   ).astype(np.int32)


def _networks(tables, a, routes, probs):
    """Per route its network (``routes.network_id`` or ``route_networks.txt``)."""
    nets = tables.get("networks.txt")
    rn = tables.get("route_networks.txt")
    rdf = tables["routes.txt"]
    in_routes = _col(rdf, "network_id")
    if rn is not None and (in_routes != "").any():
        probs.rows("routes.txt", (in_routes != "").to_numpy(), g._lines(rdf), "network_id",
                   Msg("network_id may not be given in routes.txt when route_networks.txt exists"))
    if nets is not None:
        index = _ids(tables, "networks.txt", "network_id", probs, "network", a, "network_id")
    else:  # networks named only in routes.txt (or none)
        index = pd.Index(pd.unique(in_routes[in_routes != ""]), dtype=str)
        a["network_id"] = index.to_numpy(str) if len(index) else np.zeros(0, "U1")
    route_net = np.full(len(routes), -1, np.int32)
    if rn is not None:
        name = "route_networks.txt"
        net = _ref(rn, "network_id", index, name, probs, "network_id", False)
        route = _ref(rn, "route_id", routes, name, probs, "route_id", False)
        dup = pd.Series(route).duplicated().to_numpy() & (route >= 0)
        probs.rows(name, dup, g._lines(rn), "route_id", Msg("a route belongs to one network only"))
        ok = (net >= 0) & (route >= 0)
        route_net[route[ok]] = net[ok]
    elif (in_routes != "").any():
        route_net = _ref(rdf, "network_id", index, "routes.txt", probs,
                         "network_id")
    a["route_network"] = route_net
    return index


def _areas(tables, a, probs):
    areas = _ids(tables, "areas.txt", "area_id", probs, "area", a, "area_id")
    sa = tables.get("stop_areas.txt")
    stops = pd.Index(a["stop_id"])
    if sa is not None:
        name = "stop_areas.txt"
        a["sa_area"] = _ref(sa, "area_id", areas, name, probs, "area_id", False)
        a["sa_stop"] = _ref(sa, "stop_id", stops, name, probs, "stop_id", False)
    return areas


def _timeframes(tables, a, probs):
    tf = tables.get("timeframes.txt")
    if tf is None:
        return set()
    name = "timeframes.txt"
    group = _required(tf, name, "timeframe_group_id", probs)
    start = g._times(tf, name, "start_time", probs)
    end = g._times(tf, name, "end_time", probs)
    one = (start < 0) != (end < 0)
    probs.rows(name, one & (start < 0), g._lines(tf), "start_time",
               Msg("start_time and end_time are given together or not at all"))
    probs.rows(name, one & (end < 0), g._lines(tf), "end_time",
               Msg("start_time and end_time are given together or not at all"))
    probs.rows(name, (start > 86400), g._lines(tf), "start_time",
               Msg("must be at most 24:00:00"))
    probs.rows(name, (end > 86400), g._lines(tf), "end_time", Msg("must be at most 24:00:00"))
    probs.rows(name, (end >= 0) & (start >= 0) & (end <= start), g._lines(tf), "end_time",
               Msg("end_time must be after start_time"))
    whole = (start < 0) & (end < 0)
    services = pd.Index(a["service_id"])
    a.update(tf_group=group.to_numpy(str),
             tf_start=np.where(whole, 0, start).astype(np.int32),
             tf_end=np.where(whole, 86400, end).astype(np.int32),
             tf_service=_ref(tf, "service_id", services, name, probs,
                             "service_id", False))
    return set(group) - {""}


def _categories(tables, a, probs):
    cats = _ids(tables, "rider_categories.txt", "rider_category_id", probs,
                "rider category", a, "rc_id")
    rc = tables.get("rider_categories.txt")
    if rc is None:
        return cats
    name = "rider_categories.txt"
    names = _required(rc, name, "rider_category_name", probs)
    default = g._numbers(rc, name, "is_default_fare_category", probs, required=False, lo=0,
                         hi=1, integer=True, default=0)
    a["rc_name"], a["rc_default"] = names.to_numpy(str), default == 1
    return cats


def _products(tables, a, cats, probs):
    fp = tables.get("fare_products.txt")
    fm = tables.get("fare_media.txt")
    media = pd.Index([], dtype=str)
    if fm is not None:
        media = g._index(fm["fare_media_id"], "fare_media.txt", "fare_media_id", probs,
                         "fare media")
        g._numbers(fm, "fare_media.txt", "fare_media_type", probs, lo=0, hi=4, integer=True)
    if fp is None:
        return set()
    name = "fare_products.txt"
    ids = _required(fp, name, "fare_product_id", probs)
    cat = _ref(fp, "rider_category_id", cats, name, probs,
               "rider_category_id")
    med = _ref(fp, "fare_media_id", media, name, probs, "fare_media_id")
    key = pd.DataFrame({"p": ids, "c": cat, "m": med})
    probs.rows(name, key.duplicated().to_numpy(), g._lines(fp), "fare_product_id",
               Msg("the same fare_product_id, rider_category_id and fare_media_id twice"))
    amount = g._numbers(fp, name, "amount", probs)
    currency = _col(fp, "currency")
    probs.rows(name, ~currency.str.fullmatch(r"[A-Za-z]{3}").to_numpy(), g._lines(fp),
               "currency", Msg("expected a three-letter currency code, e.g. EUR"))
    a.update(fp_id=ids.to_numpy(str), fp_category=cat, fp_media=med, fp_amount=amount,
             fp_currency=currency.str.upper().to_numpy(str))
    return set(ids) - {""}


def _leg_rules(tables, a, networks, areas, groups, products, probs):
    fl = tables.get("fare_leg_rules.txt")
    if fl is None:
        return set()
    name = "fare_leg_rules.txt"
    a["fl_network"] = _ref(fl, "network_id", networks, name, probs,
                           "network_id")
    for col, key in (("from_area_id", "fl_from_area"), ("to_area_id", "fl_to_area")):
        a[key] = _ref(fl, col, areas, name, probs, "area_id")
    for col, key in (("from_timeframe_group_id", "fl_from_tf"),
                     ("to_timeframe_group_id", "fl_to_tf")):
        vals = _col(fl, col)
        probs.rows(name, ((vals != "") & ~vals.isin(groups)).to_numpy(), g._lines(fl), col,
                   Msg("not a timeframe_group_id of timeframes.txt"))
        a[key] = vals.to_numpy(str)
    product = _required(fl, name, "fare_product_id", probs)
    probs.rows(name, ((product != "") & ~product.isin(products)).to_numpy(), g._lines(fl),
               "fare_product_id", Msg("not a fare_product_id of fare_products.txt"))
    a["fl_product"] = product.to_numpy(str)
    a["fl_group"] = _col(fl, "leg_group_id").to_numpy(str)
    # -1: the file has no rule_priority column (empty fields then match "all others")
    priority = g._numbers(fl, name, "rule_priority", probs, required=False, lo=0,
                          integer=True, default=0)
    a["fl_priority"] = (priority if "rule_priority" in fl.columns
                        else np.full(len(fl), -1)).astype(np.int32)
    return set(a["fl_group"]) - {""}


def _transfer_rules(tables, a, leg_groups, products, probs):
    ft = tables.get("fare_transfer_rules.txt")
    if ft is None:
        return
    name = "fare_transfer_rules.txt"
    for col, key in (("from_leg_group_id", "ft_from"), ("to_leg_group_id", "ft_to")):
        vals = _col(ft, col)
        probs.rows(name, ((vals != "") & ~vals.isin(leg_groups)).to_numpy(), g._lines(ft),
                   col, Msg("not a leg_group_id of fare_leg_rules.txt"))
        a[key] = vals.to_numpy(str)
    product = _col(ft, "fare_product_id")
    probs.rows(name, ((product != "") & ~product.isin(products)).to_numpy(), g._lines(ft),
               "fare_product_id", Msg("not a fare_product_id of fare_products.txt"))
    count = g._numbers(ft, name, "transfer_count", probs, required=False, lo=-1,
                       integer=True, default=-2)
    probs.rows(name, count == 0, g._lines(ft), "transfer_count", Msg("must be -1 or at least 1"))
    duration = g._numbers(ft, name, "duration_limit", probs, required=False, lo=1,
                          integer=True, default=-1)
    kind = g._numbers(ft, name, "duration_limit_type", probs, required=False, lo=0, hi=3,
                      integer=True, default=-1)
    probs.rows(name, (duration >= 0) & (kind < 0), g._lines(ft), "duration_limit_type",
               Msg("required when duration_limit is given"))
    a.update(ft_count=count.astype(np.int32), ft_duration=duration.astype(np.int32),
             ft_type=g._numbers(ft, name, "fare_transfer_type", probs, lo=0, hi=2,
                                integer=True, default=0).astype(np.int8),
             ft_product=product.to_numpy(str))


def fares_v2(tables, a, routes, probs):
    """Check the fares v2 files and add their arrays to ``a`` (empty where absent)."""
    a.update(empty_v2())
    networks = _networks(tables, a, routes, probs)
    areas = _areas(tables, a, probs)
    groups = _timeframes(tables, a, probs)
    cats = _categories(tables, a, probs)
    products = _products(tables, a, cats, probs)
    leg_groups = _leg_rules(tables, a, networks, areas, groups, products, probs)
    _transfer_rules(tables, a, leg_groups, products, probs)
    if tables.get("fare_leg_rules.txt") is None:
        for f in ("fare_products.txt", "fare_transfer_rules.txt"):
            if f in tables:
                probs.add(f, None, None, Msg("%(file)s needs fare_leg_rules.txt to apply to any leg",
                                              file=f))
