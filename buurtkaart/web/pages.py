"""HTML pages: home, the map, and list and detail pages for places, activities and neighbourhoods."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, render_template, request, url_for

from .. import maps, store
from ..editing import is_stale
from ..errors import InvalidParameter
from ..filters import FILTER_PARAMETERS, Filter
from ..hours import describe_session
from ..indicators import INDICATORS, indicator_label
from ..taxonomy import (PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WEEKDAY_NAMES_EN,
                        WORKING_MODELS)
from .api import indicator_values
from .db import get_db

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
            "has_sample": has_sample, "filter_help": FILTER_PARAMETERS}


def _filter(extra=()) -> Filter:
    params = {k: [v for v in vs if v != ""] for k, vs in request.args.to_dict(flat=False).items()}
    params = {k: vs for k, vs in params.items() if vs}
    return Filter.from_params(params, allowed_extra=extra)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidParameter("page", f"expected a page number from 1, got {raw!r}")
    return int(raw)


@bp.route("/")
def index():
    return render_template("index.html", counts=store.counts(get_db()))


def _map_choice(db):
    catalogue = store.indicator_catalogue(db)
    names = [c["indicator"] for c in catalogue]
    indicator = request.args.get("indicator") or ("population" if "population" in names
                                                  else (names[0] if names else None))
    year = request.args.get("year")
    if year is not None and year != "":
        if not year.isdigit():
            raise InvalidParameter("year", f"expected a year, got {year!r}")
        year = int(year)
    else:
        year = None
    return catalogue, indicator, year


@bp.route("/kaart")
def map_page():
    db = get_db()
    filt = _filter(extra=("indicator", "year"))
    catalogue, indicator, year = _map_choice(db)
    if indicator:
        indicator_values(db, indicator, year)  # validate before building the frame URL
    query = urlencode(request.args, doseq=True)
    return render_template("map.html", filt=filt, catalogue=catalogue, indicator=indicator,
                           year=year, frame_url=url_for("pages.map_frame") + ("?" + query if query
                                                                               else ""),
                           count=len(store.places(db, filt)), label=indicator_label)


@bp.route("/kaart/frame")
def map_frame():
    db = get_db()
    filt = _filter(extra=("indicator", "year"))
    _, indicator, year = _map_choice(db)
    values, source = {}, None
    if indicator:
        values, year, source = indicator_values(db, indicator, year)
    m = maps.build_map(
        store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox,
                             simplify=0.00005),
        store.places(db, filt), static_prefix=url_for("static", filename="").rstrip("/"),
        indicator=indicator, indicator_label=indicator_label(indicator) if indicator else None,
        values=values, year=year, source=source,
        detail_url=url_for("pages.place_detail", place_id=0).replace("/0", "/{id}"),
        neighbourhood_url=url_for("pages.neighbourhood_detail", code="CODE").replace("CODE",
                                                                                       "{code}"))
    return Response(m.get_root().render(), mimetype="text/html")


@bp.route("/places")
def place_list():
    filt = _filter(extra=("page",))
    page = _page_number()
    rows = store.places(get_db(), filt)
    shown = rows[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    return render_template("places.html", places=shown, total=len(rows), page=page,
                           pages=max(1, -(-len(rows) // PAGE_SIZE)), filt=filt,
                           query={k: v for k, v in request.args.items() if k != "page"})


@bp.route("/places/<int:place_id>")
def place_detail(place_id: int):
    p = store.place(get_db(), place_id)
    if p.get("archived_at"):
        from ..errors import NotFound

        raise NotFound(f"place {place_id} has been archived")
    p["activities"] = [a for a in p["activities"] if not a.get("archived_at")]
    return render_template("place.html", place=p)


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
    a = store.activity(get_db(), activity_id)
    if a.get("archived_at"):
        from ..errors import NotFound

        raise NotFound(f"activity {activity_id} has been archived")
    return render_template("activity.html", activity=a)


@bp.route("/neighbourhoods")
def neighbourhood_list():
    filt = _filter()
    db = get_db()
    rows = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    pop = {}
    frame = store.indicator_frame(db, indicator="population")
    if not frame.empty:
        latest = frame.sort_values("year").groupby("code").tail(1)
        pop = dict(zip(latest["code"], latest["value"]))
    return render_template("neighbourhoods.html", neighbourhoods=rows, population=pop,
                           filt=filt)


@bp.route("/neighbourhoods/<code>")
def neighbourhood_detail(code: str):
    db = get_db()
    n = store.neighbourhood(db, code)
    frame = store.indicator_frame(db, code=code)
    table: dict[str, dict[int, float]] = {}
    sources: dict[str, set] = {}
    for r in frame.itertuples(index=False):
        table.setdefault(r.indicator, {})[int(r.year)] = r.value
        if r.source:
            sources.setdefault(r.indicator, set()).add(r.source)
    years = sorted({int(y) for y in frame["year"]}) if not frame.empty else []
    places = [p for p in store.places(db) if p.get("neighbourhood_code") == code]
    return render_template("neighbourhood.html", n=n, table=table, years=years,
                           sources={k: "; ".join(sorted(v)) for k, v in sources.items()},
                           places=places, label=indicator_label, INDICATORS=INDICATORS)
