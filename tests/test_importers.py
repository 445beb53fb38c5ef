"""Importers on real files and on broken ones: every problem named, nothing half-loaded."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from conftest import shared_file

GOOD_CSV = (
    "place_name;kind;organisation;street;postcode;city;lon;lat;opening_hours;place_wheelchair;"
    "activity_name;models;sessions;cost;walk_in;childcare;no_internet;languages\n"
    "De Loods;inloopcentrum;Vzw De Loods;Kerkstraat 1;9000;Gent;3,7215;51,0543;"
    "Mo-Fr 09:00-17:00;yes;Soep op dinsdag;organisation;Tu 12:00-14:00;gratis;ja;nee;ja;\"nl;fr\"\n"
    "De Loods;inloopcentrum;Vzw De Loods;Kerkstraat 1;9000;Gent;3,7215;51,0543;"
    "Mo-Fr 09:00-17:00;yes;Praatgroep;lotgenotennetwerk;We 14:00-16:00;2,50;nee;;;nl\n"
)


def _counts(db):
    return store.counts(db)


def _invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


# ---------------------------------------------------------------- neighbourhoods
def test_real_flemish_wijken_import_completely(runner, db_path):
    path = shared_file("flanders_wijken_2024.gpkg")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    assert _counts(db)["neighbourhoods"] == 2730
    n = store.neighbourhood(db, "4402114")
    assert n["municipality_code"] == "44021"
    # Lambert 72 was reprojected: Ghent lies near 3.7 E, 51.05 N
    assert 3.6 < n["lon"] < 3.9 and 51.0 < n["lat"] < 51.15
    # the independent check: geopandas' own reprojection of the same feature
    src = gpd.read_file(path).to_crs(4326)
    expected = src.loc[src["code"].astype(str) == "4402114"].geometry.iloc[0]
    assert n["geometry"].symmetric_difference(expected).area < 1e-9
    assert store.neighbourhood_at(db, n["lon"], n["lat"])["code"] == "4402114"
    # every stored code is text, exactly as in the file
    codes = {r[0] for r in db.execute("SELECT code FROM neighbourhoods")}
    assert codes == set(src["code"].astype(str))


def test_real_municipalities_import_with_a_named_code_field(runner, db_path):
    path = shared_file("flanders_gemeenten_2024.gpkg")
    result = _invoke(runner, "import", "neighbourhoods", path, "--code-field", "nis_code")
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    assert _counts(db)["neighbourhoods"] == 319
    assert store.neighbourhood(db, "44021")["municipality_code"] == "44021"


def _square(x, y, d=0.01):
    return shapely.box(x, y, x + d, y + d)


def _write(frame: gpd.GeoDataFrame, path, **kw):
    frame.to_file(path, **kw)
    return path


def _seed(db):
    """Data that must survive every failed import."""
    frame = gpd.GeoDataFrame({"code": ["4402101"], "name": ["Binnenstad"],
                              "municipality_code": ["44021"]},
                             geometry=[_square(3.7, 51.0)], crs=4326)
    store.save_neighbourhoods(db, frame, source="seed")
    return _counts(db)


def test_shapefile_without_prj_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = _write(gpd.GeoDataFrame({"code": ["1"]}, geometry=[_square(150000, 200000, 100)],
                                   crs=31370), tmp_path / "wijken.shp")
    path.with_suffix(".prj").unlink()
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert "wijken.shp" in result.stderr and "no coordinate reference system" in result.stderr
    assert _counts(db) == before


def test_unknown_crs_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = _write(gpd.GeoDataFrame({"code": ["1"]}, geometry=[_square(150000, 200000, 100)],
                                   crs=31370), tmp_path / "wijken.shp")
    path.with_suffix(".prj").write_text("this is not a projection")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1 and "wijken.shp" in result.stderr
    assert "coordinate reference system" in result.stderr
    assert _counts(db) == before


def test_lambert72_shapefile_is_reprojected(runner, db_path, tmp_path):
    # Ghent's Sint-Baafskathedraal is near 105,000 / 194,000 in Lambert 72
    frame = gpd.GeoDataFrame({"code": ["4402101"], "name": ["Binnenstad"]},
                             geometry=[_square(104900, 193900, 200)], crs=31370)
    path = _write(frame, tmp_path / "gent.shp")
    assert _invoke(runner, "import", "neighbourhoods", path).exit_code == 0
    n = store.neighbourhood(store.connect(db_path), "4402101")
    expected = frame.to_crs(4326).geometry.iloc[0].representative_point()
    assert n["geometry"].contains(expected)
    assert 3.70 < n["lon"] < 3.75 and 51.04 < n["lat"] < 51.06


def test_invalid_polygon_is_repaired_with_a_warning(runner, db_path, tmp_path):
    bowtie = shapely.Polygon([(3.70, 51.00), (3.72, 51.02), (3.72, 51.00), (3.70, 51.02)])
    assert not bowtie.is_valid
    path = _write(gpd.GeoDataFrame({"code": ["4402101"], "name": ["Strik"]}, geometry=[bowtie],
                                   crs=4326), tmp_path / "bowtie.geojson", driver="GeoJSON")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.output
    assert "feature 1" in result.stderr and "repaired" in result.stderr
    n = store.neighbourhood(store.connect(db_path), "4402101")
    assert n["geometry"].is_valid and n["geometry"].area == pytest.approx(bowtie.buffer(0).area
                                                                          * 2, rel=0.01)


@pytest.mark.parametrize("case,frame_kw,field,reason", [
    ("points", {"geometry": [shapely.Point(3.7, 51.0)]}, "geometry", "expected a polygon"),
    ("duplicate codes", {"code": ["4402101", "4402101"],
                         "geometry": [_square(3.7, 51.0), _square(3.8, 51.0)]}, "code",
     "already used by feature 1"),
    ("empty code", {"code": [""]}, "code", "code is empty"),
])
def test_bad_neighbourhood_features_are_named(runner, db, tmp_path, case, frame_kw, field, reason):
    before = _seed(db)
    kw = {"code": ["4402199"], "geometry": [_square(3.7, 51.0)], **frame_kw}
    path = _write(gpd.GeoDataFrame({"code": kw["code"]}, geometry=kw["geometry"], crs=4326),
                  tmp_path / "bad.gpkg", layer="wijken")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1, result.output
    assert "bad.gpkg" in result.stderr and "feature" in result.stderr
    assert f"field '{field}'" in result.stderr and reason in result.stderr
    assert _counts(db) == before


def test_missing_code_column_lists_the_columns(runner, db, tmp_path):
    before = _seed(db)
    path = _write(gpd.GeoDataFrame({"wijk_id": ["1"]}, geometry=[_square(3.7, 51.0)], crs=4326),
                  tmp_path / "nocode.gpkg")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1 and "wijk_id" in result.stderr and "--code-field" in result.stderr
    assert _counts(db) == before


def test_not_a_geo_file(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "wijken.gpkg"
    path.write_text("hello")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1 and "wijken.gpkg" in result.stderr
    assert _counts(db) == before


# ---------------------------------------------------------------- places and activities
def test_csv_with_decimal_commas_and_labels_imports(runner, db_path, tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text(GOOD_CSV, encoding="utf-8-sig")  # Excel writes a BOM
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 0, result.output
    db = store.connect(db_path)
    [place] = store.places(db)
    assert (place["name"], place["kind"], place["lon"], place["wheelchair"]) == (
        "De Loods", "drop_in_centre", 3.7215, "yes")
    acts = {a["name"]: a for a in place["activities"]}
    assert acts["Soep op dinsdag"]["cost_amount"] == 0.0
    assert acts["Soep op dinsdag"]["languages"] == ["nl", "fr"]
    assert acts["Praatgroep"]["models"] == ["peer"] and acts["Praatgroep"]["cost_amount"] == 2.5
    assert acts["Praatgroep"]["childcare"] is None  # empty means unknown, not "no"


BAD_CSV_CASES = {
    "unknown column": ("place_name;lon;lat;colour\nX;3.7;51.0;red\n", "row 1", "colour",
                       "unknown column"),
    "bad kind": ("place_name;kind;lon;lat\nX;kasteel;3.7;51.0\n", "row 2", "kind",
                 "unknown place kind"),
    "bad coordinate": ("place_name;lon;lat\nX;3.7;510\n", "row 2", "lat", "not a number in"),
    "bad opening hours": ("place_name;lon;lat;opening_hours\nX;3.7;51.0;ma-vr 9u tot 17u\n",
                          "row 2", "opening_hours", ""),
    "bad session": ("activity_name;models;sessions\nX;buddy;Tu 20:00-18:00\n", "row 2",
                    "sessions", "before"),
    "bad cost": ("activity_name;models;cost\nX;buddy;een beetje\n", "row 2", "cost",
                 "amount in euro"),
    "bad model": ("activity_name;models\nX;knutselen\n", "row 2", "models",
                  "unknown working model"),
    "missing model": ("activity_name;models\nX;\n", "row 2", "models", "at least one"),
    "conflicting place rows": ("place_uid;place_name;lon;lat;city\np1;X;3.7;51.0;Gent\n"
                               "p1;X;3.7;51.0;Brugge\n", "row 3", "city", "Brugge"),
    "too many values": ("place_name;lon;lat\nX;3.7;51.0;extra\n", "row 2", None, "values"),
}


@pytest.mark.parametrize("case", list(BAD_CSV_CASES))
def test_bad_csv_is_refused_naming_row_and_field(runner, db, tmp_path, case):
    before = _seed(db)
    text, where, field, reason = BAD_CSV_CASES[case]
    path = tmp_path / "aanbod.csv"
    path.write_text(text)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1, result.output
    assert f"aanbod.csv, {where}" in result.stderr
    if field:
        assert f"field '{field}'" in result.stderr
    assert reason in result.stderr
    assert _counts(db) == before


def test_csv_in_another_encoding_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "latin1.csv"
    path.write_bytes("place_name;lon;lat\nCafé;3.7;51.0\n".encode("latin-1"))
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1 and "row 2" in result.stderr and "UTF-8" in result.stderr
    assert _counts(db) == before


def test_a_bad_row_among_good_ones_loads_nothing(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "aanbod.csv"
    path.write_text(GOOD_CSV + "Kapot;other;;;;;abc;51.0;;;;;;;;;;\n")
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1 and "row 4" in result.stderr and "'lon'" in result.stderr
    assert _counts(db) == before


def _fc(features, **extra):
    return json.dumps({"type": "FeatureCollection", "features": features, **extra})


@pytest.mark.parametrize("case,doc,where,field", [
    ("not a collection", json.dumps({"type": "Feature"}), None, "type"),
    ("line geometry", _fc([{"type": "Feature", "properties": {"place_name": "X"},
                            "geometry": {"type": "LineString", "coordinates": [[3, 51], [4, 51]]}}]),
     "feature 1", "geometry"),
    ("lambert crs", _fc([], crs={"type": "name", "properties": {"name": "EPSG:31370"}}), None,
     "crs"),
    ("unknown property", _fc([{"type": "Feature", "properties": {"place_name": "X", "kleur": 1},
                               "geometry": {"type": "Point", "coordinates": [3.7, 51.0]}}]),
     "feature 1", "kleur"),
    ("bad activity", _fc([{"type": "Feature", "properties": {
        "place_name": "X", "activities": [{"activity_name": "Y", "models": "buddy",
                                           "walk_in": "misschien"}]},
        "geometry": {"type": "Point", "coordinates": [3.7, 51.0]}}]),
     "feature 1, activities[0]", "walk_in"),
    ("broken json", '{"type": "FeatureCollection", "features": [', "line 1", None),
])
def test_bad_geojson_is_refused(runner, db, tmp_path, case, doc, where, field):
    before = _seed(db)
    path = tmp_path / "aanbod.geojson"
    path.write_text(doc)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1, result.output
    assert "aanbod.geojson" in result.stderr
    if where:
        assert where in result.stderr
    if field:
        assert f"field '{field}'" in result.stderr
    assert _counts(db) == before


def test_unknown_file_type(runner, db, tmp_path):
    path = tmp_path / "aanbod.xlsx"
    path.write_bytes(b"PK")
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 1 and "aanbod.xlsx" in result.stderr and ".csv" in result.stderr


def test_activity_referring_to_an_unknown_place_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "aanbod.geojson"
    path.write_text(_fc([]))
    from buurtkaart.errors import ImportFailed
    from buurtkaart.records import validate_activity

    a, _ = validate_activity({"name": "Wees", "models": "peer", "place_uid": "nergens"})
    a["where"] = "row 7"
    with pytest.raises(ImportFailed, match="row 7, field 'place_uid': refers to unknown place"):
        store.save_directory(db, activities=[a], file="aanbod.csv")
    assert _counts(db) == before
