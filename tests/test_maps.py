"""The folium maps, rendered to HTML without Flask: assets, legend, layers, popups, escaping."""

from __future__ import annotations

import datetime as dt

import json
import re

import pandas as pd
import pytest
import shapely
from test_api import HOSTILE, build_directory

from buurtkaart import maps, store
from buurtkaart.geomcache import KeptGeometry
from buurtkaart.filters import Filter
from buurtkaart.taxonomy import PLACE_KINDS, SAMPLE_DATA_LABEL, WORKING_MODELS

JS_HOSTILE = "Zaal `${alert(document.domain)}` '\"</script><script>alert(3)</script>"


@pytest.fixture
def data(db):
    build_directory(db)
    return db


def _render(db, filt=Filter(), indicator="population", **kw):
    values = {}
    if indicator:
        frame = store.indicator_frame(db, indicator=indicator, year=2024)
        values = dict(zip(frame["code"], frame["value"]))
    m = maps.build_map(store.neighbourhoods(db), store.places(db, filt), indicator=indicator,
                       indicator_label=indicator and indicator.replace("_", " "),
                       values=values, year=2024 if indicator else None, source="Statbel",
                       filter_description=maps.describe_filter(filt), **kw)
    return m.get_root().render()


def _urls(html: str) -> set[str]:
    return set(re.findall(r"""https?://[^\s"'`)<>\\]+""", html)) | set(
        re.findall(r"""(?<![:\w/])//[a-z0-9.-]+\.[a-z]{2,}/[^\s"'`)<>\\]*""", html))


#: links in the map's credit line (followed by a user, never fetched by the page)
ATTRIBUTION_LINKS = {"https://www.openstreetmap.org/copyright", "https://leafletjs.com"}


def test_only_app_assets_and_the_tile_template_are_requested(data):
    html = _render(data)
    urls = _urls(html)
    # the only outside URL the page fetches is the tile template; the other http strings
    # are the attribution links of OpenStreetMap and Leaflet (links the user may follow,
    # not requests)
    assert urls == {maps.TILE_URL, *ATTRIBUTION_LINKS}
    assert re.findall(r'href=\\?"https://www\.openstreetmap\.org/copyright', html)
    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', html)
    sheets = re.findall(r'<link[^>]*\bhref="([^"]+)"', html)
    assert scripts == ["/static/vendor/leaflet/leaflet.js", "/static/mapframe.js"]
    assert sheets == ["/static/vendor/leaflet/leaflet.css", "/static/mapframe.css"]
    for name in ("jquery", "bootstrap", "font-awesome", "awesome-markers", "d3.min", "d3.v",
                 "cdn"):
        assert name not in html.lower(), name
    assert "$(" not in html and "$." not in html  # no jQuery is loaded, so none may be used


def test_static_prefix_follows_the_app(data):
    html = maps.build_map([], [], static_url_prefix="/buurt/static/").get_root().render()
    assert re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) == [
        "/buurt/static/vendor/leaflet/leaflet.js", "/buurt/static/mapframe.js"]


def test_legend_has_quantile_classes_no_data_and_kinds(data):
    html = _render(data)
    legend = re.search(r'<details id="bk-legend".*?</details>', html, re.S).group(0)
    assert "population (2024)" in legend and "Source: Statbel" in legend
    # 3 known values 1200 < 3400 < 5600 make three classes with these upper bounds
    assert maps.quantile_classes([1200, 3400, 5600, None]) == [1200, 3400, 5600]
    classes = re.findall(r'class="bk-class[^"]*"><i style="background:(#[0-9a-f]+)"></i>'
                         r"([^<]+)</div>", legend)
    assert [c[1] for c in classes] == ["up to 1\u202f200", "1\u202f200 – 3\u202f400",
                                       "3\u202f400 – 5\u202f600",
                                       "no data (no residents or no figure)"]
    assert [c[0] for c in classes] == [maps.PALETTE[0], maps.PALETTE[2], maps.PALETTE[4],
                                       maps.NO_DATA_COLOUR]
    for k in ("drop_in_centre", "community_house", "library"):
        assert PLACE_KINDS[k].label_en in legend and PLACE_KINDS[k].colour in legend
    assert PLACE_KINDS["local_service_centre"].label_en not in legend  # none on the map
    for k in ("organisation", "competence", "peer", "location"):
        assert WORKING_MODELS[k].label_en in legend
    assert WORKING_MODELS["buddy"].label_en not in legend  # the buddy project is mobile


