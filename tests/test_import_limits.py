"""Import limits and plausibility: files too big when unpacked, too many features or columns
(configurable, refused before the expensive work), NUL bytes in names, years that Python
would read but nobody writes (2_020, full-width digits), and coordinates that do not fit the
CRS the file declares (degrees labelled Lambert 72)."""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import pytest
import shapely

from buurtkaart import store
from buurtkaart.cli import main
from buurtkaart.errors import BuurtkaartError, ImportFailed
from buurtkaart.importers import import_directory
from buurtkaart.importers.geo import read_neighbourhoods
from buurtkaart.importers.indicators import read_indicator_table


def _zipped_shapefile(tmp_path, n: int):
    """A zipped Lambert 72 shapefile of ``n`` identical squares (it compresses very well)."""
    shp = tmp_path / "wijken.shp"
    square = shapely.box(104900.0, 193900.0, 105100.0, 194100.0)
    gpd.GeoDataFrame({"code": [f"44021{i:05d}" for i in range(n)]},
                     geometry=[square] * n, crs=31370).to_file(shp)
    archive = tmp_path / "wijken.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for part in tmp_path.glob("wijken.*"):
            if part != archive:
                z.write(part, part.name)
    unpacked = sum(i.file_size for i in zipfile.ZipFile(archive).infolist())
    return archive, unpacked


def test_a_zip_that_unpacks_beyond_the_limit_is_refused(runner, db_path, tmp_path,
                                                       monkeypatch):
    archive, unpacked = _zipped_shapefile(tmp_path, 20_000)
    assert archive.stat().st_size < unpacked / 10 and unpacked > 2 * 2**20
    monkeypatch.setenv("BUURTKAART_MAX_UNPACKED_MB", "1")
    db = store.connect(db_path)
    before = list(db.conn.iterdump())
    result = runner.invoke(main, ["import", "neighbourhoods", str(archive)])
    assert result.exit_code == 1, result.output
    assert str(archive) in result.stderr
    assert f"{unpacked / 2**20:.1f} MB" in result.stderr
    assert "BUURTKAART_MAX_UNPACKED_MB" in result.stderr and "1 MB" in result.stderr
    assert list(db.conn.iterdump()) == before


def test_too_many_features_are_refused_naming_the_limit(tmp_path, monkeypatch):
    archive, _ = _zipped_shapefile(tmp_path, 30)
    monkeypatch.setenv("BUURTKAART_MAX_FEATURES", "20")
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(archive)
    text = str(info.value)
    assert "30 features" in text and "20" in text and "BUURTKAART_MAX_FEATURES" in text
    monkeypatch.setenv("BUURTKAART_MAX_FEATURES", "30")
    frame, _ = read_neighbourhoods(archive)
    assert len(frame) == 30


def test_a_limit_that_is_not_a_number_is_named(tmp_path, monkeypatch):
    archive, _ = _zipped_shapefile(tmp_path, 2)
    monkeypatch.setenv("BUURTKAART_MAX_FEATURES", "lots")
    with pytest.raises(BuurtkaartError) as info:
        read_neighbourhoods(archive)
    assert "BUURTKAART_MAX_FEATURES" in str(info.value) and "'lots'" in str(info.value)


def test_an_indicator_table_with_20000_columns_is_refused_at_the_header(tmp_path):
    path = tmp_path / "wide.csv"
    header = ["code", "year"] + [f"x{i}_count" for i in range(20_000)]
    path.write_text(",".join(header) + "\n" + ",".join(["A", "2020"] + ["1"] * 20_000) + "\n")
    with pytest.raises(ImportFailed) as info:
        read_indicator_table(path)
    [problem] = info.value.problems
    assert problem.where == "row 1" and "20,002 columns" in problem.reason
    assert "BUURTKAART_MAX_COLUMNS" in problem.reason


# ------------------------------------------------------------------ NUL bytes and odd digits
def test_a_nul_byte_in_a_place_name_is_refused(db, tmp_path):
    path = tmp_path / "nul.csv"
    path.write_text("place_name,lon,lat\nDe\x00Loods,4.4,51.2\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        import_directory(db, path)
    [problem] = info.value.problems
    assert (problem.where, problem.field) == ("row 2", "place_name")
    assert "control character" in problem.reason and "U+0000" in problem.reason
    assert store.counts(db)["places"] == 0


def test_a_control_character_in_a_neighbourhood_name_is_refused(tmp_path):
    # (GDAL itself drops NUL from GeoJSON strings; an escape character it keeps)
    path = tmp_path / "hoods.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "A", "name": "Noord\u001b[2J"},
         "geometry": shapely.geometry.mapping(shapely.box(3.70, 51.04, 3.71, 51.05))}]}))
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(path)
    [problem] = info.value.problems
    assert (problem.where, problem.field) == ("feature 1", "name")
    assert "U+001B" in problem.reason


@pytest.mark.parametrize(("year", "value", "where", "field"), [
    ("2_020", "12", "row 3", "year"), ("２０２０", "12", "row 3", "year"),
    ("+2020", "12", "row 3", "year"), (" 2020.0", "12", "row 3", "year"),
    ("2020", "1_000", "row 3", "population"), ("2020", "１２", "row 3", "population"),
    ("2020", "0x10", "row 3", "population"),
])
def test_years_and_values_must_be_written_with_ascii_digits(tmp_path, year, value, where,
                                                           field):
    path = tmp_path / "ind.csv"
    path.write_text(f"code;year;population\nA;2019;10\nA;{year};{value}\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as info:
        read_indicator_table(path)
    [problem] = info.value.problems
    assert (problem.where, problem.field) == (where, field)


# ------------------------------------------------------------------ coordinates and their CRS
def test_degrees_labelled_lambert72_are_refused(runner, db_path, tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": ["4402101"]}, geometry=[shapely.box(3.70, 51.04, 3.71, 51.05)],
                     crs=31370).to_file(path)
    db = store.connect(db_path)
    before = list(db.conn.iterdump())
    result = runner.invoke(main, ["import", "neighbourhoods", str(path)])
    assert result.exit_code == 1, result.output
    assert "look like degrees" in result.stderr and "Belgian Lambert 72" in result.stderr
    assert list(db.conn.iterdump()) == before


def test_coordinates_outside_the_crs_area_of_use_are_refused(tmp_path):
    path = tmp_path / "wijken.gpkg"
    # metres, but 600 km east of Belgium: outside where Lambert 72 is used
    far = shapely.box(700_000, 193_900, 700_200, 194_100)
    gpd.GeoDataFrame({"code": ["A"]}, geometry=[far], crs=31370).to_file(path)
    with pytest.raises(ImportFailed) as info:
        read_neighbourhoods(path)
    [problem] = info.value.problems
    assert problem.where == "feature 1" and "outside the area" in problem.reason
    assert "Belgium" in problem.reason


def test_real_lambert72_coordinates_still_import(tmp_path):
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"code": ["4402101"]},
                     geometry=[shapely.box(104900.0, 193900.0, 105100.0, 194100.0)],
                     crs=31370).to_file(path)
    frame, _ = read_neighbourhoods(path)
    assert 3.70 < frame.geometry.iloc[0].centroid.x < 3.75
