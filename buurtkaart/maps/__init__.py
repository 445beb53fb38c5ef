"""Folium maps built from the store and analysis results (no Flask here); the places'
popups are in :mod:`.popups`, the Leaflet behaviour added as folium elements in
:mod:`.elements`.

folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default;
these maps replace that with the Leaflet copy the app serves itself
(``static_url_prefix``), draw places as CircleMarkers (no icon fonts, no
marker images), bind popups with Leaflet's own ``bindPopup`` (folium's Popup
needs jQuery) and write their own legends as plain HTML (branca's colormaps
would pull d3 from a CDN). The only request that leaves the machine is for
basemap tiles (:data:`TILE_URL`), and overlays, popups and legends work
without them.

Everything that comes from the directory (names, addresses, hours) is
HTML-escaped before it enters a popup, tooltip, legend or layer name: Leaflet
inserts all of those as HTML.

Public API
----------
build_map(neighbourhoods, places, *, indicator=None, values=None, ...) -> folium.Map
place_map(place, *, neighbourhood=None, static_url_prefix="/static") -> folium.Map
describe_filter(filt, municipality_name=None) -> list[str]
quantile_classes(values, k=5) -> list[float]  (from :mod:`buurtkaart.mapstyle`, which
    also holds the fixed share classes, "no data" and "unknown", and numbers in words)
place_popup(place, detail_url=None) -> str
display_tolerance(geometries) -> float; round_coordinates(geometry); geojson_geometry(row)
isochrone_layer(polygon, name) -> folium.FeatureGroup (suggested locations: scenario_map)
fit(m, points, neighbourhoods): zoom to them
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import folium
import numpy as np
import shapely
from branca.element import Element

from .. import folium_cache
from ..filters import Filter
from ..i18n import gettext as _
from ..i18n import N_, language_name, ngettext, translate
from ..mapstyle import (HATCH_SVG, NO_DATA_COLOUR, PALETTE, UNKNOWN_FILL, Classes,
                       quantile_classes, value_text)
from ..taxonomy import PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WORKING_MODELS
from .elements import _ControlWords, _LegendMakesWay, _OutlinesGeoJson, _Popup, _Tooltip
from .popups import _THRESHOLD_KEYS, _e, address, place_popup

__all__ = [
    "build_map", "place_map", "describe_filter", "address", "category_label",
    "quantile_classes", "place_popup",
    "display_tolerance", "round_coordinates", "geojson_geometry",
    "isochrone_layer", "fit", "PALETTE", "NO_DATA_COLOUR", "TILE_URL",
    "TILE_ATTRIBUTION",
]

folium_cache.install()  # folium's templates compiled once per process, not per render

#: The basemap: the only URL a rendered map asks the browser to fetch from outside the app.
TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
#: OpenStreetMap's required credit; a link the user may follow, never a request the page makes
#: (``%(contributors)s``: "OpenStreetMap contributors" in the page's language).
TILE_ATTRIBUTION = ('%(map_data)s &copy; <a href="https://www.openstreetmap.org/copyright">'
                    '%(contributors)s</a>')
# --------------------------------------------------------------------------- geometry
#: Coordinates are rounded to 1e-6 degrees (about 0.1 m): more digits only add bytes.
COORDINATE_DECIMALS = 6
#: Simplification never goes finer than this (about 5 m) nor coarser than 1/6000 of the
#: extent shown, about a pixel on a wide screen when the whole extent fits.
MIN_TOLERANCE_DEGREES = 0.00005
EXTENT_FRACTION = 1 / 6000


def round_coordinates(geometry):
    """``geometry`` with coordinates rounded to :data:`COORDINATE_DECIMALS` decimals."""
    import numpy as np
    import shapely

    return shapely.transform(geometry, lambda c: np.round(c, COORDINATE_DECIMALS))


def geojson_geometry(neighbourhood: Mapping) -> dict:
    """The GeoJSON geometry of a neighbourhood row, coordinates rounded: the one
    :mod:`buurtkaart.geomcache` keeps with its simplified shape, else made now."""
    kept = neighbourhood.get("geojson")
    return kept.mapping if kept is not None else round_coordinates(
        neighbourhood["geometry"]).__geo_interface__


def display_tolerance(geometries: Iterable) -> float:
    """A simplification tolerance in degrees for showing ``geometries`` all at once.

    A map of all 2,730 wijken of Flanders gets about 0.0005° (about 50 m, invisible at the
    zoom that shows them all), one municipality the minimum of about 5 m.
    """
    bounds = shapely.bounds(np.array(list(geometries), dtype=object)).reshape(-1, 4)
    bounds = bounds[~np.isnan(bounds).any(axis=1)]  # empty geometries have no extent
    if not len(bounds):
        return MIN_TOLERANCE_DEGREES
    width = bounds[:, 2].max() - bounds[:, 0].min()
    height = bounds[:, 3].max() - bounds[:, 1].min()
    return max(MIN_TOLERANCE_DEGREES, float(max(width, height)) * EXTENT_FRACTION)


# --------------------------------------------------------------------------- filters
def describe_filter(filt: Filter, municipality_name: Callable[[str], str] | None = None
                    ) -> list[str]:
    """Plain descriptions, in the active language, of the conditions of ``filt`` (empty
    when none).

    Used in the map's banner and on printed lists so that a reader knows what
    was left out. ``childcare=true`` matches childcare *or* children welcome (see
    :mod:`buurtkaart.filters`) and says so. ``municipality_name`` turns a municipality
    code into its name where one is known.
    """
    out: list[str] = []
    either = _(" or ")
    if filt.models:
        out.append(_("working model: %(models)s", models=either.join(
            _(WORKING_MODELS[m].label_en) for m in filt.models)))
    if filt.kinds:
        out.append(_("place: %(kinds)s", kinds=either.join(
            _(PLACE_KINDS[k].label_en) for k in filt.kinds)))
    for key in ("free", *_THRESHOLD_KEYS):
        want = getattr(filt, key)
        if want is None:
            continue
        if key == "childcare":
            out.append(_("with children (childcare or children welcome)") if want
                       else _("without childcare (and children not said to be welcome)"))
        else:
            label = _(THRESHOLDS[key].label_en)
            out.append(label if want else _("not %(condition)s", condition=label))
    if filt.language:
        out.append(_("language: %(language)s", language=language_name(filt.language)))
    if filt.span is not None:
        out.append(filt.span.describe())
    if filt.municipality:
        name = municipality_name(filt.municipality) if municipality_name else filt.municipality
        out.append(_("municipality %(name)s", name=name))
    if filt.bbox:
        out.append(_("inside the map area %(box)s", box=", ".join(f"{v:g}" for v in filt.bbox)))
    if filt.q:
        out.append(_("matching “%(words)s”", words=filt.q))
    return out


# --------------------------------------------------------------------------- legend
def _legend_html(indicator_label: str | None, classes: Classes | None, year, source,
                 kinds: Sequence[str], models: Sequence[str],
                 categories: Mapping[str, tuple[str, str]] | None,
                 extra: Sequence[str] = (), has_unknown: bool = False,
                 highlight: str | None = None) -> str:
    rows = []
    if highlight:
        rows.append('<div class="bk-highlight-key"><i></i>' + _e(highlight) + "</div>")
    if indicator_label:
        rows.append(f'<h2 class="bk-indicator">{_e(indicator_label)}'
                    f'{f" ({_e(year)})" if year else ""}</h2>')
        if categories:
            for key, (colour, text) in categories.items():
                rows.append(f'<div title="{_e(_(text))}"><i style="background:{_e(colour)}">'
                            f'</i>{_e(category_label(key))}</div>')
            rows.append(f'<div class="bk-class bk-nodata"><i style="background:'
                        f'{NO_DATA_COLOUR}"></i>' + _e(_("no data")) + "</div>")
        elif classes is not None:
            rows += classes.legend_rows(has_unknown=has_unknown)
        if source:
            rows.append('<p class="bk-source">' + _e(_("Source: %(source)s", source=source))
                        + "</p>")
    rows.append("<h2>" + _e(_("Meeting places")) + "</h2>")
    for k in kinds:
        kind = PLACE_KINDS[k]
        rows.append(f'<div><i class="bk-dot" style="background:{kind.colour}"></i>'
                    f"{_e(_(kind.label_en))}</div>")
    if not kinds:
        rows.append("<div>" + _e(_("none match")) + "</div>")
    if models:
        rows.append("<h2>" + _e(_("Working models")) + " <small>" + _e(_("(layers)"))
                    + "</small></h2>")
        for k in models:
            wm = WORKING_MODELS[k]
            rows.append(f'<div><i class="bk-ring" style="border-color:{wm.colour}"></i>'
                        f"{_e(_(wm.label_en))}</div>")
    return ('<details id="bk-legend" class="bk-legend" open><summary>' + _e(_("Legend"))
            + "</summary>" + "".join(rows) + "".join(extra) + "</details>")


def category_label(key: str) -> str:
    """A category of a categorical layer (the typology) in words."""
    return _(CATEGORY_LABELS.get(key, key.replace("_", " ")))


#: The typology classes in words (the keys stay as they are in the API).
CATEGORY_LABELS = {"gentrifying": N_("gentrifying"), "at_risk": N_("at risk"),
                   "vulnerable": N_("vulnerable"), "hot_market": N_("hot housing market"),
                   "not_vulnerable": N_("not vulnerable"), "unknown": N_("unknown")}


def _banner_html(lines: Sequence[str], css_class: str) -> str:
    return f'<p class="{css_class}">' + "<br>".join(_e(x) for x in lines) + "</p>"


_MAP_CSS = """
.leaflet-control-scale-line+.leaflet-control-scale-line{display:none}
.bk-legend{position:absolute;z-index:1000;bottom:52px;left:10px;background:#fff;padding:6px 10px;
 border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.35 system-ui,sans-serif;
 max-width:min(280px,70vw);max-height:50vh;overflow:auto}
