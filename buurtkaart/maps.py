"""Folium maps built from the store and analysis results (no Flask here).

folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default;
these maps replace that with the Leaflet copy the app serves itself
(``static_prefix``), draw places as CircleMarkers (no icon fonts), and write
their own legends as plain HTML (branca's colormaps would pull d3 from a
CDN). The only request that leaves the machine is for basemap tiles, and
overlays, popups and legends work without them.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from .hours import describe_session
from .taxonomy import PLACE_KINDS, SAMPLE_DATA_LABEL, THRESHOLDS, WORKING_MODELS

__all__ = ["build_map", "quantile_classes", "PALETTE", "NO_DATA_COLOUR", "TILE_URL"]

TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
TILE_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
#: Sequential, colour-blind-safe (ColorBrewer YlOrRd, 5 classes): light = low, dark = high.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOUR = "#bdbdbd"
_THRESHOLD_KEYS = ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair")


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def quantile_classes(values: Iterable[float], k: int = 5) -> list[float]:
    """Class breaks (upper bounds) splitting ``values`` into up to ``k`` quantile classes."""
    vals = sorted(v for v in values if v is not None and math.isfinite(v))
    if not vals:
        return []
    breaks = []
    for i in range(1, k + 1):
        b = vals[min(len(vals) - 1, math.ceil(i * len(vals) / k) - 1)]
        if not breaks or b > breaks[-1]:
            breaks.append(b)
    return breaks


def _colour(value: float | None, breaks: list[float]) -> str:
    if value is None or not math.isfinite(value) or not breaks:
        return NO_DATA_COLOUR
    for i, b in enumerate(breaks):
        if value <= b:
            return PALETTE[round(i * (len(PALETTE) - 1) / max(1, len(breaks) - 1))]
    return PALETTE[-1]


def _fmt(v: float | None) -> str:
    if v is None or not math.isfinite(v):
        return "no data"
    if abs(v) < 1 and v != 0:
        return f"{v:.1%}" if 0 <= v <= 1 else f"{v:.3g}"
    return f"{v:,.0f}".replace(",", " ") if abs(v) >= 100 else f"{v:.3g}"


def _badge(label: str, value: int | None) -> str:
    state, text = {1: ("yes", "yes"), 0: ("no", "no")}.get(value, ("unknown", "unknown"))
    return f'<span class="bk-badge bk-{state}">{_e(label)}: {text}</span>'


def place_popup(p: Mapping, detail_url: str | None = None) -> str:
    """The popup of a place: hours, each activity with its models, sessions and thresholds."""
    kind = PLACE_KINDS.get(p.get("kind"), PLACE_KINDS["other"])
    parts = [f'<div class="bk-popup"><h3>{_e(p["name"])}</h3>',
             f'<p class="bk-kind">{_e(kind.label_en)} · {_e(kind.label_nl)}</p>']
    addr = ", ".join(x for x in (p.get("street"), " ".join(
        y for y in (p.get("postcode"), p.get("city")) if y)) if x)
    if addr:
        parts.append(f"<p>{_e(addr)}</p>")
    parts.append(f'<p><strong>Open:</strong> {_e(p.get("opening_hours") or "hours unknown")}</p>')
    if p.get("wheelchair"):
        parts.append(f'<p>Wheelchair access: {_e(p["wheelchair"])}</p>')
    acts = p.get("activities") or []
    for a in acts:
        models = " · ".join(f'<span class="bk-model" style="border-color:'
                            f'{WORKING_MODELS[m].colour}">{_e(WORKING_MODELS[m].label_nl)}</span>'
                            for m in a.get("models") or [])
        sessions = "; ".join(describe_session(s) for s in a.get("sessions") or []) or \
            "times not known"
        cost = a.get("cost_amount")
        cost_text = "free" if cost == 0 else ("cost unknown" if cost is None else f"€ {cost:.2f}")
        badges = " ".join(_badge(THRESHOLDS[k].label_en, a.get(k)) for k in _THRESHOLD_KEYS)
        sample = f'<p class="bk-sample">{_e(SAMPLE_DATA_LABEL)}</p>' if a.get("sample") else ""
        parts.append(f'<div class="bk-activity"><h4>{_e(a["name"])}</h4><p>{models}</p>'
                     f'<p>{_e(sessions)} · {_e(cost_text)}</p><p>{badges}</p>{sample}</div>')
    if not acts:
        parts.append("<p>No activities recorded here yet.</p>")
    if detail_url:
        parts.append(f'<p><a href="{_e(detail_url)}" target="_top">Details</a></p>')
    parts.append("</div>")
    return "".join(parts)


class _Popup(MacroElement):
    """A popup bound with ``bindPopup(html)``: folium's own Popup needs jQuery."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html_json }}, {maxWidth: {{ this.max_width }}});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, max_width: int = 320):
        super().__init__()
        self._name = "Popup"
        # JSON is a valid JS string literal; "</" is escaped so the HTML cannot close the script
        self.html_json = json.dumps(html_text).replace("</", "<\\/")
        self.max_width = max_width


