"""HTML pages: home, and list and detail pages for places, activities and neighbourhoods (the
map page and its frame are in :mod:`.map_pages`)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, current_app, g, render_template, request, url_for

from .. import (access, coverage, listing, maps, municipalities, network, search, store)
from ..editing import is_stale
from ..errors import InvalidParameter
from ..filters import FILTER_PARAMETERS, Filter
from ..indicators import (INDICATORS, NEED_INDEX_FORMULA, TYPOLOGY_CLASSES, format_value,
                          indicator_label, need_index, trend, typology)
from ..i18n import N_
from ..i18n import gettext as _
from ..mapstyle import known, number_text, percent_text
from ..taxonomy import (PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WEEKDAY_NAMES_EN,
                        WORKING_MODELS)
from ..transit.reach import PARAMETERS as TRANSIT_PARAMETERS
from . import finder, words
from .trip import fare_notes, how, mode_choices, mode_label, trip
from .csp import MapDocument
from .csp import nonce as csp_nonce
from .db import get_db
from .forgiving import page_args, page_filter
from .params import int_arg
from .public import live_activity, live_place

bp = Blueprint("pages", __name__)
PAGE_SIZE = 50
MAX_PAGE = 10**9
MAX_ID = 2**63 - 1  # SQLite's largest INTEGER
MAX_SUGGESTIONS = 20


@bp.app_context_processor
def _globals():
    def has_sample() -> bool:
        return get_db().execute("SELECT 1 FROM activities WHERE sample = 1 UNION "
                                "SELECT 1 FROM places WHERE sample = 1 LIMIT 1").fetchone() is not None

    return {"models": WORKING_MODELS, "kinds": PLACE_KINDS, "thresholds": THRESHOLDS,
            "weekdays": WEEKDAY_NAMES_EN, "is_stale": is_stale,
            "SAMPLE_DATA_LABEL": SAMPLE_DATA_LABEL,
            "has_sample": has_sample, "filter_help": FILTER_PARAMETERS,
            "describe_filter": _describe_filter, "value": format_value,
            "category_label": maps.category_label, "municipality_name": municipality_name,
            "mode_label": mode_label, "mode_choices": mode_choices,
            "transit_loaded": lambda: bool(access.feeds_version(get_db())),
            "percent": _percent, "number": _number,
            **words.template_globals()}


def _percent(share) -> str:
    """A share as a percentage in the page's language ("87 %"); "—" without one."""
    return percent_text(share) if known(share) else "—"


def _number(v, decimals: int | None = None) -> str:
    """A number in the page's language ("19 427", "3,6"); "—" without one."""
    return number_text(v, decimals) if known(v) else "—"


def municipality_name(code: str) -> str:
    """``Gent (44021)`` where the name is known (``buurtkaart import municipalities``),
    otherwise the code."""
    names = getattr(g, "_municipality_names", None)
    if names is None:
        names = g._municipality_names = municipalities.municipality_names(get_db())
    return f"{names[code]} ({code})" if names.get(code) else code


def _describe_filter(filt: Filter) -> list[str]:
    return maps.describe_filter(filt, municipality_name)


@bp.app_template_filter("indicator_label")
def _indicator_label_filter(key: str) -> str:
    return indicator_label(key)


def _filter(extra=()) -> Filter:
    """The filter of this page's query; tracking and unknown parameters are ignored."""
    return page_filter(extra)


def _query(extra=()) -> dict:
    """The understood query parameters except ``page``, for pager links."""
    return {k: v for k, v in page_args(extra).items() if k != "page"}


def _page_number() -> int:
    return int_arg("page", lo=1, hi=MAX_PAGE, default=1)


@bp.route("/")
def index():
    db = get_db()
    return render_template("index.html", counts=store.counts(db),
                           has_network=access.registered_network(db) is not None)


MAP_EXTRA = ("indicator", "year", "mode", "minutes", "isochrone", "best", "neighbourhood",
             *TRANSIT_PARAMETERS)
