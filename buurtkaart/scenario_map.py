"""Map layers for what-if questions (no Flask here): suggested locations explained in the
legend, and the difference map of a scenario (neighbourhoods coloured by gain or loss,
proposed places marked, switched-off places crossed out).

Like :mod:`buurtkaart.maps`, everything from the directory is HTML-escaped, and the only
outside request is for basemap tiles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import folium
from branca.element import Element, MacroElement
from jinja2 import Template

from .i18n import N_, ngettext
from .i18n import gettext as _
from .maps import _base_map, _e, _Tooltip, fit, geojson_geometry

__all__ = ["suggestion_layer", "scenario_map", "DIFFERENCE_CLASSES", "difference_class"]


def _whole(v: float) -> str:
    return f"{round(v):,}".replace(",", "\u202f")


class _TooltipsInside(MacroElement):
    """Keeps the open tooltips of its parent (a map or a layer group) inside the map: a
    long text near an edge is shifted in rather than cut off (phones especially)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (target) {
            var open = null;
            function inside() {
                var el = open && open.getElement(), map = open && open._map;
                if (!el || !map) { return; }
                el.style.translate = "0px 0px";
                var c = map.getContainer().getBoundingClientRect(),
                    r = el.getBoundingClientRect(), dx = 0, dy = 0;
                // clear of the zoom buttons in the top left corner, too
                var left = c.left + (r.top < c.top + 90 ? 52 : 4);
                if (r.left < left) { dx = left - r.left; }
                else if (r.right > c.right - 4) { dx = c.right - 4 - r.right; }
                if (r.top < c.top + 4) { dy = c.top + 4 - r.top; }
                el.style.translate = dx + "px " + dy + "px";
            }
            target.on("tooltipopen", function (e) { open = e.tooltip; inside(); });
            target.on("tooltipclose", function () { open = null; });
            target.on("mousemove", function () { window.requestAnimationFrame(inside); });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "TooltipsInside"


def suggestion_layer(explained: Mapping, name: str) -> folium.FeatureGroup:
    """Suggested locations (:func:`buurtkaart.suggestions.explain`) as numbered circles with
    a tooltip that wraps inside the map; ``legend_html`` explains the circle, how many were
    asked and found and why fewer, for :func:`buurtkaart.maps.build_map`'s legend."""
    group = folium.FeatureGroup(name=_e(name), show=True)
    for r in explained["rows"]:
        text = ngettext("Suggestion %(rank)d: %(num)s resident who now has no matching place "
                        "within reach would reach this one",
                        "Suggestion %(rank)d: %(num)s residents who now have no matching "
                        "place within reach would reach this one", round(r["residents"]),
                        rank=r["rank"])
        if r["neighbourhood"]:
            text += " " + _("(in %(name)s)", name=r["neighbourhood"])
        folium.CircleMarker(
            location=(r["lat"], r["lon"]), radius=11, color="#000", weight=3, fill=True,
            fill_color="#ffffff", fill_opacity=0.9, class_name="bk-suggestion",
        ).add_child(_Tooltip(_e(text), class_name="bk-wrap")).add_to(group)
    rows = ["<h4>" + _e(name) + "</h4>",
            '<div><i class="bk-suggestion-icon"></i>' + _e(_(
                "white circle: a suggested location for a new place")) + "</div>",
            '<p class="bk-source bk-suggestion-summary">' + _e(explained["summary"])
            + (" " + _e(explained["reason"]) if explained["reason"] else "") + "</p>"]
    for r in explained["rows"]:
        rows.append('<div class="bk-suggestion-row">' + _e(ngettext(
            "%(rank)d. %(num)s resident newly within reach",
            "%(rank)d. %(num)s residents newly within reach", round(r["residents"]),
            rank=r["rank"])) + (_e(" · " + r["neighbourhood"]) if r["neighbourhood"] else "")
            + "</div>")
    group.add_child(_TooltipsInside())
    group.legend_html = "".join(rows)
    return group


#: Classes of a neighbourhood's net change: key -> (colour, words).
DIFFERENCE_CLASSES = {
    "gain_large": ("#1a9850", N_("more residents reach a place (a tenth of the residents or more)")),
    "gain": ("#a6d96a", N_("more residents reach a place")),
    "none": ("#f7f7f7", N_("no change")),
    "loss": ("#fdae61", N_("fewer residents reach a place")),
    "loss_large": ("#d73027", N_("fewer residents reach a place (a tenth of the residents or more)")),
}


def difference_class(row: Mapping) -> str:
    net, pop = row["residents_gaining_access"], row["population"] or 0
    if round(row["residents_gaining"]) == 0 and round(row["residents_losing"]) == 0:
        return "none"
    if net >= 0:
        return "gain_large" if pop and net >= 0.1 * pop else "gain"
    return "loss_large" if pop and -net >= 0.1 * pop else "loss"


def change_text(row: Mapping) -> str:
    """A neighbourhood's change in words."""
    gain, loss = round(row["residents_gaining"]), round(row["residents_losing"])
    if not gain and not loss:
        return _("no change")
    parts = []
    if gain:
        parts.append(ngettext("%(count)s resident gains a place",
                              "%(count)s residents gain a place", gain, count=_whole(gain)))
    if loss:
        parts.append(ngettext("%(count)s resident loses a place",
                              "%(count)s residents lose a place", loss, count=_whole(loss)))
    return "; ".join(parts)


class _PickOnClick(MacroElement):
    """A click on the map tells the page around it where (to place a proposal there)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var picked = null;
            map.on("click", function (e) {
                if (picked) { map.removeLayer(picked); }
                picked = L.circleMarker(e.latlng, {radius: 9, color: "#08519c", weight: 3,
                                                   fillColor: "#6baed6", fillOpacity: 0.8,
                                                   className: "bk-picked"}).addTo(map);
                window.parent.postMessage({bkScenarioPick: {lon: e.latlng.lng,
                                                            lat: e.latlng.lat}},
                                          window.location.origin);
            });
            map.getContainer().style.cursor = "crosshair";
            // on a phone the legend starts folded, so the map is free to click on
            var legend = document.getElementById("bk-legend");
            if (legend && map.getSize().x < 600) { legend.open = false; }
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "PickOnClick"


def _icon(text: str, css: str) -> folium.DivIcon:
    return folium.DivIcon(html=f'<span class="{css}">{_e(text)}</span>', icon_size=(26, 26),
                          icon_anchor=(13, 13), class_name="bk-divicon")


_CSS = """
.bk-divicon{background:none;border:none}
.bk-proposed,.bk-removed{display:block;width:22px;height:22px;border-radius:50%;
 font:bold 15px/22px system-ui,sans-serif;text-align:center;box-shadow:0 1px 3px rgba(0,0,0,.5)}
.bk-proposed{background:#08519c;color:#fff;border:2px solid #fff}
.bk-removed{background:#fff;color:#b10026;border:2px solid #b10026;font-size:18px}
.bk-legend .bk-sym{display:inline-block;width:18px;height:18px;line-height:18px;border:none;
 text-align:center;font-weight:bold;border-radius:50%;margin-right:6px}
"""


def scenario_map(neighbourhoods: Sequence[Mapping], rows: Mapping[str, Mapping] | None,
                 places: Sequence[Mapping], proposals: Sequence[Mapping],
                 removed: Sequence[Mapping], *, static_url_prefix: str = "/static",
                 title: str = "", pick: bool = True,
                 extra_layers: Sequence[folium.FeatureGroup] = ()) -> folium.Map:
    """The difference map. ``rows``: per code the scenario's numbers
    (``residents_gaining``, ``residents_losing``, ``residents_gaining_access``,
    ``population``; ``None``: no scenario yet); ``places``: the matching places that stay (``name, lon, lat``);
    ``proposals`` (``name, lon, lat, counted``) are numbered in their order; ``removed``:
    places switched off. ``pick``: a click sends the point to the page around the map.
    ``extra_layers`` (suggested locations) are drawn on top, explained in the legend."""
    m = _base_map(static_url_prefix)
    m.get_root().header.add_child(Element(f"<style>{_CSS}</style>"))
    if neighbourhoods:
        feats = []
        for n in neighbourhoods:
            r = rows.get(n["code"]) if rows is not None else None
            key = difference_class(r) if r else ("none" if rows is None else None)
            change = change_text(r) if r else ("" if rows is None else _("no residents"))
            feats.append({"type": "Feature",
                          "geometry": geojson_geometry(n),
                          "properties": {"name": _e(n.get("name") or n["code"]),
                                         "change": _e(change),
                                         "fill": DIFFERENCE_CLASSES[key][0] if key
                                         else "#bdbdbd"}})
        folium.GeoJson(
            {"type": "FeatureCollection", "features": feats}, name=_e(_("Change per neighbourhood")),
            style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#555",
                                      "weight": 1, "fillOpacity": 0.6,
                                      "className": "bk-neighbourhood"},
            tooltip=folium.GeoJsonTooltip(fields=["name", "change"], aliases=["", ""],
                                          labels=False, class_name="bk-wrap"),
        ).add_to(m)
    group = folium.FeatureGroup(name=_e(_("Matching places")), show=True)
    for p in places:
        folium.CircleMarker(location=(p["lat"], p["lon"]), radius=5, color="#222", weight=1,
                            fill=True, fill_color="#555", fill_opacity=0.9,
                            class_name="bk-place").add_child(_Tooltip(_e(p["name"]))).add_to(
            group)
    group.add_to(m)
    for i, p in enumerate(proposals, 1):
        text = _("Proposed: %(name)s", name=p["name"]) if p["counted"] else _(
            "Proposed: %(name)s (does not meet the chosen conditions, not counted)",
            name=p["name"])
        folium.Marker((p["lat"], p["lon"]), icon=_icon(str(i), "bk-proposed")).add_child(
            _Tooltip(_e(text), class_name="bk-wrap")).add_to(m)
    for p in removed:
        folium.Marker((p["lat"], p["lon"]), icon=_icon("×", "bk-removed")).add_child(
            _Tooltip(_e(_("Switched off: %(name)s", name=p["name"])), class_name="bk-wrap")
        ).add_to(m)
    for layer in extra_layers:
        layer.add_to(m)
    m.add_child(_TooltipsInside())
    if pick:
        m.add_child(_PickOnClick())
    legend = ["<h4>" + _e(title or _("Change in the scenario")) + "</h4>"]
    for colour, words in DIFFERENCE_CLASSES.values():
        legend.append(f'<div><i style="background:{colour}"></i>{_e(_(words))}</div>')
    legend.append('<div><i style="background:#bdbdbd"></i>' + _e(_("no residents")) + "</div>")
    legend.append('<div><span class="bk-sym bk-proposed">1</span>' + _e(_(
        "proposed place (numbered as in the form)")) + "</div>")
    legend.append('<div><span class="bk-sym bk-removed">×</span>' + _e(_(
        "place switched off")) + "</div>")
    legend.append('<div><i class="bk-dot" style="background:#555"></i>' + _e(_(
        "matching place that stays")) + "</div>")
    legend += [getattr(layer, "legend_html", "") for layer in extra_layers]
    if pick:
        legend.append('<p class="bk-source">' + _e(_(
            "Click on the map to put a proposed place there.")) + "</p>")
    m.get_root().html.add_child(Element(
        '<details id="bk-legend" class="bk-legend" open><summary>' + _e(_("Legend"))
        + "</summary>" + "".join(legend) + "</details>"))
    fit(m, [*places, *proposals, *removed], neighbourhoods)
    folium.LayerControl(collapsed=True).add_to(m)
    return m

