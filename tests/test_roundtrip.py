"""Export then import gives the same records, for GeoJSON, CSV and HSDS 3.0."""

from __future__ import annotations

import json
import uuid

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.records import validate_activity, validate_organisation, validate_place
from buurtkaart.taxonomy import WORKING_MODELS

TRICKY = 'Vzw "De Loods"; Gent, ça va — <b>ok</b>'


def _rich_directory():
    org, _ = validate_organisation({"name": TRICKY, "url": "https://deloods.example",
                                    "email": "info@deloods.example"})
    other, _ = validate_organisation({"uid": "org-buddy", "name": "Buddywerking"})
    places, acts = [], []
    for i, (kind, wc, oh) in enumerate([
            ("drop_in_centre", "limited", "Mo-Fr 09:00-17:00; PH off"),
            ("community_house", "yes", "Tu,Th 13:00-21:00"),
            ("library", None, None)]):
        p, probs = validate_place({
            "uid": f"place-{i}" if i else None, "name": f"{TRICKY} {i}", "kind": kind,
            "organisation_uid": org["uid"] if i < 2 else None, "street": "Kerkstraat 1",
            "postcode": "9000", "city": "Gent", "lon": 3.72 + i / 1000, "lat": 51.05,
            "opening_hours": oh, "wheelchair": wc, "description": "line one\nline two; three",
            "url": "https://example.org/x", "phone": "+32 9 123 45 67",
            "email": "plek@example.org" if i == 0 else None, "capacity": 40 if i else None,
            "last_verified": "2026-03-01", "source": "test"})
        assert not probs, probs
        places.append(p)
    models = list(WORKING_MODELS)
    for i, model in enumerate(models):
        a, probs = validate_activity({
            "name": f"Activiteit {model}", "description": f"Over {model}, met \"quotes\"",
            "models": [model, models[(i + 1) % 7]], "place_uid": places[i % 3]["uid"],
            "organisation_uid": org["uid"],
            "sessions": ["Tu 18:00-20:00", "Mo[1] 10:00-12:00; Fr[-1] 19:00-22:00", ""][i % 3],
            "cost_amount": [0, 3.5, None][i % 3], "cost_note": "UiTPAS" if i % 3 == 1 else None,
            "walk_in": [True, False, None][i % 3], "childcare": [None, True, False][i % 3],
            "children_welcome": [False, None, True][i % 3], "no_internet": True,
            "wheelchair": [None, False, True][i % 3], "languages": ["nl", "nl;fr;ar", ""][i % 3],
            "target_group": "ouders" if i % 2 else None, "capacity": 12 if i % 2 else None,
            "url": "https://example.org/a", "email": "a@example.org", "phone": "09 123",
            "last_verified": "2026-05-0" + str(1 + i % 9), "source": "test",
            "sample": i == 6})
        assert not probs, probs
        acts.append(a)
    buddy, probs = validate_activity({"name": "Buddy’s voor nieuwkomers", "models": "buddy",
                                      "organisation_uid": other["uid"], "cost_amount": "gratis",
                                      "no_internet": "ja", "languages": "nl;en"})
    assert not probs
    acts.append(buddy)
    return [org, other], places, acts


def _records(db):
    """Everything a user can see of the directory, keyed by uid (ids are local)."""
    skip = {"id", "place_id", "organisation_id", "place", "activities", "neighbourhood_code",
            "neighbourhood_name", "municipality_code", "archived_at"}
    places = {p["uid"]: {k: v for k, v in p.items() if k not in skip} for p in store.places(db)}
    acts = {a["uid"]: {k: v for k, v in a.items() if k not in skip} for a in store.activities(db)}
    orgs = {o["uid"]: {k: v for k, v in o.items() if k not in ("id", "source")}
            for o in store.organisations(db)}
    return orgs, places, acts


