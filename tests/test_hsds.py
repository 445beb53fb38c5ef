"""Open Referral HSDS 3.0: the export follows the official schema, and export -> import
loses nothing.

The export is validated against the official HSDS 3.0 JSON schemas (../shared/data/hsds-3.0,
read through :mod:`hsds_official`; the tests skip with the reason when they are absent),
and every property name must be one the schemas define (they allow any other, so a typo
would pass them).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import hsds_official
import opening_hours
import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.importers.hsds import (opening_hours_to_weekly, read_hsds,
                                       weekly_to_opening_hours)
from buurtkaart.errors import ImportFailed
from buurtkaart.hours import Session
from buurtkaart.records import validate_activity, validate_organisation, validate_place
from buurtkaart.taxonomy import WORKING_MODELS

#: the export's top-level arrays and the official schema of their items
ARRAYS = {"organizations": "organization.json", "services": "service.json",
          "locations": "location.json", "service_at_locations": "service_at_location.json",
          "taxonomies": "taxonomy.json", "taxonomy_terms": "taxonomy_term.json"}


def _validate(doc) -> list[str]:
    """Every way ``doc`` (an HSDS export) breaks the official HSDS 3.0 schemas."""
    out = [f"{key}: not one of the export's arrays" for key in doc if key not in ARRAYS]
    out += [f"{key}: missing" for key in ARRAYS if key not in doc]
    for key, schema in ARRAYS.items():
        for i, obj in enumerate(doc.get(key) or []):
            out += [f"{key}[{i}]/{e}" for e in hsds_official.errors(obj, schema)]
            out += [f"{key}[{i}]{p}: not an HSDS property"
                    for p in hsds_official.unknown_properties(obj, schema)]
    return out


TRICKY = 'Vzw "De Loods"; Gent, ça va — <b>ok</b>'
PLACE_HOURS = ["Mo-Fr 09:00-12:00,13:00-17:00; PH off", "Tu,Th 13:00-21:00; Sa 10:00-12:00",
               "Jun-Aug Mo-Fr 10:00-16:00", None]


def _directory():
    """Every field of every record type, every value a tri-state or cost can take."""
    org, _ = validate_organisation({"name": TRICKY, "url": "https://deloods.example",
                                    "email": "info@deloods.example", "phone": "+32 9 000 00 00",
                                    "description": "Een vzw\nmet twee regels"})
    other, _ = validate_organisation({"uid": "org-buddy", "name": "Buddywerking"})
    places = []
    kinds = ["drop_in_centre", "community_house", "library", "local_service_centre"]
    for i, (kind, hours) in enumerate(zip(kinds, PLACE_HOURS)):
        p, probs = validate_place({
            "uid": f"place-{i}" if i % 2 else None, "name": f"{TRICKY} {i}", "kind": kind,
            "organisation_uid": org["uid"] if i < 2 else None,
            "street": "Kerkstraat 1" if i < 3 else None, "postcode": "9000" if i < 3 else None,
            "city": "Gent" if i < 3 else None, "lon": 3.72 + i / 1000, "lat": 51.05 + i / 1000,
            "opening_hours": hours, "wheelchair": ["limited", "yes", "no", None][i],
            "description": "line one\nline two; three" if i != 3 else None,
            "url": "https://example.org/x", "phone": "+32 9 123 45 67" if i else None,
            "email": "plek@example.org" if i == 0 else None, "capacity": 40 if i else None,
            "last_verified": "2026-03-01", "source": "test", "sample": i == 2})
        assert not probs, probs
        places.append(p)
    models = list(WORKING_MODELS)
    acts = []
    for i, model in enumerate(models):
        a, probs = validate_activity({
            "name": f"Activiteit {model}", "description": f"Over {model}, met \"quotes\"",
            "models": [model] + ([models[(i + 3) % 7]] if i % 2 else []),
            "place_uid": places[i % 4]["uid"], "organisation_uid": org["uid"] if i else None,
            "sessions": ["Tu 18:00-20:00; Th 09:00-11:30",
                         "Mo[1] 10:00-12:00; Fr[-1] 19:00-22:00; We[3] 14:00-16:00", ""][i % 3],
            "cost_amount": [0, 3.5, None][i % 3], "cost_note": "UiTPAS" if i % 3 == 1 else None,
            "walk_in": [True, False, None][i % 3], "childcare": [None, True, False][i % 3],
            "children_welcome": [False, None, True][i % 3],
            "no_internet": [True, None, False][(i + 1) % 3],
            "wheelchair": [None, False, True][i % 3], "languages": ["nl", "nl;fr;ar", ""][i % 3],
            "target_group": "ouders" if i % 2 else None, "capacity": 12 if i % 2 else None,
            "url": "https://example.org/a", "email": "a@example.org", "phone": "09 123",
            "last_verified": "2026-05-0" + str(1 + i % 9), "source": "test",
            "sample": i == 6})
        assert not probs, probs
        acts.append(a)
    for name, models_, cost in (("Buddy’s voor nieuwkomers", "buddy", "gratis"),
                                ("Gezinsbegeleiding aan huis", "context;personal_network", 12)):
        a, probs = validate_activity({"name": name, "models": models_,
                                      "organisation_uid": other["uid"], "cost_amount": cost,
                                      "no_internet": "ja", "languages": "nl;en",
                                      "sessions": "Sa 10:00-12:00" if cost == 12 else ""})
        assert not probs
        acts.append(a)
    return [org, other], places, acts


def _records(db):
    """Everything a user can see of the directory, keyed by uid (row ids are local)."""
    skip = {"id", "place_id", "organisation_id", "place", "activities", "neighbourhood_code",
            "neighbourhood_name", "municipality_code", "archived_at", "modified_at"}
    places = {p["uid"]: {k: v for k, v in p.items() if k not in skip} for p in store.places(db)}
    acts = {a["uid"]: {k: v for k, v in a.items() if k not in skip} for a in store.activities(db)}
    orgs = {o["uid"]: {k: v for k, v in o.items() if k not in ("id", "source")}
            for o in store.organisations(db)}
    return orgs, places, acts


@pytest.fixture
def exported(runner, db, tmp_path):
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / "hsds.json"
    result = runner.invoke(main, ["export", "hsds", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_export_follows_the_hsds_schema(exported):
    doc = json.loads(exported.read_text(encoding="utf-8"))
    assert _validate(doc) == []
    ids = [o["id"] for key in ("organizations", "services", "locations", "service_at_locations",
                               "taxonomies", "taxonomy_terms") for o in doc[key]]
    assert len(ids) == len(set(ids)) and all(uuid.UUID(i) for i in ids)
    # references resolve
    loc_ids = {loc["id"] for loc in doc["locations"]}
    svc_ids = {s["id"] for s in doc["services"]}
    org_ids = {o["id"] for o in doc["organizations"]}
    terms = {t["id"]: t for t in doc["taxonomy_terms"]}
    tax_names = {t["id"]: t["name"] for t in doc["taxonomies"]}
    for sal in doc["service_at_locations"]:
        assert sal["location_id"] in loc_ids and sal["service_id"] in svc_ids
    for svc in doc["services"]:
        assert svc.get("organization_id") in org_ids | {None}
    attrs = [a for key in ("services", "service_at_locations", "locations", "organizations")
             for o in doc[key] for a in o.get("attributes", [])]
    for a in attrs:
        term = terms[a["taxonomy_term_id"]]
        assert a["taxonomy_term"] == term and tax_names[term["taxonomy_id"]] == term["taxonomy"]
    assert {t["code"] for t in terms.values()
            if t["taxonomy"] == "buurtkaart-werkmodellen"} == set(WORKING_MODELS)
    # the schema check itself can fail: a null, a wrong enum, an unknown field
    for broken in ({**doc, "extra": []},
                   {**doc, "services": [{**doc["services"][0], "status": "open"}]},
                   {**doc, "services": [{**doc["services"][0], "url": None}]},
                   {**doc, "locations": [{**doc["locations"][0], "id": "place-1"}]},
                   {**doc, "services": [{**doc["services"][0], "eligibilty_description": "x"}]}):
        assert _validate(broken)


def test_sessions_and_opening_hours_as_hsds_schedules(exported):
    doc = json.loads(exported.read_text(encoding="utf-8"))
    by_name = {s["name"]: s for s in doc["services"]}
    sal = next(x for x in doc["service_at_locations"]
               if x["service_id"] == by_name["Activiteit buddy"]["id"])
    assert sorted((s["freq"], s["byday"], s["opens_at"], s["closes_at"])
                  for s in sal["schedules"]) == [("MONTHLY", "-1FR", "19:00", "22:00"),
                                                 ("MONTHLY", "1MO", "10:00", "12:00"),
                                                 ("MONTHLY", "3WE", "14:00", "16:00")]
    mobile = by_name["Gezinsbegeleiding aan huis"]
    assert [(s["freq"], s["byday"]) for s in mobile["schedules"]] == [("WEEKLY", "SA")]
    assert not any(x["service_id"] == mobile["id"] for x in doc["service_at_locations"])
    locs = {loc["name"][-1]: loc for loc in doc["locations"]}
    assert sorted((s["byday"], s["opens_at"], s["closes_at"]) for s in locs["0"]["schedules"]) \
        == [("MO,TU,WE,TH,FR", "09:00", "12:00"), ("MO,TU,WE,TH,FR", "13:00", "17:00")]
    assert sorted((s["byday"], s["opens_at"]) for s in locs["1"]["schedules"]) \
        == [("SA", "10:00"), ("TU,TH", "13:00")]
    assert "schedules" not in locs["2"] or locs["2"]["schedules"] == []  # months: attribute only
    kept = {a["taxonomy_term"]["code"]: a["value"] for a in locs["2"]["attributes"]}
    assert kept["opening_hours"] == PLACE_HOURS[2] and kept["kind"] == "library"


def test_export_then_import_gives_the_same_records(exported, db, runner, tmp_path, monkeypatch):
    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("BUURTKAART_DATABASE", str(fresh))
    result = runner.invoke(main, ["import", "places", str(exported)])
    assert result.exit_code == 0, result.output
    expected, got = _records(db), _records(store.connect(fresh))
    assert got[1] == expected[1]
    assert got[2] == expected[2]
    assert got[0] == expected[0]
    acts = list(got[2].values())
    # the round trip covered what it claims to
    assert {m for a in acts for m in a["models"]} == set(WORKING_MODELS)
    assert {a["walk_in"] for a in acts} >= {0, 1, None}
    assert {a["cost_amount"] for a in acts} >= {0.0, 3.5, None}
    assert any(s.nth == -1 for a in acts for s in a["sessions"])
    assert any(a["place_uid"] is None for a in acts)


def test_compiled_services_from_the_api_import_back(db, client, tmp_path, monkeypatch, runner):
    """The HSDS API's own compiled shape (a list of services) is importable as is."""
    orgs, places, acts = _directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    services = client.get("/api/hsds/services?per_page=500").get_json()["contents"]
    path = tmp_path / "services.json"
    path.write_text(json.dumps(services), encoding="utf-8")
    fresh = tmp_path / "fresh.db"
    monkeypatch.setenv("BUURTKAART_DATABASE", str(fresh))
    result = runner.invoke(main, ["import", "places", str(path)])
    assert result.exit_code == 0, result.output
    expected, got = _records(db), _records(store.connect(fresh))
    assert got[2] == expected[2]
    # places that host no activity are not in a list of services
    hosting = {a["place_uid"] for a in acts if a["place_uid"]}
    assert got[1] == {uid: p for uid, p in expected[1].items() if uid in hosting}


