"""Export (GeoJSON, CSV) then import into a fresh database gives back every record, field by
field, for a directory that exercises every field and every awkward character."""

from __future__ import annotations

import csv
import json

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import InvalidParameter
from buurtkaart.exporters import export
from buurtkaart.hours import Session
from buurtkaart.importers import import_directory
from buurtkaart.importers.tabular import CSV_COLUMNS, read_geojson
from buurtkaart.records import (ACTIVITY_FIELDS, HSDS_ONLY_FIELDS, ORGANISATION_FIELDS,
                                PLACE_FIELDS,
                                validate_activity, validate_organisation, validate_place)
from buurtkaart.taxonomy import WORKING_MODELS

QUOTED = 'Vzw "De Loods"; Gent, ça va'
NEWLINES = "Eerste regel\nTweede regel; met \"aanhalingstekens\", komma's\r\nen een derde"


def _valid(validator, rec):
    clean, problems = validator(rec)
    assert not problems, problems
    return clean


def rich_directory():
    """Organisations, places and activities using every field and value kind."""
    orgs = [
        _valid(validate_organisation, {"uid": "org-loods", "name": QUOTED,
                                       "description": NEWLINES, "url": "https://deloods.example",
                                       "email": "info@deloods.example", "phone": "+32 9 123 45 67"}),
        _valid(validate_organisation, {"uid": "org-buddy", "name": "Buddywerking — Oost-Vlaanderen"}),
    ]
    places = [
        _valid(validate_place, {
            "uid": "loods", "name": f"{QUOTED} (inloop)", "kind": "drop_in_centre",
            "organisation_uid": "org-loods", "street": "Kerkstraat 1, bus 2", "postcode": "9000",
            "city": "Gent", "lon": 3.7215, "lat": 51.0543,
            "opening_hours": "Mo-Fr 09:00-17:00; Sa 10:00-12:00; PH off",
            "wheelchair": "limited", "description": NEWLINES, "url": "https://deloods.example/plek",
            "phone": "09 123 45 67", "email": "plek@deloods.example", "capacity": 40,
            "last_verified": "2026-03-01", "source": "veldwerk"}),
        _valid(validate_place, {
            "uid": "krook", "name": "Bibliotheek De Krook", "kind": "library",
            "lon": 3.7275, "lat": 51.048, "wheelchair": "yes",
            "opening_hours": "Mo-Sa 10:00-19:00", "sample": True}),
        _valid(validate_place, {  # no uid: derived from name and coordinates
            "name": "Buurthuis 't Hoekske", "kind": "community_house",
            "organisation_uid": "org-loods", "lon": 3.71, "lat": 51.06, "wheelchair": "no"}),
        _valid(validate_place, {"uid": "leeg", "name": "Lege zaal", "lon": 3.70, "lat": 51.07}),
    ]
    models = list(WORKING_MODELS)
    acts = []
    for i, model in enumerate(models):
        acts.append(_valid(validate_activity, {
            "uid": f"act-{model}", "name": f"Activiteit {model}: \"{QUOTED}\"",
            "description": NEWLINES if i % 2 else f"Over {model}, kort",
            "organisation_uid": "org-loods", "place_uid": ["loods", "krook", places[2]["uid"]][i % 3],
            "models": [model] if i % 2 else [model, models[(i + 3) % 7]],
            "sessions": ["Tu 18:00-20:00", "Mo[1] 10:00-12:00; Fr[-1] 19:00-22:00",
                         "Sa 09:30-11:00; We[3] 14:00-16:00", ""][i % 4],
            "cost_amount": [0, 3.5, None, "€12,75"][i % 4],
            "cost_note": "UiTPAS kansentarief: 20%" if i % 4 == 1 else None,
            "walk_in": [True, False, None][i % 3], "childcare": [None, True, False][i % 3],
            "children_welcome": [False, None, True][i % 3],
            "no_internet": [True, None, False][i % 3], "wheelchair": [None, False, True][i % 3],
            "languages": ["nl", "nl;fr;ar", "", "en;tr"][i % 4],
            "target_group": "ouders met jonge kinderen" if i % 2 else None,
            "capacity": 12 if i % 2 else None, "url": "https://example.org/a",
            "email": "a@example.org", "phone": "09 999 99 99",
            "last_verified": f"2026-05-0{1 + i}", "source": "test", "sample": i == 6}))
    # a mobile buddy project: no place, its own organisation
    acts.append(_valid(validate_activity, {
        "uid": "buddy", "name": "Buddy’s voor nieuwkomers; samen op stap", "models": "buddy",
        "organisation_uid": "org-buddy", "cost_amount": "gratis", "no_internet": "ja",
        "walk_in": "nee", "languages": "nl;en;ar", "sessions": "Th 14:00-17:00",
        "description": NEWLINES}))
    # a second organisation runs an activity at another organisation's place
    acts.append(_valid(validate_activity, {
        "uid": "gast", "name": "Gastactiviteit", "models": ["peer"], "place_uid": "loods",
        "organisation_uid": "org-buddy", "sessions": "Mo[1] 10:00-12:00"}))
    return orgs, places, acts