@pytest.mark.parametrize("fmt,suffix", [("geojson", "geojson"), ("csv", "csv"), ("hsds", "json")])
def test_export_then_import_gives_the_same_records(runner, db, tmp_path, monkeypatch, fmt, suffix):
    orgs, places, acts = _rich_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / f"export.{suffix}"
    result = runner.invoke(main, ["export", fmt, str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and not list(tmp_path.glob(".*partial"))

    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("BUURTKAART_DATABASE", str(fresh))
    result = runner.invoke(main, ["import", "places", str(out)])
    assert result.exit_code == 0, result.output
    expected, got = _records(db), _records(store.connect(fresh))
    if fmt == "csv":  # CSV carries organisations by name only, not their contact details
        for o in expected[0].values():
            o.update(description=None, url=None, email=None, phone=None)
    assert got[1] == expected[1]
    assert got[2] == expected[2]
    assert got[0] == expected[0]


def test_hsds_export_is_structurally_valid_hsds(runner, db, tmp_path):
    orgs, places, acts = _rich_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / "hsds.json"
    assert runner.invoke(main, ["export", "hsds", str(out)]).exit_code == 0
    doc = json.loads(out.read_text())
    ids = set()
    for key in ("organizations", "services", "locations", "service_at_locations", "taxonomies",
                "taxonomy_terms"):
        for obj in doc[key]:
            uuid.UUID(obj["id"])  # HSDS requires UUID identifiers
            assert obj["id"] not in ids
            ids.add(obj["id"])
    for svc in doc["services"]:
        assert svc["name"] and svc["status"] in ("active", "inactive", "defunct",
                                                  "temporarily closed")
        for s in svc["schedules"]:
            assert s["freq"] in ("WEEKLY", "MONTHLY")
    loc_ids = {loc["id"] for loc in doc["locations"]}
    svc_ids = {s["id"] for s in doc["services"]}
    term_ids = {t["id"] for t in doc["taxonomy_terms"]}
    for sal in doc["service_at_locations"]:
        assert sal["location_id"] in loc_ids and sal["service_id"] in svc_ids
        for attr in sal["attributes"]:
            assert attr["taxonomy_term_id"] in term_ids and attr["link_id"] == sal["id"]
    monthly = [s for sal in doc["service_at_locations"] for s in sal["schedules"]
               if s["freq"] == "MONTHLY"]
    assert {s["byday"] for s in monthly} == {"1MO", "-1FR"}
    models = {t["code"] for t in doc["taxonomy_terms"] if t["taxonomy"] == "buurtkaart-werkmodellen"}
    assert models == set(WORKING_MODELS)


def _hsds(services, **extra):
    return json.dumps({"organizations": [], "services": services, "locations": [],
                       "service_at_locations": [], **extra})


@pytest.mark.parametrize("case,doc,where,field", [
    ("not hsds", json.dumps({"hello": "world"}), None, None),
    ("daily every 2", _hsds([{"id": "s1", "name": "X", "attributes": [
        {"taxonomy_term": {"taxonomy": "buurtkaart-werkmodellen", "code": "peer"}}],
        "schedules": [{"freq": "WEEKLY", "interval": 2, "byday": "TU",
                       "opens_at": "10:00", "closes_at": "12:00"}]}]),
     "services[0].schedules[0]", "interval"),
    ("bad byday", _hsds([{"id": "s1", "name": "X", "schedules": [
        {"freq": "WEEKLY", "byday": "DINSDAG", "opens_at": "10:00", "closes_at": "12:00"}]}]),
     "services[0].schedules[0]", "byday"),
    ("unknown location", _hsds([{"id": "s1", "name": "X"}], service_at_locations=[
        {"id": "sal1", "service_id": "s1", "location_id": "nowhere"}]),
     "service_at_locations[0]", "location_id"),
    ("no model", _hsds([{"id": "s1", "name": "X"}]), "services[0]", "attributes"),
    ("bad location", _hsds([], locations=[{"id": "l1", "name": "X", "latitude": 951,
                                           "longitude": 3.7}]), "locations[0]", "latitude"),
])
def test_bad_hsds_is_refused_naming_the_place(runner, db, tmp_path, case, doc, where, field):
    path = tmp_path / "aanbod.json"
    path.write_text(doc)
    before = store.counts(db)
    result = runner.invoke(main, ["import", "places", str(path), "--format", "hsds"])
    assert result.exit_code == 1, result.output
    assert "aanbod.json" in result.stderr
    if where:
        assert where in result.stderr
    if field:
        assert f"field '{field}" in result.stderr
    assert store.counts(db) == before


def test_compiled_hsds_services_import(runner, db_path, tmp_path):
    """The HSDS API's /services/{id} shape: a list of services with nested objects."""
    doc = [{"id": str(uuid.uuid4()), "name": "Praatcafé", "status": "active",
            "organization": {"id": "o1", "name": "Samenlevingsopbouw"},
            "languages": [{"code": "nl"}], "cost_options": [{"amount": 0, "currency": "EUR"}],
            "attributes": [{"taxonomy_term": {"taxonomy": "buurtkaart-werkmodellen",
                                              "code": "location"}},
                           {"taxonomy_term": {"taxonomy": "buurtkaart-drempels",
                                              "code": "walk_in"}, "value": "true"}],
            "service_at_locations": [{"id": "sal-1", "location": {
                "id": "loc-1", "name": "Buurthuis", "latitude": 51.05, "longitude": 3.72,
                "location_type": "physical"},
                "schedules": [{"freq": "MONTHLY", "byday": "1WE,3WE", "opens_at": "14:00",
                               "closes_at": "16:00"}]}]}]
    path = tmp_path / "services.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 0, result.output
    [a] = store.activities(store.connect(db_path))
    assert a["models"] == ["location"] and a["walk_in"] == 1 and a["cost_amount"] == 0
    assert [(s.weekday, s.nth) for s in a["sessions"]] == [(2, 1), (2, 3)]
    assert a["organisation_name"] == "Samenlevingsopbouw" and a["place"]["name"] == "Buurthuis"


def test_hsds_api_pages_filters_and_single_services(db, client):
    orgs, places, acts = _rich_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    first = client.get("/api/hsds/services?per_page=3").get_json()
    assert first["total_items"] == len(acts) and first["size"] == 3 and first["first_page"]
    assert first["total_pages"] == -(-len(acts) // 3) and not first["last_page"]
    last = client.get(f"/api/hsds/services?per_page=3&page={first['total_pages']}").get_json()
    assert last["last_page"] and last["size"] == len(acts) - 3 * (first["total_pages"] - 1)
    svc = first["contents"][0]
    assert client.get(f"/api/hsds/services/{svc['id']}").get_json()["name"] == svc["name"]
    assert client.get("/api/hsds/services/unknown").status_code == 404
    # taxonomy filter: the "buddy" working model term
    from buurtkaart.exporters.hsds import taxonomy_terms

    buddy_term = taxonomy_terms()[1][("buurtkaart-werkmodellen", "buddy")]["id"]
    buddy = client.get(f"/api/hsds/services?taxonomy_term_id={buddy_term}").get_json()
    names = {s["name"] for s in buddy["contents"]}
    assert names == {a["name"] for a in acts if "buddy" in a["models"]}
    minimal = client.get("/api/hsds/services?minimal=true&per_page=1").get_json()["contents"][0]
    assert set(minimal) == {"id", "name", "description", "status", "organization_id"}
    sals = client.get("/api/hsds/service_at_locations?search=activiteit").get_json()
    assert sals["total_items"] == 7 and all(s["location"]["latitude"] for s in sals["contents"])
    for bad, param in (("page=0", "page"), ("per_page=9999", "per_page"), ("colour=1", "colour")):
        resp = client.get(f"/api/hsds/services?{bad}")
        assert resp.status_code == 400 and resp.get_json()["parameter"] == param
