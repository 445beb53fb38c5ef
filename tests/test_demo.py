"""`buurtkaart demo`: real OpenStreetMap places and streets, clearly labelled sample data."""

from __future__ import annotations

import shapely
import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.demo import DEMO_SOURCE, YEARS, demo_pbf
from buurtkaart.importers.osm import SOURCE, read_osm
from buurtkaart.taxonomy import SAMPLE_DATA_LABEL, WORKING_MODELS


@pytest.fixture
def demo(runner, db_path):
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    return store.connect(db_path), result


def test_demo_holds_the_real_places_of_the_extract(demo):
    db, result = demo
    real = read_osm(demo_pbf()).places
    places = store.places(db)
    assert {p["uid"] for p in places} == {p["uid"] for p in real}
    assert {p["name"] for p in places} >= {"Helsingin keskustakirjasto Oodi", "Luckan"}
    assert all(p["source"].startswith(SOURCE) and p["sample"] == 0 for p in places)
    counts = store.counts(db)
    assert f"{counts['places']} places from OpenStreetMap" in result.output
    assert f"{counts['activities']} sample activities" in result.output


def test_neighbourhoods_tile_the_area_and_cover_every_place(demo):
    db, _ = demo
    hoods = store.neighbourhoods(db)
    assert 15 <= len(hoods) <= 40
    assert len({h["code"] for h in hoods}) == len(hoods) == len({h["name"] for h in hoods})
    geoms = [h["geometry"] for h in hoods]
    union = shapely.union_all(geoms)
    assert sum(g.area for g in geoms) == pytest.approx(union.area, rel=1e-6)  # no overlaps
    for p in store.places(db):
        assert p["neighbourhood_code"], p["name"]
        [h] = [h for h in hoods if h["code"] == p["neighbourhood_code"]]
        assert h["geometry"].buffer(1e-9).contains(shapely.Point(p["lon"], p["lat"]))


def test_every_activity_is_labelled_sample_data(demo):
    db, _ = demo
    acts = store.activities(db)
    assert acts
    for a in acts:
        assert a["sample"] == 1 and a["name"].endswith("(sample)")
        assert SAMPLE_DATA_LABEL in a["description"] and a["source"] == DEMO_SOURCE
    assert {m for a in acts for m in a["models"]} == set(WORKING_MODELS)
    mobile = [a for a in acts if a["place_uid"] is None]
    assert mobile and {"buddy", "context"} <= {m for a in mobile for m in a["models"]}
    assert {a["walk_in"] for a in acts} >= {0, 1} and {a["childcare"] for a in acts} >= {0, 1}
    assert {a["cost_amount"] == 0 for a in acts} == {True, False}
    assert any(s.nth is not None for a in acts for s in a["sessions"])
    assert any(s.start >= "17:00" for a in acts for s in a["sessions"])
    hosting = {a["place_uid"] for a in acts if a["place_uid"]}
    assert hosting == {p["uid"] for p in store.places(db)}


def test_population_and_need_for_every_neighbourhood_and_year(demo):
    db, _ = demo
    codes = {h["code"] for h in store.neighbourhoods(db)}
    frame = store.indicator_frame(db)
    pop = frame[frame["indicator"] == "population"]
    for year in YEARS:
        got = pop[pop["year"] == year]
        assert set(got["code"]) == codes and (got["value"] > 0).all()
    assert set(frame["source"]) == {DEMO_SOURCE} and "sample data" in DEMO_SOURCE
    assert len(set(frame["indicator"])) >= 3


def test_demo_is_deterministic_and_rebuilds(demo, runner):
    db, _ = demo
    before = (store.counts(db), sorted(a["name"] + a["place_uid"].__str__()
                                       for a in store.activities(db)),
              store.indicator_frame(db).sort_values(["code", "year", "indicator"])
              ["value"].tolist())
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    after = (store.counts(db), sorted(a["name"] + a["place_uid"].__str__()
                                      for a in store.activities(db)),
             store.indicator_frame(db).sort_values(["code", "year", "indicator"])
             ["value"].tolist())
    assert after == before


def test_the_api_and_the_map_show_the_demo(demo, client):
    db, _ = demo
    body = client.get("/api/places").get_json()
    features = body["features"]
    assert {f["properties"]["name"] for f in features} == {p["name"] for p in store.places(db)}
    for f in features:
        lon, lat = f["geometry"]["coordinates"]
        [p] = [p for p in store.places(db) if p["name"] == f["properties"]["name"]
               and abs(p["lon"] - lon) < 1e-5 and abs(p["lat"] - lat) < 1e-5]
    page = client.get("/kaart")
    assert page.status_code == 200
    assert SAMPLE_DATA_LABEL in page.get_data(as_text=True)
