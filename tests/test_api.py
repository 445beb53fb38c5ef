"""The read API on a constructed directory: each filter, bad parameters, paging, GeoJSON.

``build_directory`` is also used by test_pages, test_maps and test_browser.
"""

from __future__ import annotations

import re

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.records import validate_activity, validate_organisation, validate_place

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


HOODS = {"4402101": (3.70, 51.00, 3.75, 51.05), "4402102": (3.70, 51.05, 3.75, 51.10),
         "1100101": (4.38, 51.19, 4.43, 51.24), "1100102": (4.43, 51.19, 4.48, 51.24)}


@pytest.fixture
def directory(db):
    return build_directory(db)


def build_directory(db):
    """Two municipalities; places with activities chosen so that each filter
    keeps a known subset. One place has a hostile name; one activity is sample data;
    neighbourhood 1100102 has no population value (the "no data" class)."""
    hoods = gpd.GeoDataFrame(
        {"code": list(HOODS), "name": ["Centrum", "Noord", "Antwerpen", f"Oost {HOSTILE}"],
         "municipality_code": ["44021", "44021", "11001", "11001"]},
        geometry=[shapely.box(*b) for b in HOODS.values()], crs=4326)
    store.save_neighbourhoods(db, hoods, source="test")
    org, _ = validate_organisation({"name": "Vzw Samen"})
    spec = {
        # name: (lon, lat, kind, opening_hours, wheelchair, activities)
        "Inloop Centrum": (3.72, 51.02, "drop_in_centre", "Mo-Fr 09:00-17:00", "yes", [
            dict(name="Koffie", models="organisation", sessions="Tu 09:00-11:00", cost_amount=0,
                 walk_in=1, childcare=0, children_welcome=1, no_internet=1, languages="nl;fr")]),
        "Buurthuis Noord": (3.72, 51.07, "community_house", "Tu-Th 13:00-22:00", "no", [
            dict(name="Avondcursus", models="competence", sessions="We 19:00-21:00",
                 cost_amount=5, walk_in=0, childcare=1, no_internet=0, languages="nl"),
            dict(name="Praatgroep", models="peer;location", sessions="Mo[1] 14:00-16:00",
                 cost_amount=None, walk_in=1, languages="ar", sample=1)]),
        f"Bibliotheek {HOSTILE}": (4.40, 51.21, "library", None, None, []),
    }
    for name, (lon, lat, kind, oh, wc, acts) in spec.items():
        p, probs = validate_place({"name": name, "kind": kind, "lon": lon, "lat": lat,
                                   "opening_hours": oh, "wheelchair": wc, "city": "Gent",
                                   "street": "Straat 1", "postcode": "9000",
                                   "organisation_uid": org["uid"],
                                   "last_verified": "2025-09-01"})
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
        "code": ["4402101", "4402102", "1100101", "4402101", "4402101", "4402102",
                 "1100101"],
        "year": [2024, 2024, 2024, 2023, 2024, 2024, 2024],
        "indicator": ["population"] * 4 + ["social_assistance_share"] * 3,
        "value": [1200, 3400, 5600, 1100, 0.05, 0.12, 0.30],
        "source": ["Statbel"] * 7}))
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


