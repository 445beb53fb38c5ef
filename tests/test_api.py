"""The read API and the pages on a constructed directory: filters, errors, escaping, the demo."""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.records import validate_activity, validate_organisation, validate_place

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def directory(db):
    """Two municipalities; places with activities chosen so that each filter
    keeps a known subset."""
    hoods = gpd.GeoDataFrame(
        {"code": ["4402101", "4402102", "1100101"], "name": ["Centrum", "Noord", "Antwerpen"],
         "municipality_code": ["44021", "44021", "11001"]},
        geometry=[shapely.box(3.70, 51.00, 3.75, 51.05), shapely.box(3.70, 51.05, 3.75, 51.10),
                  shapely.box(4.38, 51.19, 4.43, 51.24)], crs=4326)
    store.save_neighbourhoods(db, hoods, source="test")
    org, _ = validate_organisation({"name": "Org"})
    spec = {
        # name: (lon, lat, kind, opening_hours, wheelchair, activities)
        "Inloop Centrum": (3.72, 51.02, "drop_in_centre", "Mo-Fr 09:00-17:00", "yes", [
            dict(name="Koffie", models="organisation", sessions="Tu 09:00-11:00", cost_amount=0,
                 walk_in=1, childcare=0, children_welcome=1, no_internet=1, languages="nl;fr")]),
        "Buurthuis Noord": (3.72, 51.07, "community_house", "Tu-Th 13:00-22:00", "no", [
            dict(name="Avondcursus", models="competence", sessions="We 19:00-21:00",
                 cost_amount=5, walk_in=0, childcare=1, no_internet=0, languages="nl"),
            dict(name="Praatgroep", models="peer;location", sessions="Mo[1] 14:00-16:00",
                 cost_amount=None, walk_in=1, languages="ar")]),
        f"Bibliotheek {HOSTILE}": (4.40, 51.21, "library", None, None, []),
    }
    for name, (lon, lat, kind, oh, wc, acts) in spec.items():
        p, probs = validate_place({"name": name, "kind": kind, "lon": lon, "lat": lat,
                                   "opening_hours": oh, "wheelchair": wc, "city": "Gent",
                                   "street": "Straat 1", "organisation_uid": org["uid"]})
        assert not probs
        recs = []
        for a in acts:
            rec, probs = validate_activity({**a, "place_uid": p["uid"]})
            assert not probs, probs
            recs.append(rec)
        store.save_directory(db, organisations=[org], places=[p], activities=recs)
    buddy, _ = validate_activity({"name": "Buddy", "models": "buddy", "cost_amount": 0,
                                  "walk_in": 0, "no_internet": 1})
    store.save_directory(db, activities=[buddy])
    store.save_indicators(db, pd.DataFrame({
        "code": ["4402101", "4402102", "1100101", "4402101"], "year": [2024, 2024, 2024, 2023],
        "indicator": ["population"] * 4, "value": [1200, 3400, 5600, 1100],
        "source": ["Statbel"] * 4}))
    return db


def _names(resp):
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["type"] == "FeatureCollection"
    return sorted(f["properties"]["name"] for f in body["features"])


@pytest.mark.parametrize("query,places", [
    ("", ["Bibliotheek", "Buurthuis Noord", "Inloop Centrum"]),
    ("free=true", ["Inloop Centrum"]),
    ("free=false", ["Buurthuis Noord"]),
    ("walk_in=true", ["Buurthuis Noord", "Inloop Centrum"]),
    ("childcare=true", ["Buurthuis Noord", "Inloop Centrum"]),  # children welcome counts too
    ("children_welcome=true", ["Inloop Centrum"]),
    ("no_internet=false", ["Buurthuis Noord"]),
    ("wheelchair=true", ["Inloop Centrum"]),  # from the place when the activity does not say
    ("language=ar", ["Buurthuis Noord"]),
    ("model=peer", ["Buurthuis Noord"]),
    ("model=organisation,competence", ["Buurthuis Noord", "Inloop Centrum"]),
    ("kind=library", ["Bibliotheek"]),
    ("day=we&from=18:00", ["Buurthuis Noord"]),
    ("day=sa", []),
    ("municipality=11001", ["Bibliotheek"]),
    ("bbox=3.6,51.0,3.8,51.05", ["Inloop Centrum"]),
    ("q=praatgroep", ["Buurthuis Noord"]),
    ("free=true&walk_in=true&childcare=true&no_internet=true", ["Inloop Centrum"]),
])
def test_place_filters(client, directory, query, places):
    got = _names(client.get(f"/api/places?{query}"))
    assert [g.split(" <")[0] for g in got] == places


