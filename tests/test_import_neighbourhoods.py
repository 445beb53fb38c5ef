"""Neighbourhood import (``buurtkaart import neighbourhoods``) on the real Flemish wijken and
on small files written in real formats (GeoPackage, Shapefile, zipped Shapefile, GeoJSON).

Every refusal must name the file, the feature and the field, and leave the database as it was.
"""

from __future__ import annotations

import json
import zipfile
import geopandas as gpd
import pyogrio
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import ImportFailed
from buurtkaart.importers.geo import municipality_from_code, read_neighbourhoods
from conftest import shared_file

# A point in Ghent's Sint-Amandsberg (the Dampoort side of the R40 ring road), WGS84.
SINT_AMANDSBERG = (3.7462, 51.0605)


def _snapshot(db) -> tuple[dict, list[str]]:
    """Counts and a full SQL dump: equal before and after means nothing changed."""
    return store.counts(db), list(db.conn.iterdump())


def _seed(db) -> tuple[dict, list[str]]:
    frame = gpd.GeoDataFrame({"code": ["4402101"], "name": ["Binnenstad"],
                              "municipality_code": ["44021"]},
                             geometry=[shapely.box(3.70, 51.04, 3.73, 51.06)], crs=4326)
    store.save_neighbourhoods(db, frame, source="seed")
    return _snapshot(db)


def _invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


def _lambert_square(x=104900.0, y=193900.0, d=200.0):
    return shapely.box(x, y, x + d, y + d)


# ------------------------------------------------------------------ the real files
def test_all_2730_real_wijken_import_through_the_cli(runner, db_path):
    path = shared_file("flanders_wijken_2024.gpkg")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.output + result.stderr
    assert "imported 2730 neighbourhoods" in result.stdout

    db = store.connect(db_path)
    assert store.counts(db)["neighbourhoods"] == 2730
    n = store.neighbourhood(db, "4402114")
    assert n["name"] == "Sint-Amandsberg (Gent)"
    assert n["municipality_code"] == "44021"

    # the point lookup goes through the R*Tree and the reprojected polygon
    hit = store.neighbourhood_at(db, *SINT_AMANDSBERG)
    assert hit is not None and hit["code"] == "4402114"
    # independent reprojection by geopandas of the same feature
    src = gpd.read_file(path)
    expected = src.loc[src["code"] == "4402114"].to_crs(4326).geometry.iloc[0]
    assert n["geometry"].symmetric_difference(expected).area < 1e-10
    assert expected.contains(shapely.Point(*SINT_AMANDSBERG))

    # codes are stored as the text the file has, none altered or lost
    stored = {r[0] for r in db.execute("SELECT code FROM neighbourhoods")}
    assert stored == set(src["code"])
    # every stored geometry lies in Belgium (Lambert 72 was reprojected, not taken as degrees)
    minx, miny, maxx, maxy = shapely.union_all(
        [r["geometry"] for r in store.neighbourhoods(db)]).bounds
    assert 2.5 < minx < maxx < 6.0 and 50.6 < miny < maxy < 51.6


