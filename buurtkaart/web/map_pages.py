"""The map page (`/kaart`) and its frame (`/kaart/frame`): neighbourhoods coloured by an
indicator, access, the need index or the typology, with places, isochrones and suggested
locations; frames cached per data version and language. Routes on the pages blueprint."""

from __future__ import annotations

import threading
from collections import OrderedDict
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, render_template, request, url_for

from .. import (access, geomcache, listing, maps, network, scenario_map, store, suggestions)
from ..errors import InvalidParameter, NotFound
from ..indicators import (INDICATORS, TYPOLOGY_CLASSES, indicator_label, need_index)
from ..i18n import current_locale
from ..i18n import gettext as _
from .api import indicator_notes, indicator_values
from .trip import fare_notes, how, mode_label, trip
from .csp import MapDocument
from .csp import nonce as csp_nonce
from .db import get_db
from .forgiving import page_args
from .params import int_arg
from .public import live_place

bp = Blueprint("pages", __name__)
from .pages import (COVERAGE, MAP_EXTRA, MAX_ID, MAX_SUGGESTIONS, NEED_INDEX, TYPOLOGY,
                    _describe_filter, _filter, _map_choice, _static_prefix, _typology,
                    bp, latest_population)






def _values(db, filt, indicator, year, mode, minutes):
    """(values by code, year, source, label) for the choropleth (see :func:`_unknown` for
    the values that exist but are not known)."""
    if indicator == COVERAGE:
        transit = trip(mode)
        cov, report = access.run_coverage(db, filt, mode=mode, minutes=minutes,
                                          cache_dir=current_app.config.get("CACHE_DIR"),
                                          transit=transit)
        label = _("share of residents within %(minutes)s min (%(mode)s) of a matching place",
                  minutes=f"{minutes:g}", mode=how(mode, transit, report))
        notes = fare_notes(report)  # what the ticket budget did, under the legend
        source = " ".join([_("buurtkaart travel times") + ("." if notes else ""), *notes])
        return dict(zip(cov["code"], cov["share_within"])), None, source, label
    if indicator == NEED_INDEX:
        idx = need_index(store.indicator_frame(db), codes=[n["code"] for n in
                                                           store.neighbourhoods(db)])
        return (dict(zip(idx["code"], idx["need_index"])), None,
                _("need index over %(indicators)s", indicators=", ".join(
                    f"{indicator_label(k)} {y}" for k, y in idx.attrs["years"].items())),
                _("need index (0 = average; higher = more need)"))
    if indicator == TYPOLOGY:
        t = _typology(db, filt.municipality)
        return (dict(zip(t["code"], t["typology"])), None,
                _("change %(start)s–%(end)s", start=t.attrs.get("base_year"),
                  end=t.attrs.get("end_year")),
                _("gentrification and displacement"))
    values, year, source = indicator_values(db, indicator, year)
    return values, year, source, indicator_label(indicator)


def _unknown(db, indicator, year, values) -> dict[str, str]:
    """Code -> reason for the stored values of ``indicator`` that are unknown (e.g.
    confidential): shown apart from neighbourhoods without any value."""
    if indicator in (COVERAGE, NEED_INDEX, TYPOLOGY) or not indicator:
        return {}
    notes = indicator_notes(db, indicator, year)
    return {c: notes.get(c, "") for c, v in values.items() if v is None}




def _highlight(db) -> dict | None:
    """The neighbourhood the map zooms to (``?neighbourhood=CODE``), or None."""
    code = (request.args.get("neighbourhood") or "").strip()
    if not code:
        return None
    try:
        return store.neighbourhood(db, code)
    except NotFound:
        raise InvalidParameter("neighbourhood", f"no neighbourhood with code {code!r}") from None