def _week_intervals(expr: str) -> set:
    oh = opening_hours.OpeningHours(expr)
    start = dt.datetime(2024, 1, 8)  # a week without Belgian public holidays
    return {(a, b) for a, b, state, _ in oh.intervals(start, start + dt.timedelta(days=7))
            if state == opening_hours.State.OPEN}


@pytest.mark.parametrize("expr,expressible", [
    ("Mo-Fr 09:00-12:00,13:00-17:00; PH off", True),
    ("Mo-Su 10:00-18:00; We off", True),
    ("Mo-Fr 08:00-20:00; Sa 11:00-17:00, Su 12:00-16:00", True),
    ("Fr-Mo 10:00-14:00", True),
    ("24/7", True),
    ("10:00-18:00", True),
    ("Jun-Aug Mo-Fr 10:00-16:00", False),
    ("Mo-Fr 22:00-02:00", False),
    ("Mo-Fr 09:00-17:00 \"by appointment\"", False),
])
def test_opening_hours_to_weekly_schedules_and_back(expr, expressible):
    weekly = opening_hours_to_weekly(expr)
    assert (weekly is not None) is expressible
    if weekly:
        back = weekly_to_opening_hours([Session.parse(d, a, b) for d, a, b in weekly])
        assert _week_intervals(back) == _week_intervals(expr), back


