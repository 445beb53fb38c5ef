"""One id twice in one file is refused, naming both records; nothing is stored."""

from __future__ import annotations

import json

import pytest

from buurtkaart import store
from buurtkaart.cli import main

CSV_TWO_ACTIVITIES = (
    "place_uid,place_name,kind,lon,lat,activity_uid,activity_name,models\n"
    "kring,Buurthuis De Kring,community_house,3.725,51.054,a1,Soep op dinsdag,peer\n"
    "kring,Buurthuis De Kring,community_house,3.725,51.054,a1,Praatgroep,competence\n")


def _point(uid, name, activities=()):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.72, 51.05]},
            "properties": {"place_uid": uid, "place_name": name, "kind": "community_house",
                           "activities": list(activities)}}


def _geojson(features, organisations=()):
    return json.dumps({"type": "FeatureCollection", "features": features,
                       "organisations": list(organisations)})


GEOJSON_TWO_PLACES = _geojson([_point("kring", "De Kring"), _point("kring", "De Kring")])
GEOJSON_TWO_ACTIVITIES = _geojson([_point("kring", "De Kring", [
    {"activity_uid": "a1", "activity_name": "Soep", "models": "peer"},
    {"activity_uid": "a1", "activity_name": "Praatgroep", "models": "peer"}])])
GEOJSON_TWO_ORGANISATIONS = _geojson([_point("kring", "De Kring")], [
    {"uid": "o1", "name": "Buurtwerk Noord"}, {"uid": "o1", "name": "Inloop Zuid"}])


PEER = [{"taxonomy_term": {"taxonomy": "buurtkaart-werkmodellen", "code": "peer"}}]


def _hsds(**change):
    data = {
        "organizations": [{"id": "o1", "name": "Buurtwerk Noord"}],
        "locations": [{"id": "l1", "name": "De Kring", "latitude": 51.05, "longitude": 3.72}],
        "services": [{"id": "s1", "name": "Soep", "organization_id": "o1",
                      "attributes": PEER}],
        "service_at_locations": [{"id": "sal1", "service_id": "s1", "location_id": "l1"}],
    }
    for key, extra in change.items():
        data[key].append(extra)
    return json.dumps(data)


CSV_TWO_PLACES = ("place_uid,place_name,kind,lon,lat\n"
                  "kring,Buurthuis De Kring,community_house,3.725,51.054\n"
                  "kring,Buurthuis De Kring,community_house,3.725,51.054\n")

CASES = {
    "csv places": ("aanbod.csv", CSV_TWO_PLACES,
                   ["row 3, field 'place_uid'", "'kring'", "row 2"]),
    "csv activities": ("aanbod.csv", CSV_TWO_ACTIVITIES,
                       ["row 3, field 'activity_uid'", "'a1'", "row 2"]),
    "geojson places": ("aanbod.geojson", GEOJSON_TWO_PLACES,
                       ["feature 2, field 'place_uid'", "'kring'", "feature 1"]),
    "geojson activities": ("aanbod.geojson", GEOJSON_TWO_ACTIVITIES,
                           ["feature 1, activities[1], field 'activity_uid'",
                            "feature 1, activities[0]"]),
    "geojson organisations": ("aanbod.geojson", GEOJSON_TWO_ORGANISATIONS,
                              ["organisations[1], field 'uid'", "organisations[0]"]),
    "hsds locations": ("hsds.json", _hsds(locations={"id": "l1", "name": "Elders",
                                                     "latitude": 51.06, "longitude": 3.73}),
                       ["locations[1], field 'id'", "location id 'l1'", "locations[0]"]),
    "hsds services": ("hsds.json", _hsds(services={"id": "s1", "name": "Praatgroep",
                                                   "organization_id": "o1", "attributes": PEER}),
                      ["services[1], field 'id'", "service id 's1'", "services[0]"]),
    "hsds organizations": ("hsds.json", _hsds(organizations={"id": "o1", "name": "Ander"}),
                           ["organizations[1], field 'id'", "organizations[0]"]),
    "hsds service_at_locations": ("hsds.json", _hsds(service_at_locations={
        "id": "sal1", "service_id": "s1", "location_id": "l1"}),
        ["service_at_locations[1], field 'id'", "service_at_locations[0]"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_one_id_twice_in_a_file_is_refused_naming_both(case, tmp_path, runner, db):
    name, text, words = CASES[case]
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 1, result.output
    for w in words:
        assert w in result.output
    assert store.counts(db) == dict.fromkeys(store.counts(db), 0)


def test_the_hsds_file_without_its_duplicate_imports(tmp_path, runner, db):
    f = tmp_path / "hsds.json"
    f.write_text(_hsds(), encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 0, result.output
    assert {k: store.counts(db)[k] for k in ("places", "activities")} == \
        {"places": 1, "activities": 1}


def test_a_place_on_several_csv_rows_is_still_one_place(tmp_path, runner, db):
    f = tmp_path / "aanbod.csv"
    f.write_text(CSV_TWO_ACTIVITIES.replace(",a1,Praatgroep", ",a2,Praatgroep"),
                 encoding="utf-8")
    result = runner.invoke(main, ["import", "places", str(f)])
    assert result.exit_code == 0, result.output
    assert {k: store.counts(db)[k] for k in ("places", "activities")} == \
        {"places": 1, "activities": 2}
