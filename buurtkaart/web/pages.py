"""HTML pages: home, the map, and list and detail pages for places, activities and neighbourhoods."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from urllib.parse import urlencode

import pandas as pd
from flask import Blueprint, Response, current_app, render_template, request, url_for

from .. import access, coverage, maps, network, store, traveltime
from ..editing import is_stale
from ..errors import InvalidParameter
from ..filters import FILTER_PARAMETERS, Filter
from ..hours import describe_session
from ..indicators import (INDICATORS, NEED_INDEX_FORMULA, TYPOLOGY_CLASSES, format_value,
                          indicator_label, need_index, trend, typology)
from ..taxonomy import (PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WEEKDAY_NAMES_EN,
                        WORKING_MODELS)
from .api import indicator_values
from .csp import MapDocument
from .csp import nonce as csp_nonce
from . import geomcache
from .db import get_db, now
from .public import live_activity, live_place

bp = Blueprint("pages", __name__)
PAGE_SIZE = 50


@bp.app_context_processor
def _globals():
    def has_sample() -> bool:
        return get_db().execute("SELECT 1 FROM activities WHERE sample = 1 UNION "
                                "SELECT 1 FROM places WHERE sample = 1 LIMIT 1").fetchone() is not None

    return {"models": WORKING_MODELS, "kinds": PLACE_KINDS, "thresholds": THRESHOLDS,
            "weekdays": WEEKDAY_NAMES_EN, "describe_session": describe_session,
            "is_stale": is_stale, "SAMPLE_DATA_LABEL": SAMPLE_DATA_LABEL,
            "has_sample": has_sample, "filter_help": FILTER_PARAMETERS,
            "describe_filter": maps.describe_filter, "value": format_value}


def _filter(extra=()) -> Filter:
    params = {k: [v for v in vs if v != ""] for k, vs in request.args.to_dict(flat=False).items()}
    params = {k: vs for k, vs in params.items() if vs}
    return Filter.from_params(params, allowed_extra=extra, now=now)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise InvalidParameter("page", f"expected a page number from 1, got {raw!r}")
    return int(raw)


@bp.route("/")
def index():
    return render_template("index.html", counts=store.counts(get_db()))


MAP_EXTRA = ("indicator", "year", "mode", "minutes", "isochrone", "best")
COVERAGE = "coverage"  # the "indicator" that colours neighbourhoods by access
NEED_INDEX = "need_index"
TYPOLOGY = "typology"


def _map_choice(db):
    """Which layer colours the neighbourhoods, and the access settings, from the query."""
    catalogue = store.indicator_catalogue(db)
    names = [c["indicator"] for c in catalogue]
    indicator = request.args.get("indicator") or ("population" if "population" in names
                                                  else (names[0] if names else None))
    year = request.args.get("year")
    if year not in (None, ""):
        if not (year.isascii() and year.isdigit()):
            raise InvalidParameter("year", f"expected a year, got {year!r}")
        year = int(year)
    else:
        year = None
    mode = request.args.get("mode") or "walk"
    network.profile(mode)
    minutes = request.args.get("minutes") or "10"
    try:
        minutes = float(minutes)
    except ValueError:
        raise InvalidParameter("minutes", f"expected a number, got {minutes!r}") from None
    if not 1 <= minutes <= 120:
        raise InvalidParameter("minutes", "must be between 1 and 120")
    for name in ("isochrone", "best"):
        raw = request.args.get(name)
        if raw not in (None, "") and not (raw.isascii() and raw.isdigit()):
            raise InvalidParameter(name, f"expected a whole number, got {raw!r}")
    return catalogue, indicator, year, mode, minutes


def _values(db, filt, indicator, year, mode, minutes):
    """(values by code, year, source, label) for the choropleth."""
    if indicator == COVERAGE:
        cov, _ = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                     cache_dir=current_app.config.get("CACHE_DIR"))
        label = (f"share of residents within {minutes:g} min "
                 f"({network.PROFILES[mode].label}) of a matching place")
        return dict(zip(cov["code"], cov["share_within"])), None, "buurtkaart travel times", label
    if indicator == NEED_INDEX:
        idx = need_index(store.indicator_frame(db), codes=[n["code"] for n in
                                                           store.neighbourhoods(db)])
        return (dict(zip(idx["code"], idx["need_index"])), None,
                "need index over " + ", ".join(f"{k} {y}" for k, y in idx.attrs["years"].items()),
                "need index (0 = average; higher = more need)")
    if indicator == TYPOLOGY:
        t = _typology(db, filt.municipality)
        return (dict(zip(t["code"], t["typology"])), None,
                f"change {t.attrs.get('base_year')}–{t.attrs.get('end_year')}",
                "gentrification and displacement")
    values, year, source = indicator_values(db, indicator, year)
    return values, year, source, indicator_label(indicator)


def _typology(db, municipality=None):
    import geopandas as gpd

    hoods = store.neighbourhoods(db, municipality=municipality)
    gdf = gpd.GeoDataFrame({"code": [n["code"] for n in hoods]},
                           geometry=[n["geometry"] for n in hoods], crs=4326)
    frame = store.indicator_frame(db)
    return typology(frame[frame["code"].isin(set(gdf["code"]))], gdf)


@bp.route("/kaart")
def map_page():
    db = get_db()
    filt = _filter(extra=MAP_EXTRA)
    catalogue, indicator, year, mode, minutes = _map_choice(db)
    if indicator and indicator not in (COVERAGE, NEED_INDEX, TYPOLOGY):
        indicator_values(db, indicator, year)  # validate before building the frame URL
    query = urlencode(request.args, doseq=True)
    return render_template("map.html", filt=filt, catalogue=catalogue, indicator=indicator,
                           year=year, mode=mode, minutes=minutes, profiles=network.PROFILES,
                           has_network=access.registered_network(db) is not None,
                           frame_url=url_for("pages.map_frame") + ("?" + query if query else ""),
                           count=len(store.places(db, filt)), label=indicator_label)


def _access_layers(db, filt, mode, minutes):
    """Isochrone and best-location layers asked for in the query."""
    layers = []
    iso = request.args.get("isochrone")
    best = request.args.get("best")
    if not iso and not best:
        return layers
    ctx = access.context(db, mode, cache_dir=current_app.config.get("CACHE_DIR"))
    if iso:
        place = live_place(db, int(iso))
        node, dist, ok = network.snap(ctx.graph, place["lon"], place["lat"],
                                      max_distance_m=access.SNAP_METRES)
        if not ok[0]:
            raise InvalidParameter("isochrone", f"{place['name']} is {dist[0]:.0f} m from "
                                                "the network")
        poly = traveltime.isochrone(ctx.graph, ctx.csr, int(node[0]), minutes * 60)
        layers.append(maps.isochrone_layer(poly, f"{place['name']}: {minutes:g} min "
                                                 f"{ctx.profile.label}"))
    if best:
        picks = access.suggest_locations(db, filt, mode=mode, minutes=minutes,
                                         k=min(int(best), 20),
                                         cache_dir=current_app.config.get("CACHE_DIR"))
        layers.append(maps.suggestion_layer(
            list(zip(picks["lon"], picks["lat"], picks["rank"], picks["residents_newly_covered"])),
            f"Suggested locations ({minutes:g} min {ctx.profile.label})"))
    return layers


def _static_prefix() -> str:
    return url_for("static", filename="").rstrip("/")


_FRAMES: OrderedDict[tuple, str] = OrderedDict()
_FRAMES_LOCK = threading.Lock()
FRAME_CACHE_SIZE = 64


@bp.route("/kaart/frame")
def map_frame():
    """The map itself; rendered maps are kept per query until the data changes."""
    db = get_db()
    key = (store.data_version(db), request.query_string, request.script_root,
           current_app.config.get("CACHE_DIR"))
    with _FRAMES_LOCK:
        doc = _FRAMES.get(key)
        if doc is not None:
            _FRAMES.move_to_end(key)
    if doc is None:
        doc = _render_frame(db)
        with _FRAMES_LOCK:
            _FRAMES[key] = doc
            while len(_FRAMES) > FRAME_CACHE_SIZE:
                _FRAMES.popitem(last=False)
    return Response(doc.html(csp_nonce()), mimetype="text/html")


def _render_frame(db) -> MapDocument:
    filt = _filter(extra=MAP_EXTRA)
    _, indicator, year, mode, minutes = _map_choice(db)
    values, source, label = {}, None, None
    if indicator:
        values, year, source, label = _values(db, filt, indicator, year, mode, minutes)
    places = store.places(db, filt)
    meta = INDICATORS.get(indicator or "")
    hoods = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    geomcache.simplified(db, hoods, maps.display_tolerance(n["geometry"] for n in hoods))
    m = maps.build_map(
        hoods, places, static_url_prefix=_static_prefix(),
        indicator=indicator, indicator_label=label, values=values, year=year, source=source,
        unit="share" if indicator == COVERAGE else (meta.unit if meta else None),
        filter_description=maps.describe_filter(filt),
        detail_url=url_for("pages.place_detail", place_id=0).replace("/0", "/{id}"),
        neighbourhood_url=url_for("pages.neighbourhood_detail", code="CODE").replace("CODE",
                                                                                       "{code}"),
        extra_layers=_access_layers(db, filt, mode, minutes),
        categories=TYPOLOGY_CLASSES if indicator == TYPOLOGY else None,
        # darkest where the value is the problem: little access, low income
        reverse_colours=indicator == COVERAGE or bool(meta and meta.need_direction < 0))
    return MapDocument(m)


@bp.route("/outreach")
def outreach():
    """For community workers: where need is high and access low, and where to add a place."""
    db = get_db()
    filt = _filter(extra=("mode", "minutes", "need", "best"))
    _, _, _, mode, minutes = _map_choice(db)
    need = request.args.get("need") or "population"
    rows, formula, error = [], coverage.RANKING_FORMULA, None
    if access.registered_network(db) is None:
        error = ("No travel-time network yet: an administrator runs "
                 "`buurtkaart network build --pbf FILE.osm.pbf`.")
    else:
        cov, report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                          cache_dir=current_app.config.get("CACHE_DIR"))
        if need == "need_index":
            from ..indicators import need_index

            need_values = need_index(store.indicator_frame(db)).set_index("code")["need_index"]
        else:
            need_values = pd.Series(indicator_values(db, need, None, param="need")[0],
                                    dtype=float)
        ranked = coverage.outreach_ranking(cov, need_values)
        model_cols = [c for c in cov.columns if c.startswith("share_model_")]
        ranked = ranked.merge(cov[["code", "name", "models_reachable"] + model_cols], on="code")
        rows = [r | {"missing_models": coverage.missing_models(r)}
                for r in ranked.to_dict("records")]
    params = {**filt.to_params(), "indicator": COVERAGE, "mode": mode, "minutes": f"{minutes:g}",
              "best": request.args.get("best") or "3"}
    return render_template("outreach.html", rows=rows, formula=formula, error=error, need=need,
                           mode=mode, minutes=minutes, filt=filt, profiles=network.PROFILES,
                           catalogue=store.indicator_catalogue(db), label=indicator_label,
                           frame_url=url_for("pages.map_frame", **params))


@bp.route("/places")
def place_list():
    """Places that fit; with ``lon``/``lat`` (e.g. "use my location"), nearest first with
    their travel time by ``mode`` within ``minutes``."""
    filt = _filter(extra=("page", "lon", "lat", "mode", "minutes"))
    page = _page_number()
    db = get_db()
    near = _near(db, filt)
    if near is None:
        rows, minutes = store.places(db, filt), {}
    else:
        rows = [p for p, _m in near]
        minutes = {p["id"]: m for p, m in near}
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render_template("places.html", places=shown, total=len(rows), page=page,
                           pages=max(1, -(-len(rows) // PAGE_SIZE)), filt=filt,
                           minutes=minutes, near=near is not None, profiles=network.PROFILES,
                           has_network=access.registered_network(db) is not None,
                           time_links=_time_links("pages.place_list", filt),
                           query={k: v for k, v in request.args.items() if k != "page"})


TIME_CHOICES = (("now", "Open now"), ("tonight", "This evening"), ("weekend", "This weekend"))


def _time_links(endpoint: str, filt: Filter) -> list[tuple[str, str, bool]]:
    """One link per "when" choice, keeping every other condition of the query."""
    keep = {k: v for k, v in request.args.to_dict(flat=False).items()
            if k not in ("when", "day", "date", "from", "to", "page")}
    return [(label, url_for(endpoint, **keep, when=key), filt.when == key)
            for key, label in TIME_CHOICES]


def _near(db, filt):
    lon, lat = request.args.get("lon"), request.args.get("lat")
    if not lon and not lat:
        return None
    values = {}
    for name, raw, lo, hi in (("lon", lon, -180, 180), ("lat", lat, -90, 90),
                              ("minutes", request.args.get("minutes") or "30", 1, 120)):
        try:
            values[name] = float(raw)
        except (TypeError, ValueError):
            raise InvalidParameter(name, f"expected a number, got {raw!r}") from None
        if not lo <= values[name] <= hi:
            raise InvalidParameter(name, f"must be between {lo} and {hi}")
    mode = request.args.get("mode") or "walk"
    network.profile(mode)
    return access.minutes_from(db, filt, mode=mode, lon=values["lon"], lat=values["lat"],
                               limit_minutes=values["minutes"],
                               cache_dir=current_app.config.get("CACHE_DIR"))


def _only_params(allowed: tuple[str, ...]) -> None:
    """Refuse query parameters a page does not understand (a typo must not look like a result)."""
    for name in request.args:
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise InvalidParameter(name, f"unknown parameter (known: {known})")


@bp.route("/places/<int:place_id>")
def place_detail(place_id: int):
    _only_params(())
    return render_template("place.html", place=live_place(get_db(), place_id))


@bp.route("/places/<int:place_id>/kaart")
def place_map_frame(place_id: int):
    """The small map embedded on a place's detail page."""
    db = get_db()
    _only_params(())
    p = live_place(db, place_id)
    hood = store.neighbourhood(db, p["neighbourhood_code"]) if p.get("neighbourhood_code") \
        else None
    m = maps.place_map(p, neighbourhood=hood, static_url_prefix=_static_prefix())
    return Response(MapDocument(m).html(csp_nonce()), mimetype="text/html")