def test_real_wijken_get_the_municipality_they_lie_in(runner, db_path):
    """Derived municipality codes checked against the real municipal boundaries."""
    wijken = shared_file("flanders_wijken_2024.gpkg")
    gemeenten = gpd.read_file(shared_file("flanders_gemeenten_2024.gpkg"))
    assert _invoke(runner, "import", "neighbourhoods", wijken).exit_code == 0
    db = store.connect(db_path)
    rows = store.neighbourhoods(db)
    assert all(r["municipality_code"] for r in rows), "every real wijk code starts with a NIS code"
    # independently: the municipality each wijk's interior point lies in
    points = gpd.GeoDataFrame({"code": [r["code"] for r in rows],
                               "derived": [r["municipality_code"] for r in rows]},
                              geometry=[r["geometry"].representative_point() for r in rows],
                              crs=4326)
    joined = gpd.sjoin(points, gemeenten[["nis_code", "geometry"]].to_crs(4326),
                       predicate="within")
    assert len(joined) == 2730
    differ = joined[joined["derived"] != joined["nis_code"]]
    # The code prefix is the NIS code from when the wijk was defined: the wijken of the
    # municipalities merged in 2019 (Deinze 44083 <- 44011, Aalter 44084 <- 44001, ...) keep
    # the old code, as docs/formats.md says; all others agree with the boundaries.
    assert len(differ) == 78
    assert set(differ.loc[differ["nis_code"] == "44083", "derived"]) == {"44011"}
    assert "4402114" not in set(differ["code"])
    # the three code styles Flanders uses
    assert store.neighbourhood(db, "11002ANT01")["municipality_code"] == "11002"  # Antwerpen
    assert store.neighbourhood(db, "120021")["municipality_code"] == "12002"  # Berlaar
    assert len(store.neighbourhoods(db, municipality="44021")) == 25  # Gent


def test_real_municipalities_import_with_code_field_nis_code(runner, db_path):
    path = shared_file("flanders_gemeenten_2024.gpkg")
    result = _invoke(runner, "import", "neighbourhoods", path, "--code-field", "nis_code")
    assert result.exit_code == 0, result.stderr
    db = store.connect(db_path)
    assert store.counts(db)["neighbourhoods"] == 319
    gent = store.neighbourhood(db, "44021")
    assert gent["name"] == "Gent" and gent["municipality_code"] == "44021"
    assert store.neighbourhood_at(db, *SINT_AMANDSBERG)["code"] == "44021"


def test_municipality_field_overrides_the_code_rule(tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": ["W1"], "gem": ["44021"]}, geometry=[_lambert_square()],
                     crs=31370).to_file(path)
    frame, _ = read_neighbourhoods(path, municipality_field="gem")
    assert frame["municipality_code"].tolist() == ["44021"]
    frame, _ = read_neighbourhoods(path)
    assert frame["municipality_code"].tolist() == [None]  # "W1" names no municipality


@pytest.mark.parametrize("code,expected", [
    ("4402114", "44021"), ("440211", "44021"), ("44021", "44021"), ("11002ANT01", "11002"),
    ("21001_803", "21001"), ("1301407a", "13014"), ("44021A00-", "44021"),
    ("12345678", None), ("BU03630000", None), ("4402", None), ("", None),
])
def test_municipality_rule(code, expected):
    assert municipality_from_code(code) == expected


# ------------------------------------------------------------------ formats and CRSs
def test_lambert72_shapefile_is_reprojected_to_wgs84(runner, db_path, tmp_path):
    frame = gpd.GeoDataFrame({"code": ["4402101"], "name": ["Binnenstad"]},
                             geometry=[_lambert_square()], crs=31370)
    path = tmp_path / "gent.shp"
    frame.to_file(path)
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.stderr
    n = store.neighbourhood(store.connect(db_path), "4402101")
    expected = frame.to_crs(4326).geometry.iloc[0]
    assert n["geometry"].symmetric_difference(expected).area < 1e-12
    assert 3.70 < n["lon"] < 3.75 and 51.04 < n["lat"] < 51.06


def test_zipped_shapefile_is_read_without_unpacking(tmp_path):
    shp = tmp_path / "wijken.shp"
    gpd.GeoDataFrame({"code": ["4402101"]}, geometry=[_lambert_square()], crs=31370).to_file(shp)
    archive = tmp_path / "wijken.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for part in tmp_path.glob("wijken.*"):
            if part != archive:
                z.write(part, part.name)
    frame, warnings = read_neighbourhoods(archive)
    assert frame["code"].tolist() == ["4402101"] and frame.crs.to_epsg() == 4326
    assert 3.70 < frame.geometry.iloc[0].centroid.x < 3.75 and warnings == []