def test_each_neighbourhood_is_filled_with_its_class_colour(data):
    html = _render(data)
    match = re.search(r"geo_json_\w+_add\((\{.*?\})\);", html, re.S)
    fc = json.loads(match.group(1))
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in fc["features"]}
    assert fills == {"4402101": maps.PALETTE[0], "4402102": maps.PALETTE[2],
                     "1100101": maps.PALETTE[4], "1100102": maps.NO_DATA_COLOUR}
    values = {f["properties"]["code"]: f["properties"]["value"] for f in fc["features"]}
    assert values["4402102"] == "3\u202f400" and values["1100102"] == "no data"
    # the hostile neighbourhood name is escaped (the tooltip uses innerHTML)
    names = [f["properties"]["name"] for f in fc["features"]]
    assert any(n.startswith("Oost &lt;script&gt;") for n in names)


def test_reversed_colours_make_the_lowest_values_darkest(data):
    """For access or income a low value is the problem: it gets the darkest colour."""
    html = _render(data, reverse_colours=True)
    fc = json.loads(re.search(r"geo_json_\w+_add\((\{.*?\})\);", html, re.S).group(1))
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in fc["features"]}
    assert fills == {"4402101": maps.PALETTE[4], "4402102": maps.PALETTE[2],
                     "1100101": maps.PALETTE[0], "1100102": maps.NO_DATA_COLOUR}
    legend = re.search(r'<details id="bk-legend".*?</details>', html, re.S).group(0)
    classes = re.findall(r'class="bk-class[^"]*"><i style="background:(#[0-9a-f]+)"></i>'
                         r"([^<]+)</div>", legend)
    assert classes[0] == (maps.PALETTE[4], "up to 1\u202f200")
    assert "darker = lower values" in legend
    assert "darker = higher values" in _render(data)


def test_income_layer_is_darkest_where_income_is_low(data, client):
    """The map page reverses the palette for indicators where less means more need."""
    store.save_indicators(data, pd.DataFrame({
        "code": ["4402101", "4402102", "1100101"], "year": [2024] * 3,
        "indicator": ["median_income"] * 3, "value": [15000.0, 22000.0, 31000.0],
        "source": ["Statbel"] * 3}))
    html = client.get("/kaart/frame?indicator=median_income").get_data(as_text=True)
    fc = json.loads(re.search(r"geo_json_\w+_add\((\{.*?\})\);", html, re.S).group(1))
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in fc["features"]}
    assert fills["4402101"] == maps.PALETTE[4] and fills["1100101"] == maps.PALETTE[0]
    assert "darker = lower values" in html
    assert "darker = higher values" in client.get(
        "/kaart/frame?indicator=population").get_data(as_text=True)


def test_shares_get_fixed_classes_whatever_the_values(data):
    """Shares are classed under 50 %, 50-75 %, 75-90 %, 90-100 % (not in quantiles, where a
    98 % neighbourhood could land in the darkest class), and the legend says which class
    holds a boundary."""
    html = _render(data, indicator="social_assistance_share", unit="share")
    legend = re.search(r'<details id="bk-legend".*?</details>', html, re.S).group(0)
    classes = re.findall(r'class="bk-class[^"]*"><i style="background:([^"]+)"></i>'
                         r"([^<]+)</div>", legend)
    assert [c[1] for c in classes] == ["under 50%", "50% to under 75%", "75% to under 90%",
                                       "90% to 100%", "no data (no residents or no figure)"]
    assert "a class includes its lower bound (75% is in “75% to under 90%”)" in legend


def test_one_layer_per_working_model_with_the_places_that_offer_it(data):
    html = _render(data)
    for wm in WORKING_MODELS.values():
        assert f"Working model: {wm.label_en}" in html
    assert '"All meeting places"' in html
    counts = {k: len(re.findall(rf'"className": "bk-model-marker bk-model-{k}"', html))
              for k in WORKING_MODELS}
    # Koffie (organisation) at Inloop Centrum; Avondcursus (competence), Praatgroep
    # (peer, location) at Buurthuis Noord; the library has no activities
    assert counts == {"competence": 1, "buddy": 0, "personal_network": 0, "peer": 1,
                      "context": 0, "organisation": 1, "location": 1}
    assert len(re.findall(r'"className": "bk-place bk-kind-', html)) == 3
    assert "L.control.layers" in html


