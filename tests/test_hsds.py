"""Open Referral HSDS 3.0: the export follows the schema, and export -> import loses nothing.

The official HSDS 3.0 JSON schema files cannot be fetched at test time (no network), so
:data:`HSDS_SCHEMA` below transcribes, by hand, the parts of them the export uses: the
property names of each object (``additionalProperties: false``, so a field HSDS does not
define fails), their JSON types, the enumerations (``location_type``, ``status``, ``freq``,
``address_type``), the ``uuid``/``email`` formats and the required properties (with the
tabular-required ones of ``attribute``). Source: openreferral/specification, schema/*.json
(HSDS 3.0, CC BY-SA 4.0).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import jsonschema
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

S, N = {"type": "string"}, {"type": "number"}
UUID = {"type": "string", "format": "uuid"}
EMAIL = {"type": "string", "format": "email"}


def _obj(props: dict, required=("id",)) -> dict:
    return {"type": "object", "properties": props, "required": list(required),
            "additionalProperties": False}


def _arr(item: dict) -> dict:
    return {"type": "array", "items": item}


TAXONOMY = _obj({"id": UUID, "name": S, "description": S, "uri": S, "version": S,
                 "metadata": _arr({})}, ("id", "name", "description"))
TAXONOMY_TERM = _obj({"id": UUID, "code": S, "name": S, "description": S, "parent_id": UUID,
                      "taxonomy": S, "taxonomy_detail": TAXONOMY, "language": S,
                      "taxonomy_id": UUID, "term_uri": S, "metadata": _arr({})},
                     ("id", "name", "description"))
ATTRIBUTE = _obj({"id": UUID, "link_id": UUID, "taxonomy_term_id": UUID, "link_type": S,
                  "link_entity": S, "value": S, "label": S, "taxonomy_term": TAXONOMY_TERM,
                  "metadata": _arr({})}, ("id", "link_id", "taxonomy_term_id", "link_entity"))
SCHEDULE = _obj({"id": UUID, "service_id": UUID, "location_id": UUID,
                 "service_at_location_id": UUID, "valid_from": S, "valid_to": S,
                 "dtstart": S, "timezone": N, "until": S, "count": N,
                 "wkst": {"enum": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]},
                 "freq": {"enum": ["WEEKLY", "MONTHLY"]}, "interval": N, "byday": S,
                 "byweekno": S, "bymonthday": S, "byyearday": S, "description": S,
                 "opens_at": S, "closes_at": S, "schedule_link": S, "attending_type": S,
                 "notes": S, "attributes": _arr(ATTRIBUTE), "metadata": _arr({})})
PHONE = _obj({"id": UUID, "location_id": UUID, "service_id": UUID, "organization_id": UUID,
              "contact_id": UUID, "service_at_location_id": UUID, "number": S, "extension": N,
              "type": S, "description": S, "languages": _arr({}), "attributes": _arr(ATTRIBUTE),
              "metadata": _arr({})}, ("id", "number"))
ADDRESS = _obj({"id": UUID, "location_id": UUID, "attention": S, "address_1": S,
                "address_2": S, "city": S, "region": S, "state_province": S, "postal_code": S,
                "country": S, "address_type": {"enum": ["physical", "postal", "virtual"]},
                "attributes": _arr(ATTRIBUTE), "metadata": _arr({})},
               ("id", "address_1", "city", "state_province", "postal_code", "country",
                "address_type"))
ACCESSIBILITY = _obj({"id": UUID, "location_id": UUID, "description": S, "details": S,
                      "url": S, "attributes": _arr(ATTRIBUTE), "metadata": _arr({})})
LANGUAGE = _obj({"id": UUID, "service_id": UUID, "location_id": UUID, "phone_id": UUID,
                 "name": S, "code": S, "note": S, "attributes": _arr(ATTRIBUTE),
                 "metadata": _arr({})})
COST_OPTION = _obj({"id": UUID, "service_id": UUID, "valid_from": S, "valid_to": S,
                    "option": S, "currency": S, "amount": N, "amount_description": S,
                    "attributes": _arr(ATTRIBUTE), "metadata": _arr({})})
ORGANIZATION = _obj({"id": UUID, "name": S, "alternate_name": S, "description": S,
                     "email": EMAIL, "website": S, "tax_status": S, "tax_id": S,
                     "year_incorporated": N, "legal_status": S, "logo": S, "uri": S,
                     "parent_organization_id": UUID, "funding": _arr({}), "contacts": _arr({}),
                     "phones": _arr(PHONE), "locations": _arr({}), "programs": _arr({}),
                     "organization_identifiers": _arr({}), "attributes": _arr(ATTRIBUTE),
                     "metadata": _arr({})}, ("id", "name", "description"))
LOCATION = _obj({"id": UUID, "location_type": {"enum": ["physical", "postal", "virtual"]},
                 "url": S, "organization_id": UUID, "name": S, "alternate_name": S,
                 "description": S, "transportation": S, "latitude": N, "longitude": N,
                 "external_identifier": S, "external_identifier_type": S,
                 "languages": _arr(LANGUAGE), "addresses": _arr(ADDRESS), "contacts": _arr({}),
                 "accessibility": _arr(ACCESSIBILITY), "phones": _arr(PHONE),
                 "schedules": _arr(SCHEDULE), "attributes": _arr(ATTRIBUTE),
                 "metadata": _arr({})}, ("id", "location_type"))
SERVICE_AT_LOCATION = _obj({"id": UUID, "service_id": UUID, "location_id": UUID,
                            "description": S, "service_areas": _arr({}), "contacts": _arr({}),
                            "phones": _arr(PHONE), "schedules": _arr(SCHEDULE),
                            "location": LOCATION, "attributes": _arr(ATTRIBUTE),
                            "metadata": _arr({})})
SERVICE = _obj({"id": UUID, "organization_id": UUID, "program_id": UUID, "name": S,
                "alternate_name": S, "description": S, "url": S, "email": EMAIL,
                "status": {"enum": ["active", "inactive", "defunct", "temporarily closed"]},
                "interpretation_services": S, "application_process": S,
                "fees_description": S, "wait_time": S, "fees": S, "accreditations": S,
                "eligibility_description": S, "minimum_age": N, "maximum_age": N,
                "assured_date": {"type": "string", "format": "date"}, "assurer_email": EMAIL,
                "licenses": S, "alert": S, "last_modified": S, "phones": _arr(PHONE),
                "schedules": _arr(SCHEDULE), "service_areas": _arr({}),
                "service_at_locations": _arr(SERVICE_AT_LOCATION), "languages": _arr(LANGUAGE),
                "organization": ORGANIZATION, "funding": _arr({}),
                "cost_options": _arr(COST_OPTION), "program": {}, "required_documents": _arr({}),
                "contacts": _arr({}), "capacities": _arr({}), "attributes": _arr(ATTRIBUTE),
                "metadata": _arr({})}, ("id", "name", "status"))
HSDS_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"organizations": _arr(ORGANIZATION), "services": _arr(SERVICE),
                   "locations": _arr(LOCATION),
                   "service_at_locations": _arr(SERVICE_AT_LOCATION),
                   "taxonomies": _arr(TAXONOMY), "taxonomy_terms": _arr(TAXONOMY_TERM)},
    "required": ["organizations", "services", "locations", "service_at_locations",
                 "taxonomies", "taxonomy_terms"],
    "additionalProperties": False,
}


def _validate(doc) -> list[str]:
    validator = jsonschema.Draft202012Validator(
        HSDS_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


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
                   {**doc, "locations": [{**doc["locations"][0], "id": "place-1"}]}):
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
    (_doc([_svc(cost_options=[{"amount": "veel"}])]), "services[0]", "cost_options"),
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