def test_geojson_without_crs_member_is_wgs84_by_specification(tmp_path):
    path = tmp_path / "wijken.geojson"
    poly = shapely.box(3.70, 51.04, 3.71, 51.05)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "4402101", "name": "Binnenstad"},
         "geometry": shapely.geometry.mapping(poly)}]}))
    frame, _ = read_neighbourhoods(path)
    assert frame.geometry.iloc[0].equals(poly)


def test_geojson_with_an_old_style_lambert_crs_member_is_reprojected(tmp_path):
    path = tmp_path / "wijken.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::31370"}},
        "features": [{"type": "Feature", "properties": {"code": "4402101"},
                      "geometry": shapely.geometry.mapping(_lambert_square())}]}))
    frame, _ = read_neighbourhoods(path)
    assert 3.70 < frame.geometry.iloc[0].centroid.x < 3.75


@pytest.mark.parametrize("member", [
    {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::99999"}},
    {"type": "name", "properties": {"name": "mijn eigen stelsel"}},
    {"type": "link", "properties": {"href": "http://example.org/crs"}}])
def test_geojson_with_an_unknown_crs_member_is_refused_not_read_as_wgs84(tmp_path, member):
    """GDAL reports EPSG:4326 for a crs member it cannot read; that must not be a guess."""
    path = tmp_path / "wijken.geojson"
    path.write_text(json.dumps({
        "type": "FeatureCollection", "crs": member,
        "features": [{"type": "Feature", "properties": {"code": "4402101"},
                      "geometry": shapely.geometry.mapping(shapely.box(3.7, 51.0, 3.71, 51.01))}]}))
    with pytest.raises(ImportFailed, match="wijken.geojson, field 'crs': declares a coordinate "
                                           "reference system that cannot be identified"):
        read_neighbourhoods(path)


def test_integer_codes_are_converted_to_text_with_a_warning(runner, db_path, tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": [4402101, 4402102]},
                     geometry=[_lambert_square(), _lambert_square(106000)],
                     crs=31370).to_file(path)
    assert pyogrio.read_info(path)["dtypes"][0].startswith("int")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.stderr
    assert "stored as numbers" in result.stderr and "wijken.gpkg" in result.stderr
    db = store.connect(db_path)
    assert {r[0] for r in db.execute("SELECT code FROM neighbourhoods")} == {"4402101", "4402102"}


def test_float_codes_lose_no_digits_and_gain_no_point_zero(tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": [4402101.0]}, geometry=[_lambert_square()],
                     crs=31370).to_file(path)
    frame, warnings = read_neighbourhoods(path)
    assert frame["code"].tolist() == ["4402101"]
    assert any("stored as numbers" in w for w in warnings)


def test_text_codes_keep_leading_zeros(tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": ["0012", "0013"]},
                     geometry=[_lambert_square(), _lambert_square(106000)],
                     crs=31370).to_file(path)
    frame, warnings = read_neighbourhoods(path)
    assert frame["code"].tolist() == ["0012", "0013"] and warnings == []


def test_code_aliases_and_layer_choice(tmp_path):
    path = tmp_path / "two.gpkg"
    gpd.GeoDataFrame({"wijkcode": ["A"], "naam": ["Een"]}, geometry=[_lambert_square()],
                     crs=31370).to_file(path, layer="wijken")
    gpd.GeoDataFrame({"nis_code": ["44021"]}, geometry=[_lambert_square()],
                     crs=31370).to_file(path, layer="gemeenten")
    with pytest.raises(ImportFailed) as err:
        read_neighbourhoods(path)
    msg = str(err.value)
    assert "two.gpkg" in msg and "wijken" in msg and "gemeenten" in msg and "--layer" in msg
    frame, _ = read_neighbourhoods(path, layer="wijken")
    assert frame[["code", "name"]].values.tolist() == [["A", "Een"]]
    frame, _ = read_neighbourhoods(path, layer="gemeenten")
    assert frame["code"].tolist() == ["44021"]
    with pytest.raises(ImportFailed, match="no layer 'buurten'"):
        read_neighbourhoods(path, layer="buurten")


def test_invalid_bowtie_polygon_is_repaired_with_a_warning(runner, db_path, tmp_path):
    bowtie = shapely.Polygon([(3.70, 51.00), (3.72, 51.02), (3.72, 51.00), (3.70, 51.02)])
    assert not bowtie.is_valid
    good = shapely.box(3.80, 51.00, 3.81, 51.01)
    path = tmp_path / "bowtie.geojson"
    gpd.GeoDataFrame({"code": ["G1", "B2"]}, geometry=[good, bowtie],
                     crs=4326).to_file(path, driver="GeoJSON")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.stderr
    assert "bowtie.geojson, feature 2 (code B2)" in result.stderr
    assert "repaired" in result.stderr and "feature 1" not in result.stderr
    n = store.neighbourhood(store.connect(db_path), "B2")
    assert n["geometry"].is_valid and n["geometry"].geom_type in ("Polygon", "MultiPolygon")
    # both triangles of the bow tie kept: base 0.02, height 0.01 each, half the box together
    assert n["geometry"].area == pytest.approx(0.02 * 0.02 / 2, rel=1e-6)


# ------------------------------------------------------------------ refusals
def test_shapefile_without_prj_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "wijken.shp"
    gpd.GeoDataFrame({"code": ["1"]}, geometry=[_lambert_square()], crs=31370).to_file(path)
    path.with_suffix(".prj").unlink()
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert "wijken.shp" in result.stderr and "no coordinate reference system" in result.stderr
    assert "wijken.prj is missing" in result.stderr
    assert _snapshot(db) == before


def test_shapefile_with_a_garbage_prj_is_refused(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "wijken.shp"
    gpd.GeoDataFrame({"code": ["1"]}, geometry=[_lambert_square()], crs=31370).to_file(path)
    path.with_suffix(".prj").write_text("Lambert, denk ik")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert "wijken.shp" in result.stderr and "wijken.prj cannot be understood" in result.stderr
    assert _snapshot(db) == before


def test_an_unidentifiable_crs_is_refused_not_guessed(tmp_path):
    path = tmp_path / "lokaal.shp"
    gpd.GeoDataFrame({"code": ["1"]}, geometry=[_lambert_square()], crs=31370).to_file(path)
    path.with_suffix(".prj").write_text('LOCAL_CS["bouwplaats",UNIT["metre",1]]')
    with pytest.raises(ImportFailed, match="lokaal.shp: has a coordinate reference system that "
                                           "cannot be identified"):
        read_neighbourhoods(path)


def test_lambert_coordinates_in_a_geojson_without_crs_are_out_of_range(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "wijken.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "4402101"},
         "geometry": shapely.geometry.mapping(_lambert_square())}]}))
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert "wijken.geojson, feature 1, field 'geometry'" in result.stderr
    assert "outside the globe" in result.stderr
    assert _snapshot(db) == before


