"""CSV export never hands a spreadsheet a formula (OWASP "CSV injection"): a text cell that
starts with = + - @, a tab or a carriage return gets a leading single quote; numbers stay
numbers (negative longitudes included); the CSV importer takes the quote off again, so an
export imports back to the same records, field by field."""

from __future__ import annotations

import csv

from buurtkaart import store
from buurtkaart.exporters import export
from buurtkaart.importers import import_directory
from buurtkaart.records import (ACTIVITY_FIELDS, ORGANISATION_FIELDS, PLACE_FIELDS,
                                validate_activity, validate_organisation, validate_place)

FORMULAS = ["=cmd|' /C calc'!A0", "+SUM(1+1)*cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0",
            "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1", "'=already quoted", "''-twice"]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def _valid(validator, rec):
    clean, problems = validator(rec)
    assert not problems, problems
    return clean


def _hostile_directory():
    orgs = [_valid(validate_organisation, {"uid": "org", "name": FORMULAS[0],
                                           "description": FORMULAS[1]})]
    places = [_valid(validate_place, {
        "uid": f"p{i}", "name": f, "kind": "community_house", "organisation_uid": "org",
        "street": FORMULAS[(i + 1) % len(FORMULAS)], "city": FORMULAS[(i + 2) % len(FORMULAS)],
        "description": f, "phone": "+32 9 123 45 67", "source": f,
        # west of Greenwich: a real negative number that must stay a number
        "lon": -1.5 - i / 100, "lat": 51.0, "capacity": 10})
        for i, f in enumerate(FORMULAS)]
    acts = [_valid(validate_activity, {
        "uid": f"a{i}", "name": f, "description": f, "place_uid": f"p{i}", "organisation_uid": "org",
        "cost_note": f, "target_group": f, "source": f, "models": ["peer"]})
        for i, f in enumerate(FORMULAS)]
    acts.append(_valid(validate_activity, {"uid": "=mobile", "name": "@mobile",
                                           "organisation_uid": "org", "models": ["buddy"]}))
    return orgs, places, acts


def _records(db):
    return ({o["uid"]: {f: o.get(f) for f in ORGANISATION_FIELDS}
             for o in store.organisations(db)},
            {p["uid"]: {f: p.get(f) for f in PLACE_FIELDS} for p in store.places(db)},
            {a["uid"]: {f: a.get(f) for f in ACTIVITY_FIELDS if f != "sessions"}
             for a in store.activities(db)})


def test_exported_cells_never_start_a_formula_and_numbers_stay_numbers(db, tmp_path):
    orgs, places, acts = _hostile_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / "export.csv"
    export(db, "csv", out)
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(acts)
    for row in rows:
        for column, cell in row.items():
            if column in ("lon", "lat"):
                continue
            assert not cell.startswith(DANGEROUS), (column, cell)
    lons = [float(r["lon"]) for r in rows if r["lon"]]
    assert lons and all(lon < 0 for lon in lons)  # written as plain negative numbers
    by_uid = {r["activity_uid"]: r for r in rows}
    assert by_uid["a0"]["activity_name"] == "'=cmd|' /C calc'!A0"
    assert by_uid["a3"]["activity_name"] == "'-2+3+cmd|' /C calc'!A0"
    assert by_uid["a6"]["activity_name"] == "''=already quoted"
    assert by_uid["'=mobile"]["activity_name"] == "'@mobile"
    assert by_uid["a0"]["place_phone"] == "'+32 9 123 45 67"


def test_export_then_import_gives_the_same_records_field_by_field(db, tmp_path):
    orgs, places, acts = _hostile_directory()
    store.save_directory(db, organisations=orgs, places=places, activities=acts)
    out = tmp_path / "export.csv"
    export(db, "csv", out)
    fresh = store.connect(tmp_path / "fresh.db")
    store.save_directory(fresh, organisations=orgs)  # CSV carries no organisation details
    import_directory(fresh, out)
    expected, got = _records(db), _records(fresh)
    for kind in range(3):
        assert expected[kind].keys() == got[kind].keys()
        for uid, rec in expected[kind].items():
            for field, value in rec.items():
                assert got[kind][uid][field] == value, (uid, field)
    assert got[1]["p0"]["name"] == "=cmd|' /C calc'!A0"
    assert got[1]["p0"]["lon"] == -1.5


def test_a_quoted_formula_written_by_hand_imports_without_its_quote(db, tmp_path):
    path = tmp_path / "hand.csv"
    path.write_text("place_uid,place_name,lon,lat,place_description\n"
                    "x,'=SUM(1),4.4,51.2,'-5 degrees\n"
                    "y,'t Hoekske,4.4,51.3,'quoted'\n", encoding="utf-8")
    import_directory(db, path)
    stored = {p["uid"]: p for p in store.places(db)}
    assert stored["x"]["name"] == "=SUM(1)" and stored["x"]["description"] == "-5 degrees"
    # a quote not followed by a formula character is the text itself
    assert stored["y"]["name"] == "'t Hoekske" and stored["y"]["description"] == "'quoted'"
