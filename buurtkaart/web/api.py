"""The read API: GeoJSON for places, activities and neighbourhoods, with filters.

Every parameter is validated; an unknown one is refused (HTTP 400 naming
it) rather than ignored, so a typo never silently widens a result.
"""

from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, request, url_for

from .. import geomcache, listing, store
from ..errors import InvalidParameter
from ..filters import Filter
from .db import get_db, now
from .geojson import activity_feature, collection, neighbourhood_feature, place_feature
from .params import int_arg
from .public import live_activity, live_place

bp = Blueprint("api", __name__, url_prefix="/api")

PAGING = ("limit", "offset")
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10000


def _params() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _paging() -> tuple[int, int]:
    """``limit`` and ``offset`` (validated)."""
    return (int_arg("limit", lo=1, hi=MAX_LIMIT, default=DEFAULT_LIMIT),
            int_arg("offset", lo=0, hi=10**9, default=0))


def _links(total: int) -> list[dict]:
    """OGC-API-style ``next``/``prev`` links for a paged collection."""
    limit, offset = _paging()
    args = {k: v for k, v in request.args.to_dict(flat=False).items() if k != "offset"}
    links = []
    if offset + limit < total:
        links.append({"rel": "next", "type": "application/geo+json",
                      "href": url_for(request.endpoint, **request.view_args, **args,
                                      offset=offset + limit)})
    if offset > 0:
        links.append({"rel": "prev", "type": "application/geo+json",
                      "href": url_for(request.endpoint, **request.view_args, **args,
                                      offset=max(0, offset - limit))})
    return links


def geojson_response(body: dict):
    resp = jsonify(body)
    resp.mimetype = "application/geo+json"
    return resp


@bp.route("/places")
def places():
    """Places matching every Filter parameter, as Point features with their activities."""
    filt = Filter.from_params(_params(), allowed_extra=PAGING, now=now)
    limit, offset = _paging()
    page, total = listing.place_page(get_db(), filt, limit=limit, offset=offset)
    return geojson_response(collection([place_feature(p) for p in page], matched=total,
                                       filter=filt.to_params(), time=filt.time_json(),
                                       links=_links(total)))


@bp.route("/places/<int:place_id>")
def place(place_id: int):
    """One place (404 when unknown or archived), with its current activities."""
    _only(())
    return geojson_response(place_feature(live_place(get_db(), place_id)))


@bp.route("/activities")
def activities():
    """Activities matching every Filter parameter; mobile ones have a null geometry."""
    filt = Filter.from_params(_params(), allowed_extra=PAGING, now=now)
    limit, offset = _paging()
    page, total = listing.activity_page(get_db(), filt, limit=limit, offset=offset)
    return geojson_response(collection([activity_feature(a) for a in page], matched=total,
                                       filter=filt.to_params(), time=filt.time_json(),
                                       links=_links(total)))


@bp.route("/activities/<int:activity_id>")
def activity(activity_id: int):
    """One activity (404 when unknown or archived, or its place is)."""
    _only(())
    return geojson_response(activity_feature(live_activity(get_db(), activity_id)))


def indicator_values(db, indicator: str, year: int | None, *, param: str = "indicator"
                     ) -> tuple[dict[str, float], int | None, str | None]:
    """Values of ``indicator`` per code for ``year`` (default: the latest year stored);
    ``param`` is the query parameter named when the indicator is unknown."""
    frame = store.indicator_frame(db, indicator=indicator)
    if frame.empty:
        known = ", ".join(c["indicator"] for c in store.indicator_catalogue(db)) or "none stored"
        raise InvalidParameter(param, f"no values for {indicator!r} (known: {known})")
    years = sorted(frame["year"].unique())
    if year is None:
        year = int(years[-1])
    elif year not in years:
        raise InvalidParameter("year", f"{indicator} has values for {', '.join(map(str, years))}"
                                       f", not {year}")
    sel = frame[frame["year"] == year]
    sources = sorted(set(s for s in sel["source"] if s))
    return ({c: (None if v is None or math.isnan(v) else float(v))
             for c, v in zip(sel["code"], sel["value"])}, year, "; ".join(sources) or None)


def indicator_notes(db, indicator: str, year: int | None) -> dict[str, str]:
    """Code -> why the value of ``indicator`` in ``year`` is unknown (only noted ones)."""
    frame = store.indicator_frame(db, indicator=indicator, year=year)
    return {c: n for c, n in zip(frame["code"], frame["note"]) if n}