def test_location_schedules_become_opening_hours_without_the_attribute(exported, tmp_path):
    """A publisher that only fills HSDS schedules still gives the place its hours."""
    doc = json.loads(exported.read_text(encoding="utf-8"))
    for loc in doc["locations"]:
        loc["attributes"] = [a for a in loc["attributes"]
                             if a["taxonomy_term"]["code"] != "opening_hours"]
    path = tmp_path / "schedules-only.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    got = {p["name"][-1]: p["opening_hours"] for p in read_hsds(path).places}
    for i in "01":
        assert _week_intervals(got[i]) == _week_intervals(PLACE_HOURS[int(i)]), got[i]
    assert got["2"] is None and got["3"] is None


def _doc(services, **extra):
    return {"organizations": [], "services": services, "locations": [],
            "service_at_locations": [], **extra}


MODEL_ATTR = {"taxonomy_term": {"taxonomy": "buurtkaart-werkmodellen", "code": "peer"}}


def _svc(**kw):
    return {"id": "s1", "name": "Praatgroep", "attributes": [MODEL_ATTR], **kw}


def test_terms_by_reference_daily_schedules_and_free_cost(tmp_path):
    """Attributes that only name a term id, resolved through top-level taxonomies."""
    tax = {"id": "t1", "name": "buurtkaart-drempels", "description": "x"}
    terms = [{"id": "term-walk", "code": "walk_in", "name": "walk in", "taxonomy_id": "t1",
              "description": "x"},
             {"id": "term-kids", "code": "childcare", "name": "kids", "description": "x",
              "taxonomy_detail": {"name": "buurtkaart-drempels"}},
             {"id": "term-ctx", "code": "context", "name": "ctx", "description": "x",
              "taxonomy": "buurtkaart-werkmodellen"}]
    doc = _doc([_svc(attributes=[{"id": "a1", "taxonomy_term_id": "term-walk", "value": "true"},
                                 {"id": "a2", "taxonomy_term_id": "term-kids", "value": "false"},
                                 {"id": "a3", "taxonomy_term_id": "term-ctx"}],
                     cost_options=[{"id": "c", "option": "Free"}],
                     languages=[{"id": "l", "code": "fr"}],
                     schedules=[{"freq": "DAILY", "opens_at": "09:00:00",
                                 "closes_at": "10:30:00"}])],
               taxonomies=[tax], taxonomy_terms=terms)
    path = tmp_path / "hsds.json"
    path.write_text(json.dumps(doc))
    [a] = read_hsds(path).activities
    assert a["models"] == ["context"] and a["walk_in"] == 1 and a["childcare"] == 0
    assert a["children_welcome"] is None and a["cost_amount"] == 0 and a["languages"] == ["fr"]
    assert [(s.weekday, s.start, s.end) for s in a["sessions"]] == \
        [(d, "09:00", "10:30") for d in range(7)]
    assert a["place_uid"] is None  # no physical location: a mobile activity


