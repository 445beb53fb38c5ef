"""Places and activities from CSV and GeoJSON (``buurtkaart import places``).

Good files are checked record by record; each kind of bad input has its own test that the
message names the file, the row or feature and the field, and that the database is unchanged.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.hours import Session
from buurtkaart.importers import detect_format, import_directory, read_directory
from buurtkaart.importers.tabular import CSV_COLUMNS, read_csv, read_geojson

HEADER = ("place_uid;place_name;kind;organisation;street;postcode;city;lon;lat;opening_hours;"
          "place_wheelchair;activity_uid;activity_name;models;sessions;cost;walk_in;childcare;"
          "children_welcome;no_internet;languages\n")
GOOD_CSV = HEADER + (
    "loods;De Loods;inloopcentrum;Vzw De Loods;Kerkstraat 1;9000;Gent;3,7215;51,0543;"
    "Mo-Fr 09:00-17:00;yes;soep;Soep op dinsdag;organisation;Tu 12:00-14:00;gratis;ja;nee;;"
    "ja;\"nl;fr\"\n"
    "loods;De Loods;inloopcentrum;Vzw De Loods;Kerkstraat 1;9000;Gent;3,7215;51,0543;"
    "Mo-Fr 09:00-17:00;yes;praat;Praatgroep;lotgenotennetwerk, location;\"We 14:00-16:00; "
    "Mo[1] 10:00-12:00\";€2,50;nee;;ja;;nl\n"
    "bib;Bibliotheek De Krook;library;;Miriam Makebaplein 1;9000;Gent;3.7275;51.0480;"
    "Mo-Sa 10:00-19:00;limited;;;;;;;;;;\n"
    ";;;Buddywerking Gent;;;;;;;;buddy;Buddy's;buddy;;free;;;;yes;\"nl;en\"\n"
)


def _snapshot(db) -> tuple[dict, list[str]]:
    return store.counts(db), list(db.conn.iterdump())


def _seed(db, tmp_path) -> tuple[dict, list[str]]:
    """A good import that every failed one must leave exactly as it is."""
    path = tmp_path / "seed.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    import_directory(db, path)
    return _snapshot(db)


def _invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


# ------------------------------------------------------------------ good CSV
def test_csv_places_activities_and_mobile_activities(runner, db_path, tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text(GOOD_CSV, encoding="utf-8-sig")  # Excel's "CSV UTF-8" writes a BOM
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 0, result.stderr
    assert "imported 2 organisations, 2 places and 3 activities" in result.stdout
    db = store.connect(db_path)
    places = {p["uid"]: p for p in store.places(db)}
    assert set(places) == {"loods", "bib"}
    loods = places["loods"]
    assert (loods["name"], loods["kind"], loods["lon"], loods["lat"], loods["postcode"]) == (
        "De Loods", "drop_in_centre", 3.7215, 51.0543, "9000")
    assert loods["organisation_name"] == "Vzw De Loods" and loods["wheelchair"] == "yes"
    assert loods["opening_hours"] == "Mo-Fr 09:00-17:00"
    assert places["bib"]["activities"] == [] and places["bib"]["wheelchair"] == "limited"
    acts = {a["uid"]: a for a in store.activities(db)}
    soep, praat, buddy = acts["soep"], acts["praat"], acts["buddy"]
    assert soep["place_uid"] == "loods" and soep["organisation_name"] == "Vzw De Loods"
    assert soep["cost_amount"] == 0.0 and soep["walk_in"] == 1 and soep["childcare"] == 0
    assert soep["children_welcome"] is None  # empty means unknown, never "no"
    assert soep["languages"] == ["nl", "fr"] and soep["sessions"] == [Session(1, "12:00", "14:00")]
    assert praat["models"] == ["peer", "location"] and praat["cost_amount"] == 2.5
    assert praat["sessions"] == [Session(0, "10:00", "12:00", 1), Session(2, "14:00", "16:00")]
    assert buddy["place"] is None and buddy["place_uid"] is None  # mobile
    assert buddy["organisation_name"] == "Buddywerking Gent" and buddy["languages"] == ["nl", "en"]
    assert buddy["no_internet"] == 1 and buddy["cost_amount"] == 0.0


def test_comma_delimited_csv_without_bom(tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text('place_name,lon,lat,activity_name,models,description\n'
                    '"Buurthuis ""t Hoekske, Gent",3.72,51.05,Koffie,location,"Koffie; thee,\n'
                    'en een babbel"\n', encoding="utf-8")
    d = read_csv(path)
    [p] = d.places
    [a] = d.activities
    assert p["name"] == 'Buurthuis "t Hoekske, Gent'
    assert a["description"] == "Koffie; thee,\nen een babbel" and a["place_uid"] == p["uid"]


def test_place_on_several_rows_is_stored_once(tmp_path, db):
    path = tmp_path / "aanbod.csv"
    path.write_text(GOOD_CSV)
    d = read_csv(path)
    assert [p["uid"] for p in d.places] == ["loods", "bib"]
    assert sorted(a["uid"] for a in d.activities) == ["buddy", "praat", "soep"]


def test_rows_with_only_a_place_uid_refer_to_the_place(db, tmp_path):
    _seed(db, tmp_path)
    path = tmp_path / "extra.csv"
    path.write_text("place_uid,activity_uid,activity_name,models\n"
                    "loods,knutsel,Knutselnamiddag,organisation\n"
                    "nieuw,lees,Voorleesuur,location\n")
    with pytest.raises(ImportFailed) as err:  # "nieuw" is neither in the file nor stored
        import_directory(db, path)
    assert [(p.where, p.field) for p in err.value.problems] == [("row 3", "place_uid")]
    assert "refers to unknown place 'nieuw'" in str(err.value)
    path.write_text("place_uid,place_name,lon,lat,activity_uid,activity_name,models\n"
                    "loods,,,,knutsel,Knutselnamiddag,organisation\n"
                    "nieuw,,,,lees,Voorleesuur,location\n"
                    "nieuw,Leeshoek,3.73,51.06,,,\n")
    counts = import_directory(db, path)
    assert counts == {"organisations": 0, "places": 1, "activities": 2}
    acts = {a["uid"]: a for a in store.activities(db)}
    assert acts["knutsel"]["place_name"] == "De Loods"
    # the place's organisation runs an activity without an organiser of its own
    assert acts["knutsel"]["organisation_name"] == "Vzw De Loods"
    assert acts["lees"]["place_name"] == "Leeshoek"
    assert store.counts(db)["places"] == 3


def test_reimport_updates_by_uid_instead_of_duplicating(db, tmp_path):
    before = _seed(db, tmp_path)
    path = tmp_path / "seed.csv"
    path.write_text(GOOD_CSV.replace("Soep op dinsdag", "Soep op woensdag"))
    import_directory(db, path)
    assert store.counts(db) == before[0]
    names = {a["uid"]: a["name"] for a in store.activities(db)}
    assert names["soep"] == "Soep op woensdag"


def test_unknown_extension_is_detected_by_content(tmp_path):
    csv_path = tmp_path / "aanbod.export"
    csv_path.write_text(GOOD_CSV)
    assert detect_format(csv_path) == "csv"
    gj = tmp_path / "aanbod.json"
    gj.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    assert detect_format(gj) == "geojson"
    hsds = tmp_path / "hsds.json"
    hsds.write_text(json.dumps({"organizations": [], "services": []}))
    assert detect_format(hsds) == "hsds"
    listed = tmp_path / "services.json"
    listed.write_text("[]")
    assert detect_format(listed) == "hsds"


@pytest.mark.parametrize("name,content,reason", [
    ("aanbod.ods", b"PK\x03\x04", "unknown format '.ods'"),  # .xlsx is read (tables.py)
    ("aanbod.json", b'{"hello": "world"}', "neither a GeoJSON FeatureCollection"),
    ("aanbod", b"naam;adres\nX;Y\n", "unknown format '(no extension)'"),
])
def test_unknown_format_is_refused_naming_the_file(runner, db, tmp_path, name, content, reason):
    before = _seed(db, tmp_path)
    path = tmp_path / name
    path.write_bytes(content)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1
    assert f"{path}: " in result.stderr and reason in result.stderr and "--format" in result.stderr
    assert _snapshot(db) == before


# ------------------------------------------------------------------ bad CSV, one kind per test
def _refused(runner, db, tmp_path, text: str, where: str, field: str | None, reason: str,
             *, name="aanbod.csv", raw: bytes | None = None):
    before = _seed(db, tmp_path)
    path = tmp_path / name
    if raw is None:
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(raw)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1, result.stdout
    head = f"{path}, {where}" + (f", field '{field}'" if field else "")
    lines = [line for line in result.stderr.splitlines() if head in line]
    assert lines, result.stderr
    assert any(reason in line for line in lines), result.stderr
    assert _snapshot(db) == before  # nothing changed, earlier data still all there
    return result.stderr


def test_csv_unknown_column(runner, db, tmp_path):
    err = _refused(runner, db, tmp_path, "place_name;lon;lat;kleur;Openingsuren\nX;3.7;51.0;rood;\n",
                   "row 1", "kleur", "unknown column")
    assert "field 'Openingsuren'" in err  # every unknown column is named
    assert all(col in err for col in CSV_COLUMNS)  # and the known ones are listed


def test_csv_bad_kind(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "place_name;kind;lon;lat\nX;kasteel;3.7;51.0\n",
             "row 2", "kind", "unknown place kind 'kasteel'")


def test_csv_bad_coordinate(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "place_name;lon;lat\nX;3.7;51.0\nY;3.7;510\n",
             "row 3", "lat", "'510' is not a number in -90..90")


def test_csv_missing_coordinate(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "place_name;lon;lat\nX;;51.0\n", "row 2", "lon",
             "coordinate missing")


def test_csv_bad_opening_hours(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "place_name;lon;lat;opening_hours\nX;3.7;51.0;ma-vr 9u tot 17u\n",
             "row 2", "opening_hours", "")


def test_csv_bad_session(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models;sessions\nX;buddy;Tu 20:00-18:00\n",
             "row 2", "sessions", "")


def test_csv_bad_weekday_in_session(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models;sessions\nX;buddy;Blursday 10:00-12:00\n",
             "row 2", "sessions", "")


def test_csv_bad_cost(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models;cost\nX;buddy;een beetje\n",
             "row 2", "cost", "expected 'free' or an amount in euro")


def test_csv_bad_model(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models\nX;knutselen\n",
             "row 2", "models", "unknown working model 'knutselen'")


def test_csv_activity_without_model(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models\nX;\n", "row 2", "models",
             "at least one working model is required")


def test_csv_bad_threshold_value(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models;walk_in\nX;peer;misschien\n",
             "row 2", "walk_in", "expected yes or no")


def test_csv_bad_language(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "activity_name;models;languages\nX;peer;Nederlands\n",
             "row 2", "languages", "not an ISO 639 code")


def test_csv_duplicate_place_rows_that_conflict(runner, db, tmp_path):
    _refused(runner, db, tmp_path,
             "place_uid;place_name;lon;lat;city;activity_name;models\n"
             "p1;X;3.7;51.0;Gent;A;peer\n"
             "p1;X;3.7;51.0;Brugge;B;peer\n",
             "row 3", "city", "place 'p1' has 'Brugge' here but 'Gent' in row 2")


def test_csv_broken_encoding(runner, db, tmp_path):
    # cp1252 and UTF-16 are read (tests/test_real_world_tables.py); bytes that are text in
    # neither UTF-8 nor Windows-1252 are refused, naming the row
    _refused(runner, db, tmp_path, "", "row 3", None, "cannot be decoded as UTF-8",
             raw=b"place_name;lon;lat\nX;3.7;51.0\nCaf\x81;3.7;51.0\n")


def test_csv_row_with_too_many_values(runner, db, tmp_path):
    _refused(runner, db, tmp_path, "place_name;lon;lat\nX;3.7;51.0;extra\n", "row 2", None,
             "has 4 values but the header has 3 columns")


def test_csv_every_problem_is_listed_at_once(tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text("place_name;kind;lon;lat;activity_name;models;cost\n"
                    "X;kasteel;3.7;51.0;A;knutselen;veel\n"
                    "Y;library;abc;51.0;;;\n")
    with pytest.raises(ImportFailed) as err:
        read_csv(path)
    got = [(p.where, p.field) for p in err.value.problems]
    assert got == [("row 2", "kind"), ("row 2", "models"), ("row 2", "cost"), ("row 3", "lon")]
    assert all(p.file == str(path) for p in err.value.problems)


def test_a_bad_row_among_good_ones_stores_nothing(runner, db, tmp_path):
    _refused(runner, db, tmp_path, GOOD_CSV + ";Kapot;other;;;;;abc;51.0;;;;;;;;;;;;\n",
             "row 6", "lon", "is not a number")


# ------------------------------------------------------------------ GeoJSON
def _fc(features, **extra) -> str:
    return json.dumps({"type": "FeatureCollection", "features": features, **extra},
                      ensure_ascii=False)


def _point(lon, lat, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": props}


def test_geojson_places_nested_and_separate_activities(runner, db_path, tmp_path):
    path = tmp_path / "aanbod.geojson"
    path.write_text(_fc([
        _point(3.7215, 51.0543, place_uid="loods", place_name="De Loods", kind="drop_in_centre",
               organisation="Vzw De Loods", opening_hours="Mo-Fr 09:00-17:00",
               activities=[{"activity_uid": "soep", "activity_name": "Soep", "models": ["organisation"],
                            "sessions": "Tu 12:00-14:00", "cost": 0, "walk_in": True,
                            "languages": ["nl", "fr"]}]),
        {"type": "Feature", "geometry": None,
         "properties": {"activity_uid": "praat", "activity_name": "Praatgroep",
                        "place_uid": "loods", "models": "peer", "cost": "3.50"}},
        {"type": "Feature", "geometry": None,
         "properties": {"activity_uid": "buddy", "activity_name": "Buddy's", "models": "buddy",
                        "organisation": "Buddywerking", "childcare": False}},
    ]))
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 0, result.stderr
    db = store.connect(db_path)
    acts = {a["uid"]: a for a in store.activities(db)}
    assert acts["soep"]["place_uid"] == "loods" and acts["soep"]["walk_in"] == 1
    assert acts["soep"]["languages"] == ["nl", "fr"] and acts["soep"]["cost_amount"] == 0
    assert acts["praat"]["place_uid"] == "loods" and acts["praat"]["cost_amount"] == 3.5
    assert acts["praat"]["organisation_name"] == "Vzw De Loods"
    assert acts["buddy"]["place"] is None and acts["buddy"]["childcare"] == 0
    assert acts["buddy"]["organisation_name"] == "Buddywerking"


def test_geojson_explicit_wgs84_crs_member_is_accepted(tmp_path):
    path = tmp_path / "aanbod.geojson"
    path.write_text(_fc([_point(3.72, 51.05, place_name="X")],
                        crs={"type": "name",
                             "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}))
    assert [p["name"] for p in read_geojson(path).places] == ["X"]


def _geojson_refused(runner, db, tmp_path, doc: str, where: str | None, field: str | None,
                     reason: str):
    before = _seed(db, tmp_path)
    path = tmp_path / "aanbod.geojson"
    path.write_text(doc)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1, result.stdout
    head = str(path) + (f", {where}" if where else "") + (f", field '{field}'" if field else "")
    assert any(head in line and reason in line for line in result.stderr.splitlines()), \
        result.stderr
    assert _snapshot(db) == before


def test_geojson_not_a_feature_collection(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, json.dumps(_point(3.7, 51.0, place_name="X")),
                     None, "type", "expected a GeoJSON FeatureCollection")


def test_geojson_wrong_geometry_type(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, _fc([
        _point(3.7, 51.0, place_name="Goed"),
        {"type": "Feature", "properties": {"place_name": "Straat"},
         "geometry": {"type": "LineString", "coordinates": [[3.7, 51.0], [3.8, 51.0]]}}]),
        "feature 2", "geometry", "expected a Point")


def test_geojson_non_wgs84_crs(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path,
                     _fc([_point(104900, 193900, place_name="X")],
                         crs={"type": "name", "properties": {"name": "EPSG:31370"}}),
                     None, "crs", "must be WGS84")


def test_geojson_coordinates_out_of_range(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, _fc([_point(104900, 193900, place_name="X")]),
                     "feature 1", "geometry", "not a number in -180..180")


def test_geojson_unknown_property(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, _fc([_point(3.7, 51.0, place_name="X", kleur="rood")]),
                     "feature 1", "kleur", "unknown property")


def test_geojson_bad_nested_activity(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, _fc([_point(3.7, 51.0, place_name="X", activities=[
        {"activity_name": "A", "models": "peer"},
        {"activity_name": "B", "models": "buddy", "walk_in": "misschien"}])]),
        "feature 1, activities[1]", "walk_in", "expected yes or no")


def test_geojson_broken_json(runner, db, tmp_path):
    _geojson_refused(runner, db, tmp_path, '{"type": "FeatureCollection",\n "features": [',
                     "line 2", None, "is not valid JSON")


def test_read_directory_reads_without_touching_a_database(tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text(GOOD_CSV)
    d = read_directory(path)
    assert len(d.places) == 2 and len(d.activities) == 3 and len(d.organisations) == 2
    assert {a["where"] for a in d.activities} == {"row 2", "row 3", "row 5"}


# ------------------------------------------------------------------ the documentation
DOCS = Path(__file__).resolve().parents[1] / "docs" / "formats.md"


def _code_blocks(lang: str) -> list[str]:
    text = DOCS.read_text(encoding="utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_docs_list_exactly_the_csv_columns():
    text = DOCS.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \|", text, flags=re.M))
    names = {n for pair in documented for n in pair if n}
    assert names == set(CSV_COLUMNS)


@pytest.mark.parametrize("lang,suffix", [("csv", "csv"), ("json", "geojson")])
def test_docs_examples_import(db, tmp_path, lang, suffix):
    [example] = _code_blocks(lang)
    path = tmp_path / f"voorbeeld.{suffix}"
    path.write_text(example, encoding="utf-8")
    counts = import_directory(db, path)
    assert counts["places"] == 1 and counts["activities"] == 3
    acts = {a["name"]: a for a in store.activities(db)}
    assert acts["Praatgroep"]["place_name"] == "De Loods"
    assert acts["Buddy's"]["place"] is None
    assert acts["Soep op dinsdag"]["languages"] == ["nl", "fr"]