def test_popups_show_hours_models_sessions_and_threshold_badges(data):
    [p] = store.places(data, Filter(kinds=("community_house",)))
    popup = maps.place_popup(p, "/places/7")
    assert "<h3>Buurthuis Noord</h3>" in popup
    assert "community house" in popup and "Straat 1, 9000 Gent" in popup
    assert "Mon closed, Tue–Thu 13:00–22:00, Fri–Sun closed" in popup
    assert "personal competence building" in popup
    assert "every Wednesday 19:00–21:00" in popup and "first Monday" in popup
    assert '<span class="bk-badge bk-yes">childcare on site: yes</span>' in popup
    assert '<span class="bk-badge bk-no">walk-in: no</span>' in popup
    assert '<span class="bk-badge bk-no">free: no</span>' in popup  # € 5
    assert '<span class="bk-badge bk-unknown">free: unknown</span>' in popup  # no cost given
    assert "Languages: Arabic" in popup and SAMPLE_DATA_LABEL in popup  # Praatgroep is sample
    assert '<a href="/places/7" target="_top">Details</a>' in popup


def test_hostile_names_cannot_run_in_popups_tooltips_or_layer_names(data, db):
    from buurtkaart.records import validate_place

    p, _ = validate_place({"name": JS_HOSTILE, "kind": "other", "lon": 3.71, "lat": 51.01})
    store.save_directory(db, places=[p])
    html = _render(db, indicator=None)
    assert "<script>alert" not in html and "<img src=x" not in html
    # names only travel inside JSON string literals (or HTML-escaped text): with every
    # double-quoted string taken out, no part of them is left to run as code
    assert "alert" not in re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', html)
    assert "&lt;script&gt;alert(3)&lt;" in json.loads(
        re.search(r'bindTooltip\(("[^"]*Zaal[^"]*")', html).group(1).replace("<\\/", "</"))
    group = maps.isochrone_layer(shapely.box(3.7, 51.0, 3.71, 51.01), f"{HOSTILE}: 10 min")
    assert "<script>" not in group.layer_name and "&lt;script&gt;" in group.layer_name


def test_banners_describe_the_filter_and_label_sample_data(data):
    filt = Filter(free=True, walk_in=True, models=("organisation",))
    html = _render(data, filt)
    banner = re.search(r'<p class="bk-filter">(.*?)</p>', html).group(1)
    assert banner.startswith("1 meeting place that is: working model: through (volunteering in)")
    assert "free; walk-in" in banner
    assert 'class="bk-sample-banner"' not in html  # the sample activity is filtered out
    assert SAMPLE_DATA_LABEL in _render(data)  # and shown when it is on the map


def test_describe_filter_in_words():
    filt = Filter.from_params({"model": "peer", "childcare": "false", "day": "tu",
                               "from": "18:00", "municipality": "44021", "q": "koffie"},
                              now=dt.datetime.fromisoformat("2026-12-02T09:00:00+01:00"))
    assert maps.describe_filter(filt) == [
        "working model: peer network",
        "without childcare (and children not said to be welcome)",
        "open on Tuesday 8 December, 18:00-24:00", "municipality 44021",
        "matching \u201ckoffie\u201d"]
    assert maps.describe_filter(Filter()) == []


def test_quantile_classes_edge_cases():
    assert maps.quantile_classes([]) == []
    assert maps.quantile_classes([None, float("nan")]) == []
    assert maps.quantile_classes([7, 7, 7]) == [7]
    breaks = maps.quantile_classes(range(1, 101))
    assert breaks == [20, 40, 60, 80, 100]


def test_empty_map_centres_on_flanders():
    html = maps.build_map([], []).get_root().render()
    assert "[50.85, 4.35]" in html and "none match" in html


def test_place_map_shows_the_place_and_its_neighbourhood(data):
    [p] = store.places(data, Filter(kinds=("drop_in_centre",)))
    hood = store.neighbourhood(data, p["neighbourhood_code"])
    html = maps.place_map(p, neighbourhood=hood).get_root().render()
    assert "[51.02, 3.72]" in html and '"zoom": 16' in html
    assert "bk-place bk-kind-drop_in_centre" in html and "Inloop Centrum" in html
    assert "bk-neighbourhood" in html
    assert _urls(html) == {maps.TILE_URL, *ATTRIBUTION_LINKS}