def _legend_html(indicator_label: str | None, breaks: list[float], year, source,
                 kinds: list[str], sample: bool, categories=None) -> str:
    rows = []
    if indicator_label:
        rows.append(f'<h4>{_e(indicator_label)}{f" ({_e(year)})" if year else ""}</h4>')
        for key, (colour, text) in (categories or {}).items():
            rows.append(f'<div title="{_e(text)}"><i style="background:{colour}"></i>'
                        f'{_e(key.replace("_", " "))}</div>')
        lo = None
        for i, b in enumerate(breaks if not categories else []):
            colour = _colour(b, breaks)
            label = f"{_fmt(lo)} – {_fmt(b)}" if lo is not None else f"up to {_fmt(b)}"
            rows.append(f'<div><i style="background:{colour}"></i>{_e(label)}</div>')
            lo = b
        if not categories:
            rows.append(f'<div><i style="background:{NO_DATA_COLOUR}"></i>no data</div>')
        if source:
            rows.append(f'<p class="bk-source">Source: {_e(source)}</p>')
    rows.append("<h4>Meeting places</h4>")
    for k in kinds:
        kind = PLACE_KINDS[k]
        rows.append(f'<div><i class="bk-dot" style="background:{kind.colour}"></i>'
                    f'{_e(kind.label_en)} · {_e(kind.label_nl)}</div>')
    if sample:
        rows.append(f'<p class="bk-sample">Activities marked "sample" are {_e(SAMPLE_DATA_LABEL)}.</p>')
    return ('<div id="bk-legend" class="bk-legend" role="region" aria-label="Legend">'
            + "".join(rows) + "</div>")


_MAP_CSS = """
.bk-legend{position:absolute;z-index:1000;bottom:18px;left:10px;background:#fff;padding:8px 10px;
 border-radius:6px;box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.35 system-ui,sans-serif;
 max-width:260px;max-height:45vh;overflow:auto}
.bk-legend h4{margin:4px 0;font-size:13px}.bk-legend i{display:inline-block;width:14px;height:14px;
 margin-right:6px;vertical-align:-2px;border:1px solid #555}.bk-legend .bk-dot{border-radius:50%}
.bk-source{color:#555;font-size:11px;margin:4px 0}.bk-sample{color:#8a4b00;font-style:italic}
.bk-popup h3{margin:0 0 2px;font-size:15px}.bk-popup h4{margin:6px 0 2px;font-size:13px}
.bk-popup p{margin:2px 0}.bk-kind{color:#555}.bk-activity{border-top:1px solid #ddd;margin-top:4px}
.bk-model{border-left:4px solid;padding-left:3px}.bk-badge{display:inline-block;border-radius:3px;
 padding:0 4px;margin:1px;font-size:11px}.bk-yes{background:#d9f0d3;color:#1b5e20}
.bk-no{background:#fde0dd;color:#8e0000}.bk-unknown{background:#eee;color:#444}
.leaflet-container{background:#f2efe9}
"""


def isochrone_layer(polygon, name: str) -> folium.FeatureGroup:
    """An isochrone polygon as its own layer."""
    group = folium.FeatureGroup(name=name, show=True)
    folium.GeoJson(polygon.__geo_interface__, name=name,
                   style_function=lambda _f: {"color": "#08519c", "weight": 2, "fillColor":
                                              "#6baed6", "fillOpacity": 0.25,
                                              "className": "bk-isochrone"},
                   tooltip=_e(name)).add_to(group)
    return group


def suggestion_layer(points, name: str) -> folium.FeatureGroup:
    """Suggested locations ``(lon, lat, rank, residents newly covered)`` as numbered markers."""
    group = folium.FeatureGroup(name=name, show=True)
    for lon, lat, rank, gain in points:
        folium.CircleMarker(
            location=(lat, lon), radius=11, color="#000", weight=3, fill=True,
            fill_color="#ffffff", fill_opacity=0.9, class_name="bk-suggestion",
            tooltip=f"Suggestion {int(rank)}: reaches {gain:,.0f} residents who now have no "
                    "matching place within reach").add_to(group)
    return group


