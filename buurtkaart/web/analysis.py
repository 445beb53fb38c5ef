"""Accessibility endpoints: coverage, isochrones, the finder, outreach ranking, scenarios.

Thin adapters: parse and validate, call :mod:`buurtkaart.access` and
:mod:`buurtkaart.coverage`, serialise. Every parameter is checked; unknown
ones are refused with HTTP 400 naming them.
"""

from __future__ import annotations

import math

import pandas as pd
from flask import Blueprint, current_app, jsonify, request

from .. import access, coverage, network, store
from ..errors import InvalidParameter
from ..filters import Filter
from ..records import parse_models
from ..timing import Timing
from ..transit.reach import PARAMETERS as TRANSIT_PARAMETERS
from ..transit.reach import TRANSIT_ONLY, TransitOptions
from .api import geojson_response, indicator_values
from .db import get_db, now
from .geojson import _clean_number, collection, coverage_collection
from .params import int_arg
from .public import live_place

bp = Blueprint("analysis", __name__, url_prefix="/api")

ACCESS_PARAMS = ("mode", "minutes", "population_method", *TRANSIT_PARAMETERS)


def _float(args, name: str, default: float, lo: float, hi: float) -> float:
    raw = args.get(name)
    if raw in (None, ""):
        return default
    try:
        v = float(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(name, f"expected a number, got {raw!r}") from None
    if not (lo <= v <= hi) or math.isnan(v):
        raise InvalidParameter(name, f"must be between {lo:g} and {hi:g}, got {raw}")
    return v


def _mode(args, transit_ok: bool = True) -> str:
    """The travel mode of a request (every question takes public transport now;
    ``transit_ok`` is kept for callers that still pass it)."""
    mode = args.get("mode") or "walk"
    if mode == "transit":
        return mode
    network.profile(mode)  # raises InvalidParameter naming 'mode'
    return mode


def _transit(args, mode: str) -> TransitOptions | Timing | None:
    """When one leaves, from a request: the public transport options for mode=transit;
    for the other modes a :class:`~buurtkaart.timing.Timing` when ``depart`` is given,
    else None (any time)."""
    if mode != "transit":
        for name in TRANSIT_ONLY:
            if args.get(name) not in (None, ""):
                raise InvalidParameter(name, "only applies with mode=transit")
        return Timing.from_params(args, now().date())
    return TransitOptions.from_params(args)


def _method(args) -> str:
    m = args.get("population_method") or "buildings"
    if not isinstance(m, str) or m not in ("buildings", "nodes"):
        raise InvalidParameter("population_method", "must be buildings or nodes")
    return m


def _cache_dir():
    return current_app.config.get("CACHE_DIR")


def _filter(extra=()) -> Filter:
    return Filter.from_params(request.args.to_dict(flat=False),
                              allowed_extra=(*ACCESS_PARAMS, *extra), now=now)


@bp.route("/coverage")
def coverage_api():
    filt = _filter(extra=("by",))
    by = request.args.get("by") or "neighbourhood"
    if by not in ("neighbourhood", "municipality"):
        raise InvalidParameter("by", "must be neighbourhood or municipality")
    db = get_db()
    mode = _mode(request.args)
    cov, report = access.run_coverage(db, filt, mode=mode,
                                      minutes=_float(request.args, "minutes", 10, 1, 120),
                                      method=_method(request.args), cache_dir=_cache_dir(),
                                      transit=_transit(request.args, mode))
    if by == "municipality":
        agg = coverage.aggregate_municipalities(cov, dict(zip(cov["code"],
                                                              cov["municipality_code"])))
        rows = [{k: _clean_number(v) if k != "municipality_code" else v for k, v in r.items()}
                for r in agg.to_dict("records")]
        return jsonify({"ok": True, "municipalities": rows, "time": filt.time_json()})
    body = coverage_collection(db, cov, report)
    body["time"] = filt.time_json()
    return geojson_response(body)


ISOCHRONE_PARAMS = ("place", "mode", "minutes", *TRANSIT_PARAMETERS)


@bp.route("/isochrone")
def isochrone():
    """The area from which a place is reached within the limit. With a departure window
    (``depart``; required by public transport): the area from which it is reached, and one
    can go in while it is open, within the limit in at least ``percentile`` % of the
    departures."""
    for name in request.args:
        if name not in ISOCHRONE_PARAMS:
            raise InvalidParameter(name, "unknown parameter (known: "
                                         f"{', '.join(ISOCHRONE_PARAMS)})")
    place_id = int_arg("place", lo=1, hi=2**63 - 1)
    if place_id is None:
        raise InvalidParameter("place", "is required: the id of a place")
    db = get_db()
    place = live_place(db, place_id)
    minutes = _float(request.args, "minutes", 10, 1, 120)
    mode = _mode(request.args)
    trip = _transit(request.args, mode)
    poly, props = access.isochrone(db, place, mode=mode, minutes=minutes, transit=trip,
                                   cache_dir=_cache_dir())
    import shapely

    return geojson_response({"type": "Feature", "geometry": shapely.geometry.mapping(poly),
                             "properties": {"place": place["id"], "name": place["name"],
                                            "minutes": minutes, **props}})


@bp.route("/finder")
def finder():
    """Matching places ordered by travel time from a point (for residents)."""
    filt = _filter(extra=("lon", "lat", "limit"))
    lon = _float(request.args, "lon", math.nan, -180, 180) if request.args.get("lon") else None
    lat = _float(request.args, "lat", math.nan, -90, 90) if request.args.get("lat") else None
    if lon is None or lat is None:
        raise InvalidParameter("lon" if lon is None else "lat", "is required")
    minutes = _float(request.args, "minutes", 30, 1, 120)
    limit = int_arg("limit", lo=1, hi=200, default=20)
    mode = _mode(request.args)
    transit = _transit(request.args, mode)
    from .geojson import place_feature

    feats = []
    for place, mins in access.minutes_from(get_db(), filt, mode=mode, lon=lon, lat=lat,
                                           limit_minutes=minutes, cache_dir=_cache_dir(),
                                           transit=transit)[:limit]:
        f = place_feature(place)
        f["properties"]["minutes"] = mins
        feats.append(f)
    extra = {"transit": transit.describe()} if mode == "transit" else {}
    extra["when"] = access.when_described(mode, transit)
    return geojson_response(collection(feats, origin=[lon, lat], mode=mode, minutes=minutes,
                                       time=filt.time_json(), **extra))


def _need(db, name: str, year) -> pd.Series:
    if name == "need_index":
        from ..indicators import need_index

        frame = store.indicator_frame(db)
        idx = need_index(frame)
        return idx.set_index("code")["need_index"]
    values, _, _ = indicator_values(db, name, year, param="need")
    return pd.Series(values, dtype=float)


@bp.route("/ranking")
def ranking():
    filt = _filter(extra=("need", "year"))
    db = get_db()
    minutes = _float(request.args, "minutes", 10, 1, 120)
    need_name = request.args.get("need") or "population"
    year = int_arg("year", lo=1900, hi=2100)
    need = _need(db, need_name, year)
    mode = _mode(request.args)
    cov, report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                      method=_method(request.args), cache_dir=_cache_dir(),
                                      transit=_transit(request.args, mode))
    ranked = coverage.outreach_ranking(cov, need)
    names = dict(zip(cov["code"], cov["name"]))
    rows = []
    for r in ranked.to_dict("records"):
        rows.append({k: _clean_number(v) if k != "code" else v for k, v in r.items()}
                    | {"name": names.get(r["code"])})
    return jsonify({"ok": True, "formula": coverage.RANKING_FORMULA, "need": need_name,
                    "minutes": minutes, "mode": report["mode"], "when": report["when"],
                    "ranking": rows})


