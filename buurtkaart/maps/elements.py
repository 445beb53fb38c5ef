"""Leaflet behaviour the maps add as folium elements without jQuery: popups and tooltips
bound with Leaflet's own calls, a legend that folds away from an opened popup, and Leaflet's
controls in the page's language."""

from __future__ import annotations

import json
import re
import secrets

import folium
from branca.element import Element, MacroElement
from jinja2 import Template
from jinja2.utils import htmlsafe_json_dumps

from ..geomcache import KeptGeometry
from ..i18n import gettext as _

class _Popup(MacroElement):
    """A popup bound with Leaflet's ``bindPopup(html)``: folium's own Popup needs jQuery.

    Long popups scroll (``max_height``) and open clear of the banners at the top.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html_json }}, {maxWidth: {{ this.max_width }},
            maxHeight: {{ this.max_height }}, autoPanPaddingTopLeft: [50, 90],
            autoPanPaddingBottomRight: [50, 20]});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, max_width: int = 320, max_height: int = 320):
        super().__init__()
        self._name = "Popup"
        self.max_height = max_height
        # JSON is a valid JS string literal; "</" is escaped so the HTML cannot close the script
        self.html_json = json.dumps(html_text).replace("</", "<\\/")
        self.max_width = max_width


class _Tooltip(MacroElement):
    """A tooltip bound with ``bindTooltip(html)``.

    folium's Tooltip pastes its text into a JavaScript template literal, where
    a backtick or ``${`` in a place name would run as code; here the (escaped)
    HTML travels as a JSON string.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindTooltip({{ this.html_json }}, {sticky: true{% if
            this.class_name %}, className: {{ this.class_name|tojson }}{% endif %}});
        {% endmacro %}
    """)

    def __init__(self, html_text: str, class_name: str | None = None):
        super().__init__()
        self._name = "Tooltip"
        self.html_json = json.dumps(html_text).replace("</", "<\\/")
        self.class_name = class_name  # "bk-wrap": a long text wraps inside the map


class _LegendMakesWay(MacroElement):
    """Folds the legend away when an opened popup would lie under it (it unfolds on a tap)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on("popupopen", function (e) {
            var legend = document.getElementById("bk-legend");
            if (!legend || !legend.open) { return; }
            var a = legend.getBoundingClientRect(), b = e.popup.getElement().getBoundingClientRect();
            if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) {
                legend.open = false;
            }
        });
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "LegendMakesWay"


class _ControlWords(MacroElement):
    """Leaflet's own buttons and credit in the page's language (Leaflet writes "Zoom in",
    "Layers" and "A JavaScript library for interactive maps" in English)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            map.zoomControl.remove();
            L.control.zoom({zoomInTitle: {{ this.words.zoom_in|tojson }},
                            zoomOutTitle: {{ this.words.zoom_out|tojson }}}).addTo(map);
            var leaflet = document.createElement("a");
            leaflet.href = "https://leafletjs.com";
            leaflet.title = {{ this.words.leaflet|tojson }};
            leaflet.textContent = "Leaflet";
            map.attributionControl.setPrefix(leaflet.outerHTML);
            setTimeout(function () {  // the layer control is added after this script
                document.querySelectorAll(".leaflet-control-layers-toggle").forEach(function (a) {
                    a.title = {{ this.words.layers|tojson }};
                    a.setAttribute("aria-label", {{ this.words.layers|tojson }});
                });
            }, 0);
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self):
        super().__init__()
        self._name = "ControlWords"
        self.words = {"zoom_in": _("Zoom in"), "zoom_out": _("Zoom out"),
                      "layers": _("Map layers"),
                      "leaflet": _("A JavaScript library for interactive maps")}


class _Text(Element):
    """A piece of a figure that is already rendered (no template to compile or run)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _OutlinesGeoJson(folium.GeoJson):
    """folium's GeoJson layer whose geometries are written into its script as JSON text.

    A map of Flanders holds 2.6 MB of coordinates. folium writes the whole collection as
    JSON at every render, and branca makes the rendered script a template again (0.3 s
    together). Here each feature's geometry is a placeholder while folium works (styles,
    tooltips and popups read only the properties and the geometry's type), and the
    rendered script gets each geometry's JSON back: the text :mod:`buurtkaart.geomcache`
    keeps (:class:`~buurtkaart.geomcache.KeptGeometry`), or a geometry written now, the
    same text folium would have written."""

    def __init__(self, data: dict, **kwargs):
        self._token = secrets.token_hex(8)  # no name or text of the data can hold it
        self._geometries = [f["geometry"] for f in data["features"]]
        light = {**data, "features": [
            {**f, "geometry": self._placeholder(i, f["geometry"])}
            for i, f in enumerate(data["features"])]}
        super().__init__(light, **kwargs)

    def _placeholder(self, i: int, geometry) -> dict:
        """The geometry's type (folium's tooltip checks it), its coordinates a token."""
        if isinstance(geometry, KeptGeometry):
            return {"type": geometry.type, "coordinates": f"@@{self._token}-{i}@@"}
        if "coordinates" not in geometry:  # a collection: written as it is
            return geometry
        return {"type": geometry["type"], "coordinates": f"@@{self._token}-{i}@@"}

    def render(self, **kwargs):
        super().render(**kwargs)
        script = self.get_root().script
        name = self.get_name()
        pattern = re.compile(f'\\{{"coordinates": "@@{self._token}-(\\d+)@@", '
                             '"type": "[A-Za-z]+"\\}')
        text = pattern.sub(lambda m: _json(self._geometries[int(m.group(1))]),
                           script._children[name].render())
        script._children[name] = _Text(text)


def _json(geometry) -> str:
    """A geometry as jinja's ``tojson`` writes it into a page."""
    if isinstance(geometry, KeptGeometry):
        return geometry.text
    return str(htmlsafe_json_dumps(geometry, sort_keys=True))