@pytest.mark.parametrize("case,codes,geoms,where,field,reason", [
    ("point", ["P1"], [shapely.Point(3.7, 51.0)], "feature 1", "geometry",
     "expected a polygon, got a Point"),
    ("line", ["L1", "L2"], [shapely.box(3.7, 51.0, 3.71, 51.01),
                            shapely.LineString([(3.7, 51.0), (3.8, 51.1)])],
     "feature 2", "geometry", "expected a polygon, got a LineString"),
    ("duplicate codes", ["D1", "D1"], [shapely.box(3.7, 51.0, 3.71, 51.01),
                                       shapely.box(3.8, 51.0, 3.81, 51.01)],
     "feature 2", "code", "code 'D1' already used by feature 1"),
    ("empty code", ["E1", ""], [shapely.box(3.7, 51.0, 3.71, 51.01),
                                shapely.box(3.8, 51.0, 3.81, 51.01)],
     "feature 2", "code", "code is empty"),
    ("missing code", ["M1", None], [shapely.box(3.7, 51.0, 3.71, 51.01),
                                    shapely.box(3.8, 51.0, 3.81, 51.01)],
     "feature 2", "code", "code is empty"),
    ("empty geometry", ["G1"], [shapely.Polygon()], "feature 1", "geometry",
     "geometry is empty"),
])
def test_bad_features_are_refused_naming_feature_and_field(runner, db, tmp_path, case, codes,
                                                           geoms, where, field, reason):
    before = _seed(db)
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"code": codes}, geometry=geoms, crs=4326).to_file(path, layer="wijken")
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1, result.stdout
    assert f"bad.gpkg, {where}, field '{field}': {reason}" in result.stderr
    assert _snapshot(db) == before