COVERAGE = "coverage"  # the "indicator" that colours neighbourhoods by access
NEED_INDEX = "need_index"
TYPOLOGY = "typology"
def _map_choice(db):
    """Which layer colours the neighbourhoods, and the access settings, from the query."""
    catalogue = store.indicator_catalogue(db)
    names = [c["indicator"] for c in catalogue]
    indicator = request.args.get("indicator") or ("population" if "population" in names
                                                  else (names[0] if names else None))
    year = int_arg("year", lo=1900, hi=2100)
    mode, minutes = _mode_and_minutes("10")
    int_arg("isochrone", lo=1, hi=MAX_ID)
    int_arg("best", lo=1, hi=MAX_SUGGESTIONS)
    return catalogue, indicator, year, mode, minutes


def latest_population(db) -> dict[str, tuple[float, int]]:
    """Code -> (residents, year) from the latest population figure of each neighbourhood."""
    frame = store.indicator_frame(db, indicator="population")
    if frame.empty:
        return {}
    latest = frame.dropna(subset=["value"]).sort_values("year").groupby("code").tail(1)
    return {c: (v, int(y)) for c, v, y in zip(latest["code"], latest["value"], latest["year"])}


def _typology(db, municipality=None):
    import geopandas as gpd

    hoods = store.neighbourhoods(db, municipality=municipality)
    gdf = gpd.GeoDataFrame({"code": [n["code"] for n in hoods]},
                           geometry=[n["geometry"] for n in hoods], crs=4326)
    frame = store.indicator_frame(db)
    return typology(frame[frame["code"].isin(set(gdf["code"]))], gdf)


def _static_prefix() -> str:
    return url_for("static", filename="").rstrip("/")


@bp.route("/places")
def place_list():
    """Places that fit. A typed street, address, postcode or neighbourhood, a chosen
    suggestion (``at``) or the browser's position (``lon``/``lat``, "use my location")
    lists them nearest first with their travel time by ``mode`` within ``minutes``."""
    filt = _filter(extra=("page", "mode", "minutes", *TRANSIT_PARAMETERS,
                          *finder.FINDER_PARAMETERS))
    page = _page_number()
    db = get_db()
    found = finder.finder(db, filt)
    has_network = access.registered_network(db) is not None
    near, minutes, when, fares = None, {}, None, []
    if found.start is not None and not has_network:
        found.trouble = finder.NO_NETWORK
    elif found.start is not None:
        try:
            near, when, fares = _near(db, found.filt, found.start.lon, found.start.lat)
        except InvalidParameter as exc:
            found.trouble = finder.outside_sentence(exc, found.start)
    first = (page - 1) * PAGE_SIZE
    if near is not None:
        shown, total = [p for p, _m in near][first:first + PAGE_SIZE], len(near)
        minutes = {p["id"]: m for p, m in near}
    elif not found.listing:  # a choice to make first, or nothing found
        shown, total = [], 0
    elif found.start is not None and not has_network:
        rows = finder.as_the_crow_flies(store.places(db, found.filt), found.start)
        shown, total = rows[first:first + PAGE_SIZE], len(rows)
    else:
        shown, total = listing.place_page(db, found.filt, limit=PAGE_SIZE, offset=first)
    return render_template("places.html", places=shown, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), filt=filt,
                           found=found, listed_filt=found.filt, kept=finder.kept_parameters(),
                           minutes=minutes, near=near is not None, profiles=network.PROFILES,
                           has_network=has_network, when=when, fares=fares,
                           mode=_mode_and_minutes("30")[0] if has_network else "walk",
                           limit=_mode_and_minutes("30")[1] if has_network else 30,
                           time_links=_time_links("pages.place_list", filt),
                           query=_query(("lon", "lat", "mode", "minutes", *TRANSIT_PARAMETERS)))


TIME_CHOICES = (("now", N_("Open now")), ("tonight", N_("This evening")),
                ("weekend", N_("This weekend")))


def _time_links(endpoint: str, filt: Filter) -> list[tuple[str, str, bool]]:
    """One link per "when" choice, keeping every other condition of the query."""
    keep = {k: v for k, v in page_args(("lon", "lat", "mode", "minutes",
                                        *TRANSIT_PARAMETERS)).to_dict(
        flat=False).items() if k not in ("when", "day", "date", "from", "to", "page")}
    return [(_(label), url_for(endpoint, **keep, when=key), filt.when == key)
            for key, label in TIME_CHOICES]