def test_vendored_assets_are_the_recorded_files_with_their_licence(client):
    import hashlib
    from pathlib import Path

    import buurtkaart

    vendor = Path(buurtkaart.__file__).parent / "static" / "vendor"
    sums = dict(reversed(line.split("  ", 1)) for line in
                (vendor / "SHA256SUMS").read_text().splitlines())
    assert "./leaflet/LICENSE" in sums and "./leaflet/leaflet.js" in sums
    for rel, digest in sums.items():
        assert hashlib.sha256((vendor / rel).read_bytes()).hexdigest() == digest, rel
    assert "BSD 2-Clause" in (vendor / "leaflet" / "LICENSE").read_text()
    # the app serves them, and every url() in Leaflet's stylesheet points at a served file
    for rel in sums:
        assert client.get(f"/static/vendor/{rel[2:]}").status_code == 200, rel
    css = (vendor / "leaflet" / "leaflet.css").read_text()
    for ref in re.findall(r"url\(([^)]+)\)", css):
        if not ref.startswith(("data:", "#")):  # "#default#VML" is an old IE behaviour
            assert (vendor / "leaflet" / ref.strip("'\"")).exists(), ref


def _tolerance_one_by_one(geometries) -> float:
    """The map's simplification tolerance worked out the straightforward way."""
    minx = miny = float("inf")
    maxx = maxy = -float("inf")
    for g in geometries:
        if g.is_empty:
            continue
        x0, y0, x1, y1 = g.bounds
        minx, miny, maxx, maxy = min(minx, x0), min(miny, y0), max(maxx, x1), max(maxy, y1)
    if minx == float("inf"):
        return maps.MIN_TOLERANCE_DEGREES
    return max(maps.MIN_TOLERANCE_DEGREES, max(maxx - minx, maxy - miny) * maps.EXTENT_FRACTION)


def test_the_map_tolerance_is_that_of_the_extent_of_every_outline():
    shapes = [shapely.box(3.0, 51.0, 3.1, 51.05), shapely.Polygon(),
              shapely.box(4.4, 50.8, 4.5, 51.3), shapely.Point(5.9, 50.7)]
    for some in (shapes, shapes[:1], shapes[1:2], [], shapes[2:]):
        assert maps.display_tolerance(iter(some)) == pytest.approx(_tolerance_one_by_one(some))
    assert maps.display_tolerance(shapes) > maps.MIN_TOLERANCE_DEGREES


def test_real_wijken_read_in_one_go_are_the_stored_polygons(db):
    from tests.conftest import shared_file

    from buurtkaart.importers.geo import read_neighbourhoods

    frame, _ = read_neighbourhoods(shared_file("flanders_wijken_2024.gpkg"))
    store.save_neighbourhoods(db, frame, source="test")
    rows = store.neighbourhoods(db)
    by_code = dict(zip(frame["code"], frame.geometry))
    assert len(rows) == len(frame) == 2730
    assert all(r["geometry"].equals_exact(by_code[r["code"]], 1e-9) for r in rows)
    assert maps.display_tolerance(r["geometry"] for r in rows) == pytest.approx(
        _tolerance_one_by_one(by_code.values()))


def _same_ids(html: str) -> str:
    """The page with folium's random element names made equal."""
    return re.sub(r"[0-9a-f]{32}", "ID", html)


@pytest.mark.parametrize("indicator", ["population", None])
def test_outlines_written_from_kept_text_are_what_folium_writes(db, monkeypatch, indicator):
    """The neighbourhood layer puts each outline's JSON into the map's script from kept text;
    the page is the one folium's own GeoJson layer writes (a polygon, a multipolygon, a
    hostile name, a name that looks like a placeholder)."""
    build_directory(db)
    hoods = store.neighbourhoods(db)
    hoods[0]["geometry"] = shapely.MultiPolygon([shapely.box(3.70, 51.00, 3.71, 51.01),
                                                 shapely.box(3.72, 51.00, 3.73, 51.01)])
    hoods[1]["name"] = '@@0-0@@ {"coordinates": "@@x-1@@", "type": "Polygon"}'
    places = store.places(db)

    def page():
        values = {h["code"]: 10.0 * i for i, h in enumerate(hoods)} if indicator else {}
        return maps.build_map(hoods, places, indicator=indicator, values=values
                              ).get_root().render()

    ours = page()
    for h in hoods[::2]:  # outlines kept as text by geomcache, the others as geometries
        h["geojson"] = KeptGeometry.of(maps.round_coordinates(h["geometry"]).__geo_interface__)
    kept = page()
    for h in hoods:
        h.pop("geojson", None)
    monkeypatch.setattr(maps, "_OutlinesGeoJson", maps.folium.GeoJson)
    assert _same_ids(ours) == _same_ids(kept) == _same_ids(page())
    assert '"MultiPolygon"' in ours and '"coordinates": [[[' in ours
    assert '"coordinates": "@@' not in ours and "@@0-0@@" in ours  # the name as it is