@pytest.mark.parametrize("schedule,field", [
    ({"freq": "WEEKLY", "interval": 2, "byday": "TU"}, "interval"),
    ({"freq": "WEEKLY", "byday": "TU", "until": "2099-12-31"}, "until"),
    ({"freq": "WEEKLY", "byday": "TU", "count": 6}, "count"),
    ({"freq": "WEEKLY", "byday": "TU", "valid_to": "2099-06-30"}, "valid_to"),
    ({"freq": "MONTHLY", "bymonthday": "15"}, "bymonthday"),
    ({"freq": "MONTHLY", "byday": "TU"}, "byday"),
    ({"freq": "WEEKLY", "byday": "2TU"}, "byday"),
    ({"freq": "WEEKLY", "byday": "DINSDAG"}, "byday"),
    ({"freq": "YEARLY", "byday": "TU"}, "freq"),
])
def test_schedules_that_cannot_be_represented_are_refused(runner, db, tmp_path, schedule, field):
    schedule = {"opens_at": "10:00", "closes_at": "12:00", **schedule}
    doc = _doc([_svc(), _svc(id="s2", schedules=[{"freq": "WEEKLY", "byday": "MO",
                                                    "opens_at": "10:00", "closes_at": "11:00"},
                                                   schedule])])
    path = tmp_path / "aanbod.json"
    path.write_text(json.dumps(doc))
    result = runner.invoke(main, ["import", "places", str(path), "--format", "hsds"])
    assert result.exit_code == 1, result.output
    assert "aanbod.json" in result.stderr and "services[1].schedules[1]" in result.stderr
    assert f"field '{field}'" in result.stderr
    assert store.counts(db)["activities"] == 0