def _mode_and_minutes(default_minutes: str, *, transit_ok: bool = True) -> tuple[str, float]:
    """The travel mode (public transport included) and the limit in minutes (1-120) asked
    for in the query."""
    mode = request.args.get("mode") or "walk"
    if mode != "transit":
        network.profile(mode)
    raw = request.args.get("minutes") or default_minutes
    try:
        minutes = float(raw)
    except ValueError:
        raise InvalidParameter("minutes", f"expected a number, got {raw!r}") from None
    if not 1 <= minutes <= 120:
        raise InvalidParameter("minutes", "must be between 1 and 120")
    return mode, minutes


def _near(db, filt, lon: float, lat: float):
    """Matching places from a point with their minutes, the moment evaluated, and what the
    ticket budget did (:func:`.trip.fare_notes`)."""
    mode, limit = _mode_and_minutes("30")
    transit = trip(mode)
    report: dict = {}
    near = access.minutes_from(db, filt, mode=mode, lon=lon, lat=lat, limit_minutes=limit,
                               cache_dir=current_app.config.get("CACHE_DIR"), transit=transit,
                               report=report)
    return near, how(mode, transit, report), fare_notes(report)





@bp.route("/places/<int:place_id>")
def place_detail(place_id: int):
    return render_template("place.html", place=live_place(get_db(), place_id))


@bp.route("/places/<int:place_id>/kaart")
def place_map_frame(place_id: int):
    """The small map embedded on a place's detail page."""
    db = get_db()
    p = live_place(db, place_id)
    hood = store.neighbourhood(db, p["neighbourhood_code"]) if p.get("neighbourhood_code") \
        else None
    m = maps.place_map(p, neighbourhood=hood, static_url_prefix=_static_prefix())
    doc = MapDocument(m, title=_("Map of %(name)s", name=p["name"]))
    return Response(doc.html(csp_nonce()), mimetype="text/html")


@bp.route("/activities")
def activity_list():
    filt = _filter(extra=("page",))
    page = _page_number()
    shown, total = listing.activity_page(get_db(), filt, limit=PAGE_SIZE,
                                         offset=(page - 1) * PAGE_SIZE)
    return render_template("activities.html", activities=shown, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), filt=filt,
                           query=_query())


@bp.route("/activities/<int:activity_id>")
def activity_detail(activity_id: int):
    return render_template("activity.html", activity=live_activity(get_db(), activity_id))


NEIGHBOURHOOD_PAGE_SIZE = 100


