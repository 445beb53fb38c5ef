"""Every official HSDS 3.0 example that describes a service (and the paged list responses)
imports, with the stored values equal to the example's; the export of what was imported
follows the official schemas.

The examples are read from ../shared/data/hsds-3.0/examples (CC BY-SA 4.0), never copied
here. Two of their values are refused rather than stored, and the tests say so: the
example location's ``latitude`` is 100 (not on Earth), and in tabular.json the location
names an organization the file does not hold. The tests check the refusal names the exact
place, then correct only those values and check everything else is stored as published.
The examples' schedule and cost option ended (2005-01-01, 2022-12-31): they are left out
with a warning naming them.
"""

from __future__ import annotations

import copy
import json

import hsds_official
import pytest
from hsds_official import example
from test_hsds import _validate

from buurtkaart import store
from buurtkaart.cli import main

LAT, LON = 51.0543, 3.7215  # in place of the examples' latitude 100, longitude 101


def _on_earth(obj):
    """A copy of ``obj`` whose locations are on Earth (only latitude/longitude change)."""
    obj = copy.deepcopy(obj)

    def walk(o):
        if isinstance(o, dict):
            if o.get("latitude") == 100:
                o["latitude"], o["longitude"] = LAT, LON
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(obj)
    return obj


def _import(runner, tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return runner.invoke(main, ["import", "places", str(path)])


def _service(full: dict) -> dict:
    return full.get("service", full)


def _check_service(db, svc: dict, sal: dict | None, location: dict | None, org: dict):
    """The stored activity, place and organisation hold the example's values."""
    [a] = store.activities(db, include_inactive=True)
    assert a["uid"] == (sal["id"] if sal else svc["id"])
    assert a["service_uid"] == svc["id"]
    assert a["name"] == svc["name"] and a["description"] == svc["description"].strip()
    assert a["status"] == svc["status"] == "active"
    assert a["url"] == svc["url"] and a["email"] == svc["email"]
    assert a["target_group"] == svc["eligibility_description"]
    assert a["last_verified"] == svc["assured_date"]
    assert a["languages"] == [lang["code"] for lang in svc.get("languages", [])]
    if svc.get("phones"):
        assert a["phone"] == svc["phones"][0]["number"]
    assert a["models"] == []  # not yet classified: HSDS has no buurtkaart working models
    assert a["cost_amount"] is None and a["sessions"] == []  # both ended (see module doc)
    assert a["organisation_uid"] == org["id"]
    [o] = store.organisations(db)
    assert (o["uid"], o["name"], o["url"], o["email"]) == (org["id"], org["name"],
                                                           org["website"], org["email"])
    if location is None:
        assert a["place_uid"] is None
        return
    [p] = store.places(db, include_inactive=True)
    assert a["place_uid"] == p["uid"] == location["id"]
    assert (p["name"], p["url"], p["description"]) == (location["name"], location["url"],
                                                       location["description"])
    assert (p["lat"], p["lon"]) == (LAT, LON)
    if location.get("addresses"):
        addr = location["addresses"][0]
        assert (p["street"], p["postcode"], p["city"]) == (addr["address_1"],
                                                           addr["postal_code"], addr["city"])


def _exported_is_valid(runner, tmp_path):
    out = tmp_path / "export.json"
    assert runner.invoke(main, ["export", "hsds", str(out)]).exit_code == 0
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert _validate(doc) == []
    return doc


@pytest.mark.parametrize("name,where", [
    ("service_full.json", "service_at_locations[0].location"),
    ("service_at_location_full.json", "location"),
    ("service_at_location_list.json", "contents[0].location"),
    ("organization_full.json", "locations[0]"),  # the listed location; nested copies give way
])
def test_compiled_examples_import(runner, db, tmp_path, name, where):
    published = example(name)
    assert hsds_official.errors(published, {
        "service_full.json": "compiled/service.json",
        "service_at_location_full.json": "compiled/service_at_location.json",
        "service_at_location_list.json": hsds_official.response_schema("/service_at_locations"),
        "organization_full.json": "compiled/organization.json"}[name]) == []
    result = _import(runner, tmp_path, name, published)
    assert result.exit_code == 1
    assert f"{where}, field 'latitude': coordinate 100 is not a number" in result.stderr
    assert store.counts(db)["activities"] == 0
    result = _import(runner, tmp_path, name, _on_earth(published))
    assert result.exit_code == 0, result.output
    if "ended on 2022-12-31" not in result.stderr:  # the list shape has no cost options
        assert name == "service_at_location_list.json"
    data = _on_earth(published)
    if name == "organization_full.json":
        svc, org = data["services"][0], data
    else:
        svc = (data["contents"][0] if "contents" in data else data).get("service", data)
        org = svc["organization"]
    sal = data if "service" in data else (data["contents"][0] if "contents" in data
                                          else svc["service_at_locations"][0])
    _check_service(db, svc, sal, sal["location"], org)
    _exported_is_valid(runner, tmp_path)


def test_the_paged_service_list_imports_as_downloaded(runner, db, tmp_path):
    published = example("service_list.json")
    assert hsds_official.errors(published, hsds_official.response_schema("/services")) == []
    result = _import(runner, tmp_path, "service_list.json", published)
    assert result.exit_code == 0, result.output
    assert "1 activity has no buurtkaart working model" in result.stderr
    svc = published["contents"][0]
    _check_service(db, {**svc, "languages": []}, None, None, svc["organization"])
    doc = _exported_is_valid(runner, tmp_path)
    assert [s["id"] for s in doc["services"]] == [svc["id"]]


def test_the_paged_organization_list_imports_as_downloaded(runner, db, tmp_path):
    published = example("organization_list.json")
    result = _import(runner, tmp_path, "organization_list.json", published)
    assert result.exit_code == 0, result.output
    [o] = store.organisations(db)
    org = published["contents"][0]
    assert (o["uid"], o["name"], o["description"], o["url"]) == (
        org["id"], org["name"], org["description"], org["website"])


def test_tabular_example_imports(runner, db, tmp_path):
    published = example("tabular.json")
    result = _import(runner, tmp_path, "tabular.json", published)
    assert result.exit_code == 1
    assert "locations.csv[0], field 'latitude'" in result.stderr
    corrected = _on_earth(published)
    result = _import(runner, tmp_path, "tabular.json", corrected)
    assert result.exit_code == 1
    unknown = corrected["locations.csv"][0]["organization_id"]
    assert f"locations.csv[0], field 'organisation_uid': refers to unknown organisation " \
           f"'{unknown}'" in result.stderr
    org = corrected["organizations.csv"][0]
    corrected["locations.csv"][0]["organization_id"] = org["id"]
    result = _import(runner, tmp_path, "tabular.json", corrected)
    assert result.exit_code == 0, result.output
    svc = corrected["services.csv"][0]
    location = {**corrected["locations.csv"][0], "addresses": corrected["addresses.csv"]}
    langs = [lang for lang in corrected["languages.csv"] if lang["service_id"] == svc["id"]]
    _check_service(db, {**svc, "languages": langs,
                        "phones": [p for p in corrected["phones.csv"]
                                   if p.get("service_id") == svc["id"]]},
                   corrected["service_at_location.csv"][0], location, org)
    _exported_is_valid(runner, tmp_path)


def test_a_single_location_imports_as_a_place(runner, db, tmp_path):
    published = example("location.json")
    result = _import(runner, tmp_path, "location.json", _on_earth(published))
    assert result.exit_code == 0, result.output
    [p] = store.places(db)
    assert (p["uid"], p["name"]) == (published["id"], published["name"])


@pytest.mark.parametrize("name", ["taxonomy.json", "taxonomy_list.json", "taxonomy_term.json",
                                  "base.json"])
def test_examples_that_describe_no_service_are_refused_saying_so(runner, db, tmp_path, name):
    result = _import(runner, tmp_path, name, example(name))
    assert result.exit_code == 1 and "HSDS" in result.stderr
