"""HSDS feeds as publishers write them: what a service says is kept (status, currency,
ids, one service at several locations), problems name their exact JSON path, every
published shape loads, and services without buurtkaart's working models are kept.

The feeds are invented (values) in the layouts of the HSDS 3.0 standard.
"""

from __future__ import annotations

import csv
import json

import pytest

from buurtkaart import accounts, store
from buurtkaart.cli import main

ORG = "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e01"
LOC_A, LOC_B = "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5ea1", "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5eb2"
SVC_DEFUNCT = "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e11"
SVC_TWO = "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e12"
SVC_GBP = "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e13"
SAL_1, SAL_2, SAL_3 = ("0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e21",
                       "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e22",
                       "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e23")
PEER = {"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e31",
        "taxonomy_term": {"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e41", "code": "peer",
                          "name": "lotgenotencontact", "description": "peer support",
                          "taxonomy": "buurtkaart-werkmodellen"}}
WEEKLY = {"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e51", "freq": "WEEKLY", "byday": "TU",
          "opens_at": "14:00", "closes_at": "16:00"}


def _location(lid, name, lon, postcode):
    return {"id": lid, "location_type": "physical", "name": name, "latitude": 51.05,
            "longitude": lon, "addresses": [{"id": lid[:-2] + "ff", "address_1": "Kerkstraat 1",
                                             "city": "Gent", "postal_code": postcode,
                                             "state_province": "Oost-Vlaanderen",
                                             "country": "BE", "address_type": "physical"}]}


def feed() -> dict:
    """A defunct service, a service held at two locations, and one that costs 35 GBP."""
    return {
        "organizations": [{"id": ORG, "name": "Buurtwerk Oost", "description": "vzw"}],
        "locations": [_location(LOC_A, "Buurthuis A", 3.62, "9030"),
                      _location(LOC_B, "Buurthuis B", 3.63, "9050")],
        "services": [
            {"id": SVC_DEFUNCT, "name": "Oude praatgroep", "status": "defunct",
             "organization_id": ORG, "attributes": [PEER]},
            {"id": SVC_TWO, "name": "Soepbar", "status": "active", "organization_id": ORG,
             "attributes": [PEER], "schedules": [WEEKLY],
             "cost_options": [{"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e61", "amount": 0,
                               "currency": "EUR"}]},
            {"id": SVC_GBP, "name": "Counselling", "status": "temporarily closed",
             "organization_id": ORG, "attributes": [PEER],
             "cost_options": [{"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e62", "amount": 35,
                               "currency": "GBP", "option": "per session"}]},
        ],
        "service_at_locations": [
            {"id": SAL_1, "service_id": SVC_DEFUNCT, "location_id": LOC_A},
            {"id": SAL_2, "service_id": SVC_TWO, "location_id": LOC_A},
            {"id": SAL_3, "service_id": SVC_TWO, "location_id": LOC_B},
        ],
    }


def _import(runner, path, *args):
    return runner.invoke(main, ["import", "places", str(path), *args])


@pytest.fixture
def imported(runner, db, tmp_path):
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed()), encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    return db


def _by_name(db):
    out = {}
    for a in store.activities(db, include_inactive=True):
        out.setdefault(a["name"], []).append(a)
    return out