#: Metres per degree of latitude; the tolerance of ``simplify`` is converted with it.
METRES_PER_DEGREE = 111_320
MAX_SIMPLIFY_METRES = 10_000
#: Below a millimetre nothing is simplified (GEOS cannot snap to a subnormal grid).
MIN_SIMPLIFY_METRES = 0.001


def _simplify_tolerance() -> float | None:
    """``simplify`` (metres, validated) as a tolerance in degrees, or ``None``."""
    raw = request.args.get("simplify")
    if raw is None or raw == "":
        return None
    try:
        metres = float(raw)
    except ValueError:
        raise InvalidParameter("simplify", f"expected metres, got {raw!r}") from None
    if math.isnan(metres) or not 0 <= metres <= MAX_SIMPLIFY_METRES:
        raise InvalidParameter("simplify",
                               f"must be between 0 and {MAX_SIMPLIFY_METRES} metres, got {raw!r}")
    return metres / METRES_PER_DEGREE if metres >= MIN_SIMPLIFY_METRES else None


def _indicator_args() -> tuple[str | None, int | None]:
    indicator = request.args.get("indicator") or None
    year = int_arg("year", lo=1900, hi=2100)
    if year is not None and indicator is None:
        raise InvalidParameter("year", "only meaningful together with indicator")
    return indicator, year


def _neighbourhood_args() -> dict:
    _only(("municipality", "bbox", "indicator", "year", "simplify", *PAGING))
    filt = Filter.from_params({k: v for k, v in _params().items()
                               if k in ("municipality", "bbox")})
    indicator, year = _indicator_args()
    return {"bbox": filt.bbox, "municipality": filt.municipality,
            "simplify": _simplify_tolerance(), "indicator": indicator, "year": year}


@bp.route("/neighbourhoods")
def neighbourhoods():
    """Neighbourhood polygons, optionally with one indicator's value for one year."""
    a = _neighbourhood_args()
    db = get_db()
    values, year, source = ({}, None, None)
    if a["indicator"]:
        values, year, source = indicator_values(db, a["indicator"], a["year"])
    limit, offset = _paging()
    page, total = store.neighbourhood_page(db, bbox=a["bbox"], municipality=a["municipality"],
                                           limit=limit, offset=offset)
    geomcache.simplified(db, page, a["simplify"],  # the page, cached per geometry version
                         cache_dir=current_app.config.get("CACHE_DIR"))
    feats = [neighbourhood_feature(n, value=values.get(n["code"]), indicator=a["indicator"],
                                   year=year) for n in page]
    if a["indicator"]:
        _add_notes(feats, indicator_notes(db, a["indicator"], year))
    extra = {"indicator": a["indicator"], "year": year, "source": source} if a["indicator"] else {}
    return geojson_response(collection(feats, matched=total, links=_links(total), **extra))


@bp.route("/neighbourhoods/<code>")
def neighbourhood(code: str):
    """One neighbourhood polygon (404 when unknown); ``indicator``/``year``/``simplify`` as
    for the collection."""
    _only(("indicator", "year", "simplify"))
    indicator, year = _indicator_args()
    db = get_db()
    n = store.neighbourhood(db, code)
    tol = _simplify_tolerance()
    if tol:
        n["geometry"] = n["geometry"].simplify(tol, preserve_topology=True)
    value = None
    if indicator:
        values, year, _source = indicator_values(db, indicator, year)
        value = values.get(code)
    feature = neighbourhood_feature(n, value=value, indicator=indicator, year=year)
    if indicator:
        _add_notes([feature], indicator_notes(db, indicator, year))
    return geojson_response(feature)


def _add_notes(features: list[dict], notes: dict[str, str]) -> None:
    """``note``: why the value is unknown (e.g. confidential in the source), else null."""
    for f in features:
        f["properties"]["note"] = notes.get(f["properties"]["code"])


@bp.route("/municipalities")
def municipalities_api():
    """Municipalities: NIS code, name (when outlines were imported), number of
    neighbourhoods."""
    from ..municipalities import municipalities

    _only(())
    return jsonify({"ok": True, "municipalities": municipalities(get_db())})


@bp.route("/indicators")
def indicators():
    """Every stored indicator with its years, coverage, sources, label and unit."""
    from ..indicators import INDICATORS
    from ..indicators import indicator_label_both as indicator_label

    _only(())
    out = []
    for c in store.indicator_catalogue(get_db()):
        meta = INDICATORS.get(c["indicator"])
        out.append({**c, "label": indicator_label(c["indicator"]),
                    "unit": meta.unit if meta else None})
    return jsonify({"ok": True, "indicators": out})