def _scenario_body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidParameter("body", "expected a JSON object")
    allowed = {"mode", "minutes", "filter", "add", "remove", "population_method",
               *TRANSIT_PARAMETERS}
    for k in body:
        if k not in allowed:
            raise InvalidParameter(k, f"unknown field (known: {', '.join(sorted(allowed))})")
    return body


#: The fields of a proposed place. It is assumed to meet the filter's thresholds and to be
#: open in its time window; its working models must include one the filter asks for.
PROPOSED_FIELDS = ("lon", "lat", "models", "capacity", "name")


@bp.route("/scenario", methods=["POST"])
def scenario():
    """Change in coverage per neighbourhood if places were added or removed (nothing is stored)."""
    body = _scenario_body()
    db = get_db()
    mode = _mode({"mode": body.get("mode")})
    transit = _transit({k: body.get(k) for k in TRANSIT_PARAMETERS}, mode)
    minutes = _float({"minutes": body.get("minutes")}, "minutes", 10, 1, 120)
    filt_params = body.get("filter") or {}
    if not isinstance(filt_params, dict):
        raise InvalidParameter("filter", "expected an object of filter parameters")
    filt = Filter.from_params({k: str(v) if not isinstance(v, list) else v
                               for k, v in filt_params.items()}, now=now)
    proposed = body.get("add") or []
    if not isinstance(proposed, list):
        raise InvalidParameter("add", "expected a list of proposed places")
    remove = body.get("remove") or []
    if not isinstance(remove, list) or not all(
            isinstance(r, int) and not isinstance(r, bool) for r in remove):
        raise InvalidParameter("remove", "expected a list of place ids")
    add_rows = []
    for i, a in enumerate(proposed):
        if not isinstance(a, dict):
            raise InvalidParameter(f"add[{i}]", "expected an object with lon, lat and models")
        for key in a:
            if key not in PROPOSED_FIELDS:
                raise InvalidParameter(f"add[{i}].{key}", "unknown field (known: "
                                                          f"{', '.join(PROPOSED_FIELDS)})")
        try:
            lon = _float(a, "lon", math.nan, -180, 180) if "lon" in a else None
            lat = _float(a, "lat", math.nan, -90, 90) if "lat" in a else None
            cap = _float(a, "capacity", math.nan, 0, 1e6)
        except InvalidParameter as exc:
            raise InvalidParameter(f"add[{i}].{exc.name}", exc.reason) from None
        if lon is None or lat is None:
            raise InvalidParameter(f"add[{i}]", "needs lon and lat")
        try:
            models = parse_models(a.get("models") or [])
        except (ValueError, TypeError) as exc:
            raise InvalidParameter(f"add[{i}].models", str(exc)) from None
        if filt.models and not set(models) & set(filt.models):
            raise InvalidParameter(f"add[{i}].models", "the filter asks for "
                                   f"{', '.join(filt.models)}: a proposed place must offer one "
                                   "of them to count")
        add_rows.append({"lon": lon, "lat": lat, "models": models, "capacity": cap,
                         "name": a.get("name")})
    result, _places = access.run_scenario(
        db, filt, mode=mode, minutes=minutes, add=add_rows, remove=remove,
        method=_method({"population_method": body.get("population_method")}),
        cache_dir=_cache_dir(), transit=transit)
    rows = [{k: _clean_number(v) if k not in ("code", "name") else v for k, v in r.items()}
            for r in result.to_dict("records")]
    return jsonify({"ok": True, "mode": mode, "minutes": minutes,
                    "when": access.when_described(mode, transit),
                    "residents_gaining_access": float(result["residents_gaining_access"].sum()),
                    "residents_gaining": float(result["residents_gaining"].sum()),
                    "residents_losing": float(result["residents_losing"].sum()),
                    "neighbourhoods": rows})


@bp.route("/best-locations")
def best_locations():
    filt = _filter(extra=("k",))
    k = int_arg("k", lo=1, hi=20, default=3)
    minutes = _float(request.args, "minutes", 10, 1, 120)
    db = get_db()
    mode = _mode(request.args)
    transit = _transit(request.args, mode)
    best = access.suggest_locations(db, filt, mode=mode, minutes=minutes, k=k,
                                    method=_method(request.args), cache_dir=_cache_dir(),
                                    transit=transit)
    from ..suggestions import explain

    why = explain(db, best)
    feats = [{"type": "Feature", "id": r["rank"],
              "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
              "properties": {"rank": r["rank"], "residents_newly_covered": r["residents"],
                             "neighbourhood": r["code"], "neighbourhood_name": r["neighbourhood"],
                             "need_index": r["need_index"]}} for r in why["rows"]]
    return geojson_response(collection(feats, method="greedy maximal covering", k=k,
                                       asked=why["asked"], found=why["found"],
                                       stopped=why["stopped"], reason=why["reason"],
                                       minutes=minutes, mode=mode,
                                       when=access.when_described(mode, transit)))