def _export(runner, tmp_path, name="out.json"):
    out = tmp_path / name
    result = runner.invoke(main, ["export", "hsds", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text(encoding="utf-8"))


def test_status_is_kept_and_only_active_services_are_listed(imported, client, runner, tmp_path):
    listed = {f["properties"]["name"] for f in client.get("/api/activities").get_json()["features"]}
    assert listed == {"Soepbar"}
    page = client.get("/activities").get_data(as_text=True)
    assert "Soepbar" in page and "Oude praatgroep" not in page
    acts = _by_name(imported)
    assert acts["Oude praatgroep"][0]["status"] == "defunct"
    assert acts["Counselling"][0]["status"] == "temporarily closed"
    assert {a["status"] for a in acts["Soepbar"]} == {"active"}
    # the defunct service's own page says so; the place's page marks it
    detail = client.get(f"/activities/{acts['Oude praatgroep'][0]['id']}").get_data(as_text=True)
    assert "defunct" in detail
    place = client.get(f"/places/{acts['Oude praatgroep'][0]['place_id']}").get_data(as_text=True)
    assert "defunct" in place
    statuses = {s["name"]: s["status"] for s in _export(runner, tmp_path)["services"]}
    assert statuses == {"Oude praatgroep": "defunct", "Soepbar": "active",
                        "Counselling": "temporarily closed"}


def test_a_cost_in_pounds_stays_in_pounds(imported, client, runner, tmp_path):
    [svc] = [s for s in _export(runner, tmp_path)["services"] if s["name"] == "Counselling"]
    assert [(c["amount"], c["currency"]) for c in svc["cost_options"]] == [(35.0, "GBP")]
    [a] = _by_name(imported)["Counselling"]
    assert (a["cost_amount"], a["cost_currency"]) == (35.0, "GBP")
    page = client.get(f"/activities/{a['id']}").get_data(as_text=True)
    assert "£35.00" in page and "€" not in page  # English client: Babel writes £35.00
    props = client.get(f"/api/activities/{a['id']}").get_json()["properties"]
    assert (props["cost_amount"], props["cost_currency"]) == (35.0, "GBP")


def test_ids_are_kept_and_a_service_at_two_locations_is_one_service(imported, runner, tmp_path):
    doc = _export(runner, tmp_path)
    assert sorted(s["id"] for s in doc["services"]) == sorted([SVC_DEFUNCT, SVC_TWO, SVC_GBP])
    assert sorted((x["id"], x["service_id"], x["location_id"])
                  for x in doc["service_at_locations"]) == sorted(
        [(SAL_1, SVC_DEFUNCT, LOC_A), (SAL_2, SVC_TWO, LOC_A), (SAL_3, SVC_TWO, LOC_B)])
    assert sorted(loc["id"] for loc in doc["locations"]) == sorted([LOC_A, LOC_B])
    assert [o["id"] for o in doc["organizations"]] == [ORG]
    soup = _by_name(imported)["Soepbar"]
    assert sorted(a["uid"] for a in soup) == sorted([SAL_2, SAL_3])
    assert {a["service_uid"] for a in soup} == {SVC_TWO}
    assert sorted(a["place_uid"] for a in soup) == sorted([LOC_A, LOC_B])
    assert all([(s.weekday, s.start, s.end) for s in a["sessions"]] == [(1, "14:00", "16:00")]
               for a in soup)


def test_import_export_import_keeps_everything(imported, runner, tmp_path, monkeypatch):
    first = _export(runner, tmp_path, "first.json")
    monkeypatch.setenv("BUURTKAART_DATABASE", str(tmp_path / "second.db"))
    result = _import(runner, tmp_path / "first.json")
    assert result.exit_code == 0, result.output
    second = _export(runner, tmp_path, "second.json")

    def same(doc):  # the time of the import is the only thing that may differ
        for s in doc["services"]:
            s.pop("last_modified")
        return {k: sorted(v, key=lambda o: o["id"]) for k, v in doc.items()}

    assert same(second) == same(first)
    assert len(first["services"]) == 3 and len(first["service_at_locations"]) == 3


def test_a_problem_names_the_service_at_location_schedule_it_is_in(runner, db, tmp_path):
    doc = feed()
    doc["service_at_locations"][2]["schedules"] = [{**WEEKLY, "interval": 2}]
    nested = feed()
    sal = nested.pop("service_at_locations")[0]
    nested["services"][0]["service_at_locations"] = [
        {**sal, "schedules": [{"freq": "WEEKLY", "byday": "XX", "opens_at": "10:00",
                               "closes_at": "11:00"}]}]
    for d, where, field in ((doc, "service_at_locations[2].schedules[0]", "interval"),
                            (nested, "services[0].service_at_locations[0].schedules[0]",
                             "byday")):
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(d), encoding="utf-8")
        result = _import(runner, path)
        assert result.exit_code == 1
        assert f"bad.json, {where}, field '{field}'" in result.stderr, result.stderr
        assert "services[1].schedules" not in result.stderr
        assert store.counts(db)["activities"] == 0