@pytest.mark.parametrize("doc,where,field", [
    ([{"id": "s1", "name": "X", "attributes": [MODEL_ATTR], "service_at_locations": [
        {"id": "sal", "location": {"id": "l1", "name": "Buurthuis", "latitude": 95,
                                   "longitude": 3.7}}]}],
     "services[0].service_at_locations[0].location", "latitude"),
    (_doc([_svc()], service_at_locations=[{"id": "sal", "service_id": "nope",
                                           "location_id": "l1"}],
          locations=[{"id": "l1", "name": "B", "latitude": 51, "longitude": 3.7}]),
     "service_at_locations[0]", "service_id"),
    (_doc([_svc(attributes=[MODEL_ATTR, {"taxonomy_term": {
        "taxonomy": "buurtkaart-drempels", "code": "lift"}, "value": "true"}])]),
     "services[0]", "attributes"),
    (_doc([_svc(attributes=[MODEL_ATTR, {"taxonomy_term": {
        "taxonomy": "buurtkaart-drempels", "code": "walk_in"}, "value": "misschien"}])]),
     "services[0]", "attributes(walk_in)"),
    (_doc([_svc(attributes=[{"taxonomy_term": {"taxonomy": "buurtkaart-werkmodellen",
                                                "code": "knutselen"}}])]),
     "services[0]", "attributes(buurtkaart-werkmodellen)"),
    (_doc([_svc(cost_options=[{"amount": "veel"}])]), "services[0]", "cost_options[0]"),
    (_doc([_svc()], organizations=[{"name": "zonder id"}]), "organizations[0]", "id"),
])
def test_bad_records_are_named(tmp_path, doc, where, field):
    path = tmp_path / "hsds.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ImportFailed) as err:
        read_hsds(path)
    assert any(p.where == where and p.field == field for p in err.value.problems), \
        [str(p) for p in err.value.problems]


def test_unreadable_files_name_the_file(tmp_path):
    for name, text in (("broken.json", '{"services": ['), ("list.json", '{"services": {}}'),
                       ("other.json", '{"type": "FeatureCollection2"}')):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ImportFailed) as err:
            read_hsds(path)
        assert all(p.file == str(path) for p in err.value.problems)
