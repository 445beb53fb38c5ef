"""The read API on a constructed directory: each filter, bad parameters, paging, GeoJSON.

``build_directory`` is also used by test_pages, test_maps and test_browser.
"""

from __future__ import annotations


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
        "4402101": 1100, "4402102": None, "1100101": None, "1100102": None}
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




def test_municipality_and_bbox_on_neighbourhoods(client, directory):
    def codes(q):
        resp = client.get(f"/api/neighbourhoods?{q}")
        assert resp.status_code == 200, resp.get_json()
        return sorted(f["properties"]["code"] for f in resp.get_json()["features"])

    assert codes("municipality=11001") == ["1100101", "1100102"]
    # a box over the east half of Antwerpen only touches the two Antwerp squares
    assert codes("bbox=4.40,51.20,4.45,51.21") == ["1100101", "1100102"]
    assert codes("bbox=4.44,51.20,4.45,51.21") == ["1100102"]
    assert codes("bbox=0,0,1,1") == []


def test_polygons_are_lon_lat_and_closed(client, directory):
    body = client.get("/api/neighbourhoods").get_json()
    assert body["numberMatched"] == len(HOODS)
    for f in body["features"]:
        assert f["type"] == "Feature" and f["geometry"]["type"] == "Polygon"
        ring = f["geometry"]["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        minx, miny, maxx, maxy = HOODS[f["properties"]["code"]]
        assert all(minx <= x <= maxx and miny <= y <= maxy for x, y in ring)


def test_simplify_is_validated_and_thins_geometry(client, directory, db):
    wiggly = shapely.Polygon([(3.80 + i * 0.001, 51.0 + (0.00001 if i % 2 else 0))
                              for i in range(50)] + [(3.849, 51.05), (3.80, 51.05)])
    store.save_neighbourhoods(db, gpd.GeoDataFrame(
        {"code": ["4402199"], "name": ["Wiggle"], "municipality_code": ["44021"]},
        geometry=[wiggly], crs=4326), source="test")

    def vertices(q):
        body = client.get(f"/api/neighbourhoods/4402199{q}").get_json()
        return len(body["geometry"]["coordinates"][0])

    assert vertices("") == 53
    assert vertices("?simplify=5") < 10  # 1 m wiggles disappear at 5 m tolerance
    assert vertices("?simplify=0") == 53
    for bad in ("abc", "-1", "nan", "20000"):
        resp = client.get(f"/api/neighbourhoods?simplify={bad}")
        assert resp.status_code == 400 and resp.get_json()["parameter"] == "simplify", bad


def test_a_vanishingly_small_simplify_keeps_the_full_geometry(client, directory):
    """Found by the fuzz test: a subnormal tolerance made GEOS fail ("Edge direction
    cannot be determined") and the list answered 500. Below a millimetre nothing is
    simplified: the answer is the full geometry, as with ``simplify=0``."""
    full = client.get("/api/neighbourhoods?limit=5").get_json()
    for tiny in ("2.225073858507203e-309", "1e-300", "0.0001"):
        resp = client.get(f"/api/neighbourhoods?limit=5&simplify={tiny}")
        assert resp.status_code == 200, tiny
        assert resp.get_json()["features"] == full["features"], tiny


def test_single_neighbourhood_with_indicator(client, directory):
    f = client.get("/api/neighbourhoods/4402102?indicator=social_assistance_share").get_json()
    assert f["properties"]["value"] == pytest.approx(0.12) and f["properties"]["year"] == 2024
    resp = client.get("/api/neighbourhoods/4402102?year=2024")
    assert resp.status_code == 400 and resp.get_json()["parameter"] == "year"


@pytest.mark.parametrize("url,param", [
    ("/api/places/{pid}?verbose=1", "verbose"), ("/api/activities/{aid}?x=1", "x"),
    ("/api/neighbourhoods/4402101?free=true", "free"), ("/api/indicators?all=1", "all"),
    ("/api/activities?limit=10001", "limit"), ("/api/neighbourhoods?offset=x", "offset"),
    ("/api/activities?day=mo&from=12:00&to=11:00", "to"),
])
def test_unknown_or_bad_parameters_on_every_endpoint(client, directory, url, param):
    pid = client.get("/api/places?limit=1").get_json()["features"][0]["id"]
    aid = client.get("/api/activities?limit=1").get_json()["features"][0]["id"]
    resp = client.get(url.format(pid=pid, aid=aid))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.get_json()["parameter"] == param


def test_paging_links_walk_the_whole_collection(client, directory):
    url, seen = "/api/activities?limit=1&free=true", []
    while url:
        body = client.get(url).get_json()
        seen += [f["properties"]["name"] for f in body["features"]]
        assert body["numberMatched"] == 2
        nxt = [lnk["href"] for lnk in body["links"] if lnk["rel"] == "next"]
        url = nxt[0] if nxt else None
    assert sorted(seen) == ["Buddy", "Koffie"]
    last = client.get("/api/activities?limit=1&free=true&offset=1").get_json()
    [prev] = [lnk["href"] for lnk in last["links"] if lnk["rel"] == "prev"]
    assert "offset=0" in prev and "free=true" in prev
    beyond = client.get("/api/places?offset=50").get_json()
    assert beyond["numberReturned"] == 0 and beyond["numberMatched"] == 3


def test_activity_feature_has_its_place_point_and_labels(client, directory):
    [f] = client.get("/api/activities?q=praatgroep").get_json()["features"]
    assert f["geometry"] == {"type": "Point", "coordinates": [3.72, 51.07]}
    p = f["properties"]
    assert p["models"] == ["peer", "location"]
    assert p["model_labels"] == ["lotgenotennetwerk", "netwerkversterking via locatie/regio"]
    assert p["sessions"] == "Mo[1] 14:00-16:00" and p["free"] is None
    assert p["sample"] is True and "sample data" in p["sample_label"]


def test_archived_place_is_gone_from_the_api(client, directory, db):
    pid = client.get("/api/places?kind=library").get_json()["features"][0]["id"]
    db["places"].update(pid, {"archived_at": "2025-10-01T00:00:00"})
    assert client.get(f"/api/places/{pid}").status_code == 404
    assert "Bibliotheek" not in str(client.get("/api/places").get_json())


def test_indicator_catalogue(client, directory):
    body = client.get("/api/indicators").get_json()
    by = {c["indicator"]: c for c in body["indicators"]}
    assert by["population"]["years"] == [2023, 2024]
    assert by["social_assistance_share"]["neighbourhoods"] == 3


def test_all_real_flemish_wijken_through_the_api_and_the_map(client, db):
    from conftest import shared_file

    from buurtkaart.importers.geo import read_neighbourhoods

    gdf, _warnings = read_neighbourhoods(shared_file("flanders_wijken_2024.gpkg"))
    store.save_neighbourhoods(db, gdf, source="Provincies in Cijfers")
    full = client.get("/api/neighbourhoods?limit=10000").get_json()
    assert full["numberMatched"] == full["numberReturned"] == 2730 and full["links"] == []
    light = client.get("/api/neighbourhoods?limit=10000&simplify=100").get_json()

    def vertices(fc):
        return sum(len(ring) for f in fc["features"] for ring in
                   (f["geometry"]["coordinates"] if f["geometry"]["type"] == "Polygon"
                    else [r for poly in f["geometry"]["coordinates"] for r in poly]))

    assert vertices(light) < 0.8 * vertices(full)
    areas = {f["properties"]["code"]: shapely.geometry.shape(f["geometry"]).area
             for f in full["features"]}
    light_area = 0.0
    for f in light["features"]:
        shape = shapely.geometry.shape(f["geometry"])
        assert shape.is_valid and not shape.is_empty, f["properties"]["code"]
        light_area += shape.area
    assert light_area == pytest.approx(sum(areas.values()), rel=0.01)
    for f in full["features"][::50]:
        coords = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
        assert ((2.5 < coords[:, 0]) & (coords[:, 0] < 6.5)).all()  # lon first
        assert ((50.6 < coords[:, 1]) & (coords[:, 1] < 51.6)).all()
        assert (abs(coords * 1e6 - (coords * 1e6).round()) < 1e-3).all()  # 6 decimals
    ghent = client.get("/api/neighbourhoods?municipality=44021").get_json()
    assert ghent["numberMatched"] == 25
    # the whole region on one map: every wijk is drawn
    html = client.get("/kaart/frame").get_data(as_text=True)
    assert html.count('"code": "') == 2730


def test_neighbourhood_pages_together_are_the_whole_list(client, directory, db):
    """Pages read from the database (only the page's polygons) are the slices of the full
    list, by code, with the right total: with a municipality, a box, or neither."""
    for query in ("", "&municipality=44021", "&bbox=3.70,51.00,3.75,51.05"):
        whole = client.get(f"/api/neighbourhoods?limit=1000{query}").get_json()
        codes = [f["properties"]["code"] for f in whole["features"]]
        assert codes == sorted(codes) and codes, query
        for limit, offset in ((1, 0), (2, 1), (3, 2), (2, 10)):
            page = client.get(f"/api/neighbourhoods?limit={limit}&offset={offset}{query}"
                              ).get_json()
            assert [f["properties"]["code"] for f in page["features"]] == \
                codes[offset:offset + limit], (query, limit, offset)
            assert page["numberMatched"] == len(codes)
            assert page["features"][:1] == [f for f in whole["features"]
                                            if f["properties"]["code"] in codes[offset:offset + 1]]