def _neighbourhood_frame(db, municipality=None):
    import geopandas as gpd

    hoods = store.neighbourhoods(db, municipality=municipality)
    return gpd.GeoDataFrame({"code": [n["code"] for n in hoods]},
                            geometry=[n["geometry"] for n in hoods], crs=4326), hoods


def _only(allowed: tuple[str, ...]) -> None:
    for name in request.args:
        if name not in allowed:
            raise InvalidParameter(name, f"unknown parameter (known: {', '.join(allowed)})")


@bp.route("/neighbourhoods/<code>/indicators")
def neighbourhood_indicators(code: str):
    """Every indicator of one neighbourhood over all years loaded, with labels and sources."""
    from ..indicators import INDICATORS
    from ..indicators import indicator_label_both as indicator_label

    _only(())
    db = get_db()
    store.neighbourhood(db, code)
    frame = store.indicator_frame(db, code=code)
    out = {}
    for ind, g in frame.groupby("indicator"):
        meta = INDICATORS.get(ind)
        out[ind] = {"label": indicator_label(ind), "unit": meta.unit if meta else None,
                    "values": [{"year": int(r.year),
                                "value": None if r.value != r.value else float(r.value),
                                "source": r.source, "note": r.note}
                               for r in g.itertuples(index=False)]}
    return jsonify({"ok": True, "code": code, "indicators": out})


@bp.route("/need-index")
def need_index_api():
    from ..indicators import need_index, parse_directions, parse_weights

    _only(("weights", "directions", "method", "year", "municipality"))
    db = get_db()
    directions = parse_directions(request.args.get("directions"))
    weights = parse_weights(request.args.get("weights"), directions)
    year = int_arg("year", lo=1900, hi=2100)
    muni = Filter.from_params({k: v for k, v in _params().items() if k == "municipality"})
    gdf, hoods = _neighbourhood_frame(db, muni.municipality)
    idx = need_index(store.indicator_frame(db), weights=weights, directions=directions,
                     year=year, codes=list(gdf["code"]),
                     method=request.args.get("method") or "z")
    by = idx.set_index("code")
    feats = []
    for n in hoods:
        r = by.loc[n["code"]]
        props = {"need_index": None if r["need_index"] != r["need_index"] else float(
            r["need_index"]), "missing": list(r["missing"]),
            "n_indicators": int(r["n_indicators"]), "years": dict(r["years"]),
            "contributions": {c[len("contribution_"):]: (None if r[c] != r[c] else float(r[c]))
                              for c in by.columns if c.startswith("contribution_")}}
        f = neighbourhood_feature(n)
        f["properties"].update(props)
        feats.append(f)
    return geojson_response(collection(feats, formula=idx.attrs["formula"],
                                       weights=idx.attrs["weights"], years=idx.attrs["years"],
                                       dropped=idx.attrs["dropped"],
                                       directions=idx.attrs["directions"],
                                       method=idx.attrs["method"]))


@bp.route("/typology")
def typology_api():
    from ..indicators import TYPOLOGY_CLASSES, typology

    _only(("base_year", "end_year", "municipality"))
    db = get_db()
    muni = Filter.from_params({k: v for k, v in _params().items() if k == "municipality"})
    base = int_arg("base_year", lo=1900, hi=2100)
    end = int_arg("end_year", lo=1900, hi=2100)
    if base and end and base >= end:
        raise InvalidParameter("end_year", "must be later than base_year")
    gdf, hoods = _neighbourhood_frame(db, muni.municipality)
    codes = set(gdf["code"])
    frame = store.indicator_frame(db)
    frame = frame[frame["code"].isin(codes)]
    t = typology(frame, gdf, base_year=base, end_year=end)
    by = t.set_index("code")
    feats = []
    for n in hoods:
        r = by.loc[n["code"]]
        f = neighbourhood_feature(n)
        f["properties"].update(typology=r["typology"],
                               description=TYPOLOGY_CLASSES[r["typology"]][1],
                               reasons=list(r["reasons"]),
                               **{k: (None if r[k] is None or r[k] != r[k] else bool(r[k]))
                                  for k in ("vulnerable", "hot_market", "hot_neighbours",
                                            "gentrifying")})
        feats.append(f)
    return geojson_response(collection(feats, base_year=t.attrs.get("base_year"),
                                       end_year=t.attrs.get("end_year"),
                                       market_indicator=t.attrs.get("market"),
                                       classes={k: v[1] for k, v in TYPOLOGY_CLASSES.items()}))