def test_every_bad_feature_is_listed_at_once(tmp_path):
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame({"code": ["A", "A", "B"]},
                     geometry=[shapely.box(3.7, 51.0, 3.71, 51.01),
                               shapely.box(3.8, 51.0, 3.81, 51.01), shapely.Point(3.7, 51.0)],
                     crs=4326).to_file(path)
    with pytest.raises(ImportFailed) as err:
        read_neighbourhoods(path)
    assert [(p.where, p.field) for p in err.value.problems] == [("feature 2", "code"),
                                                                 ("feature 3", "geometry")]


def test_missing_code_column_lists_the_available_columns(runner, db, tmp_path):
    before = _seed(db)
    path = tmp_path / "nocode.gpkg"
    gpd.GeoDataFrame({"wijk_id": ["1"], "omschrijving": ["x"]},
                     geometry=[_lambert_square()], crs=31370).to_file(path)
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert "nocode.gpkg" in result.stderr and "no code column found" in result.stderr
    assert "wijk_id, omschrijving" in result.stderr and "--code-field" in result.stderr
    assert _snapshot(db) == before
    result = _invoke(runner, "import", "neighbourhoods", path, "--code-field", "wijkid")
    assert result.exit_code == 1 and "field 'wijkid'" in result.stderr


@pytest.mark.parametrize("name,content,reason", [
    ("leeg.gpkg", b"", "is empty"),
    ("tekst.gpkg", b"dit is geen geopackage", "cannot be read as GeoPackage, Shapefile or "
                                              "GeoJSON"),
    ("tabel.csv", b"code,name\n4402101,Binnenstad\n", "has no geometry"),
    ("leeg.geojson", b'{"type": "FeatureCollection", "features": []}', "contains no features"),
])
def test_files_that_are_not_neighbourhoods(runner, db, tmp_path, name, content, reason):
    before = _seed(db)
    path = tmp_path / name
    path.write_bytes(content)
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 1
    assert f"{path}" in result.stderr and reason in result.stderr
    assert "It might help" not in result.stderr  # GDAL's driver advice is not for users
    assert _snapshot(db) == before


def test_reimport_updates_by_code_rather_than_duplicating(runner, db_path, tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": ["4402101"], "name": ["Oud"]}, geometry=[_lambert_square()],
                     crs=31370).to_file(path)
    assert _invoke(runner, "import", "neighbourhoods", path).exit_code == 0
    gpd.GeoDataFrame({"code": ["4402101"], "name": ["Nieuw"]},
                     geometry=[_lambert_square(d=400)], crs=31370).to_file(path)
    assert _invoke(runner, "import", "neighbourhoods", path).exit_code == 0
    db = store.connect(db_path)
    assert store.counts(db)["neighbourhoods"] == 1
    n = store.neighbourhood(db, "4402101")
    assert n["name"] == "Nieuw" and n["area_m2"] == pytest.approx(400 * 400, rel=0.01)
    # the spatial index follows the new outline
    outer = gpd.GeoSeries([shapely.Point(104900 + 350, 193900 + 350)], crs=31370).to_crs(4326)
    assert store.neighbourhood_at(db, outer.x[0], outer.y[0])["code"] == "4402101"
