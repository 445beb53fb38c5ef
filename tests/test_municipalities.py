"""Municipality names: imported from a table or a layer, shown instead of codes."""

from __future__ import annotations

import json

import pytest

from buurtkaart import store
from buurtkaart.cli import main
from conftest import shared_file


def _run(runner, *args):
    return runner.invoke(main, [str(a) for a in args])


def test_import_municipality_names_from_csv_and_geojson(runner, db_path, tmp_path):
    csv = tmp_path / "gemeenten.csv"
    csv.write_text("nis_code;naam\n44021;Gent\n11002;Antwerpen\n", encoding="utf-8")
    result = _run(runner, "import", "municipalities", csv)
    assert result.exit_code == 0, result.output
    assert "imported 2 municipality names" in result.output
    geo = tmp_path / "gemeenten.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": "44021", "name": "Gent (stad)"},
         "geometry": {"type": "Point", "coordinates": [3.72, 51.05]}}]}), encoding="utf-8")
    assert _run(runner, "import", "municipalities", geo).exit_code == 0
    db = store.connect(db_path)
    assert store.municipality_names(db) == {"44021": "Gent (stad)", "11002": "Antwerpen"}


def test_bad_rows_are_named_and_nothing_is_stored(runner, db_path, tmp_path):
    csv = tmp_path / "gemeenten.csv"
    csv.write_text("nis_code,name\n44021,Gent\n,Nergens\n11002,\n44021,Gent bis\n",
                   encoding="utf-8")
    result = _run(runner, "import", "municipalities", csv)
    assert result.exit_code == 1
    for text in ("row 3, field 'nis_code': no municipality code",
                 "row 4, field 'name': no name for municipality 11002",
                 "row 5, field 'nis_code': municipality 44021 is given twice"):
        assert text in result.output, result.output
    assert store.municipality_names(store.connect(db_path)) == {}
    other = tmp_path / "other.csv"
    other.write_text("id,label\n1,x\n", encoding="utf-8")
    result = _run(runner, "import", "municipalities", other)
    assert result.exit_code == 1 and "no code column found" in result.output


@pytest.mark.slow
def test_the_flemish_municipalities_layer(runner, db_path):
    path = shared_file("flanders_gemeenten_2024.gpkg")
    result = _run(runner, "import", "municipalities", path)
    assert result.exit_code == 0, result.output
    names = store.municipality_names(store.connect(db_path))
    assert len(names) == 319 and names["44021"] == "Gent"
