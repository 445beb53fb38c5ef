"""The import and export commands as a user runs them: exit codes, stdout for results,
stderr for warnings and problems, and the database they leave behind."""

from __future__ import annotations

import json

import geopandas as gpd
import shapely

from buurtkaart import store
from buurtkaart.cli import main

CSV = ("place_uid,place_name,kind,lon,lat,activity_uid,activity_name,models,cost\n"
       "loods,De Loods,drop_in_centre,3.72,51.05,soep,Soep,organisation,gratis\n"
       ",,,,,buddy,Buddy,buddy,\n")


def _invoke(runner, *args, **kw):
    return runner.invoke(main, [str(a) for a in args], **kw)


def _info(runner) -> dict[str, str]:
    result = _invoke(runner, "info")
    assert result.exit_code == 0, result.stderr
    return dict(line.split(": ", 1) for line in result.stdout.splitlines())


def test_import_places_reports_counts_on_stdout(runner, db_path, tmp_path):
    path = tmp_path / "aanbod.csv"
    path.write_text(CSV)
    result = _invoke(runner, "import", "places", path)
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout.strip() == (f"imported 0 organisations, 1 places and 2 activities "
                                     f"from {path}: 3 records changed, 0 unchanged")
    info = _info(runner)
    assert (info["places"], info["activities"]) == ("1", "2")
    assert info["database"] == str(db_path)


def test_format_option_overrides_the_extension(runner, db_path, tmp_path):
    path = tmp_path / "aanbod.data"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [3.72, 51.05]},
         "properties": {"place_name": "X"}}]}))
    result = _invoke(runner, "import", "places", path, "--format", "geojson")
    assert result.exit_code == 0, result.stderr
    assert [p["name"] for p in store.places(store.connect(db_path))] == ["X"]
    # the wrong format said explicitly is an error about the content, not a crash
    result = _invoke(runner, "import", "places", path, "--format", "csv")
    assert result.exit_code == 1 and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_problems_go_to_stderr_with_exit_code_1(runner, db_path, tmp_path):
    good = tmp_path / "aanbod.csv"
    good.write_text(CSV)
    assert _invoke(runner, "import", "places", good).exit_code == 0
    before = _info(runner)
    bad = tmp_path / "kapot.csv"
    bad.write_text("place_name,lon,lat,activity_name,models,sessions\n"
                   "X,3.72,51.05,A,peer,Di 10u\n"
                   "Y,300,51.05,B,vriend,\n")
    result = _invoke(runner, "import", "places", bad)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "error: import failed with 3 problems:"
    assert lines[1].startswith(f"  - {bad}, row 2, field 'sessions': ")
    assert lines[2].startswith(f"  - {bad}, row 3, field 'lon': ")
    assert lines[3].startswith(f"  - {bad}, row 3, field 'models': unknown working model 'vriend'")
    assert _info(runner) == before


def test_missing_file_is_a_usage_error(runner, db_path, tmp_path):
    result = _invoke(runner, "import", "places", tmp_path / "bestaat-niet.csv")
    assert result.exit_code == 2 and "bestaat-niet.csv" in result.stderr
    result = _invoke(runner, "import", "neighbourhoods", tmp_path / "bestaat-niet.gpkg")
    assert result.exit_code == 2 and "bestaat-niet.gpkg" in result.stderr


def test_import_neighbourhoods_warnings_go_to_stderr_results_to_stdout(runner, db_path,
                                                                       tmp_path):
    bowtie = shapely.Polygon([(3.70, 51.00), (3.72, 51.02), (3.72, 51.00), (3.70, 51.02)])
    path = tmp_path / "wijken.gpkg"
    gpd.GeoDataFrame({"wijkcode": [4402101], "naam": ["Strik"]}, geometry=[bowtie],
                     crs=4326).to_file(path)
    result = _invoke(runner, "import", "neighbourhoods", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"imported 1 neighbourhoods from {path}"
    warnings = result.stderr.splitlines()
    assert len(warnings) == 2 and all(w.startswith("warning: ") for w in warnings)
    assert "stored as numbers" in warnings[0] and "feature 1 (code 4402101)" in warnings[1]
    n = store.neighbourhood(store.connect(db_path), "4402101")
    assert n["name"] == "Strik" and n["municipality_code"] == "44021"


def test_neighbourhood_options_are_passed_through(runner, db_path, tmp_path):
    path = tmp_path / "lagen.gpkg"
    gpd.GeoDataFrame({"id": ["A1"], "titel": ["Een"], "gemeente": ["44021"]},
                     geometry=[shapely.box(3.70, 51.04, 3.71, 51.05)], crs=4326).to_file(
        path, layer="wijken")
    gpd.GeoDataFrame({"id": ["B"]}, geometry=[shapely.box(3.70, 51.04, 3.71, 51.05)],
                     crs=4326).to_file(path, layer="andere")
    result = _invoke(runner, "import", "neighbourhoods", path, "--code-field", "id")
    assert result.exit_code == 1 and "--layer" in result.stderr
    result = _invoke(runner, "import", "neighbourhoods", path, "--layer", "wijken",
                     "--code-field", "id", "--name-field", "titel",
                     "--municipality-field", "gemeente")
    assert result.exit_code == 0, result.stderr
    n = store.neighbourhood(store.connect(db_path), "A1")
    assert (n["name"], n["municipality_code"]) == ("Een", "44021")


def test_export_writes_the_file_and_says_so(runner, db_path, tmp_path):
    src = tmp_path / "aanbod.csv"
    src.write_text(CSV)
    assert _invoke(runner, "import", "places", src).exit_code == 0
    for fmt, name in (("csv", "uit.csv"), ("geojson", "uit.geojson"), ("hsds", "uit.json")):
        out = tmp_path / name
        result = _invoke(runner, "export", fmt, out)
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("wrote ") and str(out) in result.stdout
        assert out.stat().st_size > 0
    rows = (tmp_path / "uit.csv").read_text(encoding="utf-8").splitlines()
    assert len(rows) == 3 and rows[0].startswith("place_uid,place_name,kind,")
    features = json.loads((tmp_path / "uit.geojson").read_text())["features"]
    assert sorted(f["geometry"] is None for f in features) == [False, True]
    result = _invoke(runner, "export", "xlsx", tmp_path / "uit.xlsx")
    assert result.exit_code == 2 and not (tmp_path / "uit.xlsx").exists()