@bp.route("/neighbourhoods")
def neighbourhood_list():
    filt = _filter(extra=("page",))
    page = _page_number()
    db = get_db()
    rows = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    if filt.q:  # name or code through the search index (case and accents do not matter)
        codes = {h.ref for h in search.find(db, filt.q, limit=len(rows) or 1,
                                            types=("neighbourhood",))}
        rows = [n for n in rows if n["code"] in codes]
    pop = latest_population(db)
    size = NEIGHBOURHOOD_PAGE_SIZE
    reach = _list_access(db, filt)
    return render_template("neighbourhoods.html", neighbourhoods=rows[(page - 1) * size:
                                                                     page * size],
                           total=len(rows), page=page, pages=max(1, -(-len(rows) // size)),
                           population=pop, filt=filt, reach=reach,
                           reach_minutes=DEFAULT_MINUTES,
                           reach_mode=_(network.PROFILES["walk"].label),
                           query=_query())


#: The access shown in the neighbourhood list: walking, within this many minutes.
DEFAULT_MINUTES = 10.0


def _list_access(db, filt: Filter) -> dict[str, float] | None:
    """Code -> share of residents within :data:`DEFAULT_MINUTES` minutes' walk of any meeting
    place (the thresholds of ``filt`` apply); None when it cannot be computed (no network or
    no population figures)."""
    if access.registered_network(db) is None:
        return None
    try:
        cov, _report = access.run_coverage(db, filt.without_area(), mode="walk",
                                           minutes=DEFAULT_MINUTES,
                                           cache_dir=current_app.config.get("CACHE_DIR"))
    except InvalidParameter:
        return None
    return dict(zip(cov["code"], cov["share_within"]))


def _neighbourhood_access(db, n: dict, filt: Filter, mode: str, minutes: float, transit=None,
                          report: dict | None = None):
    """(coverage row or None, nearest matching places from the neighbourhood's middle,
    a message why access cannot be shown or None); ``report`` receives the coverage
    report (what public transport and its ticket budget used)."""
    if access.registered_network(db) is None:
        return None, [], _("No travel-time network yet: an administrator runs "
                           "`buurtkaart network build --pbf FILE.osm.pbf`.")
    area = replace(filt.without_area(), municipality=n.get("municipality_code"))
    cache_dir = current_app.config.get("CACHE_DIR")
    try:
        cov, used = access.run_coverage(db, area, mode=mode, minutes=minutes,
                                        cache_dir=cache_dir, transit=transit)
        if report is not None:
            report.update(used)
    except InvalidParameter as exc:  # no population figures stored yet
        return None, [], (_("No population figures yet: access is shown once they are "
                            "imported.") if exc.name == "population" else exc.reason)
    rows = cov[cov["code"] == n["code"]].to_dict("records")
    middle = n["geometry"].representative_point()
    try:
        nearest = access.minutes_from(db, filt.without_area(), mode=mode, lon=middle.x,
                                      lat=middle.y, limit_minutes=max(30.0, 2 * minutes),
                                      cache_dir=cache_dir, transit=transit)[:5]
    except InvalidParameter:  # the neighbourhood lies off the network
        nearest = []
    if not rows:
        return None, nearest, _("This neighbourhood has no residents on the travel-time "
                                "network (no population figure, or outside the network).")
    row = rows[0]
    row["missing_models"] = coverage.missing_models(row)
    return row, nearest, None


@bp.route("/neighbourhoods/<code>")
def neighbourhood_detail(code: str):
    db = get_db()
    filt = _filter(extra=("mode", "minutes", "page", *TRANSIT_PARAMETERS))
    *_choice, mode, minutes = _map_choice(db)
    page = _page_number()
    n = store.neighbourhood(db, code)
    transit = trip(mode)
    used: dict = {}
    reach, nearest, reach_error = _neighbourhood_access(db, n, filt, mode, minutes, transit,
                                                        used)
    mobile = list(listing.iter_activities(db, filt.without_area(), mobile_only=True))
    frame = store.indicator_frame(db, code=code)
    table: dict[str, dict[int, float]] = {}
    sources: dict[str, set] = {}
    notes: dict[str, dict[int, str]] = {}  # why a value is unknown
    for r in frame.itertuples(index=False):
        table.setdefault(r.indicator, {})[int(r.year)] = r.value
        if r.note:
            notes.setdefault(r.indicator, {})[int(r.year)] = r.note
        if r.source:
            sources.setdefault(r.indicator, set()).add(r.source)
    years = sorted({int(y) for y in frame["year"]}) if not frame.empty else []
    places, places_total = listing.place_page(db, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
                                              neighbourhood=code)
    municipality = n.get("municipality_code")
    region = store.indicator_frame(db)
    idx = need_index(region, codes=[h["code"] for h in store.neighbourhoods(db)])
    need_row = idx.set_index("code").loc[code] if code in set(idx["code"]) else None
    typ = _typology(db, municipality).set_index("code")
    typ_row = typ.loc[code] if code in typ.index else None
    return render_template("neighbourhood.html", n=n, table=table, years=years,
                           sources={k: "; ".join(sorted(v)) for k, v in sources.items()},
                           notes=notes,
                           places=places, places_total=places_total, page=page,
                           pages=max(1, -(-places_total // PAGE_SIZE)),
                           query={**_query(("mode", "minutes", *TRANSIT_PARAMETERS)),
                                  "code": code},
                           when=how(mode, transit, used), fares=fare_notes(used),
                           label=indicator_label, INDICATORS=INDICATORS,
                           trends=trend(frame, code), need=need_row, need_attrs=idx.attrs,
                           need_formula=NEED_INDEX_FORMULA, typ=typ_row,
                           typ_classes=TYPOLOGY_CLASSES, typ_attrs=typ.attrs,
                           reach=reach, nearest=nearest, reach_error=reach_error, filt=filt,
                           mobile=mobile,
                           mode=mode, minutes=minutes, profiles=network.PROFILES,
                           thresholds_minutes=coverage.THRESHOLD_MINUTES)