def _norm(rec: dict, fields) -> dict:
    out = {}
    for f in fields:
        v = rec.get(f)
        if f == "sessions":
            v = sorted((s.weekday, s.start, s.end, s.nth) for s in v or [])
        elif f in ("models", "languages"):
            v = sorted(v or [])
        out[f] = v
    return out


def _stored(db):
    orgs = {o["uid"]: _norm(o, ORGANISATION_FIELDS) for o in store.organisations(db)}
    places = {p["uid"]: _norm(p, PLACE_FIELDS) for p in store.places(db)}
    acts = {a["uid"]: _norm(a, ACTIVITY_FIELDS) for a in store.activities(db)}
    return orgs, places, acts


def _differences(expected: dict, got: dict) -> list[str]:
    out = [f"missing {uid}" for uid in expected.keys() - got.keys()]
    out += [f"extra {uid}" for uid in got.keys() - expected.keys()]
    for uid in expected.keys() & got.keys():
        for f, v in expected[uid].items():
            if got[uid][f] != v:
                out.append(f"{uid}.{f}: expected {v!r}, got {got[uid][f]!r}")
    return out


@pytest.fixture
def rich_db(db):
    orgs, places, acts = rich_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    return db


def test_the_fixture_exercises_every_field(rich_db):
    _, places, acts = _stored(rich_db)
    for f in PLACE_FIELDS:
        assert any(p[f] not in (None, "", 0, []) for p in places.values()), f
    for f in set(ACTIVITY_FIELDS) - set(HSDS_ONLY_FIELDS):  # test_hsds covers those
        assert any(a[f] not in (None, "", 0, []) for a in acts.values()), f
    assert {m for a in acts.values() for m in a["models"]} == set(WORKING_MODELS)
    for f in ("walk_in", "childcare", "children_welcome", "no_internet", "wheelchair"):
        assert {a[f] for a in acts.values()} == {None, 0, 1}, f
    assert {a["cost_amount"] for a in acts.values()} >= {0.0, 3.5, None}
    assert any(s[3] == 1 for a in acts.values() for s in a["sessions"])  # Mo[1]
    assert any(s[3] == -1 for a in acts.values() for s in a["sessions"])  # Fr[-1]
    assert acts["buddy"]["place_uid"] is None


@pytest.mark.parametrize("fmt,suffix", [("geojson", "geojson"), ("csv", "csv")])
def test_export_then_import_into_a_fresh_database(rich_db, tmp_path, fmt, suffix):
    out = tmp_path / f"aanbod.{suffix}"
    summary = export(rich_db, fmt, out)
    assert str(out) in summary and out.exists()
    assert not list(tmp_path.glob(".*.partial"))

    fresh = store.connect(tmp_path / "fresh.db")
    counts = import_directory(fresh, out)
    assert counts["places"] == 4 and counts["activities"] == 9

    exp_orgs, exp_places, exp_acts = _stored(rich_db)
    got_orgs, got_places, got_acts = _stored(fresh)
    assert _differences(exp_places, got_places) == []
    assert _differences(exp_acts, got_acts) == []
    if fmt == "csv":
        # CSV carries an organisation's name and uid, not its contact details (documented)
        for o in exp_orgs.values():
            o.update(description=None, url=None, email=None, phone=None)
    assert _differences(exp_orgs, got_orgs) == []


@pytest.mark.parametrize("fmt,suffix", [("geojson", "geojson"), ("csv", "csv")])
def test_the_stored_records_equal_the_input_records(db, tmp_path, fmt, suffix):
    """Input -> store -> export -> import -> store gives the validated input back."""
    orgs, places, acts = rich_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / f"aanbod.{suffix}"
    export(db, fmt, out)
    fresh = store.connect(tmp_path / "fresh.db")
    import_directory(fresh, out)
    _, got_places, got_acts = _stored(fresh)
    assert _differences({p["uid"]: _norm(p, PLACE_FIELDS) for p in places}, got_places) == []
    fields = [f for f in ACTIVITY_FIELDS if f not in HSDS_ONLY_FIELDS]
    assert _differences({a["uid"]: _norm(a, fields) for a in acts}, got_acts) == []


def test_a_second_import_of_an_export_changes_nothing(rich_db, tmp_path):
    out = tmp_path / "aanbod.csv"
    export(rich_db, "csv", out)
    before = _stored(rich_db), store.counts(rich_db)
    import_directory(rich_db, out)
    # same uids: updated in place, no duplicates, nothing altered
    assert (_stored(rich_db), store.counts(rich_db)) == before