@bp.route("/activities")
def activity_list():
    filt = _filter(extra=("page",))
    page = _page_number()
    rows = store.activities(get_db(), filt)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render_template("activities.html", activities=shown, total=len(rows), page=page,
                           pages=max(1, -(-len(rows) // PAGE_SIZE)), filt=filt,
                           query={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/activities/<int:activity_id>")
def activity_detail(activity_id: int):
    _only_params(())
    return render_template("activity.html", activity=live_activity(get_db(), activity_id))


NEIGHBOURHOOD_PAGE_SIZE = 100


@bp.route("/neighbourhoods")
def neighbourhood_list():
    _only_params(("municipality", "bbox", "q", "page"))
    filt = _filter(extra=("page",))
    page = _page_number()
    db = get_db()
    rows = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    if filt.q:
        words = filt.q.casefold().split()
        rows = [n for n in rows
                if all(w in f"{n['code']} {n.get('name') or ''}".casefold() for w in words)]
    pop = {}
    frame = store.indicator_frame(db, indicator="population")
    if not frame.empty:
        latest = frame.dropna(subset=["value"]).sort_values("year").groupby("code").tail(1)
        pop = {c: (v, int(y)) for c, v, y in zip(latest["code"], latest["value"],
                                                   latest["year"])}
    size = NEIGHBOURHOOD_PAGE_SIZE
    return render_template("neighbourhoods.html", neighbourhoods=rows[(page - 1) * size:
                                                                     page * size],
                           total=len(rows), page=page, pages=max(1, -(-len(rows) // size)),
                           population=pop, filt=filt,
                           query={k: v for k, v in request.args.items() if k != "page"})


def _neighbourhood_access(db, n: dict, filt: Filter, mode: str, minutes: float):
    """(coverage row or None, nearest matching places from the neighbourhood's middle,
    a message why access cannot be shown or None)."""
    if access.registered_network(db) is None:
        return None, [], ("No travel-time network yet: an administrator runs "
                          "`buurtkaart network build --pbf FILE.osm.pbf`.")
    area = replace(filt.without_area(), municipality=n.get("municipality_code"))
    cache_dir = current_app.config.get("CACHE_DIR")
    try:
        cov, _ = access.run_coverage(db, area, mode=mode, minutes=minutes, cache_dir=cache_dir)
    except InvalidParameter as exc:  # no population figures stored yet
        return None, [], exc.reason
    rows = cov[cov["code"] == n["code"]].to_dict("records")
    middle = n["geometry"].representative_point()
    try:
        nearest = access.minutes_from(db, filt.without_area(), mode=mode, lon=middle.x,
                                      lat=middle.y, limit_minutes=max(30.0, 2 * minutes),
                                      cache_dir=cache_dir)[:5]
    except InvalidParameter:  # the neighbourhood lies off the network
        nearest = []
    if not rows:
        return None, nearest, ("This neighbourhood has no residents on the travel-time "
                               "network (no population figure, or outside the network).")
    row = rows[0]
    row["missing_models"] = coverage.missing_models(row)
    return row, nearest, None


@bp.route("/neighbourhoods/<code>")
def neighbourhood_detail(code: str):
    db = get_db()
    filt = _filter(extra=("mode", "minutes"))
    _, _, _, mode, minutes = _map_choice(db)
    n = store.neighbourhood(db, code)
    reach, nearest, reach_error = _neighbourhood_access(db, n, filt, mode, minutes)
    mobile = [a for a in store.activities(db, filt.without_area()) if a["place"] is None]
    frame = store.indicator_frame(db, code=code)
    table: dict[str, dict[int, float]] = {}
    sources: dict[str, set] = {}
    for r in frame.itertuples(index=False):
        table.setdefault(r.indicator, {})[int(r.year)] = r.value
        if r.source:
            sources.setdefault(r.indicator, set()).add(r.source)
    years = sorted({int(y) for y in frame["year"]}) if not frame.empty else []
    places = [p for p in store.places(db) if p.get("neighbourhood_code") == code]
    municipality = n.get("municipality_code")
    region = store.indicator_frame(db)
    idx = need_index(region, codes=[h["code"] for h in store.neighbourhoods(db)])
    need_row = idx.set_index("code").loc[code] if code in set(idx["code"]) else None
    typ = _typology(db, municipality).set_index("code")
    typ_row = typ.loc[code] if code in typ.index else None
    return render_template("neighbourhood.html", n=n, table=table, years=years,
                           sources={k: "; ".join(sorted(v)) for k, v in sources.items()},
                           places=places, label=indicator_label, INDICATORS=INDICATORS,
                           trends=trend(frame, code), need=need_row, need_attrs=idx.attrs,
                           need_formula=NEED_INDEX_FORMULA, typ=typ_row,
                           typ_classes=TYPOLOGY_CLASSES, typ_attrs=typ.attrs,
                           reach=reach, nearest=nearest, reach_error=reach_error, filt=filt,
                           mobile=mobile,
                           mode=mode, minutes=minutes, profiles=network.PROFILES,
                           thresholds_minutes=coverage.THRESHOLD_MINUTES)