def build_map(
    neighbourhoods: list[Mapping],
    places: list[Mapping],
    *,
    static_prefix: str = "/static",
    indicator: str | None = None,
    indicator_label: str | None = None,
    values: Mapping[str, float | None] | None = None,
    year: int | None = None,
    source: str | None = None,
    detail_url: str = "/places/{id}",
    neighbourhood_url: str = "/neighbourhoods/{code}",
    extra_layers: Iterable[folium.FeatureGroup] = (),
    categories: Mapping[str, tuple[str, str]] | None = None,
) -> folium.Map:
    """The overview map: a choropleth of ``values`` per neighbourhood code, places
    coloured by kind, one layer per working model, layer control and legend."""
    m = folium.Map(tiles=None, prefer_canvas=False, control_scale=True, zoom_control=True)
    m.default_js = [("leaflet", f"{static_prefix}/vendor/leaflet/leaflet.js")]
    m.default_css = [("leaflet_css", f"{static_prefix}/vendor/leaflet/leaflet.css")]
    folium.TileLayer(TILE_URL, attr=TILE_ATTRIBUTION, name="OpenStreetMap", max_zoom=19,
                     control=False).add_to(m)
    m.get_root().header.add_child(Element(f"<style>{_MAP_CSS}</style>"))

    values = values or {}
    breaks = quantile_classes(values.values()) if indicator and not categories else []

    def fill(v):
        if categories:
            return categories.get(v, (NO_DATA_COLOUR, ""))[0]
        return _colour(v, breaks)

    def shown(v):
        return str(v).replace("_", " ") if categories else _fmt(v)
    if neighbourhoods:
        features = []
        for n in neighbourhoods:
            v = values.get(n["code"]) if indicator else None
            features.append({
                "type": "Feature", "geometry": n["geometry"].__geo_interface__,
                "properties": {"code": n["code"], "name": _e(n.get("name") or n["code"]),
                               "value": _e(shown(v)) if indicator else "",
                               "fill": fill(v) if indicator else "#9ecae1",
                               "url": neighbourhood_url.format(code=n["code"])}})
        layer_name = f"{indicator_label or indicator} (neighbourhoods)" if indicator \
            else "Neighbourhoods"
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name=layer_name,
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555",
                                      "weight": 1, "fillOpacity": 0.55,
                                      "className": "bk-neighbourhood"},
            highlight_function=lambda f: {"weight": 3, "color": "#000"},
            tooltip=folium.GeoJsonTooltip(fields=["name", "value"] if indicator else ["name"],
                                          aliases=["", ""] if indicator else [""],
                                          labels=False),
        ).add_to(m)

    all_group = folium.FeatureGroup(name="All meeting places", show=True)
    model_groups = {k: folium.FeatureGroup(name=f"Working model: {wm.label_nl}", show=False)
                    for k, wm in WORKING_MODELS.items()}
    kinds_seen = []
    for p in places:
        kind = PLACE_KINDS.get(p.get("kind"), PLACE_KINDS["other"])
        if kind.key not in kinds_seen:
            kinds_seen.append(kind.key)
        popup = place_popup(p, detail_url.format(id=p["id"]) if p.get("id") else None)
        tooltip = _e(p["name"])

        def marker():
            return folium.CircleMarker(
                location=(p["lat"], p["lon"]), radius=8, color="#222", weight=1.5,
                fill=True, fill_color=kind.colour, fill_opacity=0.95,
                class_name=f"bk-place bk-kind-{kind.key}", tooltip=tooltip
            ).add_child(_Popup(popup))

        marker().add_to(all_group)
        for model in {m for a in p.get("activities") or [] for m in a.get("models") or []}:
            marker().add_to(model_groups[model])
    all_group.add_to(m)
    for g in model_groups.values():
        g.add_to(m)
    for layer in extra_layers:
        layer.add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    sample = any(a.get("sample") for p in places for a in p.get("activities") or [])
    m.get_root().html.add_child(Element(_legend_html(
        indicator_label or indicator, breaks, year, source,
        [k for k in PLACE_KINDS if k in kinds_seen], sample, categories)))

    pts = [(p["lat"], p["lon"]) for p in places]
    for n in neighbourhoods:
        minx, miny, maxx, maxy = n["geometry"].bounds
        pts += [(miny, minx), (maxy, maxx)]
    if pts:
        m.fit_bounds([[min(a for a, _ in pts), min(b for _, b in pts)],
                      [max(a for a, _ in pts), max(b for _, b in pts)]])
    else:
        m.location, m.options["zoom"] = [50.85, 4.35], 8
    return m