def test_geojson_export_shape(rich_db, tmp_path):
    out = tmp_path / "aanbod.geojson"
    export(rich_db, "geojson", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection"
    points = [f for f in doc["features"] if f["geometry"]]
    mobile = [f for f in doc["features"] if f["geometry"] is None]
    assert len(points) == 4 and [f["properties"]["activity_uid"] for f in mobile] == ["buddy"]
    loods = next(f for f in points if f["properties"]["place_uid"] == "loods")
    assert loods["geometry"] == {"type": "Point", "coordinates": [3.7215, 51.0543]}
    nested = {a["activity_uid"]: a for a in loods["properties"]["activities"]}
    assert {"gast", "act-competence"} <= set(nested)
    assert nested["gast"]["sessions"] == "Mo[1] 10:00-12:00"
    # thresholds are JSON booleans; unknown ones are left out, not written as false
    assert nested["act-competence"]["walk_in"] is True
    assert "childcare" not in nested["act-competence"]
    assert nested["act-competence"]["children_welcome"] is False
    assert "lon" not in loods["properties"]  # coordinates live in the geometry only
    # exactly what the GeoJSON reader reads
    d = read_geojson(out)
    assert len(d.places) == 4 and len(d.activities) == 9


def test_csv_export_has_the_importer_columns_and_survives_a_spreadsheet_reader(rich_db, tmp_path):
    out = tmp_path / "aanbod.csv"
    export(rich_db, "csv", out)
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(CSV_COLUMNS)
    # one row per activity; places without activities get a row of their own
    assert len(rows) == 9 + 1
    empty = [r for r in rows if r["place_uid"] == "leeg"]
    assert len(empty) == 1 and empty[0]["activity_uid"] == ""
    buddy = next(r for r in rows if r["activity_uid"] == "buddy")
    assert buddy["place_uid"] == "" and buddy["lon"] == "" and buddy["organisation"]
    assert buddy["description"] == NEWLINES
    act = next(r for r in rows if r["activity_uid"] == "act-buddy")
    assert act["sessions"] == "Mo[1] 10:00-12:00; Fr[-1] 19:00-22:00"
    assert act["cost"] == "3.5" and act["walk_in"] == "no" and act["childcare"] == "yes"
    assert act["children_welcome"] == "" and act["sample"] == ""


def test_cli_export_then_import(runner, rich_db, db_path, tmp_path, monkeypatch):
    expected = _stored(rich_db)
    for fmt, suffix in (("geojson", "geojson"), ("csv", "csv")):
        out = tmp_path / f"export.{suffix}"
        monkeypatch.setenv("BUURTKAART_DATABASE", str(db_path))
        result = runner.invoke(main, ["export", fmt, str(out)])
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("wrote ") and str(out) in result.stdout
        fresh = tmp_path / f"fresh-{fmt}.db"
        monkeypatch.setenv("BUURTKAART_DATABASE", str(fresh))
        result = runner.invoke(main, ["import", "places", str(out)])
        assert result.exit_code == 0, result.stderr
        assert "4 places and 9 activities" in result.stdout
        got = _stored(store.connect(fresh))
        assert _differences(expected[1], got[1]) == []
        assert _differences(expected[2], got[2]) == []


def test_hsds_export_goes_through_the_same_dispatcher(rich_db, tmp_path):
    out = tmp_path / "aanbod.json"
    summary = export(rich_db, "hsds", out)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert len(doc["services"]) == 9 and len(doc["locations"]) == 4
    assert str(out) in summary


def test_unknown_export_format_is_refused(rich_db, tmp_path):
    with pytest.raises(InvalidParameter) as err:
        export(rich_db, "xlsx", tmp_path / "x.xlsx")
    assert err.value.name == "format" and "geojson, csv, hsds" in str(err.value)
    assert not (tmp_path / "x.xlsx").exists()


def test_export_of_an_empty_database_imports_as_nothing(db, tmp_path):
    for fmt, suffix in (("geojson", "geojson"), ("csv", "csv")):
        out = tmp_path / f"leeg.{suffix}"
        export(db, fmt, out)
        fresh = store.connect(tmp_path / f"fresh-{fmt}.db")
        assert import_directory(fresh, out) == {"organisations": 0, "places": 0, "activities": 0}


def test_sessions_survive_as_sessions(rich_db, tmp_path):
    out = tmp_path / "aanbod.csv"
    export(rich_db, "csv", out)
    fresh = store.connect(tmp_path / "fresh.db")
    import_directory(fresh, out)
    a = next(a for a in store.activities(fresh) if a["uid"] == "act-buddy")
    assert a["sessions"] == [Session(0, "10:00", "12:00", 1), Session(4, "19:00", "22:00", -1)]