@bp.route("/kaart")
def map_page():
    db = get_db()
    filt = _filter(extra=MAP_EXTRA)
    catalogue, indicator, year, mode, minutes = _map_choice(db)
    if indicator and indicator not in (COVERAGE, NEED_INDEX, TYPOLOGY):
        indicator_values(db, indicator, year)  # validate before building the frame URL
    highlight = _highlight(db)
    query = urlencode(list(page_args(MAP_EXTRA).items(multi=True)) + [("lang", current_locale())])
    return render_template("map.html", filt=filt, highlight=highlight, catalogue=catalogue,
                           indicator=indicator, year=year, mode=mode, minutes=minutes,
                           profiles=network.PROFILES,
                           has_network=access.registered_network(db) is not None,
                           frame_url=url_for("pages.map_frame") + ("?" + query if query else ""),
                           count=listing.place_page(db, filt, limit=0)[1],
                           label=indicator_label)


def _access_layers(db, filt, mode, minutes):
    """Isochrone and best-location layers asked for in the query."""
    layers = []
    iso = int_arg("isochrone", lo=1, hi=MAX_ID)
    best = int_arg("best", lo=1, hi=MAX_SUGGESTIONS)
    if not iso and not best:
        return layers
    transit = trip(mode)
    cache_dir = current_app.config.get("CACHE_DIR")
    if iso:
        place = live_place(db, iso)
        try:
            poly, _props = access.isochrone(db, place, mode=mode, minutes=minutes,
                                            transit=transit, cache_dir=cache_dir)
        except InvalidParameter as exc:
            if exc.name != "place":
                raise
            raise InvalidParameter("isochrone", exc.reason) from None
        layers.append(maps.isochrone_layer(poly, _("%(name)s: %(minutes)s min %(mode)s",
                                                   name=place["name"], minutes=f"{minutes:g}",
                                                   mode=how(mode, transit))))
    if best:
        picks = access.suggest_locations(db, filt, mode=mode, minutes=minutes, k=best,
                                         cache_dir=cache_dir, transit=transit)
        layers.append(scenario_map.suggestion_layer(
            suggestions.explain(db, picks),
            _("Suggested locations (%(minutes)s min %(mode)s)", minutes=f"{minutes:g}",
              mode=mode_label(mode))))
    return layers




_FRAMES: OrderedDict[tuple, str] = OrderedDict()
_FRAMES_LOCK = threading.Lock()
FRAME_CACHE_SIZE = 64


@bp.route("/kaart/frame")
def map_frame():
    """The map itself; rendered maps are kept per query until the data changes."""
    db = get_db()
    key = (store.data_version(db), tuple(page_args(MAP_EXTRA).items(multi=True)),
           current_locale(), request.script_root, current_app.config.get("CACHE_DIR"),
           access.feeds_version(db))
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
    _catalogue, indicator, year, mode, minutes = _map_choice(db)
    values, source, label = {}, None, None
    if indicator:
        values, year, source, label = _values(db, filt, indicator, year, mode, minutes)
    highlight = _highlight(db)
    places = store.places(db, filt)
    meta = INDICATORS.get(indicator or "")
    hoods = store.neighbourhoods(db, municipality=filt.municipality, bbox=filt.bbox)
    geomcache.simplified(db, hoods, maps.display_tolerance(n["geometry"] for n in hoods),
                         cache_dir=current_app.config.get("CACHE_DIR"))
    m = maps.build_map(
        hoods, places, static_url_prefix=_static_prefix(),
        indicator=indicator, indicator_label=label, values=values, year=year, source=source,
        unit="share" if indicator == COVERAGE else (meta.unit if meta else None),
        filter_description=_describe_filter(filt),
        detail_url=url_for("pages.place_detail", place_id=0).replace("/0", "/{id}"),
        neighbourhood_url=url_for("pages.neighbourhood_detail", code="CODE").replace("CODE",
                                                                                       "{code}"),
        extra_layers=_access_layers(db, filt, mode, minutes),
        categories=TYPOLOGY_CLASSES if indicator == TYPOLOGY else None,
        unknown=_unknown(db, indicator, year, values),
        population={c: v for c, (v, _y) in latest_population(db).items()},
        highlight=highlight["code"] if highlight else None,
        # darkest where the value is the problem: little access, low income
        reverse_colours=indicator == COVERAGE or bool(meta and meta.need_direction < 0))
    return MapDocument(m, title=_("Map of meeting places and neighbourhoods"))