@pytest.mark.parametrize("query,acts", [
    ("", ["Avondcursus", "Buddy", "Koffie", "Praatgroep"]),
    ("free=true", ["Buddy", "Koffie"]),
    ("model=buddy", ["Buddy"]),
    ("municipality=44021", ["Avondcursus", "Koffie", "Praatgroep"]),  # mobile ones are nowhere
    ("day=mo", ["Praatgroep"]),
])
def test_activity_filters(client, directory, query, acts):
    assert _names(client.get(f"/api/activities?{query}")) == acts


def test_features_are_valid_geojson_with_thresholds(client, directory):
    body = client.get("/api/places?free=true").get_json()
    [f] = body["features"]
    lon, lat = f["geometry"]["coordinates"]
    assert (lon, lat) == (3.72, 51.02)  # longitude first
    [a] = f["properties"]["activities"]
    assert a["free"] is True and a["walk_in"] is True and a["childcare"] is False
    assert a["sessions_text"] == ["every Tuesday 09:00-11:00"]
    assert f["properties"]["neighbourhood_code"] == "4402101"
    mobile = [f for f in client.get("/api/activities?model=buddy").get_json()["features"]]
    assert mobile[0]["geometry"] is None and mobile[0]["properties"]["mobile"] is True


@pytest.mark.parametrize("query,param", [
    ("free=maybe", "free"), ("model=knitting", "model"), ("kind=castle", "kind"),
    ("day=someday", "day"), ("from=25:00", "from"), ("day=mo&from=18:00&to=09:00", "to"),
    ("bbox=1,2,3", "bbox"), ("bbox=5,5,1,1", "bbox"), ("bbox=a,b,c,d", "bbox"),
    ("municipality=Gent", "municipality"), ("language=dutch!", "language"),
    ("limit=0", "limit"), ("limit=abc", "limit"), ("offset=-1", "offset"),
    ("colour=red", "colour"), ("free=true&free=false", "free"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, directory, query, param):
    resp = client.get(f"/api/places?{query}")
    assert resp.status_code == 400
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == 400 and body["parameter"] == param
    assert param in body["error"]


def test_paging(client, directory):
    first = client.get("/api/places?limit=2").get_json()
    assert first["numberMatched"] == 3 and first["numberReturned"] == 2
    rest = client.get("/api/places?limit=2&offset=2").get_json()
    assert rest["numberReturned"] == 1
    ids = {f["id"] for f in first["features"]} | {f["id"] for f in rest["features"]}
    assert len(ids) == 3


def test_neighbourhoods_with_an_indicator(client, directory):
    body = client.get("/api/neighbourhoods?municipality=44021&indicator=population").get_json()
    assert {f["properties"]["code"]: f["properties"]["value"] for f in body["features"]} == {
        "4402101": 1200, "4402102": 3400}
    assert body["year"] == 2024 and body["source"] == "Statbel"
    older = client.get("/api/neighbourhoods?indicator=population&year=2023").get_json()
    assert {f["properties"]["code"]: f["properties"]["value"] for f in older["features"]} == {
        "4402101": 1100, "4402102": None, "1100101": None}
    for q, param in (("indicator=income", "indicator"), ("indicator=population&year=1990",
                                                         "year"), ("simplify=-3", "simplify"),
                     ("x=1", "x")):
        resp = client.get(f"/api/neighbourhoods?{q}")
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param


def test_single_records_and_404s(client, directory):
    pid = client.get("/api/places?kind=library").get_json()["features"][0]["id"]
    assert client.get(f"/api/places/{pid}").get_json()["properties"]["kind"] == "library"
    assert client.get("/api/neighbourhoods/4402101").get_json()["properties"]["name"] == "Centrum"
    for url in ("/api/places/99999", "/api/activities/99999", "/api/neighbourhoods/0000000"):
        resp = client.get(url)
        assert resp.status_code == 404 and resp.get_json()["ok"] is False


# ---------------------------------------------------------------- pages
def test_pages_render_and_escape_hostile_names(client, directory):
    pid = client.get("/api/places?kind=library").get_json()["features"][0]["id"]
    for url in ("/", "/kaart", "/kaart/frame", "/places", f"/places/{pid}", "/activities",
                "/neighbourhoods", "/neighbourhoods/1100101"):
        resp = client.get(url)
        assert resp.status_code == 200, url
        body = resp.get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
    assert "&lt;script&gt;" in client.get(f"/places/{pid}").get_data(as_text=True)


def test_place_list_shows_addresses_thresholds_and_filters(client, directory):
    body = client.get("/places?free=true").get_data(as_text=True)
    assert "Inloop Centrum" in body and "Buurthuis Noord" not in body
    assert "Straat 1" in body and "walk-in: yes" in body
    assert "every Tuesday 09:00-11:00" in body


def test_neighbourhood_page_shows_indicators_per_year_with_source(client, directory):
    body = client.get("/neighbourhoods/4402101").get_data(as_text=True)
    assert re.search(r"1,100.*1,200", body, re.S) and "Statbel" in body
    assert "Inloop Centrum" in body


def test_bad_page_parameters_give_an_html_400(client, directory):
    resp = client.get("/places?day=someday")
    assert resp.status_code == 400 and b"weekday" in resp.data
    assert client.get("/places/424242").status_code == 404


def test_map_html_needs_nothing_from_outside(client, directory):
    html = client.get("/kaart/frame?indicator=population").get_data(as_text=True)
    urls = set(re.findall(r"""(?:src|href)=["']([^"']+)""", html))
    urls |= set(re.findall(r"https?://[^\s\"'`)\\]+", html))
    outside = {u for u in urls if u.startswith(("http:", "https:", "//"))}
    assert outside <= {"https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                       "https://www.openstreetmap.org/copyright"}
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "bk-legend" in html and "Working model: lotgenotennetwerk" in html


# ---------------------------------------------------------------- demo
def test_demo_builds_offline_from_the_shipped_extract(runner, db_path, client):
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    counts = store.counts(db)
    assert counts["places"] >= 10 and counts["neighbourhoods"] >= 5
    names = {p["name"] for p in store.places(db)}
    assert "Helsingin keskustakirjasto Oodi" in names  # a real library from OpenStreetMap
    assert all("OpenStreetMap" in p["source"] for p in store.places(db))
    acts = store.activities(db)
    assert acts and all(a["sample"] == 1 and "(sample)" in a["name"] for a in acts)
    assert {m for a in acts for m in a["models"]} == set(
        __import__("buurtkaart.taxonomy", fromlist=["x"]).WORKING_MODELS)
    assert all(p["neighbourhood_code"] for p in store.places(db))
    pop = store.indicator_frame(db, indicator="population")
    assert set(pop["code"]) == {n["code"] for n in store.neighbourhoods(db)}
    assert all("sample" in s for s in pop["source"])
    page = client.get("/kaart").get_data(as_text=True)
    assert "sample data" in page
    # building again replaces, never duplicates
    assert runner.invoke(main, ["demo"]).exit_code == 0
    assert store.counts(store.connect(db_path)) == counts