def test_a_currency_that_is_not_a_code_is_refused_naming_the_service(runner, db, tmp_path):
    doc = feed()
    doc["services"][2]["cost_options"] = [
        {"id": "0b7e6c1e-7f41-4e0a-9d0b-1a2b3c4d5e63", "amount": 30, "currency": "GBP",
         "valid_to": "2020-12-31"},  # ended: left out, so the next one is the cost
        {**doc["services"][2]["cost_options"][0], "currency": "pounds"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 1
    assert "services[2], field 'cost_options[1].currency'" in result.stderr
    assert store.counts(db)["activities"] == 0


def test_a_single_service_object_and_a_paged_list_load(runner, db, client, tmp_path,
                                                       monkeypatch, imported):
    """/services/{id} and /services (buurtkaart's own) as downloaded."""
    one = client.get(f"/api/hsds/services/{SVC_TWO}").get_json()
    paged = client.get("/api/hsds/services?per_page=2&page=1").get_json()
    (tmp_path / "one.json").write_text(json.dumps(one), encoding="utf-8")
    (tmp_path / "paged.json").write_text(json.dumps(paged), encoding="utf-8")
    monkeypatch.setenv("BUURTKAART_DATABASE", str(tmp_path / "fresh.db"))
    assert _import(runner, tmp_path / "one.json").exit_code == 0
    fresh = store.connect(tmp_path / "fresh.db")
    assert sorted((a["uid"], a["service_uid"], a["place_uid"]) for a in
                  store.activities(fresh)) == sorted([(SAL_2, SVC_TWO, LOC_A),
                                                      (SAL_3, SVC_TWO, LOC_B)])
    result = _import(runner, tmp_path / "paged.json")
    assert result.exit_code == 0, result.output
    assert [s["name"] for s in paged["contents"]] == ["Counselling", "Oude praatgroep"]
    assert {(a["name"], a["status"]) for a in store.activities(fresh, include_inactive=True)} \
        == {("Soepbar", "active"), ("Oude praatgroep", "defunct"),
            ("Counselling", "temporarily closed")}


def _tables():
    doc = feed()
    return {
        "organizations": doc["organizations"],
        "services": [{k: v for k, v in s.items() if k not in ("attributes", "schedules",
                                                               "cost_options")}
                     for s in doc["services"]],
        "locations": [{k: v for k, v in loc.items() if k != "addresses"}
                      for loc in doc["locations"]],
        "addresses": [{**loc["addresses"][0], "location_id": loc["id"]}
                      for loc in doc["locations"]],
        "service_at_location": doc["service_at_locations"],
        "schedules": [{**WEEKLY, "service_id": SVC_TWO}],
        "cost_options": [{**c, "service_id": s["id"]} for s in doc["services"]
                         for c in s.get("cost_options", [])],
        "taxonomy_terms": [{**PEER["taxonomy_term"]}],
        "attributes": [{"id": f"{s['id'][:-2]}aa", "link_id": s["id"],
                        "taxonomy_term_id": PEER["taxonomy_term"]["id"],
                        "link_entity": "service", "value": "true"} for s in doc["services"]],
    }


def _check_tabular(db):
    acts = _by_name(db)
    assert sorted(a["place_uid"] for a in acts["Soepbar"]) == sorted([LOC_A, LOC_B])
    assert [(a["cost_amount"], a["cost_currency"]) for a in acts["Counselling"]] == \
        [(35.0, "GBP")]
    assert acts["Oude praatgroep"][0]["status"] == "defunct"
    assert all(a["models"] == ["peer"] for group in acts.values() for a in group)
    assert [(s.weekday, s.start) for s in acts["Soepbar"][0]["sessions"]] == [(1, "14:00")]
    assert {p["postcode"] for p in store.places(db)} == {"9030", "9050"}


def test_tabular_json_loads(runner, db, tmp_path):
    path = tmp_path / "tabular.json"
    path.write_text(json.dumps({f"{k}.csv": v for k, v in _tables().items()}), encoding="utf-8")
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    _check_tabular(db)


def test_a_csv_data_package_loads_and_names_rows(runner, db, tmp_path):
    resources = []
    for table, rows in _tables().items():
        columns = sorted({k for r in rows for k in r})
        with open(tmp_path / f"{table}.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, columns)
            w.writeheader()
            w.writerows(rows)
        resources.append({"name": table, "path": f"{table}.csv", "format": "csv"})
    package = tmp_path / "datapackage.json"
    package.write_text(json.dumps({"name": "hsds", "resources": resources}), encoding="utf-8")
    result = _import(runner, package)
    assert result.exit_code == 0, result.output
    _check_tabular(db)
    # a bad value names the CSV file and its row (the header is row 1)
    rows = list(csv.DictReader(open(tmp_path / "schedules.csv", encoding="utf-8")))
    rows[0]["byday"] = "dinsdag"
    with open(tmp_path / "schedules.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    result = _import(runner, package)
    assert result.exit_code == 1
    assert "schedules.csv row 2, field 'byday'" in result.stderr, result.stderr


def _unclassified_feed(tmp_path):
    doc = feed()
    for s in doc["services"]:
        s["attributes"] = []
    path = tmp_path / "zonder.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_a_feed_without_working_models_is_kept_not_yet_classified(runner, db, client, tmp_path):
    result = _import(runner, _unclassified_feed(tmp_path))
    assert result.exit_code == 0, result.output
    assert "4 activities have no buurtkaart working model" in result.stderr
    acts = store.activities(db, include_inactive=True)
    assert len(acts) == 4 and all(a["models"] == [] for a in acts)
    soup = next(a for a in acts if a["name"] == "Soepbar")
    assert "not yet classified" in client.get(f"/activities/{soup['id']}").get_data(as_text=True)
    # an editor resolves it in the edit form by choosing a working model; saving the form
    # without one is refused, naming the field
    accounts.create_user(db, "admin@stad.be", "correct horse battery", role="admin")

    def csrf():
        with client.session_transaction() as session:
            return session.setdefault("csrf", "test-token")

    client.post("/login", data={"email": "admin@stad.be", "password": "correct horse battery",
                                "csrf_token": csrf()})
    form = f"/admin/activities/{soup['uid']}"
    assert client.get(form).status_code == 200
    refused = client.post(form, data={"csrf_token": csrf(), "name": "Soepbar"})
    assert refused.status_code == 400 and "working model" in refused.get_data(as_text=True)
    assert store.activity(db, soup["id"])["models"] == []
    saved = client.post(form, data={"csrf_token": csrf(), "name": "Soepbar",
                                    "models": ["location"]})
    assert saved.status_code in (302, 303), saved.get_data(as_text=True)[:500]
    page = client.get(f"/activities/{soup['id']}").get_data(as_text=True)
    assert "not yet classified" not in page
    stored = store.activity(db, soup["id"])
    assert stored["models"] == ["location"] and stored["service_uid"] == SVC_TWO


def test_default_model_classifies_a_feed_on_the_command_line(runner, db, tmp_path):
    result = _import(runner, _unclassified_feed(tmp_path), "--default-model", "context")
    assert result.exit_code == 0, result.output
    assert "working model" not in result.stderr
    assert {tuple(a["models"]) for a in store.activities(db, include_inactive=True)} == \
        {("context",)}
    result = _import(runner, _unclassified_feed(tmp_path), "--default-model", "knutselen")
    assert result.exit_code == 2 and "knutselen" in result.output
    csv_file = tmp_path / "aanbod.csv"
    csv_file.write_text("place_name,lon,lat\nBuurthuis,3.7,51.0\n", encoding="utf-8")
    result = _import(runner, csv_file, "--default-model", "peer")
    assert result.exit_code == 2 and "HSDS files only" in result.output