.bk-legend summary{cursor:pointer;font-weight:600}
.bk-legend h2{margin:6px 0 2px;font-size:13px}.bk-legend i{display:inline-block;width:14px;
 height:14px;margin-right:6px;vertical-align:-2px;border:1px solid #555}
.bk-legend .bk-dot{border-radius:50%}.bk-highlight-key i{border:3px solid #08306b;
 background:transparent}.bk-legend .bk-ring{border-radius:50%;border-width:3px;
 width:10px;height:10px}
.bk-banners{position:absolute;z-index:1000;top:10px;left:54px;right:54px;pointer-events:none;
 font:13px/1.35 system-ui,sans-serif;text-align:center}
.bk-banners p{display:inline-block;margin:0 4px 4px;padding:3px 8px;border-radius:4px;
 box-shadow:0 1px 3px rgba(0,0,0,.3)}
.bk-filter{background:#fff;color:#1d1d1f}.bk-sample-banner{background:#fff4e0;color:#6b3a00}
.bk-source{color:#555;font-size:11px;margin:4px 0}.bk-sample{color:#8a4b00;font-style:italic}
.leaflet-popup-content .bk-popup{font:13px/1.35 system-ui,sans-serif}
.bk-popup h3{margin:0 0 2px;font-size:15px}.bk-popup h4{margin:6px 0 2px;font-size:13px}
.leaflet-popup-content .bk-popup p{margin:2px 0;overflow-wrap:anywhere}.bk-kind{color:#555}
.bk-activity{border-top:1px solid #ddd;margin-top:4px}
.bk-model{display:inline-block;border-left:4px solid;padding-left:3px;margin:1px 4px 1px 0}
.bk-badge{display:inline-block;border-radius:3px;padding:0 4px;margin:1px;font-size:11px}
.bk-yes{background:#d9f0d3;color:#1b5e20}.bk-no{background:#fde0dd;color:#8e0000}
.bk-unknown{background:#eee;color:#444}
.leaflet-container{background:#f2efe9}
.leaflet-tooltip.bk-wrap{white-space:normal;width:max-content;max-width:min(260px,60vw)}
.bk-legend .bk-suggestion-icon{border-radius:50%;border:3px solid #000;background:#fff;
 width:10px;height:10px}
"""


# --------------------------------------------------------------------------- layers
def isochrone_layer(polygon, name: str) -> folium.FeatureGroup:
    """An isochrone polygon as its own layer (``name`` may hold a place name: escaped)."""
    group = folium.FeatureGroup(name=_e(name), show=True)
    folium.GeoJson(polygon.__geo_interface__, name=_e(name),
                   style_function=lambda _f: {"color": "#08519c", "weight": 2, "fillColor":
                                              "#6baed6", "fillOpacity": 0.25,
                                              "className": "bk-isochrone"},
                   ).add_child(_Tooltip(_e(name))).add_to(group)
    return group


#: Around a highlighted neighbourhood the map shows at least about this much (0.004° is
#: about 300-450 m), so that a small wijk is seen with the places around it.
HIGHLIGHT_MARGIN_DEGREES = 0.004


def _neighbourhood_layer(m, neighbourhoods, indicator, indicator_label, values, population,
                         fill, shown, neighbourhood_url) -> None:
    """The neighbourhood polygons, coloured by their value, with name, value (with its
    unit) and residents in tooltip and popup."""
    page_link = _e(_("Neighbourhood page"))
    features = []
    for n in neighbourhoods:
        code = n["code"]
        v = values.get(code) if indicator else None
        url = neighbourhood_url.format(code=code)
        residents = population.get(code)
        features.append({
            # the kept JSON text when geomcache made it: written into the page as it is
            "type": "Feature", "geometry": n.get("geojson") or geojson_geometry(n),
            "properties": {
                "code": code, "name": _e(n.get("name") or code),
                "value": _e(shown(code, v)) if indicator else "",
                "residents": _e(value_text(residents, "people")) if residents is not None
                else _e(_("residents: no data")),
                "fill": fill(code, v) if indicator else "#9ecae1",
                "link": f'<a href="{_e(url)}" target="_top">{page_link}</a>'}})
    layer_name = _("%(layer)s (neighbourhoods)", layer=indicator_label or indicator) \
        if indicator else _("Neighbourhoods")
    fields = ["name", "value"] if indicator else ["name"]
    popup_fields = [*fields, *(["residents"] if population else []), "link"]
    _OutlinesGeoJson(
        {"type": "FeatureCollection", "features": features}, name=_e(layer_name),
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555",
                                  "weight": 1, "fillOpacity": 0.55,
                                  "className": "bk-neighbourhood"},
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=[""] * len(fields),
                                      labels=False),
        popup=folium.GeoJsonPopup(fields=popup_fields, aliases=[""] * len(popup_fields),
                                  labels=False),
    ).add_to(m)


def _base_map(static_url_prefix: str) -> folium.Map:
    """A folium map that loads only the app's own Leaflet, with the OSM basemap."""
    m = folium.Map(tiles=None, prefer_canvas=False, control_scale=True, zoom_control=True)
    prefix = static_url_prefix.rstrip("/")
    # static/mapframe.*: legend folded on phones, popups that fit, markers for the keyboard
    m.default_js = [("leaflet", f"{prefix}/vendor/leaflet/leaflet.js"),
                    ("buurtkaart_map", f"{prefix}/mapframe.js")]
    m.default_css = [("leaflet_css", f"{prefix}/vendor/leaflet/leaflet.css"),
                     ("buurtkaart_map_css", f"{prefix}/mapframe.css")]
    # a line of words with its links in it ("Kaartgegevens © OpenStreetMap-bijdragers")
    attribution = TILE_ATTRIBUTION % {"map_data": _e(_("Map data")),
                                      "contributors": _e(_("OpenStreetMap contributors"))}
    folium.TileLayer(TILE_URL, attr=attribution, name="OpenStreetMap", max_zoom=19,
                     control=False).add_to(m)
    m.get_root().header.add_child(Element(f"<style>{_MAP_CSS}</style>"))
    m.add_child(_ControlWords())
    return m


def _place_marker(p: Mapping, kind, popup: str, *, radius: float = 8,
                  extra_class: str = "") -> folium.CircleMarker:
    return folium.CircleMarker(
        location=(p["lat"], p["lon"]), radius=radius, color="#222",
        weight=3 if extra_class else 1.5, fill=True, fill_color=kind.colour, fill_opacity=0.95,
        class_name=f"bk-place bk-kind-{kind.key}{extra_class}",
    ).add_child(_Popup(popup)).add_child(_Tooltip(_e(p.get("name"))))


def build_map(
    neighbourhoods: Sequence[Mapping],
    places: Sequence[Mapping],
    *,
    static_url_prefix: str = "/static",
    indicator: str | None = None,
    indicator_label: str | None = None,
    values: Mapping[str, float | None] | None = None,
    year: int | None = None,
    source: str | None = None,
    unit: str | None = None,
    filter_description: Sequence[str] = (),
    detail_url: str = "/places/{id}",
    neighbourhood_url: str = "/neighbourhoods/{code}",
    extra_layers: Iterable[folium.FeatureGroup] = (),
    categories: Mapping[str, tuple[str, str]] | None = None,
    reverse_colours: bool = False,
    unknown: Mapping[str, str] | None = None,
    population: Mapping[str, float | None] | None = None,
    highlight: str | None = None,
) -> folium.Map:
    """The overview map.

    Parameters
    ----------
    neighbourhoods
        Dicts with ``code``, ``name`` and a shapely ``geometry`` in WGS84 (as
        :func:`buurtkaart.store.neighbourhoods` returns).
    places
        Place dicts with ``id``, ``name``, ``kind``, ``lon``, ``lat``, address
        fields, ``opening_hours``, ``sample`` and ``activities`` (as
        :func:`buurtkaart.store.places` returns).
    static_url_prefix
        Where the app serves ``vendor/leaflet/leaflet.js`` and ``.css``.
    indicator, indicator_label, values, year, source, unit
        The choropleth: ``values`` maps neighbourhood code to a number (or
        ``None``) on a colour-blind-safe palette, with an explicit "no data" class.
        ``unit="share"`` gets the fixed classes under 50 / 50-75 / 75-90 / 90-100 %
        (:mod:`buurtkaart.mapstyle`) and percentages; other units quantile classes.
    filter_description
        Lines shown in a banner on the map (see :func:`describe_filter`).
    detail_url, neighbourhood_url
        Link templates with ``{id}`` and ``{code}``.
    extra_layers
        Further feature groups (isochrones, suggestions) added before the
        layer control.
    categories
        For a categorical layer: value -> (colour, description); ``values``
        then holds category keys.
    reverse_colours
        Darkest colour for the lowest values: for layers where a low value is the
        problem (share of residents within reach, income), so the darkest areas are
        always the ones to look at.
    unknown
        Codes whose value exists but is not known (e.g. confidential) -> the reason (or
        ""): hatched, apart from "no data" (no value at all, no residents).
    population
        Residents per code, shown in the neighbourhood's popup ("19 427 residents").
    highlight
        The code of a neighbourhood to zoom to and outline, its places drawn larger.

    Returns
    -------
    folium.Map
        Neighbourhood polygons (class ``bk-neighbourhood``) with name and
        value in a tooltip and a popup linking to the neighbourhood page; a
        layer "All meeting places" with one CircleMarker per place (class
        ``bk-place``), coloured by kind, with a popup (:func:`place_popup`);
        one hidden layer per working model ringing the places that offer it;
        a layer control; a legend (``#bk-legend``); banners for the filter
        and for sample data.
    """
    m = _base_map(static_url_prefix)
    extra_layers = list(extra_layers)
    values, unknown, population = values or {}, unknown or {}, population or {}
    classes = Classes.for_values(values.values(), unit, reverse_colours) \
        if indicator and not categories else None

    def fill(code, v):
        if code in unknown:
            return UNKNOWN_FILL
        if categories:
            return categories.get(v, (NO_DATA_COLOUR, ""))[0]
        return classes.colour(v)

    def shown(code, v):
        if code in unknown:
            reason = unknown[code]
            return (_("unknown (%(reason)s)", reason=translate(reason)) if reason
                    else _("unknown"))
        if categories:
            return category_label(v) if v is not None else _("no data")
        return value_text(v, unit)

    highlighted = next((n for n in neighbourhoods if n["code"] == highlight), None)
    if neighbourhoods:
        _neighbourhood_layer(m, neighbourhoods, indicator, indicator_label, values, population,
                             fill, shown, neighbourhood_url)
    if highlighted is not None:
        folium.GeoJson(
            round_coordinates(highlighted["geometry"]).__geo_interface__,
            name=_e(highlighted.get("name") or highlighted["code"]),
            style_function=lambda _f: {"color": "#08306b", "weight": 5, "fillOpacity": 0,
                                       "className": "bk-highlight"},
        ).add_child(_Tooltip(_e(highlighted.get("name") or highlighted["code"]))).add_to(m)

    all_group = folium.FeatureGroup(name=_e(_("All meeting places")), show=True)
    model_groups = {k: folium.FeatureGroup(
        name=_e(_("Working model: %(model)s", model=_(wm.label_en))), show=False)
        for k, wm in WORKING_MODELS.items()}
    kinds_seen: set[str] = set()
    models_seen: set[str] = set()
    for p in places:
        kind = PLACE_KINDS.get(p.get("kind"), PLACE_KINDS["other"])
        kinds_seen.add(kind.key)
        popup = place_popup(p, detail_url.format(id=p["id"]) if p.get("id") else None)
        inside = highlight is not None and p.get("neighbourhood_code") == highlight
        _place_marker(p, kind, popup, radius=11 if inside else 8,
                      extra_class=" bk-in-highlight" if inside else "").add_to(all_group)
        place_models = {k for a in p.get("activities") or [] for k in a.get("models") or []
                        if k in WORKING_MODELS}
        for key in place_models:
            models_seen.add(key)
            folium.CircleMarker(
                location=(p["lat"], p["lon"]), radius=12, color=WORKING_MODELS[key].colour,
                weight=4, fill=True, fill_color=kind.colour, fill_opacity=0.95,
                class_name=f"bk-model-marker bk-model-{key}",
            ).add_child(_Popup(popup)).add_child(_Tooltip(_e(p.get("name")))).add_to(
                model_groups[key])
    all_group.add_to(m)
    for g in model_groups.values():
        g.add_to(m)
    for layer in extra_layers:
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    m.add_child(_LegendMakesWay())

    root = m.get_root().html
    hl_name = (highlighted.get("name") or highlighted["code"]) if highlighted else None
    if unknown:
        root.add_child(Element(HATCH_SVG))
    root.add_child(Element(_legend_html(
        indicator_label or indicator, classes, year, source,
        [k for k in PLACE_KINDS if k in kinds_seen],
        [k for k in WORKING_MODELS if k in models_seen], categories,
        # layers may explain themselves in the legend (suggested locations)
        [getattr(layer, "legend_html", "") for layer in extra_layers],
        has_unknown=bool(unknown), highlight=hl_name)))
    banners = []
    if highlighted is not None:
        inside = sum(p.get("neighbourhood_code") == highlight for p in places)
        banners.append(_banner_html([ngettext(
            "%(name)s: %(num)d meeting place in this neighbourhood (drawn larger)",
            "%(name)s: %(num)d meeting places in this neighbourhood (drawn larger)",
            inside, name=hl_name)], "bk-filter bk-highlight-banner"))
    if filter_description:
        banners.append(_banner_html([ngettext(
            "%(num)d meeting place that is: %(what)s", "%(num)d meeting places that are: "
            "%(what)s", len(places), what="; ".join(filter_description))], "bk-filter"))
    if any(p.get("sample") or any(a.get("sample") for a in p.get("activities") or [])
           for p in places):
        banners.append(_banner_html([_("Includes %(label)s", label=_(SAMPLE_DATA_LABEL))],
                                    "bk-sample-banner"))
    if banners:
        root.add_child(Element('<div class="bk-banners" role="note">' + "".join(banners)
                               + "</div>"))

    fit(m, places, neighbourhoods, highlighted)
    return m


def fit(m: folium.Map, points: Iterable[Mapping], neighbourhoods: Iterable[Mapping],
        highlighted: Mapping | None = None) -> None:
    """Zoom ``m`` to the points (``lon``/``lat``) and neighbourhood outlines; to the
    ``highlighted`` neighbourhood with room around it for its neighbours and the nearest
    places; or to Flanders and Brussels when there is nothing."""
    pts = [] if highlighted is not None else [(p["lat"], p["lon"]) for p in points]
    for n in ([highlighted] if highlighted is not None else neighbourhoods):
        minx, miny, maxx, maxy = n["geometry"].bounds
        if n is highlighted:  # room around it for its neighbours and the nearest places
            pad = max(maxx - minx, maxy - miny, HIGHLIGHT_MARGIN_DEGREES) * 0.6
            minx, miny, maxx, maxy = minx - pad, miny - pad / 2, maxx + pad, maxy + pad / 2
        pts += [(miny, minx), (maxy, maxx)]
    if pts:
        m.fit_bounds([[min(a for a, _ in pts), min(b for _, b in pts)],
                      [max(a for a, _ in pts), max(b for _, b in pts)]])
    else:
        m.location, m.options["zoom"] = [50.85, 4.35], 8  # Flanders and Brussels


def place_map(place: Mapping, *, neighbourhood: Mapping | None = None,
              static_url_prefix: str = "/static") -> folium.Map:
    """A small map of one place (and the outline of its neighbourhood) for its detail page."""
    m = _base_map(static_url_prefix)
    if neighbourhood is not None:
        folium.GeoJson(
            neighbourhood["geometry"].__geo_interface__, name=_e(neighbourhood.get("name")),
            style_function=lambda _f: {"color": "#555", "weight": 2, "fillOpacity": 0.08,
                                       "className": "bk-neighbourhood"},
        ).add_child(_Tooltip(_e(neighbourhood.get("name") or neighbourhood.get("code")))
                    ).add_to(m)
    kind = PLACE_KINDS.get(place.get("kind"), PLACE_KINDS["other"])
    _place_marker(place, kind, place_popup(place), radius=10).add_to(m)
    m.location = [place["lat"], place["lon"]]
    m.options["zoom"] = 16
    return m
